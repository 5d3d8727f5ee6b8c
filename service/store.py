"""The durable job queue: jobs, their documents and their results in SQLite (WAL).

A job's documents are inserted in one transaction (a restart mid-upload leaves no half job);
results have UNIQUE(job_id, seq), so a document is never processed into two results; documents
left `running` by a killed server are requeued when the store opens. Workers store results in
batches (`complete_many`, one transaction each): a result is durable once its batch commits.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extractor.sqlite_wal import enable_wal

__all__ = ["Claim", "Finished", "JobInfo", "JobStore", "NewDocument", "QueueFull"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY, owner TEXT NOT NULL, state TEXT NOT NULL, total INTEGER NOT NULL,
  done INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
  created REAL NOT NULL, updated REAL NOT NULL, settings TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
  job_id TEXT NOT NULL, seq INTEGER NOT NULL, doc_id TEXT NOT NULL, source TEXT NOT NULL,
  text TEXT NOT NULL, state TEXT NOT NULL, PRIMARY KEY (job_id, seq));
CREATE INDEX IF NOT EXISTS documents_state ON documents(state);
CREATE INDEX IF NOT EXISTS documents_claim ON documents(state, job_id, seq);
CREATE TABLE IF NOT EXISTS results (
  job_id TEXT NOT NULL, seq INTEGER NOT NULL, line TEXT NOT NULL, UNIQUE(job_id, seq));
"""

FINISHED = ("done", "cancelled")


@dataclass(frozen=True)
class JobInfo:
    id: str
    owner: str
    state: str  # queued | running | done | cancelled
    total: int
    done: int
    failed: int
    created: float
    updated: float


@dataclass(frozen=True)
class NewDocument:
    """A document to queue, or (error_line set) one already answered at upload with its error."""

    doc_id: str
    source: str
    text: str
    error_line: dict[str, Any] | None = None


@dataclass(frozen=True)
class Finished:
    """A document's result line (JSON text) ready to store."""

    job_id: str
    seq: int
    line: str
    failed: bool


@dataclass(frozen=True)
class Claim:
    job_id: str
    seq: int
    doc_id: str
    source: str
    text: str
    settings: dict[str, Any]


class QueueFull(Exception):
    """A job over the queue's or the token's limit: the API answers 429."""


class JobStore:
    """One connection guarded by a lock: every call is a short transaction."""

    def __init__(self, path: Path, *, requeue: bool = True) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        enable_wal(self._db)
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        if requeue:  # only the serving process: a reader (trialx gold export) leaves running claims alone
            self.requeue()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def requeue(self) -> int:
        """Documents a previous process left in progress go back to pending."""
        with self._lock:
            cur = self._db.execute("UPDATE documents SET state='pending' WHERE state='running'")
            return cur.rowcount

    # --- jobs ---------------------------------------------------------------------------
    def create_job(self, owner: str, docs: Iterable[NewDocument], settings: dict[str, Any], *,
                   max_unfinished: int | None = None, max_queue: int | None = None) -> JobInfo:
        """All documents of the job in ONE transaction. The limits are checked inside it, so two
        uploads at once cannot both slip under them; over a limit -> QueueFull, nothing stored."""
        job_id = uuid.uuid4().hex
        now = time.time()
        docs = list(docs) if max_queue is not None else docs
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                if max_unfinished is not None and db.execute(
                        "SELECT COUNT(*) FROM jobs WHERE owner=? AND state IN ('queued','running')",
                        (owner,)).fetchone()[0] >= max_unfinished:
                    raise QueueFull(f"at most {max_unfinished} unfinished jobs per token")
                if max_queue is not None and db.execute(
                        "SELECT COUNT(*) FROM documents WHERE state IN ('pending','running')").fetchone()[0] \
                        + len(docs) > max_queue:  # type: ignore[arg-type]
                    raise QueueFull(f"the queue holds at most {max_queue} documents")
                total = done = failed = 0
                for seq, doc in enumerate(docs, 1):
                    total = seq
                    state = "pending" if doc.error_line is None else "done"
                    db.execute("INSERT INTO documents VALUES (?,?,?,?,?,?)",
                               (job_id, seq, doc.doc_id, doc.source, doc.text, state))
                    if doc.error_line is not None:
                        db.execute("INSERT INTO results VALUES (?,?,?)", (job_id, seq, json.dumps(doc.error_line)))
                        done += 1
                        failed += 1
                state = "done" if done == total else "queued"
                db.execute("INSERT INTO jobs VALUES (?,?,?,?,?,?,?,?,?)",
                           (job_id, owner, state, total, done, failed, now, now, json.dumps(settings)))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return JobInfo(job_id, owner, state, total, done, failed, now, now)

    def _info(self, row: tuple[Any, ...]) -> JobInfo:
        return JobInfo(*row)

    _COLS = "id, owner, state, total, done, failed, created, updated"

    def list_jobs(self, owner: str) -> list[JobInfo]:
        with self._lock:
            rows = self._db.execute(f"SELECT {self._COLS} FROM jobs WHERE owner=? ORDER BY created", (owner,)).fetchall()
        return [self._info(r) for r in rows]

    def get_job(self, job_id: str, owner: str | None = None) -> JobInfo | None:
        """The job, or None when it does not exist or belongs to another owner."""
        with self._lock:
            row = self._db.execute(f"SELECT {self._COLS} FROM jobs WHERE id=?", (job_id,)).fetchone()
        if row is None or (owner is not None and row[1] != owner):
            return None
        return self._info(row)

    def cancel(self, job_id: str) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("UPDATE documents SET state='cancelled' WHERE job_id=? AND state='pending'", (job_id,))
            self._db.execute("UPDATE jobs SET state='cancelled', updated=? WHERE id=? AND state NOT IN ('done','cancelled')",
                             (time.time(), job_id))
            self._db.execute("COMMIT")

    def unfinished_jobs(self, owner: str) -> int:
        with self._lock:
            row = self._db.execute("SELECT COUNT(*) FROM jobs WHERE owner=? AND state IN ('queued','running')",
                                   (owner,)).fetchone()
        return int(row[0])

    def queue_depth(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT COUNT(*) FROM documents WHERE state IN ('pending','running')").fetchone()
        return int(row[0])

    # --- documents and results ------------------------------------------------------------
    def documents(self, job_id: str) -> Iterator[tuple[int, str, str, str]]:
        with self._lock:
            rows = self._db.execute("SELECT seq, doc_id, source, text FROM documents WHERE job_id=? ORDER BY seq",
                                    (job_id,)).fetchall()
        yield from rows

    def document_index(self, job_id: str) -> list[tuple[int, str, str]]:
        """(seq, doc_id, source) of a job's documents, without their texts."""
        with self._lock:
            rows = self._db.execute("SELECT seq, doc_id, source FROM documents WHERE job_id=? ORDER BY seq",
                                    (job_id,)).fetchall()
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    def document_text(self, job_id: str, seq: int) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT text FROM documents WHERE job_id=? AND seq=?", (job_id, seq)).fetchone()
        return None if row is None else str(row[0])

    def result_line(self, job_id: str, seq: int) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT line FROM results WHERE job_id=? AND seq=?", (job_id, seq)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def results(self, job_id: str, after: int = 0) -> Iterator[dict[str, Any]]:
        while rows := self.result_rows(job_id, after):
            for after, line in rows:
                yield line

    def result_rows(self, job_id: str, after: int = 0, limit: int = 1000) -> list[tuple[int, dict[str, Any]]]:
        return [(seq, json.loads(line)) for seq, line in self.result_lines(job_id, after, limit)]

    def result_lines(self, job_id: str, after: int = 0, limit: int = 1000) -> list[tuple[int, str]]:
        """Result lines as stored (JSON text), for streaming without decoding them again."""
        with self._lock:
            rows = self._db.execute("SELECT seq, line FROM results WHERE job_id=? AND seq>? ORDER BY seq LIMIT ?",
                                    (job_id, after, limit)).fetchall()
        return [(int(seq), str(line)) for seq, line in rows]

    def claim(self, limit: int) -> list[Claim]:
        """Up to `limit` pending documents, oldest job first, marked running."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                # oldest job first, by index (no sort of every pending document, texts and all, per claim)
                jobs = db.execute("SELECT id, settings FROM jobs WHERE id IN "
                                  "(SELECT DISTINCT job_id FROM documents WHERE state='pending') "
                                  "ORDER BY created, id").fetchall()
                rows: list[tuple[Any, ...]] = []
                for job_id, settings in jobs:
                    if len(rows) >= limit:
                        break
                    rows += [(*r, settings) for r in db.execute(
                        "SELECT job_id, seq, doc_id, source, text FROM documents "
                        "WHERE state='pending' AND job_id=? ORDER BY seq LIMIT ?", (job_id, limit - len(rows)))]
                now = time.time()
                db.executemany("UPDATE documents SET state='running' WHERE job_id=? AND seq=?",
                               [(r[0], r[1]) for r in rows])
                for job_id in {r[0] for r in rows}:
                    db.execute("UPDATE jobs SET state='running', updated=? WHERE id=? AND state='queued'", (now, job_id))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return [Claim(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]

    def complete(self, job_id: str, seq: int, line: dict[str, Any], failed: bool) -> bool:
        """Store a result once; False if the (job, seq) already had one."""
        return self.complete_many([Finished(job_id, seq, json.dumps(line, ensure_ascii=False), failed)]) == 1

    def complete_many(self, items: Iterable[Finished]) -> int:
        """Store many results in ONE transaction (each once); how many were new.

        All or nothing: a kill before the commit leaves these documents `running`, so they are
        requeued on the next start and processed again (UNIQUE(job_id, seq) keeps one result each).
        """
        batch = list(items)
        if not batch:
            return 0
        counts: dict[str, list[int]] = {}
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                for it in batch:
                    cur = db.execute("INSERT OR IGNORE INTO results VALUES (?,?,?)", (it.job_id, it.seq, it.line))
                    if cur.rowcount == 1:
                        c = counts.setdefault(it.job_id, [0, 0])
                        c[0] += 1
                        c[1] += 1 if it.failed else 0
                db.executemany("UPDATE documents SET state='done' WHERE job_id=? AND seq=?",
                               [(it.job_id, it.seq) for it in batch])
                now = time.time()
                for job_id, (new, failed) in counts.items():
                    db.execute("UPDATE jobs SET done=done+?, failed=failed+?, updated=?, "
                               "state=CASE WHEN state!='cancelled' AND done+?>=total THEN 'done' ELSE state END "
                               "WHERE id=?", (new, failed, now, new, job_id))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return sum(c[0] for c in counts.values())

    def release(self, claims: Iterable[Claim]) -> None:
        """Claims not finished (shutdown) go back to pending."""
        with self._lock:
            for c in claims:
                self._db.execute("UPDATE documents SET state='pending' WHERE job_id=? AND seq=? AND state='running'",
                                 (c.job_id, c.seq))
