"""Comparing two runs: the acceptance scenario (five of ten documents regress on enrollment)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evals.compare import compare_runs, has_failed, load_run
from evals.runs import score_run, write_predictions


def make_gold(root: Path, records: dict[str, dict[str, Any]]) -> Path:
    (root / "records").mkdir(parents=True)
    (root / "sources").mkdir()
    for doc_id, record in records.items():
        (root / "records" / f"{doc_id}.json").write_text(json.dumps(record), encoding="utf-8")
        (root / "sources" / f"{doc_id}.txt").write_text("text", encoding="utf-8")
    return root


def make_run(run_dir: Path, gold_dir: Path, records: dict[str, dict[str, Any]]) -> Path:
    write_predictions(run_dir, [{"id": i, "source": f"{i}.txt", "backend": "rules", "record": r, "evidence": {},
                                 "provenance": {}, "issues": [], "usage": {}} for i, r in records.items()])
    score_run(run_dir, gold_dir)
    return run_dir


GOLD = {f"doc{i:02d}": {"enrollment": 100 + i, "sex": "ALL", "conditions": ["Asthma", "COPD"]} for i in range(10)}
REGRESSED = {"doc01", "doc03", "doc05", "doc07", "doc09"}


@pytest.fixture()
def runs(tmp_path: Path) -> tuple[Path, Path, Path]:
    gold_dir = make_gold(tmp_path / "gold", GOLD)
    a = make_run(tmp_path / "a", gold_dir, GOLD)
    b_records = {i: {**r, "enrollment": r["enrollment"] + 1} if i in REGRESSED else r for i, r in GOLD.items()}
    b_records["doc00"] = {**GOLD["doc00"], "conditions": ["Asthma", "COPD", "Emphysema"]}  # a graded regression
    b = make_run(tmp_path / "b", gold_dir, b_records)
    return gold_dir, a, b


def test_every_crafted_regression_is_listed(runs: tuple[Path, Path, Path]) -> None:
    _, a, b = runs
    c = compare_runs(load_run(a), load_run(b))
    found = {(r["id"], r["field"]) for r in c["regressions"]}
    assert found == {(i, "enrollment") for i in REGRESSED} | {("doc00", "conditions")}
    reg = next(r for r in c["regressions"] if r["id"] == "doc03")
    assert (reg["gold"], reg["a"], reg["b"]) == (103, 103, 104)
    assert reg["differences"] == ["enrollment: A 103, B 104"]
    cond = next(r for r in c["regressions"] if r["field"] == "conditions")
    assert cond["differences"] == ["conditions[+2]: A (none), B Emphysema"]
    assert c["improvements"] == []


def test_enrollment_delta_interval_and_p_value(runs: tuple[Path, Path, Path]) -> None:
    _, a, b = runs
    c = compare_runs(load_run(a), load_run(b))
    e = c["fields"]["enrollment"]
    assert (e["a"], e["b"], e["delta"], e["n"]) == (1.0, 0.5, -0.5, 10)
    assert e["ci"][0] <= -0.5 <= e["ci"][1] < 0
    assert e["test"] == "mcnemar-exact" and e["p_value"] == pytest.approx(0.0625) and e["p_value"] < 0.1
    assert e["p_adjusted"] >= e["p_value"]
    assert c["fields"]["sex"]["delta"] == 0.0 and c["fields"]["sex"]["p_value"] == 1.0
    assert c["fields"]["conditions"]["test"] == "sign-flip"
    assert has_failed(c)


def test_identical_runs_do_not_fail(runs: tuple[Path, Path, Path]) -> None:
    _, a, _ = runs
    c = compare_runs(load_run(a), load_run(a))
    assert c["regressions"] == [] and c["significantly_worse"] == [] and not has_failed(c)
    assert all(f["delta"] == 0.0 for f in c["fields"].values())


def test_improvements_mirror_regressions(runs: tuple[Path, Path, Path]) -> None:
    _, a, b = runs
    c = compare_runs(load_run(b), load_run(a))
    assert {(r["id"], r["field"]) for r in c["improvements"]} == {(i, "enrollment") for i in REGRESSED} | {("doc00", "conditions")}
    assert c["regressions"] == [] and not has_failed(c)


def test_a_significantly_worse_field_fails_even_without_document_regressions() -> None:
    assert has_failed({"significantly_worse": ["enrollment"], "regressions": []})


def test_a_gold_dir_named_by_the_user_must_be_readable(runs: tuple[Path, Path, Path], tmp_path: Path) -> None:
    """A wrong --gold is the user's mistake to hear about, not a cue to use the runs' own gold."""
    from extractor.errors import GoldError

    _, a, b = runs
    with pytest.raises(GoldError):
        compare_runs(load_run(a), load_run(b), gold_dir=tmp_path / "no-such-gold")
