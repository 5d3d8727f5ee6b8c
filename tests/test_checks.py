"""Each consistency check fires on a record that breaks it and stays quiet on one that does not."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from extractor.checks import CHECK_CODES, age_in_days, check_raw, date_bounds, run_checks
from extractor.result import Severity
from extractor.schema import TrialRecord

TODAY = date(2025, 6, 1)

ARMS = [{"label": "Drug A", "intervention_names": ["Alphamab"]}, {"label": "Placebo", "intervention_names": ["Placebo"]}]
INTERVENTIONS = [{"name": "Alphamab", "arm_labels": ["Drug A"]}, {"name": "Placebo", "arm_labels": ["placebo"]}]

# code -> (fields that trigger it, fields that look similar but are fine)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "DATE_ORDER": (
        {"start_date": "2024-05", "completion_date": "2024-04-30"},
        {"start_date": "2024-05", "completion_date": "2024-05-01", "first_posted_date": "2023",
         "last_update_date": "2023-12"},
    ),
    "ACTUAL_DATE_IN_FUTURE": (
        {"start_date": "2025-03-01", "start_date_type": "Actual", "last_update_date": "2025-02-01"},
        {"start_date": "2025-03-01", "start_date_type": "Anticipated", "last_update_date": "2025-02-01"},
    ),
    "ESTIMATED_ON_COMPLETED": (
        {"overall_status": "Completed", "completion_date": "2024", "completion_date_type": "Estimated"},
        {"overall_status": "Recruiting", "completion_date": "2026", "completion_date_type": "Estimated"},
    ),
    "ENROLLMENT_TYPE_STATUS": (
        {"overall_status": "Not yet recruiting", "enrollment": 40, "enrollment_type": "Actual"},
        {"overall_status": "Not yet recruiting", "enrollment": 40, "enrollment_type": "Anticipated"},
    ),
    "AGE_RANGE": (
        {"minimum_age": "2 Years", "maximum_age": "18 Months"},
        {"minimum_age": "6 Months", "maximum_age": "2 Years"},
    ),
    "AGE_SANE": ({"maximum_age": "150 Years"}, {"maximum_age": "100 Years"}),
    "RANDOMIZED_ONE_ARM": (
        {"allocation": "Randomized", "arms": [{"label": "Only arm"}]},
        {"allocation": "Randomized", "arms": [{"label": "A"}, {"label": "B"}]},
    ),
    "SINGLE_GROUP_MULTI_ARM": (
        {"intervention_model": "Single Group Assignment", "arms": [{"label": "A"}, {"label": "B"}]},
        {"intervention_model": "Single Group Assignment", "arms": [{"label": "A"}]},
    ),
    "PHASE_ON_OBSERVATIONAL": (
        {"study_type": "Observational", "phases": ["Phase 2"]},
        {"study_type": "Observational", "phases": ["N/A"]},
    ),
    "ARM_LINK_DANGLING": (
        {"arms": [{"label": "Drug A", "intervention_names": ["Betamab"]}], "interventions": [{"name": "Alphamab"}]},
        {"arms": ARMS, "interventions": INTERVENTIONS},
    ),
    "NCT_ID_FORM": ({"secondary_ids": ["NCT 1234567"]}, {"secondary_ids": ["ABC-123", "2019-001234-22"]}),
    "DUPLICATE_CRITERION": (
        {"inclusion_criteria": ["Age 18 years or older", "Signed informed consent", "age 18 years or older."]},
        {"inclusion_criteria": ["Age 18 years or older", "Age 65 years or older"]},
    ),
    "ENROLLMENT_RANGE": (
        {"overall_status": "Completed", "enrollment": 0},
        {"overall_status": "Withdrawn", "enrollment": 0},
    ),
    "IMPLAUSIBLE_LAB_UNIT": (
        {"inclusion_criteria": ["Blood test: Hb ≥ 8.5 g/L, PLT ≥ 75×10^9/L"]},
        {"inclusion_criteria": ["Hemoglobin >= 85 g/L and hemoglobin ≥ 9 g/dL; platelets ≥ 75 × 10^9/L; "
                                "creatinine clearance > 40 mL/min"]},
    ),
    "WHY_STOPPED_STATUS": (
        {"overall_status": "Completed", "why_stopped": "Slow accrual"},
        {"overall_status": "Terminated", "why_stopped": "Slow accrual"},
    ),
    "DATE_TYPE_WITHOUT_DATE": (
        {"primary_completion_date_type": "Actual"},
        {"primary_completion_date_type": "Actual", "primary_completion_date": "2023-01"},
    ),
}


def codes(data: dict[str, Any]) -> list[str]:
    return [issue.code for issue in run_checks(TrialRecord.model_validate(data), today=TODAY)]


@pytest.mark.parametrize("code", sorted(CASES))
def test_check_fires(code: str) -> None:
    assert code in codes(CASES[code][0])


@pytest.mark.parametrize("code", sorted(CASES))
def test_check_stays_quiet(code: str) -> None:
    assert code not in codes(CASES[code][1])


def test_every_code_has_cases() -> None:
    assert set(CHECK_CODES) == set(CASES)


def test_issue_shape_and_severities() -> None:
    issues = run_checks(TrialRecord.model_validate(CASES["DATE_ORDER"][0]), today=TODAY)
    issue = next(i for i in issues if i.code == "DATE_ORDER")
    assert issue.severity == Severity.ERROR
    assert issue.paths == ["start_date", "completion_date"]
    assert "\n" not in issue.message and "2024-05" in issue.message
    info = run_checks(TrialRecord.model_validate(CASES["WHY_STOPPED_STATUS"][0]), today=TODAY)
    assert [i.severity for i in info if i.code == "WHY_STOPPED_STATUS"] == [Severity.INFO]


def test_clean_record_has_no_issues() -> None:
    record = TrialRecord.model_validate({
        "nct_id": "NCT01234567", "overall_status": "Completed", "start_date": "2020-01",
        "start_date_type": "Actual", "primary_completion_date": "2021-06-30", "primary_completion_date_type": "Actual",
        "completion_date": "2021-12", "completion_date_type": "Actual", "first_posted_date": "2019-11-02",
        "last_update_date": "2022-03-01", "study_type": "Interventional", "phases": ["Phase 3"],
        "allocation": "Randomized", "intervention_model": "Parallel", "enrollment": 300, "enrollment_type": "Actual",
        "minimum_age": "18 Years", "maximum_age": "75 Years", "arms": ARMS, "interventions": INTERVENTIONS,
        "inclusion_criteria": ["Age 18 to 75", "ECOG 0-1"], "exclusion_criteria": ["Pregnancy"],
    })
    assert run_checks(record, today=TODAY) == []


def test_date_order_other_pairs() -> None:
    found = run_checks(TrialRecord(first_posted_date="2024-03-02", last_update_date="2024-03-01",
                                   primary_completion_date="2025", completion_date="2024-12"), today=TODAY)
    pairs = [tuple(i.paths) for i in found if i.code == "DATE_ORDER"]
    assert ("first_posted_date", "last_update_date") in pairs
    assert ("primary_completion_date", "completion_date") in pairs


def test_actual_date_after_today_without_last_update() -> None:
    future = TrialRecord(completion_date="2025-07", completion_date_type="ACTUAL")
    issues = [i for i in run_checks(future, today=TODAY) if i.code == "ACTUAL_DATE_IN_FUTURE"]
    assert len(issues) == 1 and issues[0].severity == Severity.WARNING
    assert not [i for i in run_checks(future, today=date(2025, 7, 1)) if i.code == "ACTUAL_DATE_IN_FUTURE"]


def test_enrollment_estimated_on_terminated_and_huge() -> None:
    assert "ENROLLMENT_TYPE_STATUS" in codes({"overall_status": "Terminated", "enrollment": 5, "enrollment_type": "Estimated"})
    assert "ENROLLMENT_RANGE" in codes({"study_type": "Interventional", "enrollment": 2_000_000})
    assert "ENROLLMENT_RANGE" not in codes({"study_type": "Observational", "enrollment": 2_000_000})


def test_arm_links_match_ignoring_case_and_spaces() -> None:
    data = {"arms": [{"label": "Drug  A", "intervention_names": ["ALPHA mab"]}],
            "interventions": [{"name": "Alphamab", "arm_labels": ["drug a"]}]}
    assert "ARM_LINK_DANGLING" not in codes(data)
    dangling = {"arms": [{"label": "Drug A"}], "interventions": [{"name": "Alphamab", "arm_labels": ["Drug B"]}]}
    issue = next(i for i in run_checks(TrialRecord.model_validate(dangling), today=TODAY) if i.code == "ARM_LINK_DANGLING")
    assert issue.paths == ["interventions[0].arm_labels[0]"]


def test_duplicate_across_inclusion_and_exclusion() -> None:
    issues = run_checks(TrialRecord(inclusion_criteria=["Pregnant women"], exclusion_criteria=["Pregnant women"]), today=TODAY)
    dup = [i for i in issues if i.code == "DUPLICATE_CRITERION"]
    assert dup and dup[0].paths == ["inclusion_criteria[0]", "exclusion_criteria[0]"]
    assert "both" in dup[0].message


@pytest.mark.parametrize("text", ["Hemoglobin > 30 g/dL", "PLT ≥ 75 g/L", "Creatinine clearance ≥ 60 mg/dL"])
def test_lab_unit_tells(text: str) -> None:
    assert "IMPLAUSIBLE_LAB_UNIT" in codes({"exclusion_criteria": [text]})


def test_check_raw_nct_id() -> None:
    bad = check_raw({"nct_id": "nct-0123456"})
    assert [i.code for i in bad] == ["NCT_ID_FORM"] and bad[0].severity == Severity.ERROR
    hinted = check_raw({"nct_id": "NCT 01234567"})
    assert "NCT01234567" in hinted[0].message
    assert check_raw({"nct_id": "NCT01234567", "secondary_ids": ["X-1"]}) == []
    assert [i.paths for i in check_raw({"secondary_ids": ["NCT123"]})] == [["secondary_ids[0]"]]


def test_helpers() -> None:
    assert date_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert date_bounds("2023") == (date(2023, 1, 1), date(2023, 12, 31))
    assert age_in_days("1 Year") > age_in_days("11 Months") > age_in_days("47 Weeks")
