"""enable_wal: a fresh database switched to WAL while another connection holds it waits, not fails."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from extractor.sqlite_wal import enable_wal


def _held(path: Path) -> sqlite3.Connection:
    """A second process's connection in the middle of its own switch: the database locked."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    return holder


def test_a_switch_waits_for_a_connection_holding_the_database(tmp_path: Path) -> None:
    """The race between processes switching a new file (seen as "database is locked" at once) is not
    reproducible on demand; a connection holding the file past the busy timeout gives the same error."""
    path = tmp_path / "fresh.sqlite3"
    holder = _held(path)
    conn = sqlite3.connect(path, timeout=0.05, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        conn.execute("PRAGMA journal_mode=WAL")  # a bare switch fails once its busy timeout is out
    releaser = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    releaser.start()
    enable_wal(conn, timeout=10)
    releaser.join()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_database_held_for_good_still_fails_after_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "fresh.sqlite3"
    holder = _held(path)
    conn = sqlite3.connect(path, timeout=0.05, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        enable_wal(conn, timeout=0.3)
    holder.execute("COMMIT")


def test_a_database_already_in_wal_is_not_switched_again(tmp_path: Path) -> None:
    path = tmp_path / "wal.sqlite3"
    enable_wal(sqlite3.connect(path, isolation_level=None))
    reader = sqlite3.connect(path, isolation_level=None)
    sent: list[str] = []
    reader.set_trace_callback(sent.append)
    enable_wal(reader, timeout=0.1)
    assert not any("journal_mode=wal" in s.lower().replace(" ", "") for s in sent), sent
