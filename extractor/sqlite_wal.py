"""SQLite in WAL mode for files several processes open at once (the response cache, the stores).

Switching a new database to WAL needs a moment of exclusive access, and SQLite reports a second
process doing the same as "database is locked" at once, without waiting out its busy timeout: two
`trialx eval` runs started together on a fresh `$TRIALX_HOME` failed that way. The switch is
retried here for a bounded time; a database already in WAL mode needs no switch (WAL persists).
"""

from __future__ import annotations

import sqlite3

from tenacity import retry, retry_if_exception, stop_after_delay, wait_random_exponential

__all__ = ["enable_wal"]


def _locked(exc: BaseException) -> bool:
    # SQLITE_BUSY ("database is locked") clears when the other process is done; SQLITE_LOCKED
    # ("database table is locked", a conflict inside this connection) never does by waiting
    return isinstance(exc, sqlite3.OperationalError) and "database is locked" in str(exc).lower()


def enable_wal(conn: sqlite3.Connection, *, timeout: float = 30.0) -> None:
    """Put the connection's database in WAL mode, retrying for `timeout` seconds while other
    processes do the same; raises sqlite3.OperationalError when it never gets the chance. One try
    may itself wait out the connection's busy timeout, so the worst case is about the two added."""
    @retry(retry=retry_if_exception(_locked), stop=stop_after_delay(timeout),
           wait=wait_random_exponential(multiplier=0.02, max=0.5), reraise=True)
    def switch() -> None:
        if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
            conn.execute("PRAGMA journal_mode=WAL")

    switch()
