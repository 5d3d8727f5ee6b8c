"""The response cache: SQLite under `$TRIALX_HOME`, keyed by everything that shapes an answer.

The key is a sha256 over (model, prompt hash, schema hash, mode, sampling params, document
text), so changing any of them misses instead of serving a stale answer. Only the validated
answer is stored, never a request, header or API key. WAL mode and a connection per call make
it safe for threads and for several processes writing at once.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from extractor.home import trialx_home
from extractor.sqlite_wal import enable_wal

__all__ = ["ResponseCache", "cache_key", "cache_path"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    prompt_hash TEXT NOT NULL,
    created REAL NOT NULL,
    value TEXT NOT NULL
)
"""


def cache_path() -> Path:
    return trialx_home() / "cache.sqlite3"


def cache_key(
    *, model: str, prompt_hash: str, schema_hash: str, mode: str, sampling: dict[str, Any], text: str
) -> str:
    material = json.dumps(
        {"model": model, "prompt": prompt_hash, "schema": schema_hash, "mode": mode, "sampling": sampling},
        sort_keys=True,
    )
    digest = hashlib.sha256(material.encode("utf-8"))
    digest.update(b"\0")
    digest.update(text.encode("utf-8"))
    return digest.hexdigest()


class ResponseCache:
    """get/put of JSON answers; each call opens its own connection (threads, processes)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or cache_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            enable_wal(conn)
            conn.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def get(self, key: str) -> dict[str, Any] | None:
        conn = self._connect()
        try:
            row = conn.execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
        finally:
            conn.close()
        if row is None:
            return None
        try:
            value = json.loads(row[0])
        except json.JSONDecodeError:
            return None  # a damaged row is a miss, and the next put replaces it
        return value if isinstance(value, dict) else None

    def put(self, key: str, value: dict[str, Any], *, model: str, prompt_hash: str) -> None:
        data = json.dumps(value, sort_keys=True)
        conn = self._connect()
        try:
            conn.execute(
                "INSERT OR REPLACE INTO responses (key, model, prompt_hash, created, value) VALUES (?, ?, ?, ?, ?)",
                (key, model, prompt_hash, time.time(), data),
            )
        finally:
            conn.close()

    def __len__(self) -> int:
        conn = self._connect()
        try:
            return int(conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0])
        finally:
            conn.close()
