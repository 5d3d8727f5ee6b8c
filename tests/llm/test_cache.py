"""The response cache: keys, isolation under $TRIALX_HOME, concurrency across threads and processes."""

from __future__ import annotations

import multiprocessing
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from extractor.llm.cache import ResponseCache, cache_key, cache_path

BASE = {"model": "m", "prompt_hash": "p", "schema_hash": "s", "mode": "tools", "sampling": {"temperature": 0.0},
        "text": "doc"}


def test_key_changes_with_every_component() -> None:
    base = cache_key(**BASE)  # type: ignore[arg-type]
    assert base == cache_key(**BASE)  # type: ignore[arg-type]
    variants = [
        {"model": "m2"}, {"prompt_hash": "p2"}, {"schema_hash": "s2"}, {"mode": "json_schema"},
        {"sampling": {"temperature": 0.5}}, {"text": "doc "},
    ]
    keys = {cache_key(**{**BASE, **v}) for v in variants}  # type: ignore[arg-type]
    assert base not in keys and len(keys) == len(variants)


def test_home_is_read_at_call_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIALX_HOME", str(tmp_path / "a"))
    ResponseCache().put("k", {"v": 1}, model="m", prompt_hash="p")
    assert cache_path() == tmp_path / "a" / "cache.sqlite3"
    monkeypatch.setenv("TRIALX_HOME", str(tmp_path / "b"))
    assert ResponseCache().get("k") is None
    monkeypatch.setenv("TRIALX_HOME", str(tmp_path / "a"))
    assert ResponseCache().get("k") == {"v": 1}


def test_wal_mode_and_damaged_rows() -> None:
    cache = ResponseCache()
    conn = sqlite3.connect(cache.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.execute("INSERT INTO responses VALUES ('bad', 'm', 'p', 0, 'not json')")
    conn.commit()
    conn.close()
    assert cache.get("bad") is None


def test_threads_write_and_read_safely() -> None:
    cache = ResponseCache()

    def work(i: int) -> bool:
        cache.put(f"k{i}", {"i": i}, model="m", prompt_hash="p")
        return cache.get(f"k{i}") == {"i": i}

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert all(pool.map(work, range(200)))
    assert len(cache) == 200


def _writer(path: str, start: int) -> None:
    cache = ResponseCache(Path(path))
    for i in range(start, start + 50):
        cache.put(f"p{i}", {"i": i}, model="m", prompt_hash="p")


def test_processes_write_safely() -> None:
    path = cache_path()
    ResponseCache(path)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), n * 50)) for n in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    cache = ResponseCache(path)
    assert len(cache) == 200 and cache.get("p199") == {"i": 199}
