"""Merging the model's record with the rules': per-field provenance, and the text as referee.

The rules read some fields reliably (ids, counts, dates and their types, enums, ages, sex,
healthy volunteers); there a disagreement is an LLM_RULES_DISAGREE warning and the value the
text supports wins (the rules' when both are supported), and a model value the text does not
support is replaced by the rules' value or dropped to null. Elsewhere (titles, texts, lists of
criteria, arms, outcomes, sponsors, locations) the model reads structure better, so its value
is kept, but every part the text does not contain is flagged UNGROUNDED_VALUE on its own path.

When the model fails for good the rules' result stands, with an LLM_FAILED *warning*: the
record is complete and trustworthy as far as the rules go, only less of it is filled.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any

from pydantic import BaseModel

from extractor.checks import run_checks
from extractor.errors import TrialxError
from extractor.grounding import filled_paths, ground
from extractor.result import Evidence, ExtractionResult, Issue, MatchStatus, Provenance, Severity, Source, Usage
from extractor.schema import TrialRecord

__all__ = ["RELIABLE_FIELDS", "merge", "llm_failed"]

# Fields the rules read reliably: a disagreement there is worth a warning.
RELIABLE_FIELDS = frozenset({
    "nct_id", "secondary_ids", "overall_status",
    "start_date", "start_date_type", "primary_completion_date", "primary_completion_date_type",
    "completion_date", "completion_date_type", "first_posted_date", "last_update_date",
    "study_type", "phases", "allocation", "intervention_model", "primary_purpose", "masking",
    "enrollment", "enrollment_type", "sex", "minimum_age", "maximum_age", "healthy_volunteers",
})
# Reliable fields that are lists: merged item by item (grounded model items, plus the rules' own).
_RELIABLE_LISTS = frozenset({"secondary_ids", "phases"})


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == ""


def _norm(value: Any) -> Any:
    """Compare values the way a reader would: case, spacing and punctuation do not matter."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, str):
        return " ".join(re.findall(r"[^\W_]+", value.lower()))
    if isinstance(value, BaseModel):
        return {k: _norm(v) for k, v in value}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def _show(value: Any) -> str:
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, list):
        value = [v.value if isinstance(v, Enum) else v for v in value]
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _paths_of(evidence: dict[str, Evidence], name: str) -> list[str]:
    return [p for p in evidence if p == name or p.startswith(f"{name}[") or p.startswith(f"{name}.")]


def _grounded(evidence: dict[str, Evidence], name: str) -> bool:
    """Every filled leaf of the field has evidence in the text."""
    paths = _paths_of(evidence, name)
    return bool(paths) and all(evidence[p].status != MatchStatus.NONE for p in paths)


def merge(llm: TrialRecord, rules: ExtractionResult, text: str) -> ExtractionResult:
    """One result from the model's record and the rules' result, refereed by the source text."""
    rules_record = rules.record
    llm_ev, _ = ground(llm, text)
    rules_ev = rules.evidence if rules.evidence else ground(rules_record, text)[0]
    if any(p not in rules_ev for p, _ in _filled(rules_record)):
        rules_ev = ground(rules_record, text)[0]

    values: dict[str, Any] = {}
    provenance: dict[str, Provenance] = {}
    issues: list[Issue] = []

    for name in TrialRecord.model_fields:
        lv, rv = getattr(llm, name), getattr(rules_record, name)
        if _empty(lv) and _empty(rv):
            values[name], provenance[name] = lv, Provenance(source=Source.NONE)
            continue
        if _norm(lv) == _norm(rv):
            values[name], provenance[name] = lv, Provenance(source=Source.BOTH, agreed=True)
            continue
        if _empty(lv):
            values[name], provenance[name] = rv, Provenance(source=Source.RULES)
            continue
        l_ok, r_ok = _grounded(llm_ev, name), _grounded(rules_ev, name)
        if name in _RELIABLE_LISTS:
            values[name], provenance[name] = _merge_list(name, lv, rv, llm_ev, issues)
        elif name in RELIABLE_FIELDS:
            values[name], provenance[name] = _merge_reliable(name, lv, rv, l_ok, r_ok, issues)
        elif not _empty(rv) and not l_ok and r_ok and not isinstance(lv, list):
            # a free-text scalar the text does not support, where the rules read one it does
            issues.append(Issue(code="LLM_RULES_DISAGREE", severity=Severity.WARNING, paths=[name],
                                message=f"{name}: model said {_show(lv)} (not in the text); kept the rules' {_show(rv)}"))
            values[name], provenance[name] = rv, Provenance(source=Source.RULES, agreed=False)
        else:
            values[name] = lv
            provenance[name] = Provenance(source=Source.LLM) if _empty(rv) else Provenance(source=Source.BOTH, agreed=False)

    record = TrialRecord.model_validate(values)
    evidence, ground_issues = ground(record, text)
    return ExtractionResult(
        id=rules.id, source=rules.source, backend="llm", record=record, evidence=evidence,
        provenance=_leaf_provenance(record, rules_record, provenance),
        issues=run_checks(record) + issues + ground_issues, usage=rules.usage.model_copy(),
    )


def _filled(record: TrialRecord) -> list[tuple[str, Any]]:
    return list(filled_paths(record))


def _leaf_provenance(record: TrialRecord, rules_record: TrialRecord, fields: dict[str, Provenance]) -> dict[str, Provenance]:
    """Provenance per filled path (as the rules-only result has it); a list item the rules also
    read is "both", agreed. Fields left empty keep their field-level entry when a source had a value."""
    out: dict[str, Provenance] = {}
    for path, _ in filled_paths(record):
        name = re.split(r"[\[.]", path, maxsplit=1)[0]
        field = fields[name]
        m = re.match(rf"{name}\[(\d+)\]", path)
        if m and field.source == Source.BOTH and field.agreed is False:
            item = getattr(record, name)[int(m[1])]
            same = _norm(item) in _norm(getattr(rules_record, name))
            out[path] = Provenance(source=Source.BOTH, agreed=True) if same else Provenance(source=Source.LLM, agreed=False)
        else:
            out[path] = field
    for name, field in fields.items():
        if _empty(getattr(record, name)) and field.source == Source.NONE and not (
            _empty(getattr(rules_record, name))
        ):
            out[name] = field
    return out


def _merge_reliable(name: str, lv: Any, rv: Any, l_ok: bool, r_ok: bool, issues: list[Issue]) -> tuple[Any, Provenance]:
    if _empty(rv):
        if l_ok:
            return lv, Provenance(source=Source.LLM)
        issues.append(Issue(code="UNGROUNDED_VALUE", severity=Severity.WARNING, paths=[name],
                            message=f"{name}: model value {_show(lv)} is not in the text and the rules read none; dropped to null"))
        return None, Provenance(source=Source.NONE)
    keep_rules = r_ok or not l_ok
    kept = rv if keep_rules else lv
    why = "grounded in the text" if (r_ok if keep_rules else l_ok) else "neither is in the text; the rules' read is kept"
    issues.append(Issue(code="LLM_RULES_DISAGREE", severity=Severity.WARNING, paths=[name],
                        message=f"{name}: model said {_show(lv)}, rules read {_show(rv)}; kept {_show(kept)} ({why})"))
    if not l_ok:
        issues.append(Issue(code="UNGROUNDED_VALUE", severity=Severity.WARNING, paths=[name],
                            message=f"{name}: model value {_show(lv)} is not in the text; replaced by the rules' {_show(rv)}"))
    return kept, Provenance(source=Source.RULES if keep_rules else Source.LLM, agreed=False)


def _merge_list(name: str, lv: list[Any], rv: list[Any], llm_ev: dict[str, Evidence], issues: list[Issue]) -> tuple[list[Any], Provenance]:
    """Model items the text supports, in the model's order, then the rules' items it missed."""
    kept: list[Any] = []
    for i, item in enumerate(lv):
        ev = llm_ev.get(f"{name}[{i}]")
        if ev is not None and ev.status == MatchStatus.NONE and _norm(item) not in _norm(rv):
            issues.append(Issue(code="UNGROUNDED_VALUE", severity=Severity.WARNING, paths=[f"{name}[{i}]"],
                                message=f"{name}[{i}]: model value {_show(item)} is not in the text; dropped"))
            continue
        kept.append(item)
    for item in rv:
        if _norm(item) not in _norm(kept):
            kept.append(item)
    if _norm(kept) != _norm(lv):
        issues.append(Issue(code="LLM_RULES_DISAGREE", severity=Severity.WARNING, paths=[name],
                            message=f"{name}: model said {_show(lv)}, rules read {_show(rv)}; kept {_show(kept)}"))
    return kept, Provenance(source=Source.BOTH, agreed=_norm(kept) == _norm(lv) == _norm(rv))


def llm_failed(rules: ExtractionResult, exc: TrialxError, usage: Usage) -> ExtractionResult:
    """The rules' result, with an LLM_FAILED warning saying why the model path gave up."""
    result = rules.model_copy(deep=True)
    result.backend = "rules"
    result.issues.append(Issue(code="LLM_FAILED", severity=Severity.WARNING, paths=[],
                               message=f"model path failed ({exc.code}): {exc.one_line()}; the rules' result is used"))
    result.usage = usage
    return result
