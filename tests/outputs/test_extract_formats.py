"""`trialx extract --format table|csv|ctgov` end to end, through cli.main.run, on the real rules."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from cli.main import run

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "NCT09876543.txt"


def trialx(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exit_info:
        run(argv)
    return int(exit_info.value.code or 0)


@pytest.fixture()
def batch(tmp_path: Path) -> Path:
    d = tmp_path / "batch"
    d.mkdir()
    (d / "a_sample.txt").write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    (d / "b_empty.txt").write_bytes(b" \n")
    return d


def test_demo_table_fits_one_screen(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    assert trialx(["extract", str(SAMPLE), "--backend", "rules", "--format", "table"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) <= 45 and max(len(line) for line in lines) <= 100
    assert lines[0].startswith("NCT09876543 — Oral Velmarstat")
    assert any(line.startswith("enrollment ") and "540 (ESTIMATED)" in line for line in lines)


def test_csv_out_writes_companions_and_error_rows(batch: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "res" / "results.csv"
    out.parent.mkdir()
    assert trialx(["extract", str(batch), "--backend", "rules", "--format", "csv", "--out", str(out), "--bom"]) == 1
    assert capsys.readouterr().out == ""
    names = sorted(p.name for p in out.parent.iterdir())
    assert names == ["results.arms.csv", "results.contacts.csv", "results.csv", "results.interventions.csv",
                     "results.locations.csv", "results.outcomes.csv"]
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert [(r["id"], r["error_code"]) for r in rows] == [("a_sample", ""), ("b_empty", "EMPTY_INPUT")]
    assert rows[0]["nct_id"] == "NCT09876543"
    arms = list(csv.DictReader((out.parent / "results.arms.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert arms and {a["id"] for a in arms} == {"a_sample"}


def test_ctgov_out_imports_back_to_the_jsonl_records(batch: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert trialx(["extract", str(batch / "a_sample.txt"), "--backend", "rules"]) == 0
    record = json.loads(capsys.readouterr().out)["record"]
    page = tmp_path / "studies.json"
    assert trialx(["extract", str(batch), "--backend", "rules", "--format", "ctgov", "--out", str(page)]) == 1
    assert "b_empty: EMPTY_INPUT" in capsys.readouterr().err  # the failed document is named, not written
    assert trialx(["gold", "import-ctgov", str(page), "--out", str(tmp_path / "records")]) == 0
    back = json.loads((tmp_path / "records" / "NCT09876543.json").read_text(encoding="utf-8"))
    for arm in record["arms"]:  # the study carries the links both ways
        for name in arm["intervention_names"]:
            for intervention in record["interventions"]:
                if intervention["name"] == name and arm["label"] not in intervention["arm_labels"]:
                    intervention["arm_labels"].append(arm["label"])
    assert back == record


@pytest.mark.parametrize("argv, message", [
    (["--format", "xml"], "--format must be one of jsonl, table, csv, ctgov"),
    (["--format", "csv", "--resume", "--out", "x.csv"], "--resume works with --format jsonl only"),
    (["--bom"], "--bom applies to --format csv only"),
    (["--format", "ctgov", "--formula-guard"], "--formula-guard applies to --format csv only"),
    (["--format", "csv", "--full"], "--full applies to --format table only"),
])
def test_bad_format_options_are_usage_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert trialx(["extract", str(SAMPLE), "--backend", "rules", *argv]) == 2
    assert message in capsys.readouterr().err
