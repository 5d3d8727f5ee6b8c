"""`trialx extract`: registry documents in, one JSON line per document out, streamed in order.

With --out, each line is appended with a single write call and the file is fsynced at the
end, so a crash keeps every completed line and never leaves a half line; --resume skips the
ids already in the file (dropping a truncated last line first). `--format` picks another
writer from `extractor.outputs` (table, csv, ctgov); JSON Lines stays the default.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from contextlib import nullcontext
from dataclasses import replace
from typing import Any, Literal

import typer

from cli.common import notice
from cli.output import LineSink, open_writer
from extractor.errors import ConfigError
from extractor.inputs import DEFAULT_MAX_BYTES, load_documents, plan_sources
from extractor.outputs import FORMATS, Writer
from extractor import Backend, Settings, extract_stream, make_backend, resolve_backend
from extractor.result import DocumentError

PROGRESS_MIN_DOCS = 4


def done_ids(out: str) -> set[str]:
    """Ids already written to `out`; a truncated last line is cut off so appending stays clean."""
    if not os.path.exists(out):
        return set()
    with open(out, "rb+") as fh:
        data = fh.read()
        complete = data.rfind(b"\n") + 1
        if complete < len(data):
            fh.truncate(complete)
    ids: set[str] = set()
    for raw in data[:complete].splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if isinstance(line, dict) and isinstance(line.get("id"), str):
            ids.add(line["id"])
    return ids


def _max_bytes(option: int | None) -> int:
    if option is not None:
        return option
    env = os.environ.get("TRIALX_MAX_BYTES")
    if env:
        try:
            return int(env)
        except ValueError:
            raise ConfigError(f"TRIALX_MAX_BYTES must be a number of bytes, not {env!r}") from None
    return DEFAULT_MAX_BYTES


def _choose_backend(settings: Settings) -> tuple[Settings, Backend]:
    chosen = resolve_backend(settings)
    if chosen == "rules" and settings.backend == "auto":
        notice("no OPENAI_API_KEY, OPENAI_BASE_URL or --base-url set: using the rules alone")
    settings = replace(settings, backend=chosen)
    return settings, make_backend(settings)


def extract_command(
    paths: list[str] = typer.Argument(..., metavar="PATH...", help="Files, directories (*.txt, *.md, *.html) or - for stdin."),
    out: str | None = typer.Option(None, "--out", "-o", help="Write to FILE instead of stdout (each JSON line whole; --resume appends)."),
    backend: str = typer.Option("auto", "--backend", help="auto, llm or rules (auto: llm when a key or base URL is set)."),
    model: str | None = typer.Option(None, "--model", help="Model name for the LLM backend."),
    prompt: str | None = typer.Option(None, "--prompt", help="Prompt version for the LLM backend."),
    base_url: str | None = typer.Option(None, "--base-url", help="OpenAI-compatible server URL."),
    mode: str | None = typer.Option(None, "--mode", help="How the model returns JSON: auto (default: picked once per server from its "
                                    "model listing: llama.cpp grammar, vLLM/Ollama json_schema, else tool calls; falling back "
                                    "when the server rejects one), tools, json_schema, json, md_json or grammar."),
    concurrency: int = typer.Option(4, "--concurrency", min=1, max=256, help="LLM requests in flight."),
    idle_timeout: float | None = typer.Option(None, "--idle-timeout", min=0.1, help="Seconds of silence before a streamed "
                                              "answer is given up (env TRIALX_IDLE_TIMEOUT, default 30)."),
    deadline: float | None = typer.Option(None, "--deadline", min=0.1, help="Seconds one answer may take in all "
                                          "(env TRIALX_DEADLINE, default 900)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the response cache."),
    resume: bool = typer.Option(False, "--resume", help="Skip ids already in --out FILE; append the rest."),
    max_bytes: int | None = typer.Option(None, "--max-bytes", min=1, hidden=True,
                                         help="Largest document read (default 2,000,000; env TRIALX_MAX_BYTES)."),
    output_format: str = typer.Option("jsonl", "--format", "-f", help="jsonl (default, the contract), table, csv or "
                                      "ctgov; see below."),
    full: bool = typer.Option(False, "--full", help="table: every value path with its whole text, not one line per field."),
    bom: bool = typer.Option(False, "--bom", help="csv: start each file with a UTF-8 byte-order mark (for Excel)."),
    formula_guard: bool = typer.Option(False, "--formula-guard", help="csv: prefix a cell starting with =, +, -, @ "
                                       "with an apostrophe, so a spreadsheet never runs page text as a formula."),
    companion_dir: str | None = typer.Option(None, "--companion-dir", help="csv: write the nested lists' files here "
                                             "(default: beside --out FILE; none on stdout: JSON cells instead)."),
) -> None:
    """Extract a TrialRecord from each document: one JSON line per document, in input order.

    --format jsonl (default): one JSON line per document, the contract (see the README).

    --format table: per document, each filled field with its value, match status, provenance and
    the checks' findings, one line each; --full: every value path, whole text.

    --format csv: one row per document, a column per scalar field, text lists joined with " | "
    (a "|" or backslash inside an item is escaped with a backslash), failed documents as rows with
    error_code and error_message. Arms, interventions, outcomes, locations and contacts go to
    companion files keyed by id (--out r.csv writes r.arms.csv, r.interventions.csv,
    r.outcomes.csv, r.locations.csv, r.contacts.csv), or into JSON cells on stdout. --bom for Excel;
    --formula-guard when the file is opened in a spreadsheet (page text is untrusted).

    --format ctgov: a ClinicalTrials.gov API v2 page, {"studies": [...]}, one study per line, that
    `trialx gold import-ctgov` reads back; failed documents are named on stderr.

    Example: trialx extract samples/ --backend rules --out results.jsonl

    Example: trialx extract samples/NCT09876543.txt --backend rules --format table
    """
    if backend not in ("auto", "llm", "rules"):
        raise ConfigError(f"--backend must be auto, llm or rules, not {backend!r}")
    if output_format not in FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(FORMATS)}, not {output_format!r}")
    if resume and out is None:
        raise ConfigError("--resume needs --out FILE (the file to resume)")
    for flag, given, fmt in (("--full", full, "table"), ("--bom", bom, "csv"), ("--companion-dir", companion_dir, "csv"),
                             ("--formula-guard", formula_guard, "csv")):
        if given and output_format != fmt:
            raise ConfigError(f"{flag} applies to --format {fmt} only")
    if resume and output_format != "jsonl":
        raise ConfigError("--resume works with --format jsonl only (the other formats are written whole)")
    limit = _max_bytes(max_bytes)
    sources = plan_sources(paths)  # a missing path fails here, before any output
    skip = done_ids(out) if resume and out else set()
    todo = sum(1 for s in sources if s.id not in skip)
    kind: Literal["auto", "llm", "rules"] = backend  # type: ignore[assignment]
    settings = Settings(backend=kind, model=model, prompt_version=prompt, base_url=base_url,
                        use_cache=not no_cache, concurrency=concurrency, mode=mode,
                        idle_timeout=idle_timeout, deadline=deadline)
    settings, chosen = _choose_backend(settings)
    docs = load_documents(paths, max_bytes=limit, skip=skip)
    sink = LineSink(out, resume=resume)
    try:
        writer = open_writer(output_format, sink, out, full=full, bom=bom, companion_dir=companion_dir,
                             formula_guard=formula_guard)
        try:
            failed = asyncio.run(_run(docs, settings, chosen, writer, todo, notify_errors=output_format == "ctgov"))
        finally:
            writer.close()
    finally:
        sink.close()
    raise typer.Exit(1 if failed else 0)


async def _run(docs: Any, settings: Settings, backend: Backend, writer: Writer, total: int, *,
               notify_errors: bool = False) -> int:
    failed = 0
    show = sys.stderr.isatty() and total >= PROGRESS_MIN_DOCS
    progress_cm: Any = nullcontext()
    if show:
        from rich.progress import Progress

        from cli.common import err_console

        progress_cm = Progress(console=err_console, transient=True, redirect_stdout=False, redirect_stderr=False)
    with progress_cm as progress:
        task = progress.add_task("extracting", total=total) if show else None
        try:
            async for item in extract_stream(docs, settings, backend=backend):
                if isinstance(item, DocumentError):
                    failed += 1
                    if notify_errors:
                        notice(f"{item.id}: {item.error.get('code')}: {item.error.get('message')} (no study written)")
                writer.write(item.model_dump(mode="json"))
                if show:
                    progress.advance(task)
        finally:
            await backend.aclose()
    return failed
