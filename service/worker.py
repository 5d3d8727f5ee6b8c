"""Workers: claim pending documents and run them through the CLI's pipeline.

The same `make_backend(Settings)` -> `Backend.extract` as `trialx extract`, and
`document_error` for failures: a bad document is a result line with its error, never a failed job.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from typing import Any

from extractor import Backend, Settings, document_error, make_backend
from extractor.result import DocumentError, ExtractionResult
from service.metrics import Metrics
from service.store import Claim, JobStore

__all__ = ["Extraction", "WorkerPool", "settings_key"]

log = logging.getLogger("trialx.service")


def settings_key(settings: Settings) -> dict[str, Any]:
    """What a job stores about its backend choice (no keys: those stay in the environment)."""
    return {"backend": settings.backend, "model": settings.model, "prompt_version": settings.prompt_version,
            "mode": settings.mode}


class Extraction:
    """Backends by settings, shared by /v1/extract and the job workers."""

    def __init__(self, base: Settings, metrics: Metrics) -> None:
        self.base = base
        self.metrics = metrics
        self._backends: dict[tuple[Any, ...], Backend] = {}

    def settings_for(self, choice: dict[str, Any]) -> Settings:
        picked = {k: v for k, v in choice.items() if v is not None}
        return replace(self.base, **picked)

    def backend(self, settings: Settings) -> Backend:
        key = tuple(sorted(settings_key(settings).items(), key=lambda kv: kv[0]))
        if key not in self._backends:
            self._backends[key] = make_backend(settings)
        return self._backends[key]

    async def run(self, doc_id: str, source: str, text: str, settings: Settings) -> ExtractionResult | DocumentError:
        start = time.perf_counter()
        try:
            backend = self.backend(settings)
            name: str = backend.name
            result: ExtractionResult | DocumentError = await backend.extract(doc_id, source, text)
        except Exception as exc:  # noqa: BLE001 - one bad document never stops the job
            name = settings.backend
            result = document_error(doc_id, source, exc)
        m = self.metrics
        m.doc_latency.labels(name).observe(time.perf_counter() - start)
        if isinstance(result, DocumentError):
            m.documents.labels(name, "error").inc()
            m.failures.labels(str(result.error.get("code", "?"))).inc()
        else:
            m.documents.labels(name, "ok").inc()
            m.tokens.labels("input").inc(result.usage.input_tokens)
            m.tokens.labels("output").inc(result.usage.output_tokens)
        return result

    async def aclose(self) -> None:
        for backend in self._backends.values():
            await backend.aclose()
        self._backends.clear()


class WorkerPool:
    """`workers` loops claiming a few documents each; `stop` lets in-flight ones finish (bounded)."""

    def __init__(self, store: JobStore, extraction: Extraction, workers: int, batch: int = 8) -> None:
        self.store = store
        self.extraction = extraction
        self.workers = workers
        self.batch = batch
        self.wake = asyncio.Event()
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._loop()) for _ in range(self.workers)]

    def notify(self) -> None:
        self.wake.set()

    async def _loop(self) -> None:
        while not self._stopping:
            claims = self.store.claim(self.batch)
            if not claims:
                self.wake.clear()
                try:
                    await asyncio.wait_for(self.wake.wait(), timeout=0.5)
                except asyncio.TimeoutError:
                    pass
                continue
            # every claimed document is in flight; stop() waits for them (bounded), a kill requeues them
            await asyncio.gather(*(self._one(c) for c in claims))

    async def _one(self, claim: Claim) -> None:
        settings = self.extraction.settings_for(claim.settings)
        result = await self.extraction.run(claim.doc_id, claim.source, claim.text, settings)
        self.store.complete(claim.job_id, claim.seq, result.model_dump(mode="json"), isinstance(result, DocumentError))

    async def stop(self, grace_s: float) -> None:
        """Stop claiming; let in-flight documents finish within `grace_s`; the rest stay queued."""
        self._stopping = True
        self.wake.set()
        if self._tasks:
            done, running = await asyncio.wait(self._tasks, timeout=grace_s)
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
        self.store.requeue()
