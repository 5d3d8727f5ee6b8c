"""`extractor.outputs.ctgov`: a record as a CT.gov API v2 study, and the round trip through the importer.

The property: `trialx gold import-ctgov` of the writer's output gives back the same record, field by
field, for every record of ../shared/ctgov and every gold record. The one thing API v2 cannot carry
is a contact role outside its ContactRole enum ("Public queries" is written CONTACT); the test
asserts that this is the only difference, and that it happens only where the role is not an API value.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from extractor.importers import load_ctgov_file, parse_ctgov_study
from extractor.links import link_arms_interventions
from extractor.outputs import to_ctgov_study, writer_for
from extractor.outputs.ctgov import CONTACT_ROLES, contact_role, criteria_text
from extractor.schema import TrialRecord

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "outputs" / "tricky_line.json"
GOLD_RECORDS = sorted(ROOT.glob("gold/**/records/*.json"))


def tricky() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def round_trip(record: TrialRecord) -> TrialRecord:
    """Through the writer's text and the importer, as `trialx gold import-ctgov` reads a file."""
    out = io.StringIO()
    writer = writer_for("ctgov", out)
    writer.write({"id": "x", "source": "x", "backend": "rules", "record": record.model_dump(mode="json")})
    writer.close()
    from extractor.importers.ctgov import import_ctgov_text

    (back,) = import_ctgov_text(out.getvalue())
    return back


def linked(record: TrialRecord) -> TrialRecord:
    """The record with its arm/intervention links completed both ways, as the study carries them."""
    data = record.model_dump(mode="json")
    link_arms_interventions(data["arms"], data["interventions"])
    return TrialRecord.model_validate(data)


def differences(a: TrialRecord, b: TrialRecord) -> dict[str, tuple[object, object]]:
    da, db = a.model_dump(mode="json"), b.model_dump(mode="json")
    return {k: (da[k], db[k]) for k in da if da[k] != db[k]}


def only_contact_roles_differ(a: TrialRecord, b: TrialRecord) -> None:
    diff = differences(a, b)
    assert set(diff) <= {"contacts"}, {k: v for k, v in diff.items() if k != "contacts"}
    if diff:
        before, after = diff["contacts"]
        assert len(before) == len(after)
        for x, y in zip(before, after):
            assert {**x, "role": None} == {**y, "role": None}
            if x["role"] != y["role"]:
                assert x["role"] not in CONTACT_ROLES and y["role"] == contact_role(x["role"])


def test_modules_enums_and_partial_dates_as_the_api_writes_them() -> None:
    study = to_ctgov_study(tricky()["record"])
    p = study["protocolSection"]
    assert p["identificationModule"]["nctId"] == "NCT01234567"
    assert p["statusModule"]["overallStatus"] == "TERMINATED"
    assert p["statusModule"]["startDateStruct"] == {"date": "2019-03", "type": "ACTUAL"}
    assert p["statusModule"]["primaryCompletionDateStruct"] == {"date": "2020"}  # no type stated: none written
    assert p["designModule"]["phases"] == ["PHASE2", "PHASE3"]
    assert p["designModule"]["designInfo"]["maskingInfo"] == {"masking": "NONE"}
    assert p["designModule"]["enrollmentInfo"] == {"count": 0, "type": "ACTUAL"}  # 0 is a value, not an absence
    assert p["eligibilityModule"]["healthyVolunteers"] is True
    assert "maximumAge" not in p["eligibilityModule"] and "officialTitle" not in p["identificationModule"]
    ids = p["identificationModule"]["secondaryIdInfos"]
    assert [i.get("type") for i in ids] == [None, "EUDRACT_NUMBER", "CTIS"]
    assert p["sponsorCollaboratorsModule"]["responsibleParty"] == {"investigatorFullName": "Dr. Ana Ruiz"}
    assert p["contactsLocationsModule"]["centralContacts"][0]["role"] == "PRINCIPAL_INVESTIGATOR"


def test_arm_and_intervention_links_are_written_both_ways() -> None:
    arms = to_ctgov_study(tricky()["record"])["protocolSection"]["armsInterventionsModule"]
    # the record gave only the arm -> intervention direction for the tea extract: the study has both
    tea = next(i for i in arms["interventions"] if i["name"] == "Green tea extract")
    assert tea["armGroupLabels"] == ["Salt + Tea"]
    assert arms["armGroups"][0]["interventionNames"] == ["Behavioral: Low salt diet", "Dietary Supplement: Green tea extract"]
    assert "interventionNames" not in arms["armGroups"][1]


def test_the_responsible_party_that_is_the_lead_sponsor_is_written_as_the_sponsor() -> None:
    record = tricky()["record"] | {"responsible_party": "Example University"}
    party = to_ctgov_study(record)["protocolSection"]["sponsorCollaboratorsModule"]["responsibleParty"]
    assert party == {"type": "SPONSOR"}
    assert parse_ctgov_study(to_ctgov_study(record))["responsible_party"] == "Example University"


def test_contact_roles_map_onto_the_api_enum() -> None:
    assert contact_role("Principal Investigator") == "PRINCIPAL_INVESTIGATOR"
    assert contact_role("study director") == "STUDY_DIRECTOR"
    assert contact_role("CONTACT") == "CONTACT"
    assert contact_role("Contact person for public queries") == "CONTACT"
    assert contact_role(None) is None


def test_markdown_text_keeps_its_backslashes_and_criteria_their_items() -> None:
    record = TrialRecord.model_validate(tricky()["record"])
    back = round_trip(record)
    assert back.why_stopped == "Sponsor decision\\funding (see C:\\docs)"
    assert back.brief_summary == record.brief_summary
    assert back.inclusion_criteria == record.inclusion_criteria and back.exclusion_criteria == ["Pregnancy"]
    assert criteria_text([], ["Pregnancy"]) == "Exclusion Criteria:\n\n* Pregnancy"
    assert criteria_text([], []) is None
    assert back.interventions[0].arm_labels == ["Salt + Tea"]  # the link the record gave one way only
    only_contact_roles_differ(linked(record), back)
    assert differences(record, back)["contacts"][1][1]["role"] == "CONTACT"  # "Public queries" has no API value


def test_the_writer_streams_an_api_page_and_leaves_error_lines_out(tmp_path: Path) -> None:
    out = io.StringIO()
    writer = writer_for("ctgov", out)
    line = tricky()
    writer.write(line)
    writer.write({"id": "bad", "source": "bad.txt", "error": {"code": "EMPTY_INPUT", "message": "empty"}})
    writer.write(line | {"record": line["record"] | {"nct_id": "NCT07654321"}})
    writer.close()
    text = out.getvalue()
    assert len(text.splitlines()) == 4  # header, one study per line, footer
    page = json.loads(text)
    assert [s["protocolSection"]["identificationModule"]["nctId"] for s in page["studies"]] == ["NCT01234567", "NCT07654321"]
    path = tmp_path / "page.json"
    path.write_text(text, encoding="utf-8")
    assert [r.nct_id for r in load_ctgov_file(path)] == ["NCT01234567", "NCT07654321"]
    empty = io.StringIO()
    w = writer_for("ctgov", empty)
    w.close()
    assert json.loads(empty.getvalue()) == {"studies": []}


def _report(records: list[tuple[str, TrialRecord]]) -> tuple[int, int, list[str]]:
    compared, differing = 0, []
    for name, record in records:
        assert linked(record) == record, f"{name}: arm/intervention links are one way only"
        back = round_trip(record)
        only_contact_roles_differ(record, back)
        compared += len(TrialRecord.model_fields)
        differing += [f"{name}: {k}" for k in differences(record, back)]
    return len(records), compared, differing


def test_round_trip_over_every_gold_record() -> None:
    assert len(GOLD_RECORDS) >= 50
    records = [(p.name, TrialRecord.model_validate_json(p.read_text(encoding="utf-8"))) for p in GOLD_RECORDS]
    n, compared, differing = _report(records)
    assert n == len(GOLD_RECORDS) and compared == n * len(TrialRecord.model_fields)
    # every other field comes back identical; contact roles outside the API's enum are the only loss
    assert all(d.endswith(": contacts") for d in differing)


def test_round_trip_over_the_shared_ctgov_records(shared_dir: Path) -> None:
    files = sorted(p for p in (shared_dir / "ctgov").iterdir() if p.suffix in (".xml", ".json"))
    records = [(p.name, r) for p in files for r in load_ctgov_file(p)]
    assert len(records) == 74
    n, compared, differing = _report(records)
    assert differing == []  # CT.gov's own records carry API roles: nothing is lost
