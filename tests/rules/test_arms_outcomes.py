"""Glued table cells split back at column borders; arm and intervention blocks; outcome forms."""

from __future__ import annotations

import pytest

from extractor.rules.segment import segment
from extractor.rules.arms_outcomes import (
    arms_and_interventions,
    outcomes,
    parse_arm_header,
    parse_arm_suffix,
    parse_typed_intervention,
    split_glued_cells,
    split_outcome_row,
    split_timeframe,
)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("Recurrence free survival2 years", ("Recurrence free survival", "2 years")),
        ("Overall survival3 years, 5 years", ("Overall survival", "3 years, 5 years")),
        ("Toxicity graded by CTCAE v5.012 months", ("Toxicity graded by CTCAE v5.0", "12 months")),
        ("Dose changes due to adverse events.2 years", ("Dose changes due to adverse events.", "2 years")),
        ("Time To ProgressionFrom randomisation until progression", ("Time To Progression",
                                                                      "From randomisation until progression")),
        ("Adverse eventsUp to 1year", ("Adverse events", "Up to 1year")),
        ("Quality of life", ("Quality of life", None)),
    ],
)
def test_split_timeframe(row: str, expected: tuple[str, str | None]) -> None:
    assert split_timeframe(row) == expected


def test_split_outcome_row_spaced() -> None:
    assert split_outcome_row("Overall survival 24 months defined as time to death.") == (
        "Overall survival", "24 months", "defined as time to death.")
    assert split_outcome_row("Mortality at 30 days") is None  # the number belongs to the measure
    assert split_outcome_row("Quality of life questionnaire") is None


def test_split_glued_cells() -> None:
    assert split_glued_cells("AspirinAspirinAspirin 100 mg daily.", []) == ["Aspirin", "Aspirin", "Aspirin 100 mg daily."]
    assert split_glued_cells("Low doseTablet formGiven daily.", []) == ["Low dose", "Tablet form", "Given daily."]
    assert split_glued_cells("Surgery arm Wide Excision Patients have surgery.", ["Wide Excision"]) == [
        "Surgery arm", "Wide Excision", "Patients have surgery."]
    assert split_glued_cells("one long run of lowercase text without borders", []) is None


def test_typed_prefixes() -> None:
    assert parse_arm_header("Active_comparator: Ablation") == ("Active_comparator", "Ablation")
    assert parse_arm_header("Experimental group: ablation") is None
    assert parse_typed_intervention("Procedure: Liver Resection") == ("Procedure", "Liver Resection")
    assert parse_typed_intervention("Note: something") is None


def test_arm_blocks_link_interventions_listed_elsewhere() -> None:
    page = segment(
        "Study Groups\nGroup A\nPatients take the tablet daily.\nTablet X\nOne tablet a day.\n"
        "Group B\nPatients receive usual care.\nUsual care\nStandard follow-up.\n"
        "Interventions\nTablet X\nOne tablet a day.\nUsual care\nStandard follow-up.\n"
    )
    arms, interventions = arms_and_interventions(page)
    assert [(a["label"], a["description"], a["intervention_names"]) for a in arms] == [
        ("Group A", "Patients take the tablet daily.", ["Tablet X"]),
        ("Group B", "Patients receive usual care.", ["Usual care"]),
    ]
    assert [(i["name"], i["type"], i["description"], i["arm_labels"]) for i in interventions] == [
        ("Tablet X", None, "One tablet a day.", ["Group A"]),
        ("Usual care", None, "Standard follow-up.", ["Group B"]),
    ]


def test_typed_arm_with_long_description_starting_with_a_type() -> None:
    long_text = "Experimental: x " + "word " * 40
    page = segment(f"Treatments\nExperimental: Drug A\n{long_text}\nActive_comparator: Drug B\nStandard dose.\n")
    arms, interventions = arms_and_interventions(page)
    assert [(a["label"], a["type"]) for a in arms] == [("Drug A", "Experimental"), ("Drug B", "Active_comparator")]
    assert arms[0]["description"] == long_text.strip()
    assert interventions == []  # named only inside arm text: no Intervention


def test_glued_arm_table() -> None:
    page = segment("Arm && Interventions\nGroupInterventionDescription\nLow doseTablet formGiven daily.\n")
    arms, interventions = arms_and_interventions(page)
    assert arms == [{"label": "Low dose", "type": None, "description": "Given daily.",
                     "intervention_names": ["Tablet form"]}]
    assert interventions[0]["name"] == "Tablet form" and interventions[0]["arm_labels"] == ["Low dose"]


def test_outcome_forms() -> None:
    glued = segment("Primary Outcome Measures\nNameTimeMethod\nPain score6 weeks\nMeasured on a scale.\n")
    assert outcomes(glued, "primary_outcomes") == [
        {"measure": "Pain score", "time_frame": "6 weeks", "description": "Measured on a scale."}]
    classic = segment("Primary Outcome Measures:\n1. Pain [ Time Frame: Week 6 ]\n")
    assert outcomes(classic, "primary_outcomes") == [{"measure": "Pain", "time_frame": "Week 6", "description": None}]
    numbered = segment("Primary outcome [1]\nPain score\nTimepoint [1]\nWeek 6\n")
    assert outcomes(numbered, "primary_outcomes") == [
        {"measure": "Pain score", "time_frame": "Week 6", "description": None}]
    cells = segment("Primary Outcome\nOutcome\nTimepoints\nPain score\n6 hours\n")
    assert outcomes(cells, "primary_outcomes") == [{"measure": "Pain score", "time_frame": "6 hours", "description": None}]


def test_tab_separated_outcome_table() -> None:
    page = segment("Primary Outcome Measures\nOutcome Measure\tMeasure Description\tTime Frame\n"
                   "Cough frequency\tCoughs per hour, recorded overnight.\tWeek 4\nCough severity\t\tWeek 8\n")
    assert outcomes(page, "primary_outcomes") == [
        {"measure": "Cough frequency", "time_frame": "Week 4", "description": "Coughs per hour, recorded overnight."},
        {"measure": "Cough severity", "time_frame": "Week 8", "description": None},
    ]
    page = segment("Secondary Outcome\nOutcome \t TimePoints\nCough relapse \t 28 days after the last dose\n")
    assert outcomes(page, "secondary_outcomes") == [
        {"measure": "Cough relapse", "time_frame": "28 days after the last dose", "description": None}]


def test_parse_arm_suffix() -> None:
    assert parse_arm_suffix("Arm A: low dose (Experimental)") == ("Experimental", "Arm A: low dose")
    assert parse_arm_suffix("Saline (PLACEBO_COMPARATOR)") == ("PLACEBO_COMPARATOR", "Saline")
    assert parse_arm_suffix("Vitamin D (cholecalciferol)") is None  # not an arm type


def test_suffix_typed_arms_take_the_next_line_as_description() -> None:
    page = segment("Arms:\n  Saline (Placebo Comparator)\n  Matching saline drip\n"
                   "  High dose (Experimental)\n  Two tablets daily\n")
    arms, _ = arms_and_interventions(page)
    assert [(a["label"], a["type"], a["description"]) for a in arms] == [
        ("Saline", "Placebo Comparator", "Matching saline drip"),
        ("High dose", "Experimental", "Two tablets daily")]


def test_untyped_lines_in_a_typed_intervention_list_describe_the_item_above() -> None:
    page = segment("Interventions:\n  Drug: Zeta\n  Given PO\n  Route: oral\n  Other: Diary\n  Kept daily\n"
                   "  Drug: Zeta\n  Second arm text\n")
    _, ivs = arms_and_interventions(page)
    assert [(i["type"], i["name"], i["description"]) for i in ivs] == [
        ("Drug", "Zeta", "Given PO\nRoute: oral"), ("Other", "Diary", "Kept daily")]
