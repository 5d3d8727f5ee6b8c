"""batch.rounds: idempotent submit, finished/expired/cancelled/failed batches, retry rounds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import openai
import pytest

from batch import BatchDir, batches, collect, gather, prepare, refresh, retry, submit
from extractor.errors import ConfigError
from extractor.llm import LLMConfig
from tests.batch.conftest import comparable, read_lines, reading_responder, realtime_lines
from tests.fake_batch import FakeBatchAPI
from tests.fake_openai import FakeOpenAI


PROMPT = "v3"


def _api(fake: FakeBatchAPI) -> openai.OpenAI:
    return openai.OpenAI(api_key="test-key", base_url=fake.base_url, max_retries=0)


def _prepared(pages: Path, tmp_path: Path, **limits: int) -> BatchDir:
    from batch import Limits

    store = BatchDir(tmp_path / "run")
    # v3: one request per document, so the counts below (requests, files, batches, retries) are documents;
    # the default stepwise prompt goes through the same rounds in tests/test_cli_batch.py
    prepare([str(pages)], store.path, LLMConfig(model="fake-model", prompt_version=PROMPT), limits=Limits(**limits))
    return store


def _finish(api: openai.OpenAI, store: BatchDir) -> list[Path]:
    refresh(api, store)
    return gather(api, store)


def _accounted(out: Path, store: BatchDir) -> list[dict]:
    lines = read_lines(out)
    assert [line["id"] for line in lines] == [d["id"] for d in store.documents()]  # each once, in order
    return lines


def _failed(lines: list[dict]) -> list[dict]:
    return [g for g in lines if any(i["code"] == "LLM_FAILED" for i in g.get("issues", []))]


def test_submit_twice_creates_no_second_batch(pages: Path, tmp_path: Path) -> None:
    store = _prepared(pages, tmp_path, max_requests=5)
    with FakeBatchAPI(model=FakeOpenAI(reading_responder)) as fake:
        first = submit(_api(fake), store)
        second = submit(_api(fake), store)
    assert first == second and len(first) == 3 and fake.creates == 3 and fake.uploads == 3


def test_submit_with_a_limit_leaves_the_rest_for_later(pages: Path, tmp_path: Path) -> None:
    store = _prepared(pages, tmp_path, max_requests=5)
    with FakeBatchAPI(model=FakeOpenAI(reading_responder)) as fake:
        assert submit(_api(fake), store, limit=2) == ["batch_1", "batch_2"]
        assert submit(_api(fake), store, limit=2) == ["batch_1", "batch_2", "batch_3"]
        assert fake.creates == 3


def test_crash_between_create_and_journal_makes_no_duplicate(pages: Path, tmp_path: Path) -> None:
    store = _prepared(pages, tmp_path)
    with FakeBatchAPI(model=FakeOpenAI(reading_responder), crash_after_create=True) as fake:
        with pytest.raises(Exception):
            submit(_api(fake), store)
        assert fake.creates == 1 and not batches(store)
        ids = submit(_api(fake), store)  # finds the batch by its metadata
        assert fake.creates == 1 and ids == ["batch_1"] and fake.uploads == 1


def test_collect_waits_for_running_batches(pages: Path, tmp_path: Path) -> None:
    store = _prepared(pages, tmp_path)
    with FakeBatchAPI(model=FakeOpenAI(reading_responder)) as fake:
        submit(_api(fake), store)
        with pytest.raises(ConfigError, match="still running"):
            gather(_api(fake), store)


@pytest.mark.parametrize("outcome", ["expired", "cancelled", "failed"])
def test_lost_requests_are_flagged_then_retried(pages: Path, tmp_path: Path, outcome: str) -> None:
    with FakeOpenAI(reading_responder) as model:
        expected = realtime_lines(pages, model, PROMPT)
    store = _prepared(pages, tmp_path)
    out = tmp_path / "results.jsonl"
    with FakeBatchAPI(model=FakeOpenAI(reading_responder), outcomes=[outcome], partial=0.5) as fake:
        api = _api(fake)
        submit(api, store)
        if outcome == "cancelled":
            api.batches.cancel("batch_1")
        summary = collect(store, out, _finish(api, store))
        lost = _failed(_accounted(out, store))
        n = 12 if outcome == "failed" else 6
        assert len(lost) == summary.llm_failed == n and all(g["backend"] == "rules" for g in lost)
        sent = retry(store, _finish(api, store), api=api)
        assert sent["failed"] == n and sent["files"] == ["retry1-001.jsonl"]
        with pytest.raises(ConfigError, match="still running"):  # the round is running: no new one
            retry(store, [], api=api)
        assert fake.creates == 2
        refresh(api, store)
        collect(store, out, _finish(api, store))
    lines = _accounted(out, store)
    assert not _failed(lines)
    assert [comparable(g) for g in lines] == [comparable(e) for e in expected]


def test_five_percent_error_lines(tmp_path: Path) -> None:
    pages = tmp_path / "many"
    pages.mkdir()
    for n in range(60):
        (pages / f"doc_{n:03d}.txt").write_text(f"Trial {n}\nNCT{n:08d}\nEnrollment: {n + 10} participants\n", encoding="utf-8")
    faults = ["ok"] * 60
    faults[7], faults[30], faults[51] = "429", "500", "429"
    store = _prepared(pages, tmp_path)
    out = tmp_path / "results.jsonl"
    with FakeBatchAPI(model=FakeOpenAI(reading_responder, by_request=faults)) as fake:
        api = _api(fake)
        submit(api, store)
        summary = collect(store, out, _finish(api, store))
        assert len(_failed(_accounted(out, store))) == summary.llm_failed == 3
        assert retry(store, _finish(api, store), api=api)["failed"] == 3
        refresh(api, store)
        collect(store, out, _finish(api, store))
    lines = _accounted(out, store)
    assert not _failed(lines) and len(lines) == 60


@contextmanager
def _expired_batch(pages: Path, tmp_path: Path) -> Iterator[tuple[BatchDir, Any, Path, list[Path]]]:
    """A run whose one batch expired: (store, api, results path, the files to collect from)."""
    store = _prepared(pages, tmp_path)
    with FakeBatchAPI(model=FakeOpenAI(reading_responder), outcomes=["expired"]) as fake:
        api = _api(fake)
        submit(api, store)
        yield store, api, tmp_path / "results.jsonl", _finish(api, store)


def test_retry_through_the_real_time_path(pages: Path, tmp_path: Path) -> None:
    with _expired_batch(pages, tmp_path) as (store, _, out, files):
        with FakeOpenAI(reading_responder) as model:
            sent = retry(store, files, realtime=True, base_url=model.base_url)
            assert sent["realtime_documents"] == 6 and len(model.requests) == 6
    collect(store, out, files)
    lines = _accounted(out, store)
    assert not _failed(lines)
    assert sum(1 for g in lines if "usage" in g and g["usage"]["batch"]) == 6  # the rest: real-time price


def test_retry_for_a_runner_writes_new_files(tmp_path: Path) -> None:
    """vLLM: no API; the failed lines are written as retry1-*.jsonl, and their outputs complete the run."""
    pages = tmp_path / "p"
    pages.mkdir()
    for n in range(10):
        (pages / f"d{n}.txt").write_text(f"Trial {n}\nNCT{n:08d}\n", encoding="utf-8")
    store = _prepared(pages, tmp_path)
    fake = FakeBatchAPI(model=FakeOpenAI(reading_responder, by_request=["ok", "ok", "500"]))
    first, second = tmp_path / "out1.jsonl", tmp_path / "out2.jsonl"
    first.write_bytes(fake.run_file((store.path / "requests-001.jsonl").read_bytes()))
    sent = retry(store, [first])
    assert sent["failed"] == 1 and sent["files"] == ["retry1-001.jsonl"]
    assert len((store.path / "retry1-001.jsonl").read_text().splitlines()) == 1
    second.write_bytes(fake.run_file((store.path / "retry1-001.jsonl").read_bytes()))
    out = tmp_path / "results.jsonl"
    collect(store, out, [first, second])
    assert not _failed(_accounted(out, store))


def test_a_real_time_retry_that_fails_leaves_the_batch_retry_open(pages: Path, tmp_path: Path) -> None:
    with _expired_batch(pages, tmp_path) as (store, api, out, files):
        with FakeOpenAI(reading_responder, per_document=["not_json"] * 3) as model:
            assert retry(store, files, realtime=True, base_url=model.base_url)["realtime_documents"] == 6
        collect(store, out, files)
        assert len(_failed(_accounted(out, store))) == 6  # the real-time path failed too: still flagged
        assert retry(store, files, api=api)["failed"] == 6  # and still listed for a batch retry
        refresh(api, store)
        collect(store, out, _finish(api, store))
    assert not _failed(_accounted(out, store))
