"""A document's state: extraction + changes, re-grounded, re-checked, findings a person settled."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from review import DocumentView, Edit, current_state
from review.state import entry_flags, state_flags
from review.sources import DocumentEntry
from review.store import Change

TEXT = "Title\nEnrollment: 40 participants\nPhase: Phase 2\nSponsor: Acme\n"


def line() -> dict[str, Any]:
    """An LLM-merged line: the model's enrollment (50) is on no page, the phase agreed."""
    return {
        "id": "d", "source": "d.txt", "backend": "llm",
        "record": {"enrollment": 50, "phases": ["PHASE2"], "lead_sponsor": "Acme"},
        "evidence": {"enrollment": {"status": "none"},
                     "phases[0]": {"quote": "Phase 2", "start": 40, "end": 47, "status": "normalized"},
                     "lead_sponsor": {"quote": "Acme", "start": 57, "end": 61, "status": "exact"}},
        "provenance": {"enrollment": {"source": "llm", "agreed": False}, "phases[0]": {"source": "both", "agreed": True},
                       "lead_sponsor": {"source": "rules"}},
        "issues": [
            {"code": "UNGROUNDED_VALUE", "severity": "warning", "paths": ["enrollment"], "message": "not found"},
            {"code": "LLM_RULES_DISAGREE", "severity": "warning", "paths": ["enrollment"], "message": "50 vs 40"},
        ],
    }


def change(n: int, edit: Edit) -> Change:
    return Change(n, "alice", 1.0 * n, edit)


def test_untouched_document_keeps_its_extraction() -> None:
    state = current_state(DocumentView("d", "d.txt", TEXT, line()), [])
    assert state.evidence["lead_sponsor"].quote == "Acme" and state.provenance["phases[0]"].agreed
    assert state_flags(state) == entry_flags(DocumentEntry("d", "d.txt", line())) == {
        "UNGROUNDED_VALUE": ["enrollment"], "LLM_RULES_DISAGREE": ["enrollment"]}


def test_a_correction_is_grounded_again_and_settles_the_findings() -> None:
    fixed = current_state(DocumentView("d", "d.txt", TEXT, line()), [change(1, Edit(path="enrollment", old=50, new=40))])
    assert fixed.record is not None and fixed.record.enrollment == 40
    assert fixed.evidence["enrollment"].quote == "40" and "enrollment" in fixed.edited
    assert fixed.issues == [] and fixed.evidence["lead_sponsor"].quote == "Acme"  # the others stay as they were


def test_accepting_a_value_settles_its_findings_without_changing_it() -> None:
    kept = current_state(DocumentView("d", "d.txt", TEXT, line()), [change(1, Edit(op="accept", path="enrollment"))])
    assert kept.record is not None and kept.record.enrollment == 50 and kept.issues == []
    assert kept.accepted == {"enrollment"}


def test_a_document_without_a_record_is_an_error_row() -> None:
    bad = {"id": "x", "source": "x.txt", "error": {"code": "EMPTY_INPUT", "message": "empty"}}
    state = current_state(DocumentView("x", "x.txt", "", bad), [])
    assert state.record is None and state.error == bad["error"]
    assert entry_flags(DocumentEntry("x", "x.txt", bad)) == {"DOCUMENT_ERROR": []}


def test_ids_that_make_the_same_file_name_or_clash_with_a_renamed_duplicate_stay_apart() -> None:
    from review.sources import unique_id

    seen: dict[str, int] = {}
    assert [unique_id(d, seen) for d in ("dup~2", "dup", "dup", "dup")] == ["dup~2", "dup", "dup~3", "dup~4"]
    seen = {}
    named = [unique_id(d, seen) for d in ("dup", "dup", "dup~2")]
    assert len(set(named)) == 3 and named[:2] == ["dup", "dup~2"]


def test_gold_files_keep_documents_whose_ids_make_the_same_file_name() -> None:
    from review.gold import gold_files

    states = [current_state(DocumentView(doc, f"{doc}.txt", TEXT, {**line(), "id": doc}), []) for doc in ("a/b", "a b")]
    files = gold_files(states)
    assert len([name for name in files if name.startswith("records/")]) == 2 and "records/a_b.json" in files


def test_gold_of_ids_that_are_not_file_names_reads_back_under_those_ids(tmp_path: Path) -> None:
    """"site/001" is written as a safe file name and read back by load_gold as "site/001", so the
    exported gold scores a run whose lines carry the original ids."""
    from evals import load_gold
    from review.gold import gold_files

    docs = ("site/001", "a b", "plain")
    states = [current_state(DocumentView(doc, f"{doc}.txt", TEXT, {**line(), "id": doc}), []) for doc in docs]
    for rel, content in gold_files(states).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(content, encoding="utf-8")
    gold = load_gold(tmp_path)
    assert sorted(gold.records) == sorted(docs) and sorted(gold.sources) == sorted(docs)
    assert json.loads((tmp_path / "ids.json").read_text()) == {"a_b": "a b", "site_001": "site/001"}
