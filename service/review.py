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

    def _index(self, job: str) -> list[tuple[str, int, str]]:
        """(unique doc id, seq, source) in input order; a repeated id becomes `id~2`, `id~3`."""
        seen: dict[str, int] = {}
        return [(unique_id(doc_id, seen), seq, source) for seq, doc_id, source in self.store.document_index(job)]

    @staticmethod
    def _pending(doc: str, source: str) -> dict[str, Any]:
        return {"id": doc, "source": source, "error": {"code": "PENDING", "message": "not extracted yet"}}

    def entries(self, job: str) -> list[DocumentEntry]:
        results = dict(self.store.result_rows(job, 0, limit=10_000_000))
        return [DocumentEntry(d, src, results.get(seq) or self._pending(d, src)) for d, seq, src in self._index(job)]

    def document(self, job: str, doc: str) -> DocumentView | None:
        """One document: its text and result line read alone (not the whole job's)."""
        found = next(((seq, src) for d, seq, src in self._index(job) if d == doc), None)
        if found is None:
            return None
        seq, source = found
        text = self.store.document_text(job, seq) or ""
        return DocumentView(doc, source, text, self.store.result_line(job, seq) or self._pending(doc, source))


def mount_service_review(app: FastAPI, store: JobStore, tokens: TokenRegistry, home: Path,
                         runs: tuple[Path, ...] = (), secure_cookie: bool = True) -> ReviewStore:
    """/review/... on the service app over its jobs (and any run directories it was asked to open)."""
    catalogs: list[Catalog] = [JobCatalog(store), *(RunCatalog(r) for r in runs)]
    reviews = ReviewStore(home / "review.sqlite")
    anonymous = "local" if not len(tokens) else None
    mount_review(app, ReviewConfig(CombinedCatalog(catalogs), reviews, tokens.verify, secure_cookie, anonymous,
                                   credential=tokens.fingerprint))
    return reviews
