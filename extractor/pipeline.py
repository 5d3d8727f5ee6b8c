"""The extraction pipeline: documents in, results out, in input order, streamed, bounded.

`make_backend` turns a run's `Settings` into a `Backend` (the rules, or the model merged with the
rules); `extract_stream` calls it for each document and yields results in input order as soon as
the next one is ready, with at most `concurrency * 2` documents in flight, so a batch of 10,000
documents streams in bounded memory. A document that fails for any reason becomes a
`DocumentError` and the batch goes on.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Iterable

from extractor.backend import Backend, Settings, resolve_backend
from extractor.errors import TrialxError
from extractor.inputs import Document
from extractor.llm import LLMBackend, config_from_settings
from extractor.result import DocumentError, ExtractionResult, Issue, Severity
from extractor.rules import RulesBackend

__all__ = ["Outcome", "document_error", "extract_documents", "extract_stream", "make_backend"]

Outcome = ExtractionResult | DocumentError


def make_backend(settings: Settings) -> Backend:
    """The backend the settings ask for (`auto` resolved from the environment); a ConfigError if it cannot be built."""
    if resolve_backend(settings) == "rules":
        return RulesBackend()
    # the merge checks the final record, so the rules pass inside the LLM backend leaves its checks out
    return LLMBackend(config_from_settings(settings), rules=RulesBackend(checks=False))


def document_error(doc_id: str, source: str, exc: BaseException) -> DocumentError:
    """The error line for a document; internal errors say so without a traceback."""
    if isinstance(exc, TrialxError):
        code, message = exc.code, exc.one_line()
    else:
        code, message = "INTERNAL_ERROR", f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    return DocumentError(id=doc_id, source=source, error={"code": code, "message": message})


async def _extract_one(doc: Document, backend: Backend) -> Outcome:
    if doc.error is not None:
        return document_error(doc.id, doc.source, doc.error)
    assert doc.text is not None
    try:
        result = await backend.extract(doc.id, doc.source, doc.text)
    except Exception as exc:  # noqa: BLE001 - one bad document never stops the batch
        return document_error(doc.id, doc.source, exc)
    # how the input was read (a fallback encoding) is worth a reviewer's glance
    result.issues += [Issue(code="INPUT_ENCODING", severity=Severity.INFO, paths=[], message=w) for w in doc.warnings]
    return result


async def extract_stream(docs: Iterable[Document], settings: Settings, *,
                         backend: Backend | None = None) -> AsyncIterator[Outcome]:
    """Results in input order, each yielded as soon as it and all before it are ready.

    `backend` defaults to `make_backend(settings)`; a backend made here is closed at the end.
    """
    own = backend is None
    chosen = backend if backend is not None else make_backend(settings)
    window = max(1, settings.concurrency) * 2
    pending: deque[asyncio.Future[Outcome]] = deque()
    try:
        for doc in docs:
            pending.append(asyncio.ensure_future(_extract_one(doc, chosen)))
            await asyncio.sleep(0)  # let started requests run while we read the next document
            while pending and (pending[0].done() or len(pending) >= window):
                yield await pending.popleft()
        while pending:
            yield await pending.popleft()
    finally:
        for fut in pending:
            fut.cancel()
        if own:
            await chosen.aclose()


def extract_documents(docs: Iterable[Document], settings: Settings, *, backend: Backend | None = None) -> list[Outcome]:
    """The synchronous helper: every result, in input order."""

    async def collect() -> list[Outcome]:
        results = [item async for item in extract_stream(docs, settings, backend=backend)]
        if backend is not None:
            await backend.aclose()
        return results

    return asyncio.run(collect())
