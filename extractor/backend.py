"""The one seam between the pipeline and whatever makes a record: the `Backend` interface.

The rules (`extractor.rules.RulesBackend`) and the model (`extractor.llm.LLMBackend`) implement
it; the pipeline, the batch path and the service call nothing else. `Settings` are what a caller
chooses (backend, model, prompt version, mode, concurrency); `make_backend` in the pipeline turns
them into a `Backend`.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal

from extractor.result import ExtractionResult

__all__ = ["Backend", "BackendName", "Settings", "resolve_backend"]

BackendName = Literal["llm", "rules"]


@dataclass(frozen=True)
class Settings:
    """A run's choices, shared by the CLI, the evals and the service."""

    backend: Literal["auto", "llm", "rules"] = "auto"
    model: str | None = None
    prompt_version: str | None = None
    base_url: str | None = None
    use_cache: bool = True
    concurrency: int = 4  # documents talking to the model at once (the rules need no limit)
    mode: str | None = None  # auto (default) | tools | json_schema | json | md_json | grammar
    idle_timeout: float | None = None  # LLM: longest silence of a streamed answer (else TRIALX_IDLE_TIMEOUT, 30 s)
    deadline: float | None = None  # LLM: longest time for one answer (else TRIALX_DEADLINE, 900 s)


def resolve_backend(settings: Settings, env: Mapping[str, str] = os.environ) -> BackendName:
    """auto -> llm when an API key or a base URL is configured, else rules."""
    if settings.backend != "auto":
        return settings.backend
    if env.get("OPENAI_API_KEY") or env.get("OPENAI_BASE_URL") or settings.base_url:
        return "llm"
    return "rules"


class Backend(ABC):
    """One document's text in, its final result (record, evidence, provenance, issues, usage) out.

    `extract` may raise: the pipeline turns any exception into that document's error line and
    goes on. A backend that limits its own model requests does so inside `extract`; the pipeline
    only bounds how many documents are in flight. `aclose` releases what the backend holds (a
    shared HTTP client) at the end of a stream.
    """

    name: ClassVar[BackendName]

    @abstractmethod
    async def extract(self, doc_id: str, source: str, text: str) -> ExtractionResult:
        """The result for one readable document."""

    async def aclose(self) -> None:
        """Release shared resources; the default holds none."""
        return None
