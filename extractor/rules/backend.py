"""The rules as a `Backend`: the rules' record with its grounding and consistency checks.

Every filled path gets provenance "rules". The LLM backend runs one of these (with the checks
left to its merge, which checks the final record) while it waits on the model.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from extractor.backend import Backend, BackendName
from extractor.checks import run_checks
from extractor.grounding import ground
from extractor.result import Evidence, ExtractionResult, Issue, Provenance, Source, Usage
from extractor.rules import reader
from extractor.schema import TrialRecord

__all__ = ["RulesBackend", "assess", "extract_rules_result"]

_FROM_RULES = Provenance(source=Source.RULES)  # frozen, so one instance serves every path


def assess(record: TrialRecord, text: str, *, today: date | None = None) -> tuple[dict[str, Evidence], list[Issue]]:
    """Grounding evidence and every issue (consistency, then grounding) for a record and its source."""
    evidence, grounding_issues = ground(record, text)
    return evidence, run_checks(record, today=today) + grounding_issues


def extract_rules_result(doc_id: str, source: str, text: str, *, checks: bool = True) -> ExtractionResult:
    """The rules record with its grounding and checks; provenance "rules" for each filled path.

    `checks=False` leaves the consistency checks out (grounding issues only): for the LLM path,
    whose merge re-checks the final record; `merge.llm_failed(..., checked=False)` adds them when
    the rules' result is what stands.
    """
    record = reader.extract_rules(text)  # looked up at call time: tests stand a fake reader in
    if checks:
        evidence, issues = assess(record, text)
    else:
        evidence, issues = ground(record, text)
    provenance = dict.fromkeys(evidence, _FROM_RULES)  # evidence covers every filled path
    return ExtractionResult(id=doc_id, source=source, backend="rules", record=record, evidence=evidence,
                            provenance=provenance, issues=issues, usage=Usage())


class RulesBackend(Backend):
    """The deterministic extractor behind the pipeline's interface (CPU only, no I/O)."""

    name: ClassVar[BackendName] = "rules"

    def __init__(self, *, checks: bool = True) -> None:
        self.checks = checks

    async def extract(self, doc_id: str, source: str, text: str) -> ExtractionResult:
        return extract_rules_result(doc_id, source, text, checks=self.checks)
