from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.store import Finished, JobStore, NewDocument


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


def test_a_batch_of_results_is_stored_at_once_each_once(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "s.sqlite")
    job = store.create_job("alice", docs(4), {"backend": "rules"})
    store.claim(4)
    batch = [Finished(job.id, seq, json.dumps({"id": f"d{seq - 1}"}), failed=seq == 2) for seq in (1, 2, 3)]
    assert store.complete_many(batch) == 3
    assert store.complete_many(batch[:1]) == 0  # a result already stored is never stored again
    info = store.get_job(job.id)
    assert info is not None and (info.state, info.done, info.failed) == ("running", 3, 1)
    assert store.result_lines(job.id, after=1) == [(2, '{"id": "d1"}'), (3, '{"id": "d2"}')]
    assert store.complete_many([Finished(job.id, 4, "{}", failed=False)]) == 1
    info = store.get_job(job.id)
    assert info is not None and (info.state, info.done) == ("done", 4)


def test_the_limits_hold_inside_the_insert_transaction(tmp_path: Path) -> None:
    from service.store import QueueFull

    store = JobStore(tmp_path / "s.sqlite")
    store.create_job("alice", docs(3), {}, max_unfinished=2, max_queue=5)
    with pytest.raises(QueueFull, match="at most 5 documents"):
        store.create_job("bob", docs(3), {}, max_unfinished=2, max_queue=5)
    store.create_job("alice", docs(2), {}, max_unfinished=2, max_queue=5)
    with pytest.raises(QueueFull, match="unfinished jobs"):
        store.create_job("alice", docs(0), {}, max_unfinished=2)
    assert len(store.list_jobs("alice")) == 2 and store.list_jobs("bob") == [] and store.queue_depth() == 5
