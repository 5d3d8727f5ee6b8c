"""The extraction pipeline: documents in, results out, in input order, streamed, bounded.

The rules path is CPU-bound and fast, so it runs inline. An LLM backend (extractor/llm.py,
plugged in through `LLMBackend` and `load_llm_backend`) is awaited under a semaphore; results
are yielded in input order as soon as the next one is ready, with at most `concurrency * 2`
documents in flight, so a batch of 10,000 documents streams in bounded memory. A document
that fails for any reason becomes a `DocumentError` and the batch goes on.
"""

from __future__ import annotations

import asyncio
import importlib
import os
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from extractor.checks import run_checks
from extractor.errors import ConfigError, TrialxError
from extractor.grounding import ground
from extractor.inputs import Document
from extractor.result import DocumentError, Evidence, ExtractionResult, Issue, Provenance, Severity, Source, Usage
from extractor.schema import TrialRecord

__all__ = [
    "LLMBackend",
    "Settings",
    "assess",
    "document_error",
    "extract_documents",
    "extract_rules_result",
    "extract_stream",
    "load_llm_backend",
    "resolve_backend",
]

Outcome = ExtractionResult | DocumentError


@dataclass(frozen=True)
class Settings:
    backend: Literal["auto", "llm", "rules"] = "auto"
    model: str | None = None
    prompt_version: str | None = None
    base_url: str | None = None
    use_cache: bool = True
    concurrency: int = 4
    mode: str | None = None  # tools (default) | json_schema | json | md_json, for servers without tools


class LLMBackend(Protocol):
    """What the LLM path provides: the final (merged, grounded, checked) result for one document.

    Optional: `aclose()` (awaited when the stream ends, to close a shared client), and
    `gates_requests = True` with `set_concurrency(n)` for a backend that limits its own model
    requests (then the pipeline does not hold a slot for the whole document).
    """

    async def extract(self, doc_id: str, source: str, text: str, rules: ExtractionResult) -> ExtractionResult: ...


def resolve_backend(settings: Settings, env: Mapping[str, str] = os.environ) -> Literal["llm", "rules"]:
    """auto -> llm when an API key or a base URL is configured, else rules."""
    if settings.backend != "auto":
        return settings.backend
    if env.get("OPENAI_API_KEY") or env.get("OPENAI_BASE_URL") or settings.base_url:
        return "llm"
    return "rules"


def load_llm_backend(settings: Settings) -> LLMBackend:
    """The LLM backend from extractor/llm.py (`create_backend(settings)`), or a ConfigError."""
    try:
        module = importlib.import_module("extractor.llm")
    except ModuleNotFoundError as exc:
        if exc.name != "extractor.llm":
            raise
        raise ConfigError("the LLM backend is not available in this build; use --backend rules") from None
    factory = getattr(module, "create_backend", None)
    if factory is not None:
        made: LLMBackend = factory(settings)
        return made
    backend_cls, config_cls = getattr(module, "LLMBackend", None), getattr(module, "LLMConfig", None)
    if backend_cls is None or config_cls is None:
        raise ConfigError("the LLM backend is not available in this build; use --backend rules")
    options = {"model": settings.model, "prompt_version": settings.prompt_version, "base_url": settings.base_url}
    config = config_cls(**{k: v for k, v in options.items() if v is not None}, use_cache=settings.use_cache)
    backend: LLMBackend = backend_cls(config)
    return backend


def assess(record: TrialRecord, text: str, *, today: date | None = None) -> tuple[dict[str, Evidence], list[Issue]]:
    """Grounding evidence and every issue (consistency, then grounding) for a record and its source."""
    evidence, grounding_issues = ground(record, text)
    return evidence, run_checks(record, today=today) + grounding_issues


_FROM_RULES = Provenance(source=Source.RULES)  # frozen, so one instance serves every path


def extract_rules_result(doc_id: str, source: str, text: str, *, checks: bool = True) -> ExtractionResult:
    """The rules record with its grounding and checks; provenance "rules" for each filled path.

    `checks=False` leaves the consistency checks out (grounding issues only): for the LLM path,
    whose merge re-checks the final record; `merge.llm_failed(..., checked=False)` adds them when
    the rules' result is what stands.
    """
    from extractor.rules import extract_rules  # imported late: the rules are a sibling module

    record = extract_rules(text)
    if checks:
        evidence, issues = assess(record, text)
    else:
        evidence, issues = ground(record, text)
    provenance = dict.fromkeys(evidence, _FROM_RULES)  # evidence covers every filled path
    return ExtractionResult(id=doc_id, source=source, backend="rules", record=record, evidence=evidence,
                            provenance=provenance, issues=issues, usage=Usage())


def document_error(doc_id: str, source: str, exc: BaseException) -> DocumentError:
    """The error line for a document; internal errors say so without a traceback."""
    if isinstance(exc, TrialxError):
        code, message = exc.code, exc.one_line()
    else:
        code, message = "INTERNAL_ERROR", f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    return DocumentError(id=doc_id, source=source, error={"code": code, "message": message})


def _rules_or_error(doc: Document, checks: bool = True) -> Outcome:
    if doc.error is not None:
        return document_error(doc.id, doc.source, doc.error)
    assert doc.text is not None
    try:
        if checks:  # the three-argument call, as callers (and tests that stand in for it) know it
            result = extract_rules_result(doc.id, doc.source, doc.text)
        else:
            result = extract_rules_result(doc.id, doc.source, doc.text, checks=False)
    except Exception as exc:  # noqa: BLE001 - one bad document never stops the batch
        return document_error(doc.id, doc.source, exc)
    # how the input was read (a fallback encoding) is worth a reviewer's glance
    result.issues += [Issue(code="INPUT_ENCODING", severity=Severity.INFO, paths=[], message=w) for w in doc.warnings]
    return result


async def _llm_or_error(doc: Document, rules: ExtractionResult, backend: LLMBackend, gate: asyncio.Semaphore | None) -> Outcome:
    assert doc.text is not None
    try:
        if gate is None:  # the backend limits its own model requests
            return await backend.extract(doc.id, doc.source, doc.text, rules)
        async with gate:
            return await backend.extract(doc.id, doc.source, doc.text, rules)
    except Exception as exc:  # noqa: BLE001
        return document_error(doc.id, doc.source, exc)


async def _guarded(doc: Document, work: Awaitable[Outcome]) -> Outcome:
    try:
        return await work
    except Exception as exc:  # noqa: BLE001 - one bad document never stops the batch
        return document_error(doc.id, doc.source, exc)


async def extract_stream(
    docs: Iterable[Document], settings: Settings, *, llm_backend: LLMBackend | None = None
) -> AsyncIterator[Outcome]:
    """Results in input order, each yielded as soon as it and all before it are ready."""
    backend = resolve_backend(settings)
    if backend == "llm" and llm_backend is None:
        llm_backend = load_llm_backend(settings)
    concurrency = max(1, settings.concurrency)
    gate: asyncio.Semaphore | None = asyncio.Semaphore(concurrency)
    if getattr(llm_backend, "gates_requests", False) and llm_backend is not None:
        # The LLM backend holds a slot only while it waits on the model, so its merge and the
        # next document's request overlap instead of queueing behind each other.
        llm_backend.set_concurrency(concurrency)  # type: ignore[attr-defined]
        gate = None
    window = concurrency * 2
    pending: deque[asyncio.Future[Outcome]] = deque()
    loop = asyncio.get_running_loop()
    rules_later = getattr(llm_backend, "extract_with_rules", None) if gate is None and backend == "llm" else None
    try:
        for doc in docs:
            if rules_later is not None and doc.error is None:
                # the model request goes out first; the rules pass runs while it waits (same results).
                # Its checks are left to the merge, which checks the final record (or to llm_failed)
                rules = lambda d=doc: _rules_or_error(d, checks=False)  # noqa: E731
                pending.append(asyncio.ensure_future(_guarded(doc, rules_later(doc.text, rules, checked=False))))
                await asyncio.sleep(0)
                while pending and (pending[0].done() or len(pending) >= window):
                    yield await pending.popleft()
                continue
            first = _rules_or_error(doc)
            if backend == "llm" and isinstance(first, ExtractionResult) and llm_backend is not None:
                pending.append(asyncio.ensure_future(_llm_or_error(doc, first, llm_backend, gate)))
            elif not pending:
                yield first
                continue
            else:
                done: asyncio.Future[Outcome] = loop.create_future()
                done.set_result(first)
                pending.append(done)
            await asyncio.sleep(0)  # let started requests run while we read the next document
            while pending and (pending[0].done() or len(pending) >= window):
                yield await pending.popleft()
        while pending:
            yield await pending.popleft()
    finally:
        for fut in pending:
            fut.cancel()
        aclose = getattr(llm_backend, "aclose", None)  # a backend may hold a shared client
        if aclose is not None:
            await aclose()


def extract_documents(docs: Iterable[Document], settings: Settings, *,
                      llm_backend: LLMBackend | None = None) -> list[Outcome]:
    """The synchronous helper: every result, in input order."""

    async def collect() -> list[Outcome]:
        return [item async for item in extract_stream(docs, settings, llm_backend=llm_backend)]

    return asyncio.run(collect())
