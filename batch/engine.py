"""Talking to a Batch API (OpenAI's, or any compatible server by base URL): submit, status, download.

Idempotent by the journal and by the server: each request file is uploaded once (the journal
records its file id; a crash before that line is caught by looking the file up by name), and
each batch is created once: before creating one, the batches the server already has are searched
for our run id and file name in their metadata, so a crash between "create" and the journal line
still never makes a second batch.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import openai

from extractor.errors import ConfigError, LLMTransportError

from batch.store import BatchDir, atomic_write

__all__ = ["TERMINAL", "batches", "client", "download", "refresh", "remote_batches", "submit_file"]

TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})


def client(base_url: str | None = None, api_key: str | None = None) -> openai.OpenAI:
    key = api_key or os.environ.get("OPENAI_API_KEY")
    url = base_url or os.environ.get("OPENAI_BASE_URL")
    if not key and not url:
        raise ConfigError("the Batch API needs OPENAI_API_KEY or a base URL (OPENAI_BASE_URL / --base-url)")
    return openai.OpenAI(api_key=key or "unused", base_url=url, max_retries=3, timeout=600)


def batches(store: BatchDir) -> dict[str, dict[str, Any]]:
    """Every batch this directory created, by file name, with its last known state (from the journal)."""
    out: dict[str, dict[str, Any]] = {}
    for event in store.journal():
        if event["event"] == "batch":
            out[event["file"]] = {"file": event["file"], "batch_id": event["batch_id"], "status": "validating"}
        elif event["event"] == "state" and event["file"] in out:
            out[event["file"]].update({k: v for k, v in event.items() if k not in ("event",)})
    return out


def _uploaded(store: BatchDir) -> dict[str, str]:
    return {e["file"]: e["file_id"] for e in store.journal() if e["event"] == "uploaded"}


def _remote_name(run_id: str, name: str) -> str:
    return f"trialx-{run_id}-{name}"


def remote_batches(api: openai.OpenAI, run_id: str) -> dict[str, Any]:
    """The server's batches of this run, by file name (from their metadata)."""
    try:
        found = {}
        for remote in api.batches.list(limit=100):
            meta = remote.metadata or {}
            if meta.get("trialx_run") == run_id and meta.get("trialx_file"):
                found[meta["trialx_file"]] = remote
        return found
    except openai.OpenAIError as exc:
        raise LLMTransportError(f"the Batch API failed listing batches: {' '.join(str(exc).split())[:200]}") from None


def submit_file(api: openai.OpenAI, store: BatchDir, name: str, run_id: str, remote: dict[str, Any] | None = None) -> str:
    """Upload `name` and create its batch, unless done already; the batch id.

    `remote`: `remote_batches` of the run, listed once by the caller for many files."""
    known = batches(store).get(name)
    if known is not None:
        return str(known["batch_id"])
    found = (remote if remote is not None else remote_batches(api, run_id)).get(name)
    if found is not None:
        store.log("batch", file=name, batch_id=found.id, input_file_id=found.input_file_id, found=True)
        return str(found.id)
    try:
        file_id = _uploaded(store).get(name)
        if file_id is None:
            remote_name = _remote_name(run_id, name)
            file_id = next((f.id for f in api.files.list(purpose="batch") if f.filename == remote_name), None)
            if file_id is None:
                with open(store.file(name), "rb") as fh:
                    file_id = api.files.create(file=(remote_name, fh), purpose="batch").id
            store.log("uploaded", file=name, file_id=file_id)
        created = api.batches.create(input_file_id=file_id, endpoint="/v1/chat/completions", completion_window="24h",
                                     metadata={"trialx_run": run_id, "trialx_file": name})
    except openai.OpenAIError as exc:
        raise LLMTransportError(f"the Batch API failed while submitting {name}: {' '.join(str(exc).split())[:200]}") from None
    store.log("batch", file=name, batch_id=created.id, input_file_id=file_id)
    return created.id


def refresh(api: openai.OpenAI, store: BatchDir) -> dict[str, dict[str, Any]]:
    """Each batch's state and counts from the server (terminal ones are not asked again)."""
    current = batches(store)
    for name, item in current.items():
        if item.get("status") in TERMINAL:
            continue
        try:
            remote = api.batches.retrieve(item["batch_id"])
        except openai.OpenAIError as exc:
            raise LLMTransportError(f"the Batch API failed on batch {item['batch_id']}: {' '.join(str(exc).split())[:200]}") from None
        counts = remote.request_counts.model_dump() if remote.request_counts else {}
        state = {"status": remote.status, "counts": counts, "output_file_id": remote.output_file_id,
                 "error_file_id": remote.error_file_id}
        if any(item.get(k) != v for k, v in state.items()):
            store.log("state", file=name, **state)
            item.update(state)
    return current


def download(api: openai.OpenAI, store: BatchDir, file_id: str) -> Path:
    """The remote file, saved once under outputs/ (streamed to disk, renamed when complete)."""
    folder = store.file("outputs")
    folder.mkdir(exist_ok=True)
    path = folder / f"{file_id}.jsonl"
    if path.is_file():
        return path
    try:
        with api.files.with_streaming_response.content(file_id) as response, atomic_write(path, "wb") as fh:
            for chunk in response.iter_bytes():
                fh.write(chunk)
    except openai.OpenAIError as exc:
        raise LLMTransportError(f"cannot download {file_id}: {' '.join(str(exc).split())[:200]}") from None
    return path
