"""The keyword fallback: unknown label wordings reach their field only through a strict parser."""

from __future__ import annotations

from extractor.rules.keyword_fallback import fallback_value, guess_field
from extractor.rules.reader import extract_values


def test_unknown_wordings_map_to_fields() -> None:
    assert guess_field("Overall trial status") == ("overall_status", None)
    assert guess_field("Target number/sample size") == ("enrollment", None)
    assert guess_field("Age lower bound") == ("minimum_age", None)  # "Age-lower limit" is in the lexicon now
    assert guess_field("Maximum age of subjects") == ("maximum_age", None)
    assert guess_field("Sponsor or person") == ("lead_sponsor", None)
    assert guess_field("Anticipated trial commencement date") == ("start_date", "ESTIMATED")
    assert guess_field("Sexo / Sex") == ("sex", None)  # bilingual: the lexicon's half decides


def test_other_fields_and_known_labels_are_not_guessed() -> None:
    assert guess_field("Secondary sponsor name") is None
    assert guess_field("Funder sponsor organisation") is None
    assert guess_field("Ethics approval status") is None
    assert guess_field("Participants enrolled so far") is None
    assert guess_field("Type of study") is None  # the lexicon ignores it: never guessed
    assert guess_field("Recruitment status") is None  # the lexicon knows it: the exact reader owns it
    assert guess_field("Colour of the logo") is None
    assert guess_field("Original Estimated Enrollment") is None  # an earlier version of the record


def test_values_must_pass_the_strict_parser() -> None:
    assert fallback_value("enrollment", "200") == (200, None)
    assert fallback_value("enrollment", "about 200 in each of 3 arms") is None
    assert fallback_value("overall_status", "Recruiting") == ("Recruiting", None)
    assert fallback_value("overall_status", "Authorised, pending decision") is None
    assert fallback_value("start_date", "2099-06-01") == ("2099-06-01", None)
    assert fallback_value("start_date", "sometime next spring") is None
    assert fallback_value("sex", "Female, Male") == ("ALL", None)
    assert fallback_value("sex", "Adults") is None
    assert fallback_value("minimum_age", "18 Years") == ("18 years", None)
    assert fallback_value("minimum_age", "adults only") is None
    assert fallback_value("lead_sponsor", "Riverbend University Hospital") == ("Riverbend University Hospital", None)
    assert fallback_value("lead_sponsor", "12345") is None
    assert fallback_value("lead_sponsor", "Not applicable") is None
    assert fallback_value("study_type", "Intervencional / Interventional") == ("Interventional", None)


def test_page_fills_empty_fields_from_unknown_labels() -> None:
    text = ("Riverbend Trial Register\n\nOverall trial status\tRecruiting\nTarget number/sample size\t240\n"
            "Kick-off date of study\t2099-03-01\nAge-lower limit\t18 Years\nSponsor or person\tRiverbend Hospital\n"
            "Participants enrolled so far\t12\n")
    values = extract_values(text)
    assert values["overall_status"] == "Recruiting"
    assert values["enrollment"] == 240
    assert values["minimum_age"] == "18 years"
    assert values["lead_sponsor"] == "Riverbend Hospital"


def test_junk_values_leave_fields_empty() -> None:
    text = "Header\n\nOverall trial status\tAuthorised, pending\nTarget number/sample size\tabout forty\n" \
           "Sponsor or person\t12\n"
    values = extract_values(text)
    assert not values.get("overall_status")
    assert not values.get("enrollment")
    assert not values.get("lead_sponsor")


def test_exact_lexicon_wins() -> None:
    text = "Header\n\nOverall trial status\tCompleted\nRecruitment status\tRecruiting\nSample size\t90\n" \
           "Target number of cases\t300\n"
    values = extract_values(text)
    assert values["overall_status"] == "Recruiting"
    assert values["enrollment"] == 90
