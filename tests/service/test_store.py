from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from service.store import JobStore, NewDocument


def docs(n: int) -> list[NewDocument]:
    return [NewDocument(f"d{i}", f"d{i}", f"text {i}") for i in range(n)]


def test_a_failed_upload_leaves_no_half_job(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "s.sqlite")

    def broken() -> Iterator[NewDocument]:
        yield from docs(3)
        raise RuntimeError("connection dropped mid-upload")

    with pytest.raises(RuntimeError):
        store.create_job("alice", broken(), {})
    assert store.list_jobs("alice") == [] and store.queue_depth() == 0


def test_a_document_gets_one_result_and_running_ones_are_requeued(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    store = JobStore(path)
    job = store.create_job("alice", docs(3), {"backend": "rules"})
    claims = store.claim(2)
    assert [c.seq for c in claims] == [1, 2]
    assert store.complete(job.id, 1, {"id": "d0"}, failed=False)
    assert not store.complete(job.id, 1, {"id": "d0-again"}, failed=False)
    info = store.get_job(job.id, "alice")
    assert info is not None and (info.state, info.done) == ("running", 1)
    assert store.get_job(job.id, "bob") is None
    store.close()
    reopened = JobStore(path)  # like a restart after kill -9: seq 2 was running
    assert [c.seq for c in reopened.claim(5)] == [2, 3]
    assert list(reopened.results(job.id)) == [{"id": "d0"}]
    assert [d[1] for d in reopened.documents(job.id)] == ["d0", "d1", "d2"]
