"""Workers: claim pending documents and run them through the CLI's pipeline.

The same `make_backend(Settings)` -> `Backend.extract` as `trialx extract`, and
`document_error` for failures: a bad document is a result line with its error, never a failed job.

The rules backend is CPU-bound: its extraction (and the result's JSON) runs in a thread pool so the
event loop keeps serving requests; the LLM backend waits on the network and stays on the loop.
Results are stored in batches (every `commit_every` results or `commit_interval_s`, whichever first):
a result is durable once its batch commits; a kill before that leaves its document `running`,
requeued on the next start and processed again (never into two results).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from extractor import Backend, Settings, document_error, make_backend
from extractor.result import DocumentError, ExtractionResult
from extractor.rules import RulesBackend, extract_rules_result
from service.metrics import Metrics
from service.store import Claim, Finished, JobStore

__all__ = ["Extraction", "WorkerPool", "settings_key"]

log = logging.getLogger("trialx.service")

Outcome = ExtractionResult | DocumentError


def settings_key(settings: Settings) -> dict[str, Any]:
    """What a job stores about its backend choice (no keys: those stay in the environment)."""
    return {"backend": settings.backend, "model": settings.model, "prompt_version": settings.prompt_version,
            "mode": settings.mode}


def _line(result: Outcome) -> str:
    return json.dumps(result.model_dump(mode="json"), ensure_ascii=False)


class Extraction:
    """Backends by settings, shared by /v1/extract and the job workers; `threads` for CPU-bound extraction."""

    def __init__(self, base: Settings, metrics: Metrics, threads: int = 1) -> None:
        self.base = base
        self.metrics = metrics
        self._backends: dict[tuple[Any, ...], Backend] = {}
        self._cpu = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="trialx-extract")

    def settings_for(self, choice: dict[str, Any]) -> Settings:
        picked = {k: v for k, v in choice.items() if v is not None}
        return replace(self.base, **picked)

    def backend(self, settings: Settings) -> Backend:
        key = tuple(sorted(settings_key(settings).items(), key=lambda kv: kv[0]))
        if key not in self._backends:
            self._backends[key] = make_backend(settings)
        return self._backends[key]

    def cpu_bound(self, settings: Settings) -> bool:
        """True when these settings extract with the rules (CPU only) or cannot build a backend at all."""
        try:
            return type(self.backend(settings)) is RulesBackend
        except Exception:  # noqa: BLE001 - the error line comes from `run`
            return True

    def _rules(self, backend: RulesBackend, doc_id: str, source: str, text: str, dump: bool) -> tuple[Outcome, str]:
        """In a pool thread: `RulesBackend.extract`'s body (sync), and the JSON line when asked."""
        start = time.perf_counter()
        try:
            result: Outcome = extract_rules_result(doc_id, source, text, checks=backend.checks)
        except Exception as exc:  # noqa: BLE001 - one bad document never stops the job
            result = document_error(doc_id, source, exc)
        self._observe(backend.name, result, start)
        return result, _line(result) if dump else ""

    def _observe(self, name: str, result: Outcome, start: float) -> None:
        m = self.metrics
        m.doc_latency.labels(name).observe(time.perf_counter() - start)
        if isinstance(result, DocumentError):
            m.documents.labels(name, "error").inc()
            m.failures.labels(str(result.error.get("code", "?"))).inc()
        else:
            m.documents.labels(name, "ok").inc()
            m.tokens.labels("input").inc(result.usage.input_tokens)
            m.tokens.labels("output").inc(result.usage.output_tokens)

    async def _run(self, doc_id: str, source: str, text: str, settings: Settings, dump: bool) -> tuple[Outcome, str]:
        start = time.perf_counter()
        try:
            backend = self.backend(settings)
        except Exception as exc:  # noqa: BLE001 - a backend that cannot be built is this document's error
            result: Outcome = document_error(doc_id, source, exc)
            self._observe(settings.backend, result, start)
            return result, _line(result) if dump else ""
        if type(backend) is RulesBackend:  # CPU-bound: off the event loop
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._cpu, self._rules, backend, doc_id, source, text, dump)
        try:
            result = await backend.extract(doc_id, source, text)
        except Exception as exc:  # noqa: BLE001 - one bad document never stops the job
            result = document_error(doc_id, source, exc)
        self._observe(backend.name, result, start)
        return result, _line(result) if dump else ""

    async def run(self, doc_id: str, source: str, text: str, settings: Settings) -> Outcome:
        """One document -> its result (the rules in a pool thread)."""
        return (await self._run(doc_id, source, text, settings, dump=False))[0]

    async def run_line(self, doc_id: str, source: str, text: str, settings: Settings) -> tuple[str, bool]:
        """One document -> its result line (JSON text) and whether it failed."""
        result, line = await self._run(doc_id, source, text, settings, dump=True)
        return line, isinstance(result, DocumentError)

    async def aclose(self) -> None:
        for backend in self._backends.values():
            await backend.aclose()
        self._backends.clear()
        self._cpu.shutdown(wait=False, cancel_futures=True)


class WorkerPool:
    """Keeps up to `workers` documents in flight; stores their results in batches.

    `stop` stops claiming, lets in-flight documents finish (bounded), stores their results and
    requeues the rest.
    """

    def __init__(self, store: JobStore, extraction: Extraction, workers: int, batch: int = 8, *,
                 commit_every: int = 64, commit_interval_s: float = 0.1) -> None:
        self.store = store
        self.extraction = extraction
        self.workers = workers  # 0: take no work (a paused server)
        self.batch = batch
        self.commit_every = max(1, commit_every)
        self.commit_interval_s = commit_interval_s
        self.wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._finished: list[Finished] = []
        self._flush_timer: asyncio.TimerHandle | None = None
        self._io = asyncio.Semaphore(max(1, workers))  # model calls at once (the rules queue on their threads)

    def start(self) -> None:
        if self.workers > 0:
            self._task = asyncio.create_task(self._loop())
            self._task.add_done_callback(_log_if_failed)

    def notify(self) -> None:
        self.wake.set()

    async def _loop(self) -> None:
        # up to max(workers, 2 * batch) documents in flight (model calls bounded by `workers` in `_one`),
        # so the rules' thread never waits on a claim; claims come `batch` or more at a time (one transaction each)
        limit = max(self.workers, 2 * self.batch)
        step = self.batch
        while not self._stopping:
            self.wake.clear()
            room = limit - len(self._inflight)
            try:
                claims = self.store.claim(room) if room >= step else []
            except Exception:  # noqa: BLE001 - a locked or failing database must not stop the server taking work
                log.exception("claiming documents failed; trying again in 1 s")
                await asyncio.sleep(1.0)
                continue
            for claim in claims:
                task = asyncio.create_task(self._one(claim))
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)
            if claims and len(self._inflight) >= limit - step:
                await asyncio.wait(set(self._inflight), return_when=asyncio.FIRST_COMPLETED)
                continue
            # idle or room left: wait for a document to finish, new work, or a periodic look
            waiter = asyncio.ensure_future(self.wake.wait())
            try:
                await asyncio.wait({waiter, *self._inflight}, timeout=0.5, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()

    async def _one(self, claim: Claim) -> None:
        settings = self.extraction.settings_for(claim.settings)
        if self.extraction.cpu_bound(settings):
            line, failed = await self.extraction.run_line(claim.doc_id, claim.source, claim.text, settings)
        else:
            async with self._io:
                line, failed = await self.extraction.run_line(claim.doc_id, claim.source, claim.text, settings)
        self._finished.append(Finished(claim.job_id, claim.seq, line, failed))
        if len(self._finished) >= self.commit_every:
            self.flush()
        elif self._flush_timer is None:
            self._flush_timer = asyncio.get_running_loop().call_later(self.commit_interval_s, self.flush)

    def flush(self) -> None:
        """Store the finished results in one transaction."""
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        batch, self._finished = self._finished, []
        if not batch:
            return
        try:
            self.store.complete_many(batch)
        except Exception:  # noqa: BLE001 - keep the results and try again; never drop finished work
            log.exception("storing %d results failed; trying again in 1 s", len(batch))
            self._finished = batch + self._finished
            if not self._stopping:
                self._flush_timer = asyncio.get_running_loop().call_later(1.0, self.flush)

    async def stop(self, grace_s: float) -> None:
        """Stop claiming; let in-flight documents finish within `grace_s`; the rest stay queued."""
        self._stopping = True
        self.wake.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        if self._inflight:
            _, running = await asyncio.wait(set(self._inflight), timeout=grace_s)
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
        self.flush()
        self.store.requeue()


def _log_if_failed(task: asyncio.Task[None]) -> None:
    """The claim loop ends only on stop; if it ever dies, say so instead of going quiet."""
    if not task.cancelled() and task.exception() is not None:
        log.error("the job worker loop stopped", exc_info=task.exception())
