"""batch end to end against the fake Batch API: the same lines as the real-time path, every document once."""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest

import importlib
from batch import BatchDir, collect, gather, prepare, refresh, submit
from extractor.llm import LLMConfig
from tests.batch.conftest import comparable, read_lines, reading_responder, realtime_lines
from tests.fake_batch import FakeBatchAPI
from tests.fake_openai import FakeOpenAI

collect_module = importlib.import_module("batch.collect")


def _api(fake: FakeBatchAPI) -> openai.OpenAI:
    return openai.OpenAI(api_key="test-key", base_url=fake.base_url, max_retries=0)


def run_batch(pages: Path, tmp_path: Path, fake: FakeBatchAPI) -> tuple[BatchDir, Path]:
    store = BatchDir(tmp_path / "run")
    prepare([str(pages)], store.path, LLMConfig(model="fake-model"))
    api = _api(fake)
    submit(api, store)
    refresh(api, store)  # validating -> in_progress
    out = tmp_path / "results.jsonl"
    collect(store, out, gather(api, store))  # in_progress -> completed, then download
    return store, out


def test_batch_results_equal_the_real_time_path(pages: Path, tmp_path: Path) -> None:
    with FakeOpenAI(reading_responder) as model:
        expected = realtime_lines(pages, model)
    with FakeBatchAPI(model=FakeOpenAI(reading_responder)) as fake:
        _, out = run_batch(pages, tmp_path, fake)
    got = read_lines(out)
    assert [line["id"] for line in got] == [line["id"] for line in expected]  # input order
    assert [comparable(g) for g in got] == [comparable(e) for e in expected]
    merged = [g for g in got if "record" in g and g["backend"] == "llm"]
    assert len(merged) == 12 and all(g["usage"]["batch"] and g["usage"]["input_tokens"] > 0 for g in merged)
    assert any(g["record"].get("enrollment") for g in merged)
    assert sum(1 for g in got if "error" in g) == 1  # the empty file


def test_vllm_output_files_with_line_errors(pages: Path, tmp_path: Path) -> None:
    """--from-file: a runner's output with 429/500 lines inside it (as vLLM writes them)."""
    store = BatchDir(tmp_path / "run")
    # v3: one request per document, so the two error lines fail two documents
    manifest = prepare([str(pages)], store.path, LLMConfig(model="fake-model", prompt_version="v3"))
    model = FakeOpenAI(reading_responder, by_request=["ok", "429", "ok", "500"])
    with FakeBatchAPI(model=model, errors_in_output=True) as fake:
        api = _api(fake)
        submit(api, store)
        refresh(api, store)
        refresh(api, store)
        output_id = next(b["output_file_id"] for b in fake.batches.values())
        output = tmp_path / "vllm-output.jsonl"
        output.write_bytes(fake.content[output_id])
    assert not next(iter(fake.batches.values()))["error_file_id"]
    summary = collect(store, tmp_path / "results.jsonl", [output])
    got = read_lines(tmp_path / "results.jsonl")
    assert len(got) == manifest["documents"] == summary.documents
    failed = [g for g in got if any(i["code"] == "LLM_FAILED" for i in g.get("issues", []))]
    assert len(failed) == summary.llm_failed == 2 and len(summary.missing) == 2
    assert all("HTTP 429" in json.dumps(f["issues"]) or "HTTP 500" in json.dumps(f["issues"]) for f in failed)
    assert all(f["backend"] == "rules" and f["record"] for f in failed)


def test_bad_answer_is_validated_as_in_real_time(pages: Path, tmp_path: Path) -> None:
    def invented(request: dict) -> dict:
        answer = reading_responder(request)
        answer["quotes"] = {"lead_sponsor": "Sponsored by Globex Corporation"}
        return answer

    with FakeBatchAPI(model=FakeOpenAI(invented)) as fake:
        _, out = run_batch(pages, tmp_path, fake)
    failed = [g for g in read_lines(out) if "record" in g]
    assert failed and all(g["backend"] == "rules" for g in failed)
    assert all("do not occur in the document" in json.dumps(g["issues"]) for g in failed)


def test_crash_during_collect_then_collect_again(pages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeBatchAPI(model=FakeOpenAI(reading_responder)) as fake:
        store, out = run_batch(pages, tmp_path, fake)
        complete = out.read_bytes()
        out.unlink()
        real = collect_module._document_result
        calls = {"n": 0}

        def dying(*args, **kwargs):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            if calls["n"] == 5:
                raise KeyboardInterrupt  # as a kill in the middle of the file
            return real(*args, **kwargs)

        monkeypatch.setattr(collect_module, "_document_result", dying)
        with pytest.raises(KeyboardInterrupt):
            collect(store, out, gather(_api(fake), store))
        assert not out.exists()  # nothing half-written under the real name
        monkeypatch.setattr(collect_module, "_document_result", real)
        collect(store, out, gather(_api(fake), store))
    assert out.read_bytes() == complete
