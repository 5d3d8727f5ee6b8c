"""A document as the reviewer sees it now: the extracted record with the standing edits applied,
the changed fields grounded again, the checks run again, and what still needs a look."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from extractor import Evidence, ExtractionResult, Issue, MatchStatus, Provenance, Severity, TrialRecord, ground, run_checks
from extractor.grounding import filled_paths
from review.edits import Edit, EditError, apply_edits, field_info
from review.sources import DocumentEntry, DocumentView
from review.store import Change

__all__ = ["DocumentState", "NEEDS_LOOK", "check_edit", "current_state", "entry_flags", "state_flags"]

# What needs a look, most urgent first: the queue sorts by it.
NEEDS_LOOK = ("DOCUMENT_ERROR", "LLM_FAILED", "LLM_RULES_DISAGREE", "UNGROUNDED_VALUE", "CHECK_ERROR", "CHECK_WARNING")
_KEPT_FROM_EXTRACTION = ("LLM_FAILED", "LLM_RULES_DISAGREE")


@dataclass
class DocumentState:
    doc_id: str
    source: str
    text: str
    error: dict[str, Any] | None = None  # the document's error line, when it has no record
    record: TrialRecord | None = None
    evidence: dict[str, Evidence] = field(default_factory=dict)
    provenance: dict[str, Provenance] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    edited: set[str] = field(default_factory=set)  # paths a person set (their value is the person's)
    accepted: set[str] = field(default_factory=set)
    changes: list[Change] = field(default_factory=list)
    reviewed_by: tuple[str, float] | None = None
    backend: str = ""
    stale: str | None = None  # an edit that no longer applies (the schema changed under it)

    def values(self) -> dict[str, Any]:
        return dict(filled_paths(self.record)) if self.record is not None else {}

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.doc_id, "source": self.source, "error": self.error,
            "record": self.record.model_dump(mode="json") if self.record is not None else None,
            "evidence": {p: e.model_dump(mode="json") for p, e in self.evidence.items()},
            "provenance": {p: v.model_dump(mode="json") for p, v in self.provenance.items()},
            "issues": [i.model_dump(mode="json") for i in self.issues],
            "edited": sorted(self.edited), "accepted": sorted(self.accepted),
            "changes": [{"id": c.id, "who": c.who, "at": c.at, **c.edit.model_dump(mode="json")} for c in self.changes],
            "reviewed": None if self.reviewed_by is None else {"who": self.reviewed_by[0], "at": self.reviewed_by[1]},
        }


def _base(line: dict[str, Any]) -> ExtractionResult | None:
    if "record" not in line:
        return None
    try:
        return ExtractionResult.model_validate(line)
    except ValidationError:
        return None


def _span_evidence(text: str, edit: Edit) -> Evidence | None:
    if edit.start is None or edit.end is None or not 0 <= edit.start < edit.end <= len(text):
        return None
    quote = text[edit.start:edit.end]
    return Evidence(quote=quote, start=edit.start, end=edit.end, status=MatchStatus.EXACT)


def current_state(view: DocumentView, changes: list[Change], reviewed_by: tuple[str, float] | None = None) -> DocumentState:
    """The document now: extraction + standing changes, re-grounded and re-checked."""
    state = DocumentState(view.doc_id, view.source, view.text, changes=changes, reviewed_by=reviewed_by)
    base = _base(view.line)
    if base is None:
        state.error = dict(view.line.get("error") or {"code": "BAD_LINE", "message": "the line has no valid record"})
        return state
    state.backend = base.backend
    edits = [c.edit for c in changes]
    try:
        record = apply_edits(base.record, edits)
    except EditError as exc:
        state.stale, record = str(exc), base.record
        edits = []
    state.record = record
    state.accepted = {e.path for e in edits if e.op == "accept"}
    if not any(e.op != "accept" for e in edits):
        state.evidence, state.provenance, state.issues = dict(base.evidence), dict(base.provenance), list(base.issues)
        _resolve_accepted(state)
        return state
    before = dict(filled_paths(base.record))
    now = dict(filled_paths(record))
    spans = {e.path: ev for e in edits if e.op == "set" and (ev := _span_evidence(view.text, e)) is not None}
    set_paths = {e.path for e in edits if e.op == "set"}
    fresh, _ = ground(record, view.text)
    for path, value in now.items():
        same = path in before and before[path] == value
        if path in spans and not same:
            state.evidence[path] = spans[path]
        elif same and path in base.evidence and path not in set_paths:
            state.evidence[path] = base.evidence[path]
        else:
            state.evidence[path] = fresh.get(path, Evidence())
        if same and path in base.provenance and path not in set_paths:
            state.provenance[path] = base.provenance[path]
        if not same or path in set_paths:
            state.edited.add(path)
    issues = [i for i in base.issues if i.code in _KEPT_FROM_EXTRACTION
              and all(p in now and now[p] == before.get(p) and p not in state.edited for p in i.paths)]
    for path, ev in state.evidence.items():
        if ev.status == MatchStatus.NONE:
            issues.append(Issue(code="UNGROUNDED_VALUE", severity=Severity.WARNING, paths=[path],
                                message=f"{path} is not found in the source text"))
    state.issues = issues + run_checks(record)
    _resolve_accepted(state)
    return state


def _resolve_accepted(state: DocumentState) -> None:
    """A value a person accepted (or set) no longer needs a look for disagreement or grounding."""
    settled = state.accepted | state.edited
    state.issues = [i for i in state.issues
                    if not (i.code in ("LLM_RULES_DISAGREE", "UNGROUNDED_VALUE") and i.paths and set(i.paths) <= settled)]


def entry_flags(entry: DocumentEntry) -> dict[str, list[str]]:
    """What in an extract line needs a look, as NEEDS_LOOK code -> field paths (for the queue)."""
    line = entry.line
    if "record" not in line:
        return {"DOCUMENT_ERROR": []}
    issues = line.get("issues") or []
    return _flags((str(i.get("code", "")), str(i.get("severity", "")), [str(p) for p in i.get("paths") or []])
                  for i in issues if isinstance(i, dict))


def state_flags(state: DocumentState) -> dict[str, list[str]]:
    """The same for a document as it stands after its changes."""
    if state.record is None:
        return {"DOCUMENT_ERROR": []}
    return _flags((i.code, i.severity.value, i.paths) for i in state.issues)


def _flags(issues: Iterable[tuple[str, str, list[str]]]) -> dict[str, list[str]]:
    flags: dict[str, list[str]] = {}
    for code, severity, paths in issues:
        if code not in NEEDS_LOOK:
            code = "CHECK_ERROR" if severity == "error" else "CHECK_WARNING"
        flags.setdefault(code, []).extend(paths)
    return flags


def check_edit(view: DocumentView, changes: list[Change], edit: Edit) -> None:
    """Raise EditError when `edit`, after the standing changes, is refused by the schema."""
    base = _base(view.line)
    if base is None:
        raise EditError(edit.path, "this document has no record to edit")
    field_info(edit.path)
    apply_edits(base.record, [c.edit for c in changes] + [edit])
