"""The answers received so far, one row per request (`answers.sqlite` in the batch directory).

Output files (downloaded from the Batch API, or written by vLLM's `run_batch`) and error files
are read line by line into SQLite, keyed by `custom_id`: reading a file twice changes nothing, an
answer never gives way to a later error for the same request, and a retry's answer replaces the
error it retried. Documents answered through the real-time path (`retry --realtime`) are kept
whole in a second table. Memory stays bounded however many answers there are.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

__all__ = ["Answers"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (cid TEXT PRIMARY KEY, ok INTEGER NOT NULL, body TEXT, error TEXT);
CREATE TABLE IF NOT EXISTS realtime (doc INTEGER PRIMARY KEY, outcome TEXT NOT NULL);
"""


def _line_answer(item: dict[str, Any]) -> tuple[bool, str | None, str | None]:
    """(ok, completion body, error) for one line of an output or error file."""
    response = item.get("response") or {}
    error = item.get("error")
    status = response.get("status_code")
    body = response.get("body")
    if error is None and status == 200 and isinstance(body, dict):
        return True, json.dumps(body), None
    if error:
        message = error.get("message") if isinstance(error, dict) else str(error)
        code = error.get("code") if isinstance(error, dict) else None
        return False, None, f"{code or 'error'}: {message}"
    detail = (body or {}).get("error", {}) if isinstance(body, dict) else {}
    message = detail.get("message") if isinstance(detail, dict) else None
    return False, None, f"HTTP {status}" + (f": {message}" if message else "")


class Answers:
    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def ingest(self, path: str | Path) -> int:
        """Read one output or error file; the number of lines read."""
        n = 0
        with open(path, encoding="utf-8") as fh, self.db:
            for raw in fh:
                try:
                    item = json.loads(raw)
                except ValueError:
                    continue  # a torn last line of a file still being written
                cid = item.get("custom_id") if isinstance(item, dict) else None
                if not isinstance(cid, str):
                    continue
                ok, body, error = _line_answer(item)
                self.db.execute(
                    "INSERT INTO answers VALUES (?, ?, ?, ?) ON CONFLICT(cid) DO UPDATE SET "
                    "ok = excluded.ok, body = excluded.body, error = excluded.error WHERE excluded.ok >= answers.ok",
                    (cid, int(ok), body, error))
                n += 1
        return n

    def get(self, cid: str) -> tuple[bool, dict[str, Any] | None, str | None] | None:
        row = self.db.execute("SELECT ok, body, error FROM answers WHERE cid = ?", (cid,)).fetchone()
        if row is None:
            return None
        return bool(row[0]), json.loads(row[1]) if row[1] else None, row[2]

    def put_realtime(self, doc: int, outcome: dict[str, Any]) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO realtime VALUES (?, ?)", (doc, json.dumps(outcome)))

    def realtime(self, doc: int) -> dict[str, Any] | None:
        row = self.db.execute("SELECT outcome FROM realtime WHERE doc = ?", (doc,)).fetchone()
        return json.loads(row[0]) if row else None
