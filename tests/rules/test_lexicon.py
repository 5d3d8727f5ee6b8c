"""Label synonyms per registry land on one field key; qualifiers and chrome are recognised."""

from __future__ import annotations

import pytest

from extractor.rules.lexicon import KINDS, Kind, fold_label, is_blurb, is_chrome, lookup


def _key(label: str) -> str | None:
    found = lookup(label)
    return found[0] if found else None


@pytest.mark.parametrize(
    ("label", "key"),
    [
        # ClinicalTrials.gov, classic and new pages
        ("Study Start", "start_date"),
        ("Primary Completion (Estimated)", "primary_completion_date"),
        ("Actual Enrollment", "enrollment"),
        ("Estimated Enrollment", "enrollment"),
        ("Ages Eligible for Study", "age_range"),
        ("Sexes Eligible for Study", "sex"),
        ("Accepts Healthy Volunteers", "healthy_volunteers"),
        ("Study Type", "study_type"),
        ("Phase", "phases"),
        ("Allocation", "allocation"),
        ("Intervention Model", "intervention_model"),
        ("Masking", "masking"),
        ("Primary Purpose", "primary_purpose"),
        ("Responsible Party", "responsible_party"),
        ("Sponsor", "lead_sponsor"),
        ("Collaborators", "collaborators"),
        ("Other Study ID Numbers", "secondary_ids"),
        ("First Posted", "first_posted_date"),
        ("Last Update Posted", "last_update_date"),
        ("Official Title", "official_title"),
        ("Brief Title", "brief_title"),
        ("Acronym", "acronym"),
        ("Why Stopped", "why_stopped"),
        ("ClinicalTrials.gov Identifier", "nct_id"),
    ],
)
def test_ctgov_labels(label: str, key: str) -> None:
    assert _key(label) == key


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("Main ID", "registry_id"),
        ("Date of registration", "first_posted_date"),
        ("Public title", "brief_title"),
        ("Scientific title", "official_title"),
        ("Primary sponsor", "lead_sponsor"),
        ("Secondary sponsor", "collaborators"),
        ("Target sample size", "enrollment"),
        ("Recruitment status", "recruitment_status"),
        ("Date of first enrolment", "start_date"),
        ("Inclusion agemin", "minimum_age"),
        ("Inclusion agemax", "maximum_age"),
        ("Inclusion gender", "sex"),
        ("Study design", "design"),
        ("Countries of recruitment", "countries"),
        ("Contacts", "contacts"),
        ("Key inclusion & exclusion criteria", "eligibility"),
        ("Primary outcome", "primary_outcomes"),
        ("Secondary outcome", "secondary_outcomes"),
        ("Secondary ID", "secondary_ids"),
    ],
)
def test_who_ictrp_labels(label: str, key: str) -> None:
    assert _key(label) == key


@pytest.mark.parametrize(
    ("label", "key"),
    [
        # EU CTR / CTIS
        ("EudraCT Number", "registry_id"),
        ("Trial status", "overall_status"),
        ("Full title", "official_title"),
        ("Name of Sponsor", "lead_sponsor"),
        ("Expected number of subjects", "enrollment"),
        # ISRCTN
        ("ISRCTN", "registry_id"),
        ("Overall study status", "overall_status"),
        ("Target number of participants", "enrollment"),
        ("Participant inclusion criteria", "inclusion"),
        ("Participant exclusion criteria", "exclusion"),
        ("Primary outcome measure", "primary_outcomes"),
        ("Overall trial start date", "start_date"),
        ("Overall trial end date", "completion_date"),
        # ANZCTR
        ("Trial ID", "registry_id"),
        ("ACTRN", "registry_id"),
        ("Anticipated date of first participant enrolment", "start_date"),
        ("Key inclusion criteria", "inclusion"),
        ("Key exclusion criteria", "exclusion"),
        ("Minimum age", "minimum_age"),
        ("Maximum age", "maximum_age"),
        ("Gender", "sex"),
        ("Can healthy volunteers participate?", "healthy_volunteers"),
        ("Primary outcome [1]", "primary_outcomes"),
        ("Timepoint [2]", "timepoint"),
        # a sponsor's or site's own number; other IDs
        ("Takeda Trial ID", "registry_id"),
        ("Clinical Study ID", "registry_id"),
        ("Other Trial IDs", "secondary_ids"),
        # ChiCTR
        ("Registration number", "registry_id"),
        ("Recruiting status", "recruitment_status"),
        ("Sample size", "enrollment"),
        ("Study phase", "phases"),
        ("Age range", "age_range"),
        ("Inclusion criteria", "inclusion"),
        ("Exclusion criteria", "exclusion"),
        # CTRI
        ("CTRI Number", "registry_id"),
        ("Type of Trial", "study_type"),
        ("Phase of Trial", "phases"),
        ("Date of First Enrollment (India)", "start_date"),
        ("Age From", "minimum_age"),
        ("Age To", "maximum_age"),
        ("Primary Sponsor", "lead_sponsor"),
        # MedPath and other aggregators
        ("Registration Number", "registry_id"),
        ("Target Recruitment", "enrollment"),
        ("Lead Sponsor", "lead_sponsor"),
        ("Arm && Interventions", "arm_table"),
        ("Primary Outcome Measures", "primary_outcomes"),
        ("Trial Locations", "locations"),
        ("Status", "overall_status"),
        ("Estimated Completion Date", "completion_date"),
    ],
)
def test_other_registry_labels(label: str, key: str) -> None:
    assert _key(label) == key


def test_qualifiers_are_reported_and_only_on_dates_and_enrollment() -> None:
    assert lookup("Primary Completion (Estimated)") == ("primary_completion_date", "ESTIMATED")
    assert lookup("Actual Enrollment") == ("enrollment", "ACTUAL")
    assert lookup("Anticipated date of first participant enrolment") == ("start_date", "ESTIMATED")
    assert lookup("Start Date") == ("start_date", None)
    assert lookup("Expected Status") is None  # a qualifier on a non-date label is not that label


def test_unknown_and_long_text_is_not_a_label() -> None:
    assert lookup("Treatment group") is None
    assert lookup("Hepatocellular carcinoma confirmed by pathology") is None
    assert lookup("Status " * 20) is None


def test_fold_label_normalises_case_punctuation_and_numbering() -> None:
    assert fold_label("Arm && Interventions")[0] == "arm and interventions"
    assert fold_label("Primary outcome [3]:")[0] == "primary outcome"
    assert fold_label("HEALTH CONDITION(S) or problem(s) studied")[0] == "health condition or problem studied"
    assert fold_label("Secondary ID(s)")[0] == fold_label("Secondary ID")[0]


def test_kinds_split_scalars_from_blocks() -> None:
    assert KINDS["enrollment"] is Kind.SCALAR
    assert KINDS["inclusion"] is Kind.BLOCK
    assert KINDS["status_block"] is Kind.BLOCK


def test_chrome_and_blurbs() -> None:
    assert is_chrome("© 2031 Example Inc. All rights reserved.")
    assert is_chrome("This content was sourced from an example registry")
    assert not is_chrome("Patients with normal renal function")
    assert is_blurb("Review each arm or cohort in the study, along with the interventions associated with them.")
    assert not is_blurb("Understand and sign the consent form")
    assert not is_blurb("See 12 sites in 3 countries for this trial.")  # digits: a value, not a blurb


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("Secondary ID(s)", "secondary_ids"),
        ("Also known as", "secondary_ids"),
        ("Sponsor protocol code", "secondary_ids"),
        ("Clinical Study Identifier", "nct_id"),
        ("Scientific title acronym", "acronym"),
        ("Short title/acronym", "acronym"),
        ("Overall study start date", "start_date"),
        ("Study execute time", "start_date"),
        ("Date of the global end of the trial", "completion_date"),
        ("Anticipated date of last data collection", "completion_date"),
        ("Last refreshed on", "last_update_date"),
        ("Planned number of participants", "enrollment"),
        ("Medical condition(s)", "conditions"),
        ("Keywords provided by Example University", "keywords"),
        ("ExclusionCriteria", "exclusion"),
        ("P.End of Trial Status", "overall_status"),
        ("Primary sponsor type", "sponsor_type"),
    ],
)
def test_registry_layout_labels(label: str, key: str) -> None:
    assert _key(label) == key


def test_flags_name_the_field_a_yes_states() -> None:
    from extractor.rules.lexicon import flag

    assert flag("Parallel group") == ("intervention_model", "Parallel")
    assert flag("Therapeutic exploratory (Phase II)") == ("phases", "Phase 2")
    assert flag("Female") == ("sex", "FEMALE")
    assert flag("Controlled") is None


def test_label_dressing_is_dropped() -> None:
    from extractor.rules.lexicon import lookup

    assert lookup("Brief Title (English)") == ("brief_title", None)
    assert lookup("Date of registration in ABCR") == ("first_posted_date", None)
    assert lookup("Last update in XYZ REG") == ("last_update_date", None)
    assert lookup("First Posted Date  TAGX") == ("first_posted_date", None)
    assert lookup("Registration in progress") is None  # lower-case words are no registry name


def test_registry_acronym_labels_name_a_registry_number() -> None:
    from extractor.rules.lexicon import lookup

    assert lookup("xRCT ID") == ("registry_id", None)
    assert lookup("ABCR-ID") == ("registry_id", None)
    assert lookup("QRIS Registration Number") == ("registry_id", None)
    assert lookup("IRB Number") is None and lookup("ORCID ID") is None  # ethics boards, people
    assert lookup("NCT Number") == ("nct_id", None)  # a known label keeps its own key
    assert lookup("UTN (Universal Trial Number)") == ("registry_id", None)
    assert lookup("EudraCT-Number") == ("registry_id", None)


def test_why_stopped_and_age_limit_wordings() -> None:
    from extractor.rules.lexicon import lookup as _lookup
    for label in ("Reason abandoned (if study stopped)", "Reason for suspension", "Reason trial stopped"):
        assert _lookup(label) == ("why_stopped", None), label
    assert _lookup("Age-lower limit") == ("minimum_age", None)
    assert _lookup("Age-upper limit") == ("maximum_age", None)
    assert _lookup("Type of study") == ("study_type", None)
