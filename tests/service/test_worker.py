"""service.worker: a database that fails for a moment loses no finished work and stops nothing."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

from extractor import Settings
from service.metrics import Metrics
from service.store import JobStore, NewDocument
from service.worker import Extraction, WorkerPool
from tests.service.pages import page


class FlakyStore(JobStore):
    """Claims and stores fail once each, as a locked or briefly unavailable database does."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.fail = {"claim": 1, "complete_many": 1}

    def claim(self, limit: int) -> Any:
        if self.fail["claim"]:
            self.fail["claim"] -= 1
            raise sqlite3.OperationalError("database is locked")
        return super().claim(limit)

    def complete_many(self, finished: Any) -> int:
        if self.fail["complete_many"]:
            self.fail["complete_many"] -= 1
            raise sqlite3.OperationalError("disk I/O error")
        return super().complete_many(finished)


def test_a_failing_claim_or_store_is_retried_and_the_job_finishes(tmp_path: Path) -> None:
    store = FlakyStore(tmp_path / "s.sqlite")
    job = store.create_job("alice", [NewDocument(f"d{i}", f"d{i}", page(i)) for i in range(5)], {"backend": "rules"})

    async def go() -> None:
        pool = WorkerPool(store, Extraction(Settings(backend="rules"), Metrics()), workers=2)
        pool.start()
        for _ in range(200):
            info = store.get_job(job.id)
            if info is not None and info.state == "done":
                break
            await asyncio.sleep(0.05)
        await pool.stop(grace_s=1.0)
        await pool.extraction.aclose()

    asyncio.run(go())
    info = store.get_job(job.id)
    assert store.fail == {"claim": 0, "complete_many": 0}  # both faults happened
    assert info is not None and (info.state, info.done, info.failed) == ("done", 5, 0)
    assert [line["id"] for line in store.results(job.id)] == [f"d{i}" for i in range(5)]
