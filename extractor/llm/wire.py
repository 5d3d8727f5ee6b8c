"""What the model sees and answers: the response model, its compact wire schema, quote checks.

`LLMRecord` is the record plus verbatim quotes, each checked against the document being
extracted (validation failures go back to the model through instructor's re-asks). The schema
the model reads is a compacted, shortened form of its JSON schema, built once at import.
"""

from __future__ import annotations

import contextvars
import copy
import hashlib
import json
import re
from typing import Any

import instructor
from pydantic import Field, ValidationInfo, model_validator

from extractor.llm.parts import estimate_tokens
from extractor.llm.prompts import Prompt
from extractor.schema import TrialRecord

__all__ = ["LLMRecord", "QUOTE_SOURCE", "SCHEMA_HASH", "WIRE_SCHEMA", "WireRecord", "compact_schema", "schema_overhead_tokens",
           "step_model"]


def _fold(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text.replace("\\", "").lower()))


# The text quotes are checked against, for the request being validated. Not instructor's `context`:
# instructor renders every message as a Jinja template when a context is given, which costs a
# template compile per document and mangles documents that contain "{{", "{%" or indentation.
QUOTE_SOURCE: contextvars.ContextVar[str | None] = contextvars.ContextVar("trialx_llm_source", default=None)


class LLMRecord(TrialRecord):
    """The response model: the record plus verbatim quotes, each checked against the document."""

    quotes: dict[str, str] = Field(
        default_factory=dict,
        description="field path -> a short verbatim span of the document that states that value",
    )

    @model_validator(mode="after")
    def _quotes_in_source(self, info: ValidationInfo) -> "LLMRecord":
        context = info.context or {}
        source = context.get("source_text", QUOTE_SOURCE.get())
        if not isinstance(source, str):
            return self
        folded = _fold(source)
        bad = [path for path, quote in self.quotes.items() if _fold(quote) and _fold(quote) not in folded]
        if bad:
            shown = "; ".join(f"{p}: {self.quotes[p][:80]!r}" for p in bad[:5])
            raise ValueError(
                f"these quotes do not occur in the document: {shown}. "
                "Copy each quote verbatim from the document, or remove it and recheck that value."
            )
        return self

    def to_record(self) -> TrialRecord:
        return TrialRecord.model_validate(self.model_dump(exclude={"quotes"}))


# --- what the model sees: a compact schema, built once -----------------------------------------

_DROP_KEYS = frozenset({"title", "default", "minLength", "pattern"})


def compact_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema the model reads, without the noise: no titles, defaults or null branches.

    Every field is optional, so "not stated" is simply left out (the response model still accepts
    null); enums and the descriptions that carry conventions stay. A `$defs` entry used once is
    inlined; one used more often stays a reference.
    """
    defs: dict[str, Any] = schema.get("$defs", {})
    uses: dict[str, int] = {}
    for ref in re.findall(r'"\$ref": "#/\$defs/(\w+)"', json.dumps(schema)):
        uses[ref] = uses.get(ref, 0) + 1
    kept: dict[str, Any] = {}

    def conv(node: Any) -> Any:
        if isinstance(node, list):
            return [conv(n) for n in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[1]
            target = defs[name]
            if uses.get(name, 0) > 1 and len(json.dumps(target)) > 120:
                if name not in kept:
                    kept[name] = {}
                    kept[name] = conv(target)
                return {"$ref": f"#/$defs/{name}"}
            return conv(target)
        if "anyOf" in node:
            branches = [b for b in node["anyOf"] if b.get("type") != "null"]
            one: dict[str, Any] = conv(branches[0]) if len(branches) == 1 else {"anyOf": conv(branches)}
            if "description" in node:
                one = {**one, "description": node["description"]}
            return one
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _DROP_KEYS or key == "$defs" or (key == "required" and not value):
                continue
            if (key == "additionalProperties" and value is False) or (key == "type" and "enum" in node):
                continue  # closed objects are enforced by validation; an enum says its own type
            if key == "properties":
                out[key] = {name: conv(prop) for name, prop in value.items()}
            else:
                out[key] = conv(value)
        return out

    body = conv({k: v for k, v in schema.items() if k not in ("title", "$defs")})
    out: dict[str, Any] = {"title": schema.get("title", "LLMRecord")}
    if kept:
        out["$defs"] = {name: kept[name] for name in sorted(kept)}
    out.update(body)
    return out


# Shorter words for the conventions the schema's descriptions carry; None drops a description whose
# convention the prompt already states (dates, ages, links, quotes), so it is not paid for twice.
_SHORT_DESCRIPTIONS: dict[str, str | None] = {
    "YYYY, YYYY-MM or YYYY-MM-DD, as precise as the document": None,
    "'<integer> <Unit>', e.g. '18 Years', '6 Months', '1 Year'": None,
    "field path -> a short verbatim span of the document that states that value": None,
    "A study arm or group; `intervention_names` link to `Intervention.name`.": None,
    "An intervention; `arm_labels` link back to `Arm.label`.": None,
    "The response model: the record plus verbatim quotes, each checked against the document.": "One trial's record.",
}


def _shorten(node: Any) -> Any:
    if isinstance(node, list):
        return [_shorten(n) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "description" and isinstance(value, str):
            value = _SHORT_DESCRIPTIONS.get(value, value)
            if value is not None:
                out[key] = value
        else:
            out[key] = _shorten(value)
    return out


WIRE_SCHEMA: dict[str, Any] = _shorten(compact_schema(LLMRecord.model_json_schema()))
SCHEMA_HASH = hashlib.sha256(json.dumps(WIRE_SCHEMA, sort_keys=True).encode()).hexdigest()
_SCHEMA_TOKENS = estimate_tokens(json.dumps(WIRE_SCHEMA))


class WireRecord(LLMRecord, instructor.ResponseSchema):
    """LLMRecord as instructor's response model, built once.

    Being a ResponseSchema already, instructor uses it as is instead of wrapping LLMRecord in a new
    class on every call (which also defeated its per-class tool-schema cache); its schema is the
    compact one. Parsing, validation (quotes included) and re-asks stay instructor's.
    """

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return copy.deepcopy(WIRE_SCHEMA)


WireRecord.__name__ = WireRecord.__qualname__ = "LLMRecord"


def _check_async_validators_once() -> None:
    """instructor walks the response model's whole type tree for async validators 7 times per
    request (~3 ms of CPU per document). The answer for our one fixed class never changes: check
    it once here, then let every other model through to instructor's own check."""
    try:  # instructor internals: where they differ (another version), keep instructor's own check
        from instructor.v2.core import patch as instructor_patch
        from instructor.v2.validation import async_validators

        original = async_validators.reject_async_validators
        getattr(instructor_patch, "reject_async_validators")
    except (ImportError, AttributeError):
        return
    if getattr(original, "trialx_once", False):
        return
    original(WireRecord)  # raises here, at import, if the model ever gains an async validator

    def reject_async_validators(response_model: Any) -> None:
        if response_model is not WireRecord:
            original(response_model)

    reject_async_validators.trialx_once = True  # type: ignore[attr-defined]
    async_validators.reject_async_validators = reject_async_validators
    instructor_patch.reject_async_validators = reject_async_validators  # imported by name there


_check_async_validators_once()


def schema_overhead_tokens(prompt: Prompt) -> int:
    """Estimated tokens a request spends besides the document: instructions plus schema."""
    return estimate_tokens(prompt.system + prompt.user) + _SCHEMA_TOKENS



_STEP_MODELS: dict[tuple[str, ...], type[LLMRecord]] = {}


def step_model(fields: tuple[str, ...]) -> type[LLMRecord]:
    """A response model that shows the model only `fields` (a step's small sub-schema, no quotes).

    It validates like the whole record (every other field stays empty), so the steps' answers
    combine with `merge_parts`; made once per group of fields.
    """
    if fields in _STEP_MODELS:
        return _STEP_MODELS[fields]
    props = {k: v for k, v in WIRE_SCHEMA["properties"].items() if k in fields}
    used = set(re.findall(r'"\$ref": "#/\$defs/(\w+)"', json.dumps(props)))
    defs = WIRE_SCHEMA.get("$defs", {})
    for name in list(used):  # references inside kept definitions
        used |= set(re.findall(r'"\$ref": "#/\$defs/(\w+)"', json.dumps(defs.get(name, {}))))
    schema: dict[str, Any] = {"title": "Fields", "type": "object", "properties": props}
    if used:
        schema["$defs"] = {k: defs[k] for k in sorted(used) if k in defs}

    class StepRecord(LLMRecord, instructor.ResponseSchema):
        @classmethod
        def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
            return copy.deepcopy(schema)

    StepRecord.__name__ = StepRecord.__qualname__ = "Fields"
    _STEP_MODELS[fields] = StepRecord
    return StepRecord
