"""A stand-in for extractor.rules.reader in tests: reads a few labelled lines, so tests control the record."""

from __future__ import annotations

import re

import pytest

from extractor.schema import TrialRecord


def fake_extract_rules(text: str) -> TrialRecord:
    if "RAISE-IN-RULES" in text:
        raise RuntimeError("the rules tripped")
    data: dict[str, object] = {}
    if m := re.search(r"NCT\d{8}", text):
        data["nct_id"] = m[0]
    for label, field in (("Status", "overall_status"), ("Enrollment", "enrollment"), ("Phase", "phases"),
                         ("Start Date", "start_date"), ("Title", "brief_title")):
        if m := re.search(rf"^{label}:\s*(.+)$", text, flags=re.M):
            data[field] = m[1].strip()
    return TrialRecord.model_validate(data)


def install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the rules backend read pages with the fake (it looks `reader.extract_rules` up per call)."""
    from extractor.rules import reader

    monkeypatch.setattr(reader, "extract_rules", fake_extract_rules)
