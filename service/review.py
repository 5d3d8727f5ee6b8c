"""The service's jobs as a review catalog, and the review page mounted on the service app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from review import (Catalog, CombinedCatalog, DocumentEntry, DocumentView, JobSummary, ReviewConfig, ReviewStore,
                    RunCatalog, mount_review, unique_id)
from service.auth import TokenRegistry
from service.store import JobStore

__all__ = ["JobCatalog", "mount_service_review"]


class JobCatalog(Catalog):
    """Jobs of the JobStore; a token sees only the jobs it submitted."""

    def __init__(self, store: JobStore) -> None:
        self.store = store

    def jobs(self, who: str) -> list[JobSummary]:
        return [JobSummary(j.id, f"job {j.id[:8]} ({j.state})", j.total) for j in self.store.list_jobs(who)]

    def owns(self, job: str, who: str) -> bool:
        return self.store.get_job(job, who) is not None

    def _docs(self, job: str, with_text: bool) -> list[tuple[str, str, str, dict[str, Any]]]:
        results = dict(self.store.result_rows(job, 0, limit=1_000_000))
        seen: dict[str, int] = {}
        out = []
        for seq, doc_id, source, text in self.store.documents(job):
            line = results.get(seq) or {"id": doc_id, "source": source,
                                        "error": {"code": "PENDING", "message": "not extracted yet"}}
            out.append((unique_id(doc_id, seen), source, text if with_text else "", line))
        return out

    def entries(self, job: str) -> list[DocumentEntry]:
        return [DocumentEntry(d, s, line) for d, s, _, line in self._docs(job, False)]

    def document(self, job: str, doc: str) -> DocumentView | None:
        for d, s, text, line in self._docs(job, True):
            if d == doc:
                return DocumentView(d, s, text, line)
        return None


def mount_service_review(app: FastAPI, store: JobStore, tokens: TokenRegistry, home: Path,
                         runs: tuple[Path, ...] = (), secure_cookie: bool = True) -> ReviewStore:
    """/review/... on the service app over its jobs (and any run directories it was asked to open)."""
    catalogs: list[Catalog] = [JobCatalog(store), *(RunCatalog(r) for r in runs)]
    reviews = ReviewStore(home / "review.sqlite")
    anonymous = "local" if not len(tokens) else None
    mount_review(app, ReviewConfig(CombinedCatalog(catalogs), reviews, tokens.verify, secure_cookie, anonymous))
    return reviews
