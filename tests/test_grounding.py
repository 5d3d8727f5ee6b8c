"""Grounding finds each filled value's quote and span: exact, through display forms, fuzzily, or not."""

from __future__ import annotations

import time

import pytest

from extractor.grounding import Grounder, display_forms, filled_paths, ground
from extractor.result import MatchStatus, Severity
from extractor.schema import Phase, TrialRecord

PAGE = """Ärzte-Studie — Ultrasound-Guided Nerve Block After Knee Surgery (NERVE-K)
NCT ID: NCT04512345
Overall Status: Active, not recruiting
Study Start: Feb 28, 2025
Phase: Phase II/III
Enrollment: 1,250 participants (Anticipated)
Sex: Both
Accepts Healthy Volunteers: f
Ages: 18 and older
Brief Summary: Adults   scheduled for total knee
arthroplasty receive an adductor canal block\\_with ropivacaine before surgery.
Detailed Description: Participants will be randomly assigned to receive either the adductor canal block or a sham injection, and pain scores will be recorded by a blinded nurse at 6, 12 and 24 hours after the operation.
Locations: Riverside Clinic, Oslo, Norway (Recruiting)
"""


def test_filled_paths_names_nested_and_list_items() -> None:
    record = TrialRecord.model_validate({
        "phases": ["Phase 1", "Phase 2"], "enrollment": 0, "healthy_volunteers": False,
        "arms": [{"label": "A"}, {"label": "B", "intervention_names": ["X"]}],
        "locations": [{"city": "Oslo"}],
    })
    paths = dict(filled_paths(record))
    assert paths["phases[1]"] == Phase.PHASE2
    assert paths["arms[1].label"] == "B" and paths["arms[1].intervention_names[0]"] == "X"
    assert paths["locations[0].city"] == "Oslo"
    assert paths["enrollment"] == 0 and paths["healthy_volunteers"] is False
    assert "brief_title" not in paths and "arms[0].type" not in paths


def test_exact_spans_are_offsets_into_the_original() -> None:
    record = TrialRecord(nct_id="NCT04512345", acronym="NERVE-K", locations=[{"facility": "Riverside Clinic", "city": "Oslo"}])
    evidence, issues = ground(record, PAGE)
    assert issues == []
    for path in ("nct_id", "acronym", "locations[0].facility", "locations[0].city"):
        ev = evidence[path]
        assert ev.status == MatchStatus.EXACT
        assert ev.start is not None and ev.end is not None
        assert PAGE[ev.start:ev.end] == ev.quote


@pytest.mark.parametrize(
    ("field", "value", "quote"),
    [
        ("overall_status", "ACTIVE_NOT_RECRUITING", "Active, not recruiting"),
        ("start_date", "2025-02-28", "Feb 28, 2025"),
        ("phases", ["PHASE2"], "Phase II/III"),
        ("phases", ["PHASE3"], "Phase II/III"),
        ("enrollment", 1250, "1,250"),
        ("enrollment_type", "ESTIMATED", "Anticipated"),
        ("sex", "ALL", "Both"),
        ("healthy_volunteers", False, "f"),
        ("minimum_age", "18 Years", "18"),
    ],
)
def test_display_forms_ground_normalized_values(field: str, value: object, quote: str) -> None:
    record = TrialRecord.model_validate({field: value})
    evidence, issues = ground(record, PAGE)
    path = field + "[0]" if field == "phases" else field
    ev = evidence[path]
    assert ev.status in (MatchStatus.NORMALIZED, MatchStatus.EXACT), ev
    assert ev.quote == quote
    assert PAGE[ev.start:ev.end] == quote  # type: ignore[misc]
    assert issues == []


def test_whitespace_and_markdown_escapes_fold() -> None:
    summary = "Adults scheduled for total knee arthroplasty receive an adductor canal block_with ropivacaine before surgery."
    evidence, _ = ground(TrialRecord(brief_summary=summary), PAGE)
    ev = evidence["brief_summary"]
    assert ev.status == MatchStatus.NORMALIZED
    assert ev.quote is not None and ev.quote.startswith("Adults   scheduled") and "\\_with" in ev.quote


def test_long_text_grounds_fuzzily_with_a_score() -> None:
    paraphrase = ("Participants will be randomly assigned to receive either the adductor canal block or a sham "
                  "injection, and pain scores will be recorded by a blinded nurse at 6, 12 and 24 hours after surgery.")
    evidence, issues = ground(TrialRecord(detailed_description=paraphrase), PAGE)
    ev = evidence["detailed_description"]
    assert ev.status == MatchStatus.FUZZY and ev.score is not None and ev.score >= 90
    assert ev.quote is not None and ev.quote.startswith("Participants will be randomly")
    assert issues == []


def test_unfound_value_is_an_ungrounded_warning() -> None:
    record = TrialRecord(lead_sponsor="Acme Pharmaceuticals", enrollment=777, phases=["Phase 4"])
    evidence, issues = ground(record, PAGE)
    assert {i.paths[0] for i in issues} == {"lead_sponsor", "enrollment", "phases[0]"}
    assert all(i.code == "UNGROUNDED_VALUE" and i.severity == Severity.WARNING for i in issues)
    assert evidence["lead_sponsor"].status == MatchStatus.NONE and evidence["lead_sponsor"].start is None


def test_short_values_do_not_match_inside_words() -> None:
    grounder = Grounder("Status: Recruiting in Oslovia; city Oslo.")
    assert grounder.find_exact("Oslo") == (36, 40)
    assert Grounder("Enrollment: 12,763").find_exact("276") is None


def test_value_is_looked_for_after_its_label_first() -> None:
    text = "Summary: all patients get care.\nIntervention Model: Parallel Assignment\nSex: All\n"
    evidence, _ = ground(TrialRecord(sex="ALL", intervention_model="PARALLEL"), text)
    assert evidence["sex"].start == text.index("All\n")
    assert evidence["intervention_model"].quote == "Parallel"


def test_nested_values_prefer_their_siblings_line() -> None:
    text = "Status: Recruiting\nLocations:\nA Clinic, Oslo, Norway (Not yet recruiting)\nB Clinic, Bergen, Norway (Recruiting)\n"
    record = TrialRecord.model_validate({"locations": [{"facility": "B Clinic", "status": "Recruiting"}]})
    evidence, _ = ground(record, text)
    ev = evidence["locations[0].status"]
    assert ev.start is not None and text[: ev.start].count("\n") == 3


def test_display_forms() -> None:
    assert "phase ii" in display_forms(Phase.PHASE2)
    assert "february 28 2025" in display_forms("2025-02-28") and "feb 2025" in display_forms("2025-02")
    assert display_forms("18 Years")[-1] == "18"
    assert "no" in display_forms(False)


def test_grounding_is_fast_on_a_registry_sized_page() -> None:
    filler = "\n".join(f"Paragraph {i}: the study team records visits, adverse events and diary data." for i in range(90))
    text = PAGE + filler
    assert 7_000 < len(text) < 12_000
    record = TrialRecord.model_validate({
        "nct_id": "NCT04512345", "overall_status": "Active, not recruiting", "start_date": "2025-02-28",
        "phases": ["Phase 2", "Phase 3"], "enrollment": 1250, "sex": "All", "healthy_volunteers": False,
        "minimum_age": "18 Years", "brief_title": "Ultrasound-Guided Nerve Block After Knee Surgery",
        "conditions": ["Knee Arthroplasty", "Postoperative Pain"], "lead_sponsor": "Nobody Known",
        "inclusion_criteria": [f"criterion number {i} that is not in the page at all" for i in range(15)],
        "locations": [{"facility": "Riverside Clinic", "city": "Oslo", "country": "Norway", "status": "Recruiting"}],
    })
    ground(record, text)
    runs = 50
    t0 = time.perf_counter()
    for _ in range(runs):
        ground(record, text)
    per_doc = (time.perf_counter() - t0) / runs
    assert per_doc < 0.01, f"{per_doc * 1000:.2f} ms per document"


def test_long_values_glued_to_neighbouring_cells_are_still_exact() -> None:
    text = "Arm: SorafenibSorafenib 400 mg twice daily\nTime Frame: RecurrenceFrom surgery to relapse, up to 5 years\n"
    record = TrialRecord.model_validate({
        "arms": [{"label": "Sorafenib", "description": "Sorafenib 400 mg twice daily"}],
        "primary_outcomes": [{"measure": "Recurrence", "time_frame": "From surgery to relapse, up to 5 years"}],
    })
    evidence, _ = ground(record, text)
    assert evidence["arms[0].description"].status == MatchStatus.EXACT
    assert evidence["primary_outcomes[0].time_frame"].quote == "From surgery to relapse, up to 5 years"
    assert Grounder("Hb 12.5").find_exact("2.5") is None  # short values still need a boundary


def test_nearest_hit_prefers_near_line_then_distance_then_the_earlier() -> None:
    text = "Oslo\nX Oslo Y Oslo\nOslo"
    grounder = Grounder(text)
    assert grounder.find_exact("Oslo", 0, None, near=9) == (7, 11)  # same line, 2 before beats 5 after
    assert grounder.find_exact("Oslo", 0, None, near=12) == (14, 18)  # same line, 2 after beats 5 before
    assert grounder.find_exact("Oslo", 0, None, near=1) == (0, 4)  # a hit on near's own line wins
    assert Grounder("Oslo  x   Oslo").find_exact("Oslo", 0, None, near=5) == (0, 4)  # equally near: the earlier


def test_offsets_survive_characters_whose_case_changes_length() -> None:
    # "İ" lower-cases to two characters and "😀" lies outside the BMP: offsets must not move
    text = "İ😀 Status: RECRUITING\nPhase: İ Phase 2"
    grounder = Grounder(text)
    assert grounder.find_folded("recruiting") == (11, 21)
    assert grounder.label_positions("overall_status") == [9]
    assert grounder.find_phase(Phase.PHASE2) == (31, 38)
    assert Grounder("Phaſe 2 trial").find_phase(Phase.PHASE2) == (0, 7)  # re.I reads "ſ" as "s"


def test_labels_are_whole_tokens_and_at_most_four() -> None:
    text = "Statuses: x\n" + "".join(f"Status: {i}\n" for i in range(6))
    ends = Grounder(text).label_positions("overall_status")
    assert len(ends) == 4 and all(text[end - 6:end] == "Status" for end in ends)


def test_yes_no_is_grounded_where_it_answers_its_label() -> None:
    """Seen on a seed page: "Healthy Volunteers: f" was grounded on a "no" in the criteria below."""
    text = "Maximum Age: 75\nHealthy Volunteers: f\n\nInclusion\n- imaging showed no metastasis\n"
    record = TrialRecord(healthy_volunteers=False)
    evidence, _ = ground(record, text)
    ev = evidence["healthy_volunteers"]
    assert (ev.quote, text[ev.start - 20:ev.start]) == ("f", "Healthy Volunteers: ")


def test_a_label_less_yes_no_needs_a_line_of_its_own() -> None:
    """No label: a "No" inside a sentence is not evidence; a "No" standing alone (a table cell) is."""
    text = ("whether healthy volunteers are accepted.\nCriteria\n(1) judgment: No tumour thrombus\n"
            "18 Years\nALL\nNo\nSponsors\n")
    ev = ground(TrialRecord(healthy_volunteers=False), text)[0]["healthy_volunteers"]
    assert ev.quote == "No" and text[ev.start - 4:ev.start] == "ALL\n"
    ev = ground(TrialRecord(healthy_volunteers=True), "Inclusion: no yes-men\n")[0]["healthy_volunteers"]
    assert ev.status.value == "none"


def test_an_objects_values_are_grounded_on_their_cells_not_in_the_title() -> None:
    """Seen on seed pages: an arm named like the drug was marked in the title, a city inside the
    facility's name; their own cells come first."""
    text = ("Sorafenib Treatment in Patients With Cancer\n\nArms\nGroupInterventionDescription\n"
            "SorafenibSorafenibSorafenib (Nexavar) 200mg daily\n\nLocations\n"
            "The First Affiliated Hospital of Nanjing Medical University\nNanjing, Jiangsu, China\n")
    record = TrialRecord.model_validate({
        "arms": [{"label": "Sorafenib", "description": "Sorafenib (Nexavar) 200mg daily"}],
        "locations": [{"facility": "The First Affiliated Hospital of Nanjing Medical University", "city": "Nanjing",
                       "state": "Jiangsu", "country": "China"}]})
    evidence, _ = ground(record, text)
    assert text[evidence["arms[0].label"].start - 1] == "\n"  # the table row, not the title
    city = evidence["locations[0].city"]
    assert text[city.start:city.end + 9] == "Nanjing, Jiangsu"


def test_date_shaped_text_that_is_no_date_is_grounded_as_text() -> None:
    """A free-text or id value shaped like a date with month 13 or 00 (a model's answer, an
    identifier "2019-13") is looked for as written, never a crash of the whole document."""
    from extractor.grounding import ground
    from extractor.schema import TrialRecord

    evidence, _ = ground(TrialRecord(secondary_ids=["2019-13", "2019-00"]), "Other IDs: 2019-13, 2019-00\n")
    assert evidence["secondary_ids[0]"].status.value != "none" and evidence["secondary_ids[1]"].status.value != "none"
