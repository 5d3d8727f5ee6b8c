"""Site and contact lines -> records: one-line sites, place lines, people."""

from __future__ import annotations

from extractor.rules.site_parsers import parse_locations


def test_one_line_sites_name_the_facility_first() -> None:
    got = parse_locations(["Zenith Memorial Hospital, Tarragona, Spain",
                           "North Research Unit, Austin, Texas, United States",
                           "204 - Clinique du Lac, Annecy, France"])
    assert [(s["facility"], s["city"], s["state"], s["country"]) for s in got] == [
        ("Zenith Memorial Hospital", "Tarragona", None, "Spain"),
        ("North Research Unit", "Austin", "Texas", "United States"),
        ("204 - Clinique du Lac", "Annecy", None, "France")]


def test_city_state_country_lines_stay_places() -> None:
    got = parse_locations(["Zenith Memorial Hospital", "Austin, Texas, United States"])
    assert [(s["facility"], s["city"], s["state"]) for s in got] == [("Zenith Memorial Hospital", "Austin", "Texas")]
