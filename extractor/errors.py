"""One error root with typed subclasses; the CLI turns each into one line and an exit code."""

from __future__ import annotations

from typing import Any


class TrialxError(Exception):
    """Root of every error trialx raises on purpose. `code` is stable; `exit_code` is for the CLI."""

    code = "TRIALX_ERROR"
    exit_code = 1

    def __init__(self, message: str, **data: Any) -> None:
        super().__init__(message)
        self.message = message
        self.data = data

    def one_line(self) -> str:
        return " ".join(self.message.split())


class ConfigError(TrialxError):
    """Bad usage or configuration: a missing file, an unknown prompt version, no gold found."""

    code = "CONFIG_ERROR"
    exit_code = 2


class InputError(TrialxError):
    """A document that cannot be read: empty, binary, too large, undecodable."""

    code = "INPUT_ERROR"


class EmptyInputError(InputError):
    code = "EMPTY_INPUT"


class BinaryInputError(InputError):
    code = "BINARY_INPUT"


class InputTooLargeError(InputError):
    code = "INPUT_TOO_LARGE"

    def __init__(self, message: str, *, size: int, limit: int) -> None:
        super().__init__(message, size=size, limit=limit)
        self.size = size
        self.limit = limit


class DecodeError(InputError):
    code = "DECODE_ERROR"


class PromptError(ConfigError):
    """A prompt file that fails validation at load (unknown keys, missing variables)."""

    code = "PROMPT_ERROR"


class GoldError(ConfigError):
    code = "GOLD_ERROR"


class CTGovImportError(TrialxError):
    """A ClinicalTrials.gov file that cannot be imported."""

    code = "IMPORT_ERROR"


class LLMError(TrialxError):
    """The model path failed for this document (after its bounded retries)."""

    code = "LLM_FAILED"


class LLMTransportError(LLMError):
    code = "LLM_TRANSPORT"


class LLMResponseError(LLMError):
    """The model answered, but not with a valid record (garbage, refusal, truncation)."""

    code = "LLM_BAD_RESPONSE"


class ContextLengthError(LLMError):
    code = "CONTEXT_TOO_LONG"


class TokenBudgetError(LLMError):
    code = "TOKEN_BUDGET"
