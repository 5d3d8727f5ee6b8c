"""`prepare`: documents in, Batch API request files out, with the rules' pass done once and kept.

For each document, in input order: the plan of requests (`extractor.llm.plan_requests`, the
real-time path's plan) turned into chat-completions bodies by instructor's request handler for
the run's mode (`extractor.llm.request_body`), one JSON line per request with a `custom_id` of
`d<index>.<plan key>` (the document's line in documents.jsonl, and the step/part); the document's
text and the rules' result go to documents.jsonl and rules.jsonl. Everything streams to `.tmp`
files renamed at the end and the manifest is written last: a prepare killed half-way leaves no
manifest, and the same command starts again cleanly.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from extractor.errors import ConfigError, TrialxError
from extractor.inputs import DEFAULT_MAX_BYTES, load_documents
from extractor.llm import SCHEMA_HASH, LLMConfig, batch_mode, load_prompt, plan_requests, request_body
from extractor.pipeline import document_error
from extractor.rules import RulesBackend

from batch.store import DOCUMENTS, RULES, BatchDir

__all__ = ["Limits", "Splitter", "custom_id", "prepare", "split_custom_id"]


@dataclass(frozen=True)
class Limits:
    """OpenAI's per-file limits: 50,000 requests and 200 MB."""

    max_requests: int = 50_000
    max_bytes: int = 200 * 1024 * 1024


def custom_id(index: int, key: str) -> str:
    return f"d{index}.{key}"


def split_custom_id(value: str) -> tuple[int, str]:
    head, _, key = value.partition(".")
    if not head.startswith("d") or not head[1:].isdigit() or not key:
        raise ValueError(f"not a trialx custom_id: {value!r}")
    return int(head[1:]), key


class Splitter:
    """Request lines into requests-001.jsonl, -002, ... within the limits (tmp names until closed)."""

    def __init__(self, folder: Path, limits: Limits, prefix: str = "requests") -> None:
        self.folder, self.limits, self.prefix = folder, limits, prefix
        self.files: list[dict[str, Any]] = []
        self.fh: IO[bytes] | None = None

    def write(self, line: dict[str, Any]) -> None:
        data = (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        if len(data) > self.limits.max_bytes:
            raise ConfigError(f"request {line['custom_id']} alone is larger than {self.limits.max_bytes} bytes")
        cur = self.files[-1] if self.files else None
        if cur is None or cur["requests"] >= self.limits.max_requests or cur["bytes"] + len(data) > self.limits.max_bytes:
            self._close()
            name = f"{self.prefix}-{len(self.files) + 1:03d}.jsonl"
            self.files.append({"name": name, "requests": 0, "bytes": 0})
            self.fh = open(self.folder / (name + ".tmp"), "wb")
            cur = self.files[-1]
        assert self.fh is not None
        self.fh.write(data)
        cur["requests"] += 1
        cur["bytes"] += len(data)

    def _close(self) -> None:
        if self.fh is not None:
            self.fh.flush()
            os.fsync(self.fh.fileno())
            self.fh.close()
            self.fh = None

    def finish(self) -> list[dict[str, Any]]:
        self._close()
        for item in self.files:
            os.replace(self.folder / (item["name"] + ".tmp"), self.folder / item["name"])
        return self.files


def _dump(item: dict[str, Any], fh: IO[str]) -> None:
    fh.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n")


def prepare(paths: Sequence[str], out: str | Path, config: LLMConfig, *, limits: Limits = Limits(),
            max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """Write the batch directory `out`; the manifest. A directory already prepared is left as it is."""
    store = BatchDir(out)
    if store.prepared():
        return store.manifest()
    store.path.mkdir(parents=True, exist_ok=True)
    prompt = load_prompt(config.prompt_version)
    mode = batch_mode(config)
    docs = load_documents(paths, max_bytes=max_bytes)
    rules = RulesBackend(checks=False)  # as the LLM backend: the merge (or llm_failed) checks
    splitter = Splitter(store.path, limits)
    counts = {"documents": 0, "requests": 0, "unreadable": 0}
    inputs = hashlib.sha256()
    loop = asyncio.new_event_loop()
    try:
        with open(store.file(DOCUMENTS + ".tmp"), "w", encoding="utf-8") as dfh, \
                open(store.file(RULES + ".tmp"), "w", encoding="utf-8") as rfh:
            for index, doc in enumerate(docs):
                counts["documents"] += 1
                inputs.update(f"{doc.id}\0{doc.text or ''}\0".encode("utf-8"))
                line: dict[str, Any] = {"i": index, "id": doc.id, "source": doc.source, "text": doc.text,
                                        "warnings": doc.warnings, "keys": []}
                if doc.error is not None or doc.text is None:
                    counts["unreadable"] += 1
                    line["error"] = document_error(doc.id, doc.source, doc.error or ValueError("no text")).model_dump(mode="json")
                    _dump(line, dfh)
                    _dump({"i": index}, rfh)
                    continue
                try:
                    rules_result: dict[str, Any] = {"i": index, "result": loop.run_until_complete(
                        rules.extract(doc.id, doc.source, doc.text)).model_dump(mode="json")}
                except Exception as exc:  # noqa: BLE001 - as the pipeline: one bad document never stops the batch
                    rules_result = {"i": index, "error": document_error(doc.id, doc.source, exc).model_dump(mode="json")}
                _dump(rules_result, rfh)
                try:
                    plan = plan_requests(doc.text, prompt, max_context_tokens=config.max_context_tokens,
                                         reserve_output_tokens=config.reserve_output_tokens)
                except TrialxError:
                    plan = []  # collect plans again and gets the same error: the rules' result, LLM_FAILED
                if "error" not in rules_result:
                    for request in plan:
                        splitter.write({"custom_id": custom_id(index, request.key), "method": "POST",
                                        "url": "/v1/chat/completions", "body": request_body(request, config, mode)})
                        line["keys"].append(request.key)
                        counts["requests"] += 1
                _dump(line, dfh)
            for fh in (dfh, rfh):
                fh.flush()
                os.fsync(fh.fileno())
    finally:
        loop.close()
    files = splitter.finish()
    os.replace(store.file(DOCUMENTS + ".tmp"), store.file(DOCUMENTS))
    os.replace(store.file(RULES + ".tmp"), store.file(RULES))
    manifest = {
        "format": 1, "model": config.model, "mode": mode, "prompt_version": prompt.version, "prompt_hash": prompt.hash,
        "schema_hash": SCHEMA_HASH, "sampling": {"temperature": config.temperature, "max_tokens": config.max_output_tokens},
        "max_context_tokens": config.max_context_tokens, "reserve_output_tokens": config.reserve_output_tokens,
        "run_id": uuid.uuid4().hex, "inputs_hash": inputs.hexdigest()[:16], **counts, "documents_file": DOCUMENTS, "rules_file": RULES, "files": files,
    }
    store.write_manifest(manifest)
    store.log("prepared", files=[f["name"] for f in files], documents=counts["documents"], requests=counts["requests"])
    return manifest
