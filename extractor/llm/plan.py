"""What the model is asked for one document: the plan of requests, and how their answers combine.

Both the real-time path (`client.extract_record`) and an offline batch engine send exactly these
requests, so the two give the same records from the same answers. A prompt version asks in one
request per document part today; a version that asks in steps (groups of fields) adds a request
per step and part, each with its own response model, and `combine_answers` joins them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from extractor.errors import ContextLengthError
from extractor.llm.parts import estimate_tokens, merge_parts, select_sections, split_document
from extractor.llm.prompts import Prompt
from extractor.llm.wire import LLMRecord, WireRecord, schema_overhead_tokens, step_model
from extractor.schema import TrialRecord

__all__ = ["PlannedRequest", "combine_answers", "plan_requests"]


@dataclass(frozen=True)
class PlannedRequest:
    """One request of a document's plan.

    `key` is unique within the document and stable across runs ("p0" = part 0; a step adds its
    name, "p0.design"): batch files use it in their `custom_id`. `source` is the text the answer's
    quotes are checked against (the part the request carries).
    """

    key: str
    part: int
    step: str
    messages: list[dict[str, str]]
    response_model: type[LLMRecord]
    source: str
    max_tokens: int | None = None  # this step's output bound (None: the run's setting)


def plan_requests(text: str, prompt: Prompt, *, max_context_tokens: int, reserve_output_tokens: int) -> list[PlannedRequest]:
    """The requests for one document: one per part that fits the model's context (never cut mid-section)."""
    if prompt.steps:
        return _plan_steps(text, prompt, max_context_tokens=max_context_tokens)
    room = max_context_tokens - schema_overhead_tokens(prompt) - reserve_output_tokens
    if room <= 0:
        raise ContextLengthError(f"the prompt alone does not fit the model context of {max_context_tokens} tokens")
    parts = split_document(text, room * 4)
    return [PlannedRequest(key=f"p{i}", part=i, step="record", messages=prompt.render(document=part),
                           response_model=WireRecord, source=part)
            for i, part in enumerate(parts)]


def _plan_steps(text: str, prompt: Prompt, *, max_context_tokens: int) -> list[PlannedRequest]:
    """A stepwise prompt: one request per group of fields, each with the page's sections for it.

    The fixed instructions come first and the document last (server-side prefix caching reuses the
    shared start); each step carries a small sub-schema and its own output bound.
    """
    known = tuple(w for step in prompt.steps for w in step.sections)
    fixed = estimate_tokens(prompt.system) + 200
    requests: list[PlannedRequest] = []
    for step in prompt.steps:
        model = step_model(step.fields)
        schema_tokens = estimate_tokens(str(model.model_json_schema()))
        room = max_context_tokens - fixed - schema_tokens - step.max_tokens
        if room <= 0:
            raise ContextLengthError(f"step {step.name!r} does not fit the model context of {max_context_tokens} tokens")
        source = select_sections(text, step.sections, room * 4, known)
        messages = prompt.render(document=source)
        if step.instruction:
            messages[-1] = {"role": "user", "content": f"{step.instruction}\n\n{messages[-1]['content']}"}
        requests.append(PlannedRequest(key=f"p0.{step.name}", part=0, step=step.name, messages=messages,
                                       response_model=model, source=source, max_tokens=step.max_tokens))
    return requests


def combine_answers(answers: Sequence[LLMRecord]) -> tuple[TrialRecord, dict[str, str]]:
    """One record and its quotes from the answers of a plan, in plan order (first quote per path wins)."""
    records = [a.to_record() for a in answers]
    record = records[0] if len(records) == 1 else merge_parts(records)
    quotes: dict[str, str] = {}
    for answer in answers:
        for path, quote in answer.quotes.items():
            quotes.setdefault(path, quote)
    return record, quotes
