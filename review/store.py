"""Review state in SQLite (WAL): every change with who made it and when, undo, reviewed marks,
and the sign-in sessions of the review page (only a hash of each session id is kept)."""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from extractor.sqlite_wal import enable_wal
from review.edits import Edit

__all__ = ["Change", "ReviewStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS changes (
  id INTEGER PRIMARY KEY AUTOINCREMENT, job TEXT NOT NULL, doc TEXT NOT NULL, who TEXT NOT NULL,
  at REAL NOT NULL, edit TEXT NOT NULL, undone_by TEXT, undone_at REAL);
CREATE INDEX IF NOT EXISTS changes_doc ON changes(job, doc);
CREATE TABLE IF NOT EXISTS reviewed (
  job TEXT NOT NULL, doc TEXT NOT NULL, who TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (job, doc));
CREATE TABLE IF NOT EXISTS sessions (
  id_hash TEXT PRIMARY KEY, who TEXT NOT NULL, expires REAL NOT NULL, credential TEXT NOT NULL DEFAULT '');
"""


@dataclass(frozen=True)
class Change:
    id: int
    who: str
    at: float
    edit: Edit
    undone: bool = False


class ReviewStore:
    """One connection behind a lock; each call is one short transaction."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        enable_wal(self._db)
        self._db.executescript(_SCHEMA)
        if "credential" not in {row[1] for row in self._db.execute("PRAGMA table_info(sessions)")}:
            # a store from before sessions were bound to a credential: its sessions match none and end
            self._db.execute("ALTER TABLE sessions ADD COLUMN credential TEXT NOT NULL DEFAULT ''")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- changes ---------------------------------------------------------------------------
    def add_change(self, job: str, doc: str, who: str, edit: Edit) -> Change:
        now = time.time()
        with self._lock:
            cur = self._db.execute("INSERT INTO changes (job, doc, who, at, edit) VALUES (?,?,?,?,?)",
                                   (job, doc, who, now, edit.model_dump_json()))
        return Change(int(cur.lastrowid or 0), who, now, edit)

    def changes(self, job: str, doc: str, *, with_undone: bool = False) -> list[Change]:
        """The document's changes, oldest first (undone ones only when asked)."""
        with self._lock:
            rows = self._db.execute("SELECT id, who, at, edit, undone_by FROM changes WHERE job=? AND doc=? ORDER BY id",
                                    (job, doc)).fetchall()
        out = [Change(r[0], r[1], r[2], Edit.model_validate(json.loads(r[3])), r[4] is not None) for r in rows]
        return out if with_undone else [c for c in out if not c.undone]

    def changed_documents(self, job: str) -> dict[str, int]:
        """doc -> how many changes stand."""
        with self._lock:
            rows = self._db.execute("SELECT doc, COUNT(*) FROM changes WHERE job=? AND undone_by IS NULL GROUP BY doc",
                                    (job,)).fetchall()
        return {r[0]: int(r[1]) for r in rows}

    def undo_last(self, job: str, doc: str, who: str) -> Change | None:
        """Undo the document's last standing change (whoever made it; the undo is kept too)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute("SELECT id, who, at, edit FROM changes WHERE job=? AND doc=? AND undone_by IS NULL "
                                   "ORDER BY id DESC LIMIT 1", (job, doc)).fetchone()
            if row is not None:
                self._db.execute("UPDATE changes SET undone_by=?, undone_at=? WHERE id=?", (who, time.time(), row[0]))
            self._db.execute("COMMIT")
        return None if row is None else Change(row[0], row[1], row[2], Edit.model_validate(json.loads(row[3])), True)

    # --- reviewed marks ---------------------------------------------------------------------
    def mark_reviewed(self, job: str, doc: str, who: str, reviewed: bool = True) -> None:
        with self._lock:
            if reviewed:
                self._db.execute("INSERT OR REPLACE INTO reviewed VALUES (?,?,?,?)", (job, doc, who, time.time()))
            else:
                self._db.execute("DELETE FROM reviewed WHERE job=? AND doc=?", (job, doc))

    def reviewed(self, job: str) -> dict[str, tuple[str, float]]:
        """doc -> (who marked it reviewed, when)."""
        with self._lock:
            rows = self._db.execute("SELECT doc, who, at FROM reviewed WHERE job=?", (job,)).fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}

    # --- sessions -----------------------------------------------------------------------------
    def new_session(self, who: str, credential: str = "", ttl_s: float = 12 * 3600) -> str:
        """A fresh random session id for `who` (the cookie's value); only its hash is stored, with
        `credential`, a fingerprint of the credential `who` signed in with (not the credential)."""
        sid = secrets.token_urlsafe(32)
        now = time.time()
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE expires < ?", (now,))
            self._db.execute("INSERT INTO sessions (id_hash, who, expires, credential) VALUES (?,?,?,?)",
                             (_hash(sid), who, now + ttl_s, credential))
        return sid

    def session_user(self, sid: str) -> tuple[str, str] | None:
        """(who, credential fingerprint) of a live session, else None."""
        with self._lock:
            row = self._db.execute("SELECT who, expires, credential FROM sessions WHERE id_hash=?",
                                   (_hash(sid),)).fetchone()
        return (str(row[0]), str(row[2])) if row is not None and row[1] > time.time() else None

    def end_session(self, sid: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE id_hash=?", (_hash(sid),))


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()
