"""Header-row tables: column names over rows of tab-separated cells."""

from extractor.rules.header_tables import find_tables, fold_head
from extractor.rules.site_parsers import parse_contacts
from extractor.rules.table_records import read_row_records
from extractor.rules.reader import extract_rules
from extractor.rules.segment import segment
from extractor.rules.arms_outcomes import arms_and_interventions

FIELDS = "Demographics\nSample size:\tSex:\tMinimum age:\tMaximum age:\n80\tM\t21 Y\t60 Y\n"


def test_fold_head_drops_plural_marks_and_colons() -> None:
    assert fold_head("Timepoint(s):") == "timepoint"
    assert fold_head("  Name  of   Site ") == "name of site"


def test_find_tables_pairs_rows_with_header_and_heading() -> None:
    tables = find_tables(FIELDS)
    assert len(tables) == 1
    table = tables[0]
    assert table.heading == "Demographics"
    assert [c.text for c in table.header][:2] == ["Sample size:", "Sex:"]
    row = table.rows[0]
    assert [c.text for c in row] == ["80", "M", "21 Y", "60 Y"]
    assert FIELDS[row[2].start:row[2].start + 4] == "21 Y"  # spans point into the page


def test_a_value_row_is_no_header() -> None:
    assert find_tables("Alpha 12 mg\tdaily dose 3\tfor 5 days\nx\ty\tz\n") == ()


def test_repeated_header_starts_a_new_table() -> None:
    text = "Measure\tTime\tMethod\nA\t1 day\tx\nMeasure\tTime\tMethod\nB\t2 days\ty\n"
    assert [len(t.rows) for t in find_tables(text)] == [1, 1]


def test_one_row_table_becomes_labelled_fields() -> None:
    page = segment(FIELDS)
    assert page.first("sex").value == "M"
    assert page.first("maximum_age").value == "60 Y"
    record = extract_rules(FIELDS)
    assert (record.sex, record.minimum_age, record.maximum_age) == ("MALE", "21 Years", "60 Years")


SITES = ("Trial sites\nName of site\tStreet\tCity\tCountry\tRecruitment status\n"
         "Lakeside Clinic\t1 Main St\tOslo\tNorway\tRecruiting\nHill Hospital\t\tBergen\tNorway\t\n"
         "Funders\nName of source\tCity\tCountry\nSome Fund\tBern\tSwitzerland\n"
         "Funding bodies\nName of site\tCity\tCountry\nFund Office\tBern\tSwitzerland\n")


def test_site_table_rows_become_locations_and_funders_do_not() -> None:
    found = read_row_records(SITES)
    assert [(s["facility"], s["city"], s["country"], s["status"]) for s in found.locations] == [
        ("Lakeside Clinic", "Oslo", "Norway", "Recruiting"), ("Hill Hospital", "Bergen", "Norway", None)]


CONTACTS = ("People\nRole\tName\tEmail\tPhone\n"
            "Principal Investigator\tAnna Berg\ta.berg@x.example\t+47 22 00 00 00\n"
            "Public Queries\tOla Nordmann\tola@x.example\t+47 22 11 11 11\n"
            "Scientific Queries\tsee above\t\t\n")


def test_contact_table_keeps_enquiry_rows_with_the_printed_role() -> None:
    found = read_row_records(CONTACTS)
    assert found.contacts == [{"name": "Ola Nordmann", "role": "Public Queries", "email": "ola@x.example",
                               "phone": "+47 22 11 11 11"}]


def test_sponsor_table_levels() -> None:
    text = ("Sponsors\nSponsor level\tName\tCity\tCountry\nPrimary Sponsor\tNorth University\tOslo\tNorway\n"
            "Collaborator\tWest Institute\tBergen\tNorway\nFunder\tSome Fund\tBern\tSwitzerland\n")
    found = read_row_records(text)
    assert found.lead_sponsor == "North University"
    assert found.collaborators == ["West Institute"]
    assert found.locations == []


def test_arm_table_links_arms_and_interventions() -> None:
    text = ("Arms\nArm\tArm Type\tArm Label\tIntervention Type\tIntervention Name\tIntervention Description\n"
            "1\tExperimental\tZinc\tDietary Supplement\tZinc\tZinc 10 mg daily\n"
            "2\tSham Comparator\tDummy\tOther\tDummy pill\tInert pill\n3\tNot a type\tOdd\tDrug\tOddity\t\n")
    found = read_row_records(text)
    assert [(a["label"], a["type"], a["intervention_names"]) for a in found.arms] == [
        ("Zinc", "Experimental", ["Zinc"]), ("Dummy", "Sham Comparator", ["Dummy pill"])]
    assert [(i["name"], i["type"], i["arm_labels"]) for i in found.interventions] == [
        ("Zinc", "Dietary Supplement", ["Zinc"]), ("Dummy pill", "Other", ["Dummy"]), ("Oddity", "Drug", [])]
    record = extract_rules(text)
    assert [a.label for a in record.arms] == ["Zinc", "Dummy"]


def test_suspicious_intervention_names_are_rejected() -> None:
    page = segment("Interventions:\nen\nE01.370.1 Some Therapy\nOutcome(s)\nCold compress\n")
    _, interventions = arms_and_interventions(page)
    assert [i["name"] for i in interventions] == ["Cold compress"]


def test_places_and_headings_are_not_contact_names() -> None:
    got = parse_contacts(["The Netherlands", "Removed Location Countries", "Norway, Oslo", "Kari Holm",
                          "kari@x.example"])
    assert got == [{"name": "Kari Holm", "email": "kari@x.example"}]


def test_facility_city_country_rows() -> None:
    from extractor.rules.site_parsers import parse_locations
    got = parse_locations(["North Clinic\tTromso\tNorway", "Bad row\twith 12\tNorway", "South Ward\tNorway"])
    assert [(s["facility"], s["city"], s["country"]) for s in got] == [
        ("North Clinic", "Tromso", "Norway")]  # a two-cell row is a label and its value
