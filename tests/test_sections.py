"""One pass segmentation: inline labels, next-line values, markdown pairs, headings, stray lines."""

from __future__ import annotations

from extractor.sections import segment, strip_marker


def _keys(text: str) -> list[str]:
    return [s.key for s in segment(text).sections]


def test_inline_label_value_lines() -> None:
    page = segment("Some Trial Title Here Today\nStatus: Recruiting\nMinimum Age : 18\n")
    assert _keys("Status: Recruiting\n") == ["", "overall_status"]
    status = page.first("overall_status")
    assert status is not None and status.inline and status.value == "Recruiting"
    age = page.first("minimum_age")
    assert age is not None and age.value == "18"
    assert page.sections[0].texts() == ["Some Trial Title Here Today"]


def test_value_on_next_line_and_markdown_pairs() -> None:
    page = segment("- Status\n- RECRUITING\n- Target Recruitment\n- 60\n")
    status = page.first("overall_status")
    enrollment = page.first("enrollment")
    assert status is not None and status.value == "RECRUITING"
    assert enrollment is not None and enrollment.value == "60"


def test_offsets_point_into_the_page() -> None:
    text = "Intro line of the page\n  Sex: Female\n"
    page = segment(text)
    sex = page.first("sex")
    assert sex is not None
    line = sex.lines[0]
    assert text[line.start: line.start + len(line.text)] == "Female"
    assert text[sex.start: sex.start + 3] == "Sex"


def test_heading_owns_block_until_next_label() -> None:
    page = segment("Inclusion Criteria\n1. Adults\n2. Consent\nExclusion Criteria\n1. Pregnancy\n")
    inclusion = page.first("inclusion")
    exclusion = page.first("exclusion")
    assert inclusion is not None and inclusion.texts() == ["1. Adults", "2. Consent"]
    assert exclusion is not None and exclusion.texts() == ["1. Pregnancy"]
    assert inclusion.lines[0].bulleted


def test_scalar_overflow_is_stray_text_of_its_heading() -> None:
    page = segment("Eligibility\nHealthy Volunteers: f\n• Adults aged 18 or more\n• Signed consent\n")
    index = page.sections.index(page.first("eligibility"))  # type: ignore[arg-type]
    assert [line.text for line in page.stray(index)] == ["• Adults aged 18 or more", "• Signed consent"]
    healthy = page.first("healthy_volunteers")
    assert healthy is not None and healthy.value == "f"


def test_labels_inside_criteria_lists_stay_criteria() -> None:
    page = segment("Inclusion Criteria\n- Age: 18 to 65 years\n- Gender: any\nSex: All\n")
    inclusion = page.first("inclusion")
    assert inclusion is not None and inclusion.texts() == ["- Age: 18 to 65 years", "- Gender: any"]
    assert page.first("sex") is not None  # an unbulleted field line still ends the list


def test_numbered_lines_are_never_labels() -> None:
    assert _keys("1. Status\n") == [""]


def test_blurb_after_heading_and_chrome_are_dropped() -> None:
    text = ("Conditions\nSee the medical conditions and disease areas that this research is targeting.\n"
            "Gout\n© 2031 Example. All rights reserved.\n")
    conditions = segment(text).first("conditions")
    assert conditions is not None and conditions.texts() == ["Gout"]


def test_sublabel_is_skipped_for_the_value() -> None:
    page = segment("Primary Sponsor\nName\nRiverbend Hospital\n")
    sponsor = page.first("lead_sponsor")
    assert sponsor is not None and sponsor.value == "Riverbend Hospital"


def test_flag_emoji_is_stripped_from_place_lines() -> None:
    page = segment("Locations\nExample Clinic\n\U0001F1E8\U0001F1F3Shanghai, China\n")
    locations = page.first("locations")
    assert locations is not None and locations.texts() == ["Example Clinic", "Shanghai, China"]


def test_strip_marker() -> None:
    assert strip_marker("- **Phase:**") == "Phase:"
    assert strip_marker("## Eligibility") == "Eligibility"
    assert strip_marker("-5 degrees") == "-5 degrees"


def test_tab_separated_and_markdown_table_rows() -> None:
    page = segment("Study Type\tInterventional\n| Phase | Phase 2 |\n|---|---|\n")
    study_type = page.first("study_type")
    phase = page.first("phases")
    assert study_type is not None and study_type.value == "Interventional"
    assert phase is not None and phase.value == "Phase 2"
