"""The title guard: a brief title is taken only when it reads like a trial's title."""

from __future__ import annotations

from extractor.rules.reader import extract_rules
from extractor.rules.titles import looks_like_title


def test_looks_like_title_rejects_chrome_roles_and_field_rows() -> None:
    assert looks_like_title("Yoga breathing for mild asthma in school children")
    assert not looks_like_title("Search trials near your home today")  # a site action
    assert not looks_like_title("Senior Research Coordinator")  # a person's position
    assert not looks_like_title("Sponsor Example Pharma Holdings Inc.")  # a field row
    assert not looks_like_title("Home / Trials / Asthma / Details")  # a nav trail
    assert not looks_like_title("pt-br")
    assert not looks_like_title("Example City Clinical Trials Registry")


def test_masthead_paragraph_is_skipped_for_the_heading() -> None:
    page = ("Example Trial Register\nPart of the Example Health Network\n\n"
            "Garlic extract for high blood pressure in older adults\n\nStatus: Recruiting\n")
    assert extract_rules(page).brief_title == "Garlic extract for high blood pressure in older adults"


def test_no_title_rather_than_chrome() -> None:
    page = "Example Trial Register\nBrowse studies by condition and country\n\nStatus: Recruiting\n"
    assert extract_rules(page).brief_title is None


def test_contact_title_row_is_no_trial_title() -> None:
    page = "Status: Recruiting\nContact person\nName\tJane Roe\nTitle\tAssistant Professor\n"
    assert extract_rules(page).brief_title is None


def test_labelled_title_skips_language_code_and_tag_cell() -> None:
    page = ("Public title:\nen\nSwimming lessons to prevent falls in older adults\npt-br\nAulas de natacao\n"
            "Scientific acronym:\nSWIM-FALL\n")
    r = extract_rules(page)
    assert r.brief_title == "Swimming lessons to prevent falls in older adults"
    assert r.acronym == "SWIM-FALL"
    tabbed = "Brief Title  TAGX\tA trial of warm baths for sleep in older adults\n"
    assert extract_rules(tabbed).brief_title == "A trial of warm baths for sleep in older adults"


def test_specific_title_label_beats_heading() -> None:
    page = ("Long Formal Heading Of The Study Printed At The Top\n\nPublic title\n"
            "Short lay title of the study\nStatus: Recruiting\n")
    assert extract_rules(page).brief_title == "Short lay title of the study"
