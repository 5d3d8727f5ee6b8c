"""`trialx batch ...`: the five commands against the fake Batch API, cost at the batch price, kill -9."""

from __future__ import annotations

import json
import os
import multiprocessing
import signal
import time
from pathlib import Path

import pytest

from cli.main import run
from evals import batch_cost_usd
from evals.runs import run_info
from tests.batch.conftest import comparable, pages, read_lines, reading_responder, realtime_lines  # noqa: F401 - pages is a fixture
from tests.fake_batch import FakeBatchAPI
from tests.fake_openai import FakeOpenAI

def trialx(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exit_info:
        run(argv)
    return int(exit_info.value.code or 0)


def test_the_commands_end_to_end(pages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    with FakeOpenAI(reading_responder) as model:
        expected = realtime_lines(pages, model)
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"fake-model": {"input": 1.0, "output": 4.0}}), encoding="utf-8")
    run_dir, out = tmp_path / "run", tmp_path / "results.jsonl"
    with FakeBatchAPI(model=FakeOpenAI(reading_responder), outcomes=["expired"]) as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
        assert trialx(["batch", "prepare", str(pages), "--out", str(run_dir), "--model", "fake-model"]) == 0
        assert trialx(["batch", "submit", str(run_dir)]) == 0
        assert trialx(["batch", "submit", str(run_dir)]) == 0
        assert fake.creates == 1
        capsys.readouterr()
        assert trialx(["batch", "status", str(run_dir)]) == 0
        assert json.loads(capsys.readouterr().out)["status"] == "in_progress"
        assert trialx(["batch", "collect", str(run_dir), "--out", str(out), "--prices", str(prices)]) == 0
        err = capsys.readouterr().err
        assert "6 LLM_FAILED" in err and "batch retry" in err and "at the batch price" in err
        assert trialx(["batch", "retry", str(run_dir)]) == 0
        assert fake.creates == 2
        assert trialx(["batch", "status", str(run_dir)]) == 0
        assert trialx(["batch", "collect", str(run_dir), "--out", str(out)]) == 0
    got = read_lines(out)
    assert [comparable(g) for g in got] == [comparable(e) for e in expected]
    assert "sk-test-secret" not in "".join(p.read_text(errors="replace") for p in run_dir.rglob("*") if p.is_file())


def test_collect_writes_every_format_from_the_same_answers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    for n in range(3):
        (pages / f"doc_{n}.txt").write_text(f"Trial {n}\nNCT{n:08d}\nEnrollment: {n + 10} participants\n", encoding="utf-8")
    run_dir = tmp_path / "run"
    assert trialx(["batch", "prepare", str(pages), "--out", str(run_dir), "--model", "fake-model"]) == 0
    answers = tmp_path / "answers.jsonl"
    answers.write_bytes(FakeBatchAPI(model=FakeOpenAI(reading_responder)).run_file((run_dir / "requests-001.jsonl").read_bytes()))
    base = ["batch", "collect", str(run_dir), "--from-file", str(answers)]
    assert trialx([*base, "--out", str(tmp_path / "r.jsonl")]) == 0
    ids = [line["id"] for line in read_lines(tmp_path / "r.jsonl")]
    assert trialx([*base, "--out", str(tmp_path / "r.csv"), "--format", "csv", "--bom"]) == 0
    csv_text = (tmp_path / "r.csv").read_text(encoding="utf-8")
    assert csv_text.startswith("\ufeff") and [row.split(",")[0] for row in csv_text.splitlines()[1:]] == ids
    assert (tmp_path / "r.arms.csv").exists()  # companions beside --out, named after it
    assert trialx([*base, "--out", str(tmp_path / "r.json"), "--format", "ctgov"]) == 0
    assert len(json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["studies"]) == 3
    capsys.readouterr()
    assert trialx([*base, "--out", str(tmp_path / "r.txt"), "--format", "xml"]) == 2
    assert trialx([*base, "--out", str(tmp_path / "r.txt"), "--bom"]) == 2
    assert "--bom applies to --format csv only" in capsys.readouterr().err


def test_collect_needs_a_prepared_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert trialx(["batch", "collect", str(tmp_path), "--out", str(tmp_path / "r.jsonl"), "--from-file", "x"]) == 2
    assert "not a prepared batch directory" in capsys.readouterr().err


def test_batch_tokens_cost_half_unless_the_table_says() -> None:
    tokens = {"batch": {"input": 1_000_000, "output": 1_000_000}, "realtime": {"input": 0, "output": 0}}
    assert batch_cost_usd("m", tokens, {"m": {"input": 1.0, "output": 4.0}}) == 2.5
    assert batch_cost_usd("m", tokens, {"m": {"input": 1.0, "output": 4.0, "batch_input": 0.8, "batch_output": 2.0}}) == 2.8
    lines = {"a": {"record": {}, "backend": "llm", "usage": {"model": "m", "input_tokens": 1_000_000, "output_tokens": 0, "batch": True}},
             "b": {"record": {}, "backend": "llm", "usage": {"model": "m", "input_tokens": 1_000_000, "output_tokens": 0}}}
    assert run_info(lines, prices={"m": {"input": 1.0, "output": 4.0}})["cost_usd"] == 1.5  # trialx eval/score of batch lines


def _kill_when(proc: multiprocessing.process.BaseProcess, ready: Path) -> None:
    """SIGKILL `proc` once `ready` (a file it streams into) has some content: a kill -9 mid-write."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.is_alive():
        if ready.exists() and ready.stat().st_size > 2000:
            proc.kill()
            break
        time.sleep(0.005)
    proc.join()


def _command(argv: list[str]) -> None:
    try:
        run(argv)
    finally:
        os._exit(0)


def test_kill_9_in_prepare_and_in_collect(tmp_path: Path) -> None:
    """A forked `trialx batch prepare` / `collect` killed with SIGKILL mid-way; the same command again."""
    pages = tmp_path / "pages"
    pages.mkdir()
    for n in range(150):
        (pages / f"doc_{n:03d}.txt").write_text(f"Trial {n}\nNCT{n:08d}\nEnrollment: {n + 10} participants\n" * 3,
                                                encoding="utf-8")
    run_dir, out = tmp_path / "run", tmp_path / "results.jsonl"
    fork = multiprocessing.get_context("fork")
    prepare_argv = ["batch", "prepare", str(pages), "--out", str(run_dir), "--model", "fake-model"]
    proc = fork.Process(target=_command, args=(prepare_argv,))
    proc.start()
    _kill_when(proc, run_dir / "rules.jsonl.tmp")
    assert proc.exitcode == -signal.SIGKILL and not (run_dir / "manifest.json").exists()
    assert trialx(prepare_argv) == 0
    answers = tmp_path / "answers.jsonl"
    answers.write_bytes(FakeBatchAPI(model=FakeOpenAI(reading_responder)).run_file((run_dir / "requests-001.jsonl").read_bytes()))
    collect_argv = ["batch", "collect", str(run_dir), "--out", str(out), "--from-file", str(answers)]
    proc = fork.Process(target=_command, args=(collect_argv,))
    proc.start()
    _kill_when(proc, Path(str(out) + ".tmp"))
    assert proc.exitcode == -signal.SIGKILL and not out.exists()
    assert trialx(collect_argv) == 0
    lines = read_lines(out)
    assert [g["id"] for g in lines] == [f"doc_{n:03d}" for n in range(150)]
    assert all(g["backend"] == "llm" for g in lines)


def test_score_a_run_made_from_batch_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Batch results saved as a run's predictions: `trialx score` costs them at the batch price."""
    from tests.builders import make_gold

    gold = make_gold(tmp_path / "gold", {f"g{n}": {"nct_id": f"NCT0{n}000000", "enrollment": 30 + n} for n in range(3)})
    for n in range(3):
        (gold / "sources" / f"g{n}.txt").write_text(f"Trial {n}\nNCT0{n}000000\n{30 + n} participants\n", encoding="utf-8")
    run_dir = tmp_path / "run"
    with FakeOpenAI(reading_responder) as model:
        from batch import BatchDir, collect, prepare
        from extractor.llm import LLMConfig
        from tests.fake_openai import respond

        prepare([str(gold / "sources")], run_dir, LLMConfig(model="fake-model"))
        answers = tmp_path / "answers.jsonl"
        with answers.open("w") as fh:
            for raw in (run_dir / "requests-001.jsonl").read_text().splitlines():
                line = json.loads(raw)
                status, body = respond(model, line["body"])
                fh.write(json.dumps({"custom_id": line["custom_id"], "response": {"status_code": status, "body": body}}) + "\n")
    scored = tmp_path / "scored"
    scored.mkdir()
    collect(BatchDir(run_dir), scored / "predictions.jsonl", [answers])
    lines = read_lines(scored / "predictions.jsonl")
    tokens_in = sum(g["usage"]["input_tokens"] for g in lines)
    tokens_out = sum(g["usage"]["output_tokens"] for g in lines)
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"fake-model": {"input": 2.0, "output": 8.0}}), encoding="utf-8")
    assert trialx(["score", str(scored), "--gold", str(gold), "--prices", str(prices)]) == 0
    info = json.loads((scored / "run.json").read_text())
    assert info["cost_usd"] == round((tokens_in * 1.0 + tokens_out * 4.0) / 1e6, 6) > 0
