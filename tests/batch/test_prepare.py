"""batch.prepare: the real-time path's requests as Batch API files, split, tied to documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from batch import BatchDir, Limits, prepare, split_custom_id
from extractor.llm import LLMConfig
from tests.batch.conftest import reading_responder, realtime_lines
from tests.fake_openai import FakeOpenAI


def _requests(folder: Path) -> list[dict]:
    return [json.loads(x) for f in sorted(folder.glob("requests-*.jsonl")) for x in f.read_text().splitlines()]


def test_bodies_are_what_the_real_time_path_sends(pages: Path, tmp_path: Path) -> None:
    with FakeOpenAI(reading_responder) as fake:
        realtime_lines(pages, fake)
        sent = [_unstreamed(r.body) for r in fake.requests]
    manifest = prepare([str(pages)], tmp_path / "run", LLMConfig(model=sent[0]["model"]))
    lines = _requests(tmp_path / "run")
    assert manifest["requests"] == len(lines) == len(sent) and manifest["mode"] == "tools"
    bodies = sorted(json.dumps(line["body"], sort_keys=True) for line in lines)
    assert bodies == sorted(json.dumps(body, sort_keys=True) for body in sent)
    assert all(line["url"] == "/v1/chat/completions" and line["method"] == "POST" for line in lines)


def _unstreamed(body: dict[str, Any]) -> dict[str, Any]:
    """The real-time path streams (to tell a slow model from a hung one); a batch engine answers whole."""
    assert body.get("stream") is True
    return {k: v for k, v in body.items() if k not in ("stream", "stream_options")}


def test_files_split_within_limits_and_ids_tie_to_documents(pages: Path, tmp_path: Path) -> None:
    manifest = prepare([str(pages)], tmp_path / "run", LLMConfig(), limits=Limits(max_requests=3, max_bytes=40_000))
    files = manifest["files"]
    assert len(files) >= 4 and all(f["requests"] <= 3 and f["bytes"] <= 40_000 for f in files)
    assert [f["name"] for f in files][:2] == ["requests-001.jsonl", "requests-002.jsonl"]
    ids = [line["custom_id"] for line in _requests(tmp_path / "run")]
    assert len(ids) == len(set(ids)) == manifest["requests"]
    docs = list(BatchDir(tmp_path / "run").documents())
    assert len(docs) == manifest["documents"] == 13 and manifest["unreadable"] == 1
    for cid in ids:
        index, key = split_custom_id(cid)
        assert key in docs[index]["keys"]
    empty = next(d for d in docs if d["id"] == "empty")
    assert empty["keys"] == [] and empty["error"]["error"]["code"]
    for key in ("prompt_hash", "schema_hash", "model", "mode", "prompt_version", "run_id"):
        assert manifest[key]


def test_a_request_larger_than_a_file_is_refused(pages: Path, tmp_path: Path) -> None:
    from extractor.errors import ConfigError

    with pytest.raises(ConfigError, match="larger than"):
        prepare([str(pages)], tmp_path / "run", LLMConfig(), limits=Limits(max_bytes=1000))


def test_prepare_killed_half_way_starts_again(pages: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "requests-001.jsonl.tmp").write_text('{"custom_id": "d0.p0", "bo', encoding="utf-8")  # torn
    (run / "documents.jsonl.tmp").write_text('{"i": 0', encoding="utf-8")
    manifest = prepare([str(pages)], run, LLMConfig())
    assert not list(run.glob("*.tmp"))
    assert len(_requests(run)) == manifest["requests"]
    again = prepare([str(pages)], run, LLMConfig(model="other"))  # prepared: left as it is
    assert again == manifest
