"""The schema normalizes registry display text into CT.gov API v2 values and rejects what it cannot read."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from extractor import schema as s
from extractor.schema import TrialRecord

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Phase 2/Phase 3", ["PHASE2", "PHASE3"]),
        ("Phase II", ["PHASE2"]),
        ("PHASE2", ["PHASE2"]),
        ("Early Phase 1", ["EARLY_PHASE1"]),
        ("Phase 0", ["EARLY_PHASE1"]),
        ("Not Applicable", ["NA"]),
        ("N/A", ["NA"]),
        ("Phase I/II", ["PHASE1", "PHASE2"]),
        ("Phase 1b/2", ["PHASE1", "PHASE2"]),
        ("Phase III", ["PHASE3"]),
        ("phase 4", ["PHASE4"]),
        (["PHASE3", "Phase 2"], ["PHASE2", "PHASE3"]),
        (None, []),
    ],
)
def test_phases(text: Any, expected: list[str]) -> None:
    assert [p.value for p in TrialRecord(phases=text).phases] == expected


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [
        ("overall_status", "Active, not recruiting", "ACTIVE_NOT_RECRUITING"),
        ("overall_status", "Unknown status", "UNKNOWN"),
        ("overall_status", "recruiting", "RECRUITING"),
        ("overall_status", "Not yet recruiting", "NOT_YET_RECRUITING"),
        ("overall_status", "Enrolling by invitation", "ENROLLING_BY_INVITATION"),
        ("overall_status", "TERMINATED", "TERMINATED"),
        ("start_date_type", "Anticipated", "ESTIMATED"),
        ("start_date_type", "Estimate", "ESTIMATED"),
        ("completion_date_type", "Actual", "ACTUAL"),
        ("enrollment_type", "Anticipated", "ESTIMATED"),
        ("masking", "None (Open Label)", "NONE"),
        ("masking", "Open Label", "NONE"),
        ("masking", "Double (Participant, Investigator)", "DOUBLE"),
        ("masking", "Quadruple (Participant, Care Provider, Investigator, Outcomes Assessor)", "QUADRUPLE"),
        ("masking", "double-blind", "DOUBLE"),
        ("sex", "Both", "ALL"),
        ("sex", "Female", "FEMALE"),
        ("intervention_model", "Parallel Assignment", "PARALLEL"),
        ("intervention_model", "Single Group Assignment", "SINGLE_GROUP"),
        ("allocation", "Randomized", "RANDOMIZED"),
        ("allocation", "Non-Randomized", "NON_RANDOMIZED"),
        ("allocation", "N/A", "NA"),
        ("primary_purpose", "Supportive Care", "SUPPORTIVE_CARE"),
        ("primary_purpose", "Educational/Counseling/Training", "ECT"),
        ("study_type", "Interventional", "INTERVENTIONAL"),
        ("study_type", "Observational [Patient Registry]", "OBSERVATIONAL"),
        ("study_type", "Expanded Access", "EXPANDED_ACCESS"),
    ],
)
def test_enum_display_forms(field: str, text: str, expected: str) -> None:
    assert getattr(TrialRecord(**{field: text}), field).value == expected


@pytest.mark.parametrize(
    ("model", "field", "text", "expected"),
    [
        (s.Arm, "type", "Active Comparator", "ACTIVE_COMPARATOR"),
        (s.Arm, "type", "Active_comparator", "ACTIVE_COMPARATOR"),
        (s.Arm, "type", "Placebo Comparator", "PLACEBO_COMPARATOR"),
        (s.Arm, "type", "No Intervention", "NO_INTERVENTION"),
        (s.Intervention, "type", "Dietary Supplement", "DIETARY_SUPPLEMENT"),
        (s.Intervention, "type", "Biological/Vaccine", "BIOLOGICAL"),
        (s.Intervention, "type", "Diagnostic Test", "DIAGNOSTIC_TEST"),
        (s.Location, "status", "Recruiting", "RECRUITING"),
    ],
)
def test_nested_enum_display_forms(model: type, field: str, text: str, expected: str) -> None:
    base = {"label": "A"} if model is s.Arm else {"name": "X"} if model is s.Intervention else {}
    assert getattr(model(**base, **{field: text}), field).value == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("t", True), ("f", False), ("Yes", True), ("No", False), ("true", True),
        ("Accepts Healthy Volunteers", True), (None, None), (True, True),
    ],
)
def test_healthy_volunteers(text: Any, expected: bool | None) -> None:
    assert TrialRecord(healthy_volunteers=text).healthy_volunteers is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("August 24, 1981", "1981-08-24"),
        ("July 2001", "2001-07"),
        ("2025-02-28", "2025-02-28"),
        ("2025/02/28", "2025-02-28"),
        ("28 February 2025", "2025-02-28"),
        ("28-Feb-2025", "2025-02-28"),
        ("Feb 28, 2025", "2025-02-28"),
        ("2025-02", "2025-02"),
        ("2025", "2025"),
        ("13/02/2025", "2025-02-13"),
        ("2025-02-28 (Actual)", "2025-02-28"),
        ("March 1st, 2024", "2024-03-01"),
    ],
)
def test_dates(text: str, expected: str) -> None:
    assert TrialRecord(start_date=text).start_date == expected


@pytest.mark.parametrize("text", ["01/02/2025", "2025-02-30", "next spring", "2025-13", "32/13/2025"])
def test_dates_rejected(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        TrialRecord(start_date=text)
    assert info.value.errors()[0]["loc"] == ("start_date",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18", "18 Years"), ("18 years", "18 Years"), ("18 Years", "18 Years"), ("6 months", "6 Months"),
        ("1 year", "1 Year"), ("N/A", None), ("28 Days", "28 Days"), (65, "65 Years"),
        ("18 years old", "18 Years"), ("1 Month", "1 Month"),
    ],
)
def test_ages(text: Any, expected: str | None) -> None:
    assert TrialRecord(minimum_age=text).minimum_age == expected


@pytest.mark.parametrize("text", ["eighteen", "18 parsecs", "-3 years"])
def test_ages_rejected(text: str) -> None:
    with pytest.raises(ValidationError):
        TrialRecord(minimum_age=text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("276 participants", 276), ("1,200", 1200), ("60", 60), (154, 154), ("approximately 80 patients", 80)],
)
def test_enrollment_counts(text: Any, expected: int) -> None:
    assert TrialRecord(enrollment=text).enrollment == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1. Age 18-75 years", "Age 18-75 years"),
        ("• primary hepatocellular carcinoma", "primary hepatocellular carcinoma"),
        ("⁃ Diabetic patients", "Diabetic patients"),
        ("- Child-Pugh class A", "Child-Pugh class A"),
        ("① No gross tumor thrombus", "No gross tumor thrombus"),
        ("(2) Cardiac function", "Cardiac function"),
        ("  ECOG 0-1  ", "ECOG 0-1"),
        ("5-FU naive", "5-FU naive"),
        ("1.5×ULN or less", "1.5×ULN or less"),
    ],
)
def test_text_items_lose_bullets_not_words(text: str, expected: str) -> None:
    assert TrialRecord(inclusion_criteria=[text]).inclusion_criteria == [expected]


def test_empty_list_items_are_dropped_and_null_lists_become_empty() -> None:
    record = TrialRecord(conditions=["", "  ", "HCC"], arms=None, keywords=None)
    assert record.conditions == ["HCC"] and record.arms == [] and record.keywords == []


def test_nct_id_is_upper_cased_and_checked() -> None:
    assert TrialRecord(nct_id="nct06762782").nct_id == "NCT06762782"
    with pytest.raises(ValidationError):
        TrialRecord(nct_id="NCT123")


@pytest.mark.parametrize(
    ("data", "loc", "allowed"),
    [
        ({"overall_status": "Sleeping"}, ("overall_status",), "RECRUITING"),
        ({"arms": [{"label": "A", "type": "Weird"}]}, ("arms", 0, "type"), "EXPERIMENTAL"),
        ({"phases": ["Phase 7"]}, ("phases",), "PHASE2"),
        ({"interventions": [{"name": "X", "type": "Magic"}]}, ("interventions", 0, "type"), "DRUG"),
    ],
)
def test_invalid_values_name_the_path_and_the_allowed_values(data: dict[str, Any], loc: tuple[Any, ...], allowed: str) -> None:
    with pytest.raises(ValidationError) as info:
        TrialRecord(**data)
    error = info.value.errors()[0]
    assert error["loc"] == loc
    assert allowed in error["msg"]


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(ValidationError):
        TrialRecord.model_validate({"enrolment": 5})


def test_schema_command_shows_every_field_and_enum_value() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "from cli.main import run; run(['schema'])"],
        capture_output=True, text=True, cwd=ROOT, check=True,
    ).stdout
    schema = json.loads(out)
    assert set(schema["properties"]) == set(TrialRecord.model_fields)
    for enum_cls in (s.OverallStatus, s.DateType, s.StudyType, s.Phase, s.Allocation, s.InterventionModel,
                     s.PrimaryPurpose, s.Masking, s.EnrollmentType, s.Sex, s.ArmType, s.InterventionType):
        assert schema["$defs"][enum_cls.__name__]["enum"] == [m.value for m in enum_cls]


def test_spec_fields_match_the_schema(shared_dir: Path) -> None:
    spec = (shared_dir / "spec" / "record.md").read_text(encoding="utf-8")
    spec_fields = {line.split("`")[1] for line in spec.splitlines() if line.startswith("| `")}
    assert spec_fields == set(TrialRecord.model_fields)


@pytest.mark.parametrize("phone", ["(01) 319-0000 anexo 2371", "(301) 496-6120 ext. 12", "1. 555 0100"])
def test_phone_numbers_keep_their_leading_brackets_and_digits(phone: str) -> None:
    assert s.Contact(phone=f"  {phone} ").phone == phone
