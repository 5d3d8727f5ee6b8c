"""Run directories: gold loading, predictions, run info with cost, scores.json from files alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evals.runs import (
    cost_usd,
    load_gold,
    load_prices,
    new_run_dir,
    read_predictions,
    score_run,
    write_predictions,
)
from extractor.errors import ConfigError, GoldError
from tests.builders import make_gold


def line(doc_id: str, record: dict[str, Any], **usage: Any) -> dict[str, Any]:
    return {"id": doc_id, "source": f"{doc_id}.txt", "backend": "llm", "record": record,
            "evidence": {}, "provenance": {}, "issues": [], "usage": usage}


def test_load_gold_validates_records_and_finds_sources(tmp_path: Path) -> None:
    gold = load_gold(make_gold(tmp_path / "g", {"a": {"enrollment": "1,200", "sex": "Both"}}))
    assert gold.records["a"]["enrollment"] == 1200 and gold.records["a"]["sex"] == "ALL"
    assert gold.sources["a"].name == "a.txt"


def test_no_gold_and_bad_gold_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(GoldError) as err:
        load_gold(tmp_path)
    assert err.value.exit_code == 2
    bad = make_gold(tmp_path / "bad", {"a": {"enrollment": "many"}})
    with pytest.raises(GoldError, match="a.json"):
        load_gold(bad)


def test_predictions_round_trip_in_order(tmp_path: Path) -> None:
    write_predictions(tmp_path, [line("b", {}), {"id": "a", "source": "a.txt", "error": {"code": "X", "message": "m"}}])
    assert list(read_predictions(tmp_path)) == ["b", "a"]
    with pytest.raises(ConfigError):
        read_predictions(tmp_path / "nothing")


def test_prices_and_cost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = tmp_path / "prices.json"
    table.write_text(json.dumps({"m1": {"input": 2.0, "output": 10.0}}))
    prices = load_prices(table)
    assert cost_usd("m1", 1_000_000, 100_000, prices) == pytest.approx(3.0)
    assert cost_usd("other", 10, 10, prices) is None
    assert cost_usd(None, 10, 10, prices) is None
    monkeypatch.setenv("TRIALX_PRICES", str(table))
    assert load_prices() == prices
    table.write_text('{"m1": 3}')
    with pytest.raises(ConfigError):
        load_prices(table)


def test_new_run_dir_is_under_trialx_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIALX_HOME", str(tmp_path))
    assert new_run_dir().parent == tmp_path / "runs"


def test_score_run_writes_scores_from_files_only(tmp_path: Path) -> None:
    gold_dir = make_gold(tmp_path / "gold", {
        "d1": {"enrollment": 100, "sex": "ALL", "keywords": ["x"]},
        "d2": {"enrollment": 50, "sex": "FEMALE"},
        "d3": {"enrollment": 10},
    })
    run_dir = tmp_path / "run"
    write_predictions(run_dir, [
        line("d1", {"enrollment": 100, "sex": "ALL", "keywords": []}, model="m1", input_tokens=1000,
             output_tokens=200, cache_hit=True, prompt_version="v1", prompt_hash="abc"),
        line("d2", {"enrollment": 49, "sex": "FEMALE", "acronym": "INVENTED"}, model="m1", input_tokens=500,
             output_tokens=100),
        {"id": "d3", "source": "d3.txt", "error": {"code": "LLM_FAILED", "message": "timeout"}},
    ])
    prices = {"m1": {"input": 1.0, "output": 2.0}}
    run = score_run(run_dir, gold_dir, prices=prices)
    scores = json.loads((run_dir / "scores.json").read_text())
    assert scores == json.loads(json.dumps(run.scores))
    f = scores["fields"]
    assert f["enrollment"] | {"ci": None} == {"score": pytest.approx(1 / 3), "n": 3, "correct": 1, "wrong": 1,
                                              "missing": 1, "extra": 0, "error": 0, "ci": None}
    assert (f["keywords"]["n"], f["keywords"]["missing"]) == (1, 1)
    assert (f["acronym"]["n"], f["acronym"]["extra"]) == (1, 1)
    assert f["sex"]["score"] == 1.0
    assert scores["documents"]["d3"]["error"] == "LLM_FAILED: timeout"
    assert scores["documents"]["d3"]["fields"] == {"enrollment": 0.0}
    assert scores["overall"]["failed_documents"] == 1
    info = scores["run"]
    assert info["tokens"] == {"input": 1500, "output": 300}
    assert info["cost_usd"] == pytest.approx((1500 * 1.0 + 300 * 2.0) / 1e6)
    assert (info["cache_hits"], info["model"], info["prompt_version"], info["prompt_hash"]) == (1, "m1", "v1", "abc")
    assert len(info["schema_hash"]) == 12 and info["gold"] == str(gold_dir.resolve())
    assert (run_dir / "report.html").is_file()
    # rescoring needs no gold argument: the run remembers it
    again = score_run(run_dir)
    assert again.scores["fields"] == run.scores["fields"]
