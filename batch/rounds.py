"""Submitting the prepared files, gathering what came back, and sending the failures again.

`submit` creates one batch per request file not yet submitted (idempotent, see `engine`);
`gather` downloads the outputs and error files of every finished batch; `retry` lists the
requests with no valid answer once every batch has finished and writes them as a new round of
files (`retry<N>-001.jsonl`, the original lines, unchanged) submitted as new batches, or sends
their documents through the real-time path. Without an API (a vLLM run) the new files are only
written, for the runner; `collect --from-file` then reads its outputs with the first ones (`extract_record`, re-asks included).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import openai

from extractor.errors import ConfigError, LLMError
from extractor.llm import LLMClient, extract_record
from extractor.result import Usage

from batch.answers import Answers
from batch.collect import Summary, manifest_config, manifest_prompt, results
from batch.engine import TERMINAL, batches, download, refresh, remote_batches, submit_file
from batch.prepare import Limits, Splitter, split_custom_id
from batch.store import BatchDir

__all__ = ["gather", "pending_files", "retry", "submit", "unfinished"]


def pending_files(store: BatchDir) -> list[str]:
    """Every request file of the directory (prepared, then retry rounds), in order."""
    names = [f["name"] for f in store.manifest()["files"]]
    for event in store.journal():
        if event["event"] == "retry_round":
            names += event["files"]
    return names


def submit(api: openai.OpenAI, store: BatchDir, limit: int | None = None) -> list[str]:
    """The batch id of every request file, creating at most `limit` new batches (an org's queue
    limit on enqueued tokens: submit again later for the rest)."""
    run_id = store.manifest()["run_id"]
    known = batches(store)
    todo = [name for name in pending_files(store) if name not in known]
    if limit is not None:
        todo = todo[:limit]
    remote = remote_batches(api, run_id) if todo else {}
    for name in todo:
        submit_file(api, store, name, run_id, remote)
    state = batches(store)
    return [str(state[name]["batch_id"]) for name in pending_files(store) if name in state]


def unfinished(state: dict[str, dict[str, Any]]) -> list[str]:
    return [name for name, item in state.items() if item.get("status") not in TERMINAL]


def gather(api: openai.OpenAI, store: BatchDir) -> list[Path]:
    """The output and error files of the finished batches (downloaded once); refuses while any runs."""
    state = refresh(api, store)
    waiting = unfinished(state)
    if waiting:
        raise ConfigError(f"{len(waiting)} batch(es) still running ({', '.join(waiting[:3])}): "
                          "see 'trialx batch status', then collect again")
    missing = [n for n in pending_files(store) if n not in state]
    if missing:
        raise ConfigError(f"{len(missing)} request file(s) not submitted ({', '.join(missing[:3])}): run 'trialx batch submit'")
    paths = []
    for name in pending_files(store):
        item = state[name]
        for key in ("output_file_id", "error_file_id"):
            if item.get(key):
                paths.append(download(api, store, str(item[key])))
    return paths


def _failed(store: BatchDir, files: list[Path]) -> list[str]:
    answers = Answers(store.file("answers.sqlite"))
    summary = Summary()
    try:
        for path in files:
            answers.ingest(path)
        for _ in results(store, answers, summary):
            pass
    finally:
        answers.close()
    return summary.missing


def retry(store: BatchDir, files: list[Path], *, api: openai.OpenAI | None = None, realtime: bool = False,
          base_url: str | None = None, limits: Limits = Limits()) -> dict[str, Any]:
    """Send the requests with no valid answer again; what was sent."""
    waiting = unfinished(batches(store))
    if waiting and not realtime:
        raise ConfigError(f"{len(waiting)} batch(es) still running ({', '.join(waiting[:3])}): "
                          "their requests are not failed yet; see 'trialx batch status'")
    failed = _failed(store, files)
    if not failed:
        return {"failed": 0}
    if realtime:
        docs = sorted({split_custom_id(cid)[0] for cid in failed})
        asyncio.run(_realtime(store, docs, base_url))
        return {"failed": len(failed), "realtime_documents": len(docs)}
    rounds = [e for e in store.journal() if e["event"] == "retry_round"]
    state = batches(store)
    if rounds and api is not None and any(name not in state for name in rounds[-1]["files"]):
        submit(api, store)  # a round written but not submitted before a crash: submit it, no new round
        return {"failed": len(failed), "files": rounds[-1]["files"]}
    wanted = set(failed)
    splitter = Splitter(store.path, limits, prefix=f"retry{len(rounds) + 1}")
    for name in pending_files(store):
        if name.startswith("retry"):
            continue
        with open(store.file(name), encoding="utf-8") as fh:
            for raw in fh:
                line = json.loads(raw)
                if line["custom_id"] in wanted:
                    splitter.write(line)
    written = [f["name"] for f in splitter.finish()]
    store.log("retry_round", files=written, requests=len(failed))
    if api is not None:
        submit(api, store)  # else (vLLM): the runner is given the new files
    return {"failed": len(failed), "files": written}


async def _realtime(store: BatchDir, docs: list[int], base_url: str | None) -> None:
    manifest = store.manifest()
    config = manifest_config(manifest, base_url=base_url, use_cache=False)
    prompt = manifest_prompt(manifest)
    wanted = set(docs)
    client = LLMClient(config)
    answers = Answers(store.file("answers.sqlite"))
    try:
        for doc in store.documents():
            if doc["i"] not in wanted:
                continue
            try:
                outcome = await extract_record(doc["text"], config, prompt, client)
                answers.put_realtime(doc["i"], {"record": outcome.record.model_dump(mode="json"),
                                                "usage": outcome.usage.model_dump(mode="json")})
            except LLMError as exc:
                usage = Usage(model=config.model, prompt_version=prompt.version, prompt_hash=prompt.hash)
                answers.put_realtime(doc["i"], {"error": exc.one_line(), "usage": usage.model_dump(mode="json")})
    finally:
        answers.close()
        await client.aclose()
