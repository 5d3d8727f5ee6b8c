"""`trialx check`: issues of a record file or of extract results, as JSON Lines; exit 1 on errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import run


def trialx(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exit_info:
        run(argv)
    return int(exit_info.value.code or 0)


def issues(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def test_record_file_with_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "NCT01234567.json"
    path.write_text(json.dumps({"nct_id": "NCT01234567", "start_date": "2024-06", "completion_date": "2024-01",
                                "overall_status": "Recruiting", "why_stopped": "Funding"}), encoding="utf-8")
    assert trialx(["check", str(path)]) == 1
    found = issues(capsys.readouterr().out)
    assert {i["code"] for i in found} == {"DATE_ORDER", "WHY_STOPPED_STATUS"}
    assert all(i["id"] == "NCT01234567" and set(i) == {"id", "code", "severity", "paths", "message"} for i in found)


def test_clean_record_exits_0_and_prints_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"nct_id": "NCT01234567", "enrollment": 40}), encoding="utf-8")
    assert trialx(["check", str(path)]) == 0
    assert capsys.readouterr().out == ""


def test_raw_nct_id_is_reported_not_a_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"nct_id": "NCT-1234"}), encoding="utf-8")
    assert trialx(["check", str(path)]) == 1
    codes = [i["code"] for i in issues(capsys.readouterr().out)]
    assert codes == ["NCT_ID_FORM", "INVALID_RECORD"]


def test_jsonl_results_with_source_grounding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "doc1.txt").write_text("Sponsor: Acme Health\nEnrollment: 30\n", encoding="utf-8")
    (src / "doc2.txt").write_text("Sponsor: Other Org\n", encoding="utf-8")
    results = tmp_path / "results.jsonl"
    rows = [
        {"id": "doc1", "source": "doc1.txt", "backend": "rules", "record": {"lead_sponsor": "Acme Health", "enrollment": 31}},
        {"id": "bad", "source": "bad.txt", "error": {"code": "EMPTY_INPUT", "message": "empty"}},
        {"id": "doc2", "source": "doc2.txt", "backend": "rules", "record": {"lead_sponsor": "Other Org"}},
    ]
    results.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert trialx(["check", str(results)]) == 0
    assert capsys.readouterr().out == ""
    assert trialx(["check", str(results), "--source", str(src)]) == 0
    found = issues(capsys.readouterr().out)
    assert [(i["id"], i["code"], i["paths"]) for i in found] == [("doc1", "UNGROUNDED_VALUE", ["enrollment"])]


def test_missing_files_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert trialx(["check", str(tmp_path / "none.json")]) == 2
    record = tmp_path / "r.json"
    record.write_text("{}", encoding="utf-8")
    assert trialx(["check", str(record), "--source", str(tmp_path / "none.txt")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("trialx: error:") for line in err)
