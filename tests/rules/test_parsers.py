"""Value parsers: each reads what is plainly there and returns nothing for what is not."""

from __future__ import annotations

import pytest

from extractor.rules.parsers import (
    bare_age,
    bare_count,
    bare_enum,
    is_bare_date,
    parse_age,
    parse_age_range,
    parse_count,
    parse_date,
    parse_design,
    parse_ids,
    parse_phases,
    parse_qualifier,
    split_values,
)
from extractor.rules.site_parsers import parse_contacts, parse_locations
from extractor.schema import Allocation, Masking
from extractor.rules.parsers import parse_enum, parse_status


def test_parse_enum_keeps_display_text_or_none() -> None:
    assert parse_enum(Allocation, "Randomised") == "Randomised"
    assert parse_enum(Masking, "Double (Participant, Investigator)") == "Double (Participant, Investigator)"
    assert parse_enum(Allocation, "Blinded") is None
    assert parse_enum(Allocation, None) is None


def test_parse_phases() -> None:
    assert parse_phases("Phase 2/Phase 3") == ["PHASE2", "PHASE3"]
    assert parse_phases("Phase II") == ["PHASE2"]
    assert parse_phases("Not Applicable") == ["NA"]
    assert parse_phases("Efficacy") == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("RECRUITING", ("overall_status", "RECRUITING")),
        ("PHASE2", ("phases", "PHASE2")),
        ("INTERVENTIONAL", ("study_type", "INTERVENTIONAL")),
        ("RANDOMIZED", ("allocation", "RANDOMIZED")),
        ("SINGLE_GROUP", ("intervention_model", "SINGLE_GROUP")),
        ("TREATMENT", ("primary_purpose", "TREATMENT")),
        ("Phase 1", ("phases", "Phase 1")),
        ("Terminated", ("overall_status", "Terminated")),
        ("NONE", None),  # masking only under a design heading
        ("OTHER", None),  # a sponsor class tag as often as a purpose
        ("NA", None),
        ("ALL", None),
        ("Hepatocellular carcinoma", None),
    ],
)
def test_bare_enum(line: str, expected: tuple[str, str] | None) -> None:
    assert bare_enum(line) == expected


def test_bare_enum_context_tokens() -> None:
    assert bare_enum("NONE", design=True) == ("masking", "NONE")
    assert bare_enum("ALL", eligibility=True) == ("sex", "ALL")


def test_parse_design_free_text() -> None:
    assert parse_design("Randomised, parallel, double blind, treatment") == {
        "allocation": "Randomised", "intervention_model": "parallel", "masking": "double blind",
        "primary_purpose": "treatment"}
    assert parse_design("Computer generated sequence") == {}


def test_parse_date_and_qualifiers() -> None:
    assert parse_date("March 2020 (Actual)") == ("2020-03", "ACTUAL")
    assert parse_date("2025-04-01") == ("2025-04-01", None)
    assert parse_date("Anticipated: 15/03/2099") == ("2099-03-15", "ESTIMATED")
    assert parse_date("01/02/2099") == (None, None)  # day and month order cannot be told
    assert parse_date("soon") == (None, None)
    assert parse_qualifier("300 (Estimated)") == "ESTIMATED"
    assert parse_qualifier("300") is None


def test_bare_forms() -> None:
    assert is_bare_date("2027-10-31") and is_bare_date("July 2001")
    assert not is_bare_date("2 years") and not is_bare_date("NCT01234567")
    assert bare_count("276 participants") == 276
    assert bare_count("276") is None
    assert bare_age("18 Years") and not bare_age("18 years old or more")


@pytest.mark.parametrize(
    ("text", "count"),
    [("154", 154), ("1,200 participants", 1200), ("Total Sample Size=\"80\" Sample Size from India=\"80\"", 80),
     ("approximately 60", 60), ("between 40-60", None), ("Not available", None), ("planned: 30", 30)],
)
def test_parse_count(text: str, count: int | None) -> None:
    assert parse_count(text) == count


def test_parse_age() -> None:
    assert parse_age("18") == "18 years"
    assert parse_age("18.00 Year(s)") == "18 year"
    assert parse_age("6 Months") == "6 months"
    assert parse_age("No limit") is None
    assert parse_age("> 18 years") is None  # strictly greater: not a stated minimum


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18 Years to 75 Years (Adult, Older Adult)", ("18 years", "75 years")),
        ("18-75 years", ("18 years", "75 years")),
        ("Age between 18 to 80 years old, gender not limited;", ("18 years", "80 years")),
        ("Age ≥18 years old.", ("18 years", None)),
        ("18 Years and older (Adult)", ("18 years", None)),
        ("up to 17 years", (None, "17 years")),
        ("Adult", (None, None)),
        ("age ≥2 weeks to 4 months", (None, None)),  # a bound in weeks is no bound in years
        ("aged ≥18", ("18 years", None)),
    ],
)
def test_parse_age_range(text: str, expected: tuple[str | None, str | None]) -> None:
    assert parse_age_range(text) == expected


def test_parse_ids_and_values() -> None:
    assert parse_ids(["2024-SR-708", "Identifier Type: -", "org_study_id"]) == ["2024-SR-708"]
    assert parse_ids(["CTRI/2099/03/012345 [Registered on: 05/03/2099]"]) == ["CTRI/2099/03/012345"]
    assert parse_ids(["EudraCT: 2099-001234-56; ABC-1"]) == ["2099-001234-56", "ABC-1"]
    assert split_values(["Pain score; Weight loss", "Pain score"]) == ["Pain score", "Weight loss"]


def test_parse_locations_cards_and_repeats() -> None:
    sites = parse_locations(["Example Cancer Center", "Springfield, Illinois, United States",
                             "Example Cancer Center", "Springfield, Illinois, United States"])
    assert sites == [{"facility": "Example Cancer Center", "city": "Springfield", "state": "Illinois",
                      "country": "United States", "status": None}]


def test_parse_locations_country_first_layout() -> None:
    sites = parse_locations(["India", "Hilltop Dental College, Pune", "RECRUITING", "Pune"])
    assert sites == [{"facility": "Hilltop Dental College, Pune", "city": "Pune", "state": None,
                      "country": "India", "status": "RECRUITING"}]


def test_parse_locations_needs_a_place() -> None:
    assert parse_locations(["See location..."]) == []


def test_parse_contacts() -> None:
    contacts = parse_contacts(["Primary", "Ana Lima", "ana@example.org", "+55 11 5555 0101",
                               "Backup", "Rui Costa", "rui@example.org"])
    assert contacts == [
        {"role": "Primary", "name": "Ana Lima", "email": "ana@example.org", "phone": "+55 11 5555 0101"},
        {"role": "Backup", "name": "Rui Costa", "email": "rui@example.org"},
    ]
    labelled = parse_contacts(["Name: Mei Chen", "Telephone: +86 20 5555 0101", "Email: mei@example.org"])
    assert labelled == [{"name": "Mei Chen", "phone": "+86 20 5555 0101", "email": "mei@example.org"}]


# ---------------------------------------------------------------- layouts beyond the seeds


def test_page_date_order_settles_ambiguous_numeric_dates() -> None:
    from extractor.rules.parsers import page_date_order, parse_date

    assert page_date_order("Registered 23/01/2099, updated 04/02/2099") == "DMY"
    assert page_date_order("Registered 01/23/2099") == "MDY"
    assert page_date_order("04/02/2099 only") is None
    assert page_date_order("23/01/2099 and 01/23/2099") is None  # a page that disagrees settles nothing
    assert parse_date("04/02/2099", "DMY")[0] == "2099-02-04"
    assert parse_date("04/02/2099", "MDY")[0] == "2099-04-02"
    assert parse_date("04/02/2099")[0] is None
    assert parse_date("2099-02-04 10:15:00")[0] == "2099-02-04"


def test_parse_period() -> None:
    from extractor.rules.parsers import parse_period

    assert parse_period("From 2099-01-15 To 2100-06-30") == ("2099-01-15", "2100-06-30")
    assert parse_period("From spring To autumn") == (None, None)


def test_age_groups_are_no_limits() -> None:
    assert parse_age_range("Between 18 - 75 Years") == ("18 years", "75 years")
    assert parse_age_range("40-64 years, 65+ years") == ("40 years", None)
    assert parse_age_range("18-64 years, 65-84 years") == (None, None)


def test_status_and_sex_wordings() -> None:
    from extractor.rules.parsers import parse_sex, parse_status

    assert parse_status("No longer recruiting") == "Active, not recruiting"
    assert parse_status("Ongoing, recruiting") == "Recruiting"
    assert parse_status("Ongoing") is None  # could be recruiting or not: left empty
    assert parse_sex("Male or Female") == "ALL"
    assert parse_sex("Female") == "Female"
    assert parse_sex("Males over 50") is None


def test_ids_behind_nested_labels_and_registration_notes() -> None:
    assert parse_ids(["Name:Protocol Number:XK-551"]) == ["XK-551"]
    assert parse_ids(["ABC/2099/01/000123 [Registered on: 23/01/2099] Registered Prospectively"]) == [
        "ABC/2099/01/000123"]
    assert parse_ids(["XK/99/12 \t Protocol Number"]) == ["XK/99/12"]


def test_is_identifier_needs_an_identifiers_form() -> None:
    from extractor.rules.parsers import is_identifier, parse_ids

    assert is_identifier("ABC-2099-17") and is_identifier("ERC-ZZ 012/04/99")
    assert not is_identifier("1402/07/15")  # a date in another calendar
    assert not is_identifier("Q17")  # too short to be a number of record
    assert parse_ids(["Q17; 1402/07/15; XYZ000123"]) == ["XYZ000123"]


def test_parse_date_stated_order_and_second_calendar() -> None:
    from extractor.rules.parsers import parse_date

    assert parse_date("04/11/2099 (mm/dd/yyyy)") == ("2099-04-11", None)
    assert parse_date("04/11/2099 (dd/mm/yyyy)") == ("2099-11-04", None)
    assert parse_date("2099-02-03, 1477/11/14") == ("2099-02-03", None)


def test_parse_age_bound_forms_and_sex_letters() -> None:
    from extractor.rules.parsers import parse_age, parse_sex

    assert parse_age(">= 30age old") == "30 years"
    assert parse_age("<= 70age old") == "70 years"
    assert parse_age("21 years old or more") == "21 years"
    assert parse_age("16 Y") == "16 years"
    assert parse_age("> 30 years") is None  # an exclusive bound is not the age itself
    assert parse_sex("F") == "FEMALE" and parse_sex("M") == "MALE"


@pytest.mark.parametrize(("value", "name"), [
    ("ICD10: E11.9 - Type 2 diabetes", "Type 2 diabetes"),
    ("(J45.0) Allergic asthma", "Allergic asthma"),
    ("B201||Measles", "Measles"),
    ("Free text: mild persistent asthma", "mild persistent asthma"),
    ("J45", None),
    ("ICD-10: J45.0", None),
    ("B12 deficiency", "B12 deficiency"),  # a bare code-like word without a separator is a name
    ("H1N1 influenza", "H1N1 influenza"),
])
def test_condition_name_drops_disease_codes(value: str, name: str | None) -> None:
    from extractor.rules.parsers import condition_name

    assert condition_name(value) == name


def test_status_wordings_of_other_registries_read_as_ctgov_statuses() -> None:
    from extractor.schema import OverallStatus, normalize_enum
    cases = {"Open public recruiting": "RECRUITING", "Stopped": "TERMINATED",
             "Authorised, recruitment pending": "NOT_YET_RECRUITING", "Terminado / Terminated": "TERMINATED"}
    for text, want in cases.items():
        got = parse_status(text)
        assert got is not None and normalize_enum(OverallStatus, got) == want, text
    assert parse_status("Pending / Open") is None


def test_dates_written_with_year_month_day_words() -> None:
    assert parse_date("2024\tYear\t02\tMonth\t01\tDay")[0] == "2024-02-01"
    assert parse_date("2023 Year 7 Month")[0] == "2023-07"
    assert parse_date("Year 2023")[0] is None


def test_ages_with_an_inclusive_bound_after_the_unit_and_bracketed_ranges() -> None:
    assert parse_age("65\tyears-old\t<=") == "65 years"
    assert parse_age("6 months-old <=") == "6 months"
    assert parse_age("80 years-old >") is None  # a strict bound would be 79: left alone
    assert parse_age_range("(1 year to 21 years)") == ("1 year", "21 years")
