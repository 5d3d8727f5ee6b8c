"""One pass segmentation: inline labels, next-line values, markdown pairs, headings, stray lines."""

from __future__ import annotations

from extractor.rules.segment import segment, strip_marker


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


# ---------------------------------------------------------------- layouts beyond the seeds


def test_numbered_labels_drop_their_code_and_unknown_ones_end_a_block() -> None:
    text = ("C.2.1\tDiseases studied\nChronic cough\nC.2.2\tDisease in plain words\nA cough that lasts\n"
            "C.4.1\tIn the whole clinical trial\t300\n")
    page = segment(text)
    conditions = page.first("conditions")
    assert conditions is None  # "Diseases studied" is no synonym: nothing is guessed
    page = segment("C.2.1\tMedical condition(s) being investigated\nChronic cough\n"
                   "C.2.2\tDisease in plain words\nA cough that lasts\nC.4.1\tIn the whole clinical trial\t300\n")
    conditions = page.first("conditions")
    assert conditions is not None and conditions.texts() == ["Chronic cough"]
    enrollment = page.first("enrollment")
    assert enrollment is not None and enrollment.value == "300"


def test_a_letter_code_cell_alone_is_dropped_from_its_label() -> None:
    page = segment("P.\tDate of the global end of the trial\t2013-04-24\n")  # EU CTR's section P, one row
    end = page.first("completion_date")
    assert end is not None and end.value == "2013-04-24"
    assert segment("B. Microvascular invasion grade II\n").first("completion_date") is None


def test_long_numbered_label_is_looked_up_before_its_comma_clause() -> None:
    page = segment("B.7.1\tTitle of the trial for lay people, in plain, non-technical words\nA study of a cough syrup\n")
    title = page.first("brief_title")
    assert title is not None and title.value == "A study of a cough syrup"


def test_yes_no_flag_rows_become_flag_sections() -> None:
    page = segment("G.1\tDouble blind\tYes\nG.2\tCross over\tNo\nOpen: No\n")
    flags = page.all("flag")
    assert [(s.label, s.value) for s in flags] == [("Double blind", "Yes"), ("Cross over", "No"), ("Open", "No")]


def test_unknown_tab_row_ends_a_list_but_not_a_table() -> None:
    page = segment("Conditions\nChronic cough\nTherapeutic field\tRespiratory\n")
    conditions = page.first("conditions")
    assert conditions is not None and conditions.texts() == ["Chronic cough"]
    page = segment("Primary outcome\nOutcome\tTimepoints\nCough frequency\tWeek 4\nCough severity\tWeek 8\n")
    outcome = page.first("primary_outcomes")
    assert outcome is not None and len(outcome.lines) == 3


def test_colon_row_ends_a_short_list() -> None:
    page = segment("Condition: Chronic cough\nTherapy: Syrup A\n")
    conditions = page.first("conditions")
    assert conditions is not None and conditions.texts() == ["Chronic cough"]


def test_double_space_separates_label_and_value_but_not_a_menu() -> None:
    page = segment("Sponsor  Example Health Ltd\nSummary    Details    Results    Documents\n")
    sponsor = page.first("lead_sponsor")
    assert sponsor is not None and sponsor.value == "Example Health Ltd"
    assert page.first("brief_summary") is None


def test_sublabel_cell_is_skipped_in_a_value() -> None:
    page = segment("Primary Sponsor\nName \t Example Health Ltd\n")
    sponsor = page.first("lead_sponsor")
    assert sponsor is not None and sponsor.value == "Example Health Ltd"


def test_question_subheadings_stay_inside_a_lay_summary() -> None:
    page = segment("Plain English summary of protocol\nWhy?\nCoughs last.\nWho can participate?\nAdults\n")
    summary = page.first("brief_summary")
    assert summary is not None and summary.texts()[-2:] == ["Who can participate?", "Adults"]


def test_glued_heading_and_details_cell_in_criteria() -> None:
    page = segment("Inclusion Criteria\nDetails \t 1. Adults\n2. Cough\nExclusionCriteria\nDetails \t 1. Smokers\n")
    inclusion, exclusion = page.first("inclusion"), page.first("exclusion")
    assert inclusion is not None and inclusion.texts() == ["1. Adults", "2. Cough"]
    assert exclusion is not None and exclusion.texts() == ["1. Smokers"]


def test_bilingual_rows_take_the_english_value_through_the_lexicon() -> None:
    text = ("研究名称 / Scientific Title\t日本語の題名\tA Study of Drug X\n"
            "進捗状況\t進捗状況 / Recruitment status\t募集中\tRecruiting\n"
            "対象疾患名 / Health Condition(s) or Problem(s) Studied\t急性白血病\tacute leukemia\n"
            "対象疾患コード / Code\n")
    page = segment(text)
    assert page.first("official_title").value == "A Study of Drug X"
    assert page.first("recruitment_status") is not None or page.first("overall_status") is not None
    conditions = page.first("conditions")
    assert conditions.texts() == ["acute leukemia"]  # the empty "Code" row ends the list
