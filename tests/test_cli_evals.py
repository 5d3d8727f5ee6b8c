"""`trialx eval|score|compare` end to end through cli.main.run (exit codes, files, JSON shape)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cli.main import run
from extractor.result import ExtractionResult, Usage
from extractor.schema import TrialRecord
from tests.builders import make_gold

GOLD = {f"doc{i:02d}": {"enrollment": 100 + i, "sex": "ALL"} for i in range(10)}
REGRESSED = {"doc02", "doc04", "doc06", "doc08", "doc09"}


def make_run(run_dir: Path, records: dict[str, dict[str, Any]]) -> Path:
    run_dir.mkdir(parents=True)
    with (run_dir / "predictions.jsonl").open("w") as fh:
        for i, r in records.items():
            fh.write(json.dumps({"id": i, "source": f"{i}.txt", "backend": "rules", "record": r}) + "\n")
    return run_dir


def trialx(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        run(args)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


@pytest.fixture()
def fake_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pipeline's rules step replaced by a reader of 'Enrollment: N' (no model, known answers)."""

    def extract(doc_id: str, source: str, text: str, *, checks: bool = True) -> ExtractionResult:
        n = int(text.split(":")[1])
        record = TrialRecord(enrollment=n, sex="ALL" if n % 2 == 0 else None)
        return ExtractionResult(id=doc_id, source=source, backend="rules", record=record,
                                usage=Usage(input_tokens=10, output_tokens=5))

    monkeypatch.setattr("extractor.rules.backend.extract_rules_result", extract)


def test_eval_writes_the_run_dir_and_prints_the_table(tmp_path: Path, fake_rules: None,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    gold = make_gold(tmp_path / "gold", GOLD)
    out = tmp_path / "run"
    code, stdout, err = trialx(["eval", "--gold", str(gold), "--backend", "rules", "--out", str(out)], capsys)
    assert code == 0, err
    assert "enrollment" in stdout and "sex" in stdout
    lines = [json.loads(x) for x in (out / "predictions.jsonl").read_text().splitlines()]
    assert [x["id"] for x in lines] == sorted(GOLD)
    scores = json.loads((out / "scores.json").read_text())
    assert scores["fields"]["enrollment"]["score"] == 1.0
    assert (scores["fields"]["sex"]["correct"], scores["fields"]["sex"]["missing"]) == (5, 5)
    assert scores["run"]["backend"] == "rules" and scores["run"]["tokens"] == {"input": 100, "output": 50}
    assert (out / "report.html").is_file()
    code, _, err = trialx(["eval", "--gold", str(gold), "--backend", "rules", "--out", str(tmp_path / "r2"),
                           "--min-score", "sex=0.9", "--min-score", "overall=0.5"], capsys)
    assert code == 1 and "sex score 0.500 is below --min-score 0.9" in err and "overall" not in err


def test_eval_default_run_dir_is_under_trialx_home(tmp_path: Path, fake_rules: None,
                                                    capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    gold = make_gold(tmp_path / "gold", {"doc00": GOLD["doc00"]})
    home = tmp_path / "home"
    monkeypatch.setenv("TRIALX_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    code, _, _ = trialx(["eval", "--gold", str(gold), "--backend", "rules"], capsys)
    assert code == 0
    runs = list((home / "runs").iterdir())
    assert len(runs) == 1 and (runs[0] / "scores.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gold", "home"]


def test_eval_two_models_writes_both_runs_and_the_comparison(tmp_path: Path, fake_rules: None,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    gold = make_gold(tmp_path / "gold", {"doc00": GOLD["doc00"], "doc01": GOLD["doc01"]})
    out = tmp_path / "run"
    code, _, err = trialx(["eval", "--gold", str(gold), "--backend", "rules", "--model", "m1", "--model", "m2",
                           "--out", str(out)], capsys)
    assert code == 0, err
    assert (out / "model-m1" / "scores.json").is_file() and (out / "model-m2" / "scores.json").is_file()
    comparison = json.loads((out / "compare.json").read_text())
    assert comparison["a"]["model"] == "m1" and comparison["b"]["model"] == "m2"
    assert (out / "compare.html").is_file()


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = trialx(["eval", "--gold", str(tmp_path), "--backend", "rules"], capsys)
    assert code == 2 and err.count("\n") == 1 and "no gold found" in err
    gold = make_gold(tmp_path / "gold", {"doc00": GOLD["doc00"]})
    code, _, err = trialx(["eval", "--gold", str(gold), "--min-score", "nonsense=0.5"], capsys)
    assert code == 2 and "unknown field" in err
    code, _, err = trialx(["score", str(tmp_path / "missing")], capsys)
    assert code == 2
    code, _, err = trialx(["compare", str(tmp_path), str(tmp_path)], capsys)
    assert code == 2 and "scores.json" in err


def test_score_then_compare_json_and_fail_on_regression(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold = make_gold(tmp_path / "gold", GOLD)
    a = make_run(tmp_path / "a", GOLD)
    b = make_run(tmp_path / "b", {i: {**r, "enrollment": r["enrollment"] * 2} if i in REGRESSED else r
                                  for i, r in GOLD.items()})
    for run_dir in (a, b):
        code, stdout, err = trialx(["score", str(run_dir), "--gold", str(gold)], capsys)
        assert code == 0, err
        assert (run_dir / "scores.json").is_file() and (run_dir / "report.html").is_file()
    code, stdout, _ = trialx(["compare", str(a), str(b), "--json"], capsys)
    assert code == 0
    c = json.loads(stdout)
    assert set(c) >= {"a", "b", "fields", "regressions", "improvements"}
    assert {(r["id"], r["field"]) for r in c["regressions"]} == {(i, "enrollment") for i in REGRESSED}
    assert all(set(r) >= {"id", "field", "gold", "a", "b"} for r in c["regressions"])
    e = c["fields"]["enrollment"]
    assert set(e) >= {"a", "b", "delta", "ci", "p_value", "p_adjusted"}
    assert e["delta"] == -0.5 and e["ci"][1] < 0 and e["p_value"] < 0.1
    code, _, _ = trialx(["compare", str(a), str(b), "--json", "--fail-on-regression"], capsys)
    assert code == 1
    code, stdout, _ = trialx(["compare", str(a), str(a), "--fail-on-regression", "--out", str(tmp_path / "cmp")], capsys)
    assert code == 0 and "enrollment" in stdout
    assert (tmp_path / "cmp" / "compare.json").is_file() and (tmp_path / "cmp" / "compare.html").is_file()
