"""Scorers on crafted predictions with known errors: the exact scores and categories."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field

from evals.scoring import (
    FieldSpec,
    ScoringConfig,
    field_specs,
    normalize_text,
    score_document,
    score_value,
    token_f1,
)
from evals.stats import summarize

SPECS = {s.name: s for s in field_specs()}


def test_comparators_come_from_the_schema_types() -> None:
    kinds = {name: spec.kind for name, spec in SPECS.items()}
    assert kinds["nct_id"] == "exact"
    assert kinds["enrollment"] == "exact"
    assert kinds["overall_status"] == "exact"
    assert kinds["healthy_volunteers"] == "exact"
    assert kinds["minimum_age"] == "exact"
    assert kinds["start_date"] == "date"
    assert kinds["brief_title"] == "text"
    assert kinds["brief_summary"] == "long_text"
    assert kinds["inclusion_criteria"] == "text_list"
    assert kinds["phases"] == "exact_list"
    assert (kinds["arms"], SPECS["arms"].key) == ("objects", "label")
    assert SPECS["interventions"].key == "name"
    assert SPECS["primary_outcomes"].key == "measure"
    assert SPECS["locations"].key == "facility"
    assert SPECS["contacts"].key == "name"


def test_a_new_model_gets_comparators_without_new_code() -> None:
    class Site(BaseModel):
        site_code: str
        opened: bool | None = None

    class NewRecord(BaseModel):
        trial_id: str | None = None
        review_date: str | None = None
        sample_size: int | None = None
        notes_description: str | None = None
        sponsor_name: str | None = None
        tags: list[str] = Field(default_factory=list)
        sites: list[Site] = Field(default_factory=list)

    specs = {s.name: s for s in field_specs(NewRecord)}
    assert {n: s.kind for n, s in specs.items()} == {
        "trial_id": "exact", "review_date": "date", "sample_size": "exact",
        "notes_description": "long_text", "sponsor_name": "text", "tags": "text_list", "sites": "objects",
    }
    assert specs["sites"].key == "site_code"
    assert [(s.name, s.kind) for s in specs["sites"].sub] == [("site_code", "text"), ("opened", "exact")]


@pytest.mark.parametrize(
    ("gold", "pred", "status", "reason"),
    [
        ("2025-02", "2025-02-28", "correct", "month"),
        ("2025-02-28", "2025-02", "correct", "month"),
        ("2025", "2025-06-01", "correct", "year"),
        ("2025-03", "2025-02-28", "wrong", "month"),
        ("2025-02-27", "2025-02-28", "wrong", "day"),
    ],
)
def test_dates_compare_at_the_precision_both_state(gold: str, pred: str, status: str, reason: str) -> None:
    s = score_value(SPECS["start_date"], gold, pred)
    assert s is not None and s.status == status and reason in s.reason
    assert s.score == (1.0 if status == "correct" else 0.0)


def test_short_text_is_normalized_then_fuzzy_matched() -> None:
    assert normalize_text("Aged  \\> 18   Years.") == "aged 18 years"
    same = score_value(SPECS["brief_title"], "A Study of Drug-X in Adults", "a study of drug x in adults.")
    assert same is not None and same.status == "correct" and same.reason == "equal after normalization"
    typo = score_value(SPECS["brief_title"], "A Study of Pembrolizumab in Adults", "A Study of Pembrolizumub in Adults")
    assert typo is not None and typo.status == "correct" and "similar" in typo.reason
    other = score_value(SPECS["brief_title"], "A Study of Drug X", "Aspirin for Stroke Prevention")
    assert other is not None and (other.score, other.status) == (0.0, "wrong")


def test_long_text_scored_by_token_f1() -> None:
    assert token_f1("alpha beta gamma delta", "alpha beta gamma epsilon") == pytest.approx(0.75)
    s = score_value(SPECS["brief_summary"], "alpha beta gamma delta", "alpha beta gamma epsilon")
    assert s is not None and s.score == pytest.approx(0.75) and s.status == "wrong"
    s = score_value(SPECS["brief_summary"], "a b c d e", "a b c d e f")  # P 5/6, R 1 -> F1 10/11
    assert s is not None and s.score == pytest.approx(10 / 11) and s.status == "correct"


def test_a_long_value_in_a_short_text_field_uses_token_f1() -> None:
    gold = " ".join(f"word{i}" for i in range(80))
    pred = " ".join(f"word{i}" for i in range(40))
    s = score_value(SPECS["why_stopped"], gold, pred, ScoringConfig(long_text_chars=100))
    assert s is not None and s.score == pytest.approx(2 * 1.0 * 0.5 / 1.5)


def test_one_criterion_dropped_from_a_list_of_four() -> None:
    gold = ["Age 18 or older", "ECOG 0-1", "Adequate organ function", "Signed informed consent"]
    pred = ["signed informed consent", "Age 18 or older", "ECOG 0 - 1"]  # reordered, one dropped
    s = score_value(SPECS["inclusion_criteria"], gold, pred)
    assert s is not None
    assert s.detail is not None and s.detail["precision"] == 1.0 and s.detail["recall"] == 0.75
    assert s.score == pytest.approx(2 * 0.75 / 1.75) and s.status == "wrong"


def test_lists_use_a_one_to_one_assignment() -> None:
    # two near-duplicate predictions may not both match the single gold item
    s = score_value(SPECS["conditions"], ["Breast Cancer"], ["breast cancer", "Breast cancers"])
    assert s is not None and s.detail is not None
    assert (s.detail["precision"], s.detail["recall"]) == (0.5, 1.0)


def test_list_categories() -> None:
    assert score_value(SPECS["keywords"], ["a"], ["A"]).status == "correct"  # type: ignore[union-attr]
    assert score_value(SPECS["keywords"], ["a"], []).status == "missing"  # type: ignore[union-attr]
    assert score_value(SPECS["keywords"], [], ["a"]).status == "extra"  # type: ignore[union-attr]
    assert score_value(SPECS["keywords"], [], []) is None
    phases = score_value(SPECS["phases"], ["PHASE2", "PHASE3"], ["PHASE2"])
    assert phases is not None and phases.score == pytest.approx(2 / 3)


def _arm(label: str, type_: str, names: list[str]) -> dict[str, object]:
    return {"label": label, "type": type_, "description": None, "intervention_names": names}


def test_objects_aligned_by_key_and_scored_on_sub_fields() -> None:
    gold = [_arm("Arm A: Drug X", "EXPERIMENTAL", ["Drug X"]), _arm("Arm B: Placebo", "PLACEBO_COMPARATOR", ["Placebo"])]
    pred = [_arm("Arm B: placebo", "OTHER", ["Placebo"]), _arm("Arm A: Drug X", "EXPERIMENTAL", ["Drug X"])]
    s = score_value(SPECS["arms"], gold, pred)
    # pair A: 3/3 sub-fields; pair B: label ok, type wrong, names ok -> 2/3; TP = 5/3 of 2 each side
    assert s is not None and s.score == pytest.approx(5 / 6) and s.status == "wrong"
    pairs = {p["gold"]: p for p in s.detail["pairs"]}  # type: ignore[index]
    assert pairs[1]["pred"] == 0 and "type" in pairs[1]["wrong"]


def test_missing_extra_and_unscored_scalars() -> None:
    assert score_value(SPECS["enrollment"], 100, None).status == "missing"  # type: ignore[union-attr]
    assert score_value(SPECS["enrollment"], None, 100).status == "extra"  # type: ignore[union-attr]
    assert score_value(SPECS["enrollment"], None, None) is None
    assert score_value(SPECS["enrollment"], 0, 0).status == "correct"  # type: ignore[union-attr]
    assert score_value(SPECS["healthy_volunteers"], False, True).status == "wrong"  # type: ignore[union-attr]


def test_a_failing_scorer_is_recorded_and_the_document_goes_on() -> None:
    gold = {"start_date": "2025-01", "enrollment": 10}
    doc = score_document("d1", gold, {"start_date": "soon", "enrollment": 10})
    assert doc.fields["start_date"].status == "error" and "not a partial date" in doc.fields["start_date"].reason
    assert doc.fields["enrollment"].status == "correct"
    assert doc.score == 0.5


def test_a_failed_extraction_makes_every_gold_field_missing() -> None:
    doc = score_document("d1", {"enrollment": 10, "brief_title": "T", "keywords": []}, None, error="LLM_FAILED: x")
    assert {n: s.status for n, s in doc.fields.items()} == {"enrollment": "missing", "brief_title": "missing"}


def test_count_wrong_in_three_of_ten_documents() -> None:
    docs = [
        score_document(f"d{i}", {"enrollment": 100, "sex": "ALL"}, {"enrollment": 100 if i >= 3 else 99, "sex": "ALL"})
        for i in range(10)
    ]
    summary = summarize(docs, ["enrollment", "sex", "keywords"])
    enrollment = summary["fields"]["enrollment"]
    assert (enrollment["score"], enrollment["n"], enrollment["correct"], enrollment["wrong"]) == (0.7, 10, 7, 3)
    assert (enrollment["missing"], enrollment["extra"], enrollment["error"]) == (0, 0, 0)
    assert summary["fields"]["sex"]["score"] == 1.0
    assert summary["fields"]["keywords"] == {"score": None, "n": 0, "correct": 0, "wrong": 0, "missing": 0,
                                             "extra": 0, "error": 0, "ci": None}
    assert summary["overall"]["score"] == pytest.approx(17 / 20)
    assert summary["documents"]["d0"]["fields"] == {"enrollment": 0.0, "sex": 1.0}


def test_spec_with_unknown_kind_value_types_is_an_error_not_a_crash() -> None:
    s = score_value(FieldSpec("x", "text_list"), "not a list", ["a"])
    assert s is not None and s.status == "error"
