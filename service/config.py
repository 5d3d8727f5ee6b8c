"""The service's configuration: where it keeps state, where it listens, its limits and backend."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from extractor import Settings, trialx_home

__all__ = ["ServiceConfig", "is_loopback"]


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach."""
    return host in ("127.0.0.1", "::1", "localhost") or host.startswith("127.")


@dataclass(frozen=True)
class ServiceConfig:
    """Everything `create_app` needs; defaults suit a single machine."""

    home: Path = field(default_factory=trialx_home)
    host: str = "127.0.0.1"
    port: int = 8000
    settings: Settings = field(default_factory=lambda: Settings(backend="rules"))
    tokens: str | None = None  # "name=token,..." (default: env TRIALX_API_TOKENS)
    tokens_file: Path | None = None  # lines "name=token" or "name=sha256:HEX"
    max_body_bytes: int = 50_000_000
    max_document_bytes: int = 2_000_000
    max_queue: int = 100_000  # documents pending across all jobs
    max_jobs_per_token: int = 20  # unfinished jobs per token
    workers: int = 4  # documents worked on at once (model calls for the LLM backend)
    extract_threads: int = 1  # threads for the CPU-bound rules extraction, off the event loop
    commit_every: int = 64  # results stored per transaction at most...
    commit_interval_s: float = 0.1  # ...and at the latest this long after the first of them
    shutdown_grace_s: float = 10.0
    retry_after_s: int = 5
    review_runs: tuple[Path, ...] = ()  # saved run directories the review page opens beside the jobs
    secure_cookie: bool = True  # the review page's session cookie is Secure (browsers allow it on localhost)

    @property
    def db_path(self) -> Path:
        return self.home / "service.sqlite"
