"""One planned request as an HTTP body, and one answer validated back, without sending anything.

An offline engine (OpenAI's Batch API, vLLM's `run_batch`) needs what `client.extract_record`
sends, as a JSON body, and must read the answers the way the real-time path does. Both sides
are instructor's own: `request_body` is instructor's request handler for the mode (tools,
json_schema, md_json...) over the plan's messages and the run's sampling; `parse_answer` is
instructor's response parser for the same mode, with the request's part as the quote source.
There are no re-asks here: an answer that fails validation is that request's failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import openai
from instructor.v2.core.response import handle_response_model, process_response
from openai.types.chat import ChatCompletion

from extractor.errors import LLMError, LLMResponseError
from extractor.llm.client import AUTO_MODES, MODES, LLMConfig
from extractor.llm.plan import PlannedRequest
from extractor.llm.wire import QUOTE_SOURCE, LLMRecord

__all__ = ["AnswerUsage", "answer_usage", "batch_mode", "parse_answer", "request_body"]

CHAT_URL = "/v1/chat/completions"


def batch_mode(config: LLMConfig) -> str:
    """The one mode an offline run uses: the configured one, or auto's first choice (tool calls)."""
    return AUTO_MODES[0] if config.mode == "auto" else config.mode


def request_body(request: PlannedRequest, config: LLMConfig, mode: str) -> dict[str, Any]:
    """The chat-completions body the real-time path sends for `request` under `mode` (first attempt)."""
    kwargs: dict[str, Any] = {"temperature": config.temperature}
    limit = request.max_tokens or config.max_output_tokens  # a step's own bound first, as the real-time path
    if limit:
        kwargs["max_tokens"] = limit
    _, body = handle_response_model(request.response_model, mode=MODES[mode],
                                    messages=[dict(m) for m in request.messages], **kwargs)
    return {"model": config.model, **body}


@dataclass(frozen=True)
class AnswerUsage:
    input_tokens: int = 0
    output_tokens: int = 0


def answer_usage(completion: dict[str, Any]) -> AnswerUsage:
    usage = completion.get("usage") or {}
    return AnswerUsage(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0))


def parse_answer(request: PlannedRequest, completion: dict[str, Any], mode: str) -> LLMRecord:
    """The validated answer (quotes checked against the request's part), or a typed LLMError."""
    try:
        parsed = ChatCompletion.model_validate(completion)
    except Exception as exc:  # noqa: BLE001 - whatever the runner wrote, one typed error
        raise LLMResponseError(f"the answer is not a chat completion: {' '.join(str(exc).split())[:160]}") from None
    choice = parsed.choices[0] if parsed.choices else None
    if choice is not None and getattr(choice.message, "refusal", None):
        raise LLMResponseError(f"the model refused: {str(choice.message.refusal)[:120]}")
    if choice is not None and choice.finish_reason == "length":
        raise LLMResponseError("the answer was cut off at the output limit (finish_reason=length)")
    token = QUOTE_SOURCE.set(request.source)
    try:
        result = process_response(parsed, response_model=request.response_model, stream=False, mode=MODES[mode])
    except LLMError:
        raise
    except (openai.OpenAIError, Exception) as exc:  # noqa: BLE001 - validation/JSON errors, classified
        raise LLMResponseError(f"no valid record in the answer: {' '.join(str(exc).split())[:200]}") from None
    finally:
        QUOTE_SOURCE.reset(token)
    if not isinstance(result, LLMRecord):
        raise LLMResponseError("the answer did not parse into the response model")
    return result
