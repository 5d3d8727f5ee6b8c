"""Inter-annotator agreement: identical labellings agree fully; each planted difference counts once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.agreement import agreement
from extractor.errors import GoldError
from extractor.schema import TrialRecord

BASE = TrialRecord(
    nct_id="NCT01234567", brief_title="A study of X", overall_status="RECRUITING", enrollment=40,
    inclusion_criteria=["Age 18 or over", "Signed consent"], lead_sponsor="Acme University",
)


def _write(directory: Path, records: dict[str, TrialRecord]) -> Path:
    directory.mkdir()
    for doc_id, record in records.items():
        (directory / f"{doc_id}.json").write_text(json.dumps(record.model_dump(mode="json")), encoding="utf-8")
    return directory


def test_identical_labellings_agree_fully(tmp_path: Path) -> None:
    a = _write(tmp_path / "a", {"p1": BASE, "p2": BASE})
    b = _write(tmp_path / "b", {"p1": BASE, "p2": BASE})
    result = agreement(a, b)
    assert result["overall"] == {"compared": 12, "identical": 12, "exact": 1.0, "graded": 1.0}


def test_each_difference_counts_once_and_is_located(tmp_path: Path) -> None:
    changed = BASE.model_copy(update={"enrollment": 41, "inclusion_criteria": ["Age 18 or over"], "acronym": "XS"})
    a = _write(tmp_path / "a", {"p1": BASE, "p2": BASE})
    b = _write(tmp_path / "b", {"p1": changed, "p2": BASE})
    result = agreement(a, b)
    # 12 fields filled on both sides, plus the acronym that only b fills: 13 compared, 3 differ.
    assert result["overall"]["compared"] == 13
    assert result["overall"]["identical"] == 10
    assert result["fields"]["enrollment"]["differ_in"] == ["p1"]
    assert result["fields"]["acronym"] == {"compared": 1, "identical": 0, "exact": 0.0, "graded": 0.0, "differ_in": ["p1"]}
    # one criterion of two dropped: F1 = 2/3 in both directions, averaged with the identical p2.
    assert result["fields"]["inclusion_criteria"]["graded"] == pytest.approx((2 / 3 + 1) / 2)


def test_no_shared_ids_is_a_gold_error(tmp_path: Path) -> None:
    a = _write(tmp_path / "a", {"p1": BASE})
    b = _write(tmp_path / "b", {"p2": BASE})
    with pytest.raises(GoldError):
        agreement(a, b)
