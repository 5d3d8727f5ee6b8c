"""The ClinicalTrials.gov importer, `trialx gold import-ctgov`, and its agreement with real records."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from cli.main import run
from extractor.importers.ctgov import (
    import_ctgov_file,
    import_ctgov_json,
    import_ctgov_json_all,
    import_ctgov_xml,
    link_arms_interventions,
    load_ctgov_file,
)
from extractor.importers.ctgov_xml import unwrap_textblock
from extractor.errors import CTGovImportError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ctgov"
XML = FIXTURES / "legacy_study.xml"
V2 = FIXTURES / "v2_study.json"

XML_EXPECTED: dict[str, Any] = {
    "nct_id": "NCT09990001",
    "secondary_ids": ["TX-2011-04", "2011-000123-45"],
    "acronym": "STICK",
    "overall_status": "TERMINATED",
    "why_stopped": "Slow accrual",
    "start_date": "2011-03",
    "start_date_type": None,
    "primary_completion_date": "2012-05",
    "primary_completion_date_type": "ACTUAL",
    "completion_date": "2013-06-30",
    "completion_date_type": "ESTIMATED",
    "first_posted_date": "2011-02-01",
    "last_update_date": "2012-07-02",
    "study_type": "INTERVENTIONAL",
    "phases": ["PHASE1", "PHASE2"],
    "allocation": "RANDOMIZED",
    "intervention_model": "PARALLEL",
    "primary_purpose": "SUPPORTIVE_CARE",
    "masking": "DOUBLE",
    "enrollment": 42,
    "enrollment_type": "ACTUAL",
    "conditions": ["Knee Osteoarthritis"],
    "keywords": ["cane", "knee"],
    "brief_summary": "This study tests whether walking sticks reduce knee pain in people with osteoarthritis of the "
    "knee.\n\nParticipants are assigned to a stick or to written advice.",
    "sex": "ALL",
    "minimum_age": "50 Years",
    "maximum_age": None,
    "healthy_volunteers": False,
    "inclusion_criteria": [
        "knee pain on most days of the last month, rated at least 4 on a scale from 0 to 10",
        "able to walk 20 metres without help",
    ],
    "exclusion_criteria": ["knee surgery planned within 6 months"],
    "lead_sponsor": "Example University",
    "collaborators": ["Example Arthritis Fund"],
    "responsible_party": "Example University",
    "locations": [{"facility": "Example Clinic", "city": "Springfield", "state": "Illinois",
                   "country": "United States", "status": "WITHDRAWN"}],
    "contacts": [
        {"name": "Ada Example, RN", "role": "CONTACT", "email": "ada@example.org", "phone": "(555) 010-2000 ext. 12"},
        {"name": "Ben Example", "role": "CONTACT", "email": "ben@example.org", "phone": None},
    ],
    "primary_outcomes": [{"measure": "Knee pain on a 0-10 scale", "time_frame": "12 weeks",
                          "description": "Numeric rating scale"}],
    "secondary_outcomes": [{"measure": "Falls", "time_frame": "12 weeks", "description": None}],
}

V2_EXPECTED: dict[str, Any] = {
    "nct_id": "NCT09990002",
    "secondary_ids": ["SLEEP-7", "R01XX000001"],
    "overall_status": "RECRUITING",
    "start_date": "2023-01-09",
    "start_date_type": "ACTUAL",
    "primary_completion_date": "2025-06",
    "primary_completion_date_type": "ESTIMATED",
    "first_posted_date": "2022-11-30",
    "last_update_date": "2024-02-01",
    "phases": ["NA"],
    "intervention_model": "CROSSOVER",
    "masking": "SINGLE",
    "enrollment": 60,
    "enrollment_type": "ESTIMATED",
    "brief_summary": "Nurses on night shifts use a light box <30 minutes a day.",
    "sex": "FEMALE",
    "minimum_age": "21 Years",
    "maximum_age": None,
    "healthy_volunteers": False,
    "inclusion_criteria": ["Night shift nurse", "Sleep complaint for at least:", "3 months", "3 nights a week"],
    "exclusion_criteria": ["Eye disease with glare >= grade 2"],
    "responsible_party": "Chloe Example, PhD",
    "contacts": [{"name": "Dana Example", "role": "CONTACT", "email": "dana@example.org", "phone": "555-0100 ext. 7"}],
    "locations": [{"facility": "Example Hospital", "city": "Lyon", "state": None, "country": "France",
                   "status": "RECRUITING"}],
}


@pytest.mark.parametrize(("path", "expected"), [(XML, XML_EXPECTED), (V2, V2_EXPECTED)], ids=["xml", "v2"])
def test_fixture_fields(path: Path, expected: dict[str, Any]) -> None:
    record = import_ctgov_file(path).model_dump(mode="json")
    for field, value in expected.items():
        assert record[field] == value, field


def test_xml_links_arms_from_interventions() -> None:
    record = import_ctgov_file(XML)
    assert [(a.label, a.type.value if a.type else None, a.intervention_names) for a in record.arms] == [
        ("Walking stick", "EXPERIMENTAL", ["Walking stick", "Written advice"]),
        ("Advice", "ACTIVE_COMPARATOR", ["Written advice"]),
    ]
    assert [i.other_names for i in record.interventions] == [["Cane"], []]


def test_v2_fills_the_missing_direction_and_drops_type_prefix() -> None:
    record = import_ctgov_file(V2)
    assert [a.intervention_names for a in record.arms] == [["Light box"], ["Dim box"]]
    assert [i.arm_labels for i in record.interventions] == [["Bright light"], ["Dim light"]]


def test_links_stay_per_intervention_when_names_repeat() -> None:
    arms: list[dict[str, Any]] = [{"label": "Dose 1", "intervention_names": []}, {"label": "Dose 2"}]
    interventions: list[dict[str, Any]] = [{"name": "X", "arm_labels": ["Dose 1"]}, {"name": "X", "arm_labels": ["Dose 2"]}]
    link_arms_interventions(arms, interventions)
    assert [i["arm_labels"] for i in interventions] == [["Dose 1"], ["Dose 2"]]
    assert [a["intervention_names"] for a in arms] == [["X"], ["X"]]


def test_v2_page_bare_study_and_protocol_section() -> None:
    study = json.loads(V2.read_text(encoding="utf-8"))
    second = json.loads(json.dumps(study))
    second["protocolSection"]["identificationModule"]["nctId"] = "NCT09990003"
    page = {"studies": [study, second], "nextPageToken": "x"}
    assert [r.nct_id for r in import_ctgov_json_all(page)] == ["NCT09990002", "NCT09990003"]
    assert import_ctgov_json(study["protocolSection"]).nct_id == "NCT09990002"
    with pytest.raises(CTGovImportError, match="expected one study"):
        import_ctgov_json(page)


def test_xml_responsible_party_variants() -> None:
    base = XML.read_text(encoding="utf-8")
    party = "<responsible_party>\n    <responsible_party_type>Sponsor</responsible_party_type>\n  </responsible_party>"
    assert party in base
    pi = base.replace(party, "<responsible_party><responsible_party_type>Principal Investigator</responsible_party_type>"
                      "<investigator_full_name>Eve Example</investigator_full_name></responsible_party>")
    old = base.replace(party, "<responsible_party><name_title>Dr. Old Style</name_title>"
                       "<organization>Old Org</organization></responsible_party>")
    nameless = base.replace(party, "<responsible_party><responsible_party_type>Principal Investigator"
                            "</responsible_party_type></responsible_party>")
    assert import_ctgov_xml(pi).responsible_party == "Eve Example"
    assert import_ctgov_xml(old).responsible_party == "Dr. Old Style"
    assert import_ctgov_xml(nameless).responsible_party is None


def test_xml_old_free_text_study_design() -> None:
    text = XML.read_text(encoding="utf-8")
    start, end = text.index("<study_design_info>"), text.index("</study_design_info>") + len("</study_design_info>")
    old = text[:start] + (
        "<study_design>Allocation: Non-Randomized, Endpoint Classification: Safety Study, Intervention Model: "
        "Single Group Assignment, Masking: Open Label, Primary Purpose: Treatment</study_design>"
    ) + text[end:]
    record = import_ctgov_xml(old)
    assert (record.allocation, record.intervention_model, record.masking, record.primary_purpose) == (
        "NON_RANDOMIZED", "SINGLE_GROUP", "NONE", "TREATMENT")


def test_unwrap_textblock_keeps_paragraphs_and_list_lines() -> None:
    block = """
        First paragraph that was hard
        wrapped here.

        Steps:
          1. one thing
             continued
          2. another
    """
    assert unwrap_textblock(block) == "First paragraph that was hard wrapped here.\n\nSteps:\n1. one thing continued\n2. another"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<clinical_study><id_info>", "not well-formed XML"),
        ("<study/>", "expected <clinical_study>"),
        ('{"protocolSection": ', "not valid JSON"),
        ('{"foo": 1}', "no protocolSection"),
        ("plain text", "expected API v2 JSON"),
        ('{"protocolSection": {"statusModule": {"overallStatus": "SLEEPING"}}}', "overall_status"),
    ],
)
def test_bad_input_raises_import_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CTGovImportError, match=message):
        load_ctgov_file(path)


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        run(argv)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_cli_imports_and_reports_bad_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "broken.xml"
    bad.write_text("<clinical_study>", encoding="utf-8")
    out_dir = tmp_path / "out"
    code, _, err = _run(["gold", "import-ctgov", str(XML), str(bad), str(V2), "--out", str(out_dir)], capsys)
    assert code == 1
    assert sorted(p.name for p in out_dir.iterdir()) == ["NCT09990001.json", "NCT09990002.json"]
    errors = [line for line in err.splitlines() if "error" in line]
    assert len(errors) == 1 and "broken.xml" in errors[0]
    saved = json.loads((out_dir / "NCT09990001.json").read_text(encoding="utf-8"))
    assert saved == import_ctgov_file(XML).model_dump(mode="json")


def test_cli_all_good_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = _run(["gold", "import-ctgov", str(V2), "--out", str(tmp_path)], capsys)
    assert code == 0 and (tmp_path / "NCT09990002.json").is_file()


@pytest.mark.parametrize("argv", [["gold", "import-ctgov", "/no/such/file.xml"], ["gold", "import-ctgov"]])
def test_cli_usage_errors_exit_two(argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run([*argv, "--out", str(tmp_path)], capsys)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err


def test_cli_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["gold", "import-ctgov", "--help"], capsys)
    assert code == 0 and "Example: trialx gold import-ctgov" in out


# ---------- real records in ../shared/ctgov ----------

def _checker() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "ctgov_agreement.py"
    spec = importlib.util.spec_from_file_location("ctgov_agreement", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["ctgov_agreement"] = module
    spec.loader.exec_module(module)
    return module


def test_every_shared_record_imports(shared_dir: Path) -> None:
    paths = sorted((shared_dir / "ctgov").glob("NCT*.*"))
    assert len(paths) >= 70
    for path in paths:
        record = import_ctgov_file(path)
        assert record.nct_id == path.stem


@pytest.mark.parametrize("split", ["odd", "all"])
def test_agreement_with_source_at_least_95_percent(shared_dir: Path, split: str) -> None:
    checker = _checker()
    score, misses = checker.agreement(checker.files(shared_dir / "ctgov", split))
    assert score >= 0.95, misses


def test_checker_catches_a_wrong_import(shared_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checker is no rubber stamp: corrupt the importer and agreement must drop."""
    checker = _checker()
    real = checker.import_ctgov_file

    def corrupt(path: Path) -> Any:
        record = real(path)
        return record.model_copy(update={
            "enrollment": (record.enrollment or 0) + 1,
            "inclusion_criteria": [" ".join(record.inclusion_criteria)] if record.inclusion_criteria else [],
            "phases": [],
        })

    monkeypatch.setattr(checker, "import_ctgov_file", corrupt)
    path = shared_dir / "ctgov" / "NCT02591940.xml"
    result = checker.compare(path)
    assert not result["enrollment"] and not result["inclusion_criteria"]
