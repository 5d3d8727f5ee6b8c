"""`trialx batch`: prepare, submit, status, collect and retry a run through a Batch API or vLLM.

Example (OpenAI):  trialx batch prepare pages/ --out run/ && trialx batch submit run/
                   trialx batch status run/ && trialx batch collect run/ --out results.jsonl
Example (vLLM):    trialx batch prepare pages/ --out run/ --model MODEL
                   python -m vllm.entrypoints.openai.run_batch -i run/requests-001.jsonl -o out-001.jsonl --model MODEL
                   trialx batch collect run/ --from-file out-001.jsonl --out results.jsonl
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from batch import BatchDir, Limits, client, collect, gather, pending_files, prepare, refresh, retry, submit
from cli.common import notice
from evals import batch_cost_usd, load_prices
from extractor.errors import ConfigError
from extractor.llm import LLMConfig
from extractor.outputs import FORMATS

batch_app = typer.Typer(help="Registry-sized runs through OpenAI's Batch API or vLLM's batch runner.",
                        no_args_is_help=True)


@batch_app.command("prepare")
def prepare_command(
    paths: list[str] = typer.Argument(..., metavar="PATH...", help="Files or directories of registry pages."),
    out: Path = typer.Option(..., "--out", "-o", help="The batch directory to write."),
    model: Optional[str] = typer.Option(None, "--model", help="Model name (default $TRIALX_MODEL or gpt-4o-mini)."),
    prompt: Optional[str] = typer.Option(None, "--prompt", help="Prompt version."),
    mode: Optional[str] = typer.Option(None, "--mode", help="tools (auto's first choice), json_schema, json or md_json."),
    max_requests: int = typer.Option(50_000, "--max-requests", min=1, help="Requests per file (Batch API: 50,000)."),
    max_file_mb: float = typer.Option(200, "--max-file-mb", min=0.001, help="Megabytes per file (Batch API: 200)."),
) -> None:
    """Write the requests of `trialx extract` as Batch API files, with the rules' pass kept in DIR."""
    chosen = {k: v for k, v in {"model": model, "prompt_version": prompt, "mode": mode}.items() if v is not None}
    config = LLMConfig(**chosen)  # type: ignore[arg-type]
    manifest = prepare(paths, out, config, limits=Limits(max_requests, int(max_file_mb * 1024 * 1024)))
    notice(f"prepared {manifest['documents']} documents, {manifest['requests']} requests in "
           f"{len(manifest['files'])} file(s) under {out} (model {manifest['model']}, mode {manifest['mode']})")


@batch_app.command("submit")
def submit_command(
    directory: Path = typer.Argument(..., metavar="DIR"),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible server URL (or $OPENAI_BASE_URL)."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Create at most N new batches now (an org's "
                                        "enqueued-token limit); submit again later for the rest."),
) -> None:
    """Upload the request files and create one batch each (submitting again creates none twice)."""
    store = BatchDir(directory)
    store.manifest()  # a directory that was never prepared fails first
    ids = submit(client(base_url), store, limit)
    left = len(pending_files(store)) - len(ids)
    notice(f"{len(ids)} batch(es): {', '.join(ids)}" + (f"; {left} file(s) not submitted yet" if left else ""))


@batch_app.command("status")
def status_command(
    directory: Path = typer.Argument(..., metavar="DIR"),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible server URL."),
) -> None:
    """Each batch's state and request counts, one JSON line each."""
    store = BatchDir(directory)
    store.manifest()
    state = refresh(client(base_url), store)
    if not state:
        notice(f"no batch submitted yet: 'trialx batch submit {directory}'")
    for name, item in state.items():
        print(json.dumps({"file": name, "batch_id": item["batch_id"], "status": item.get("status"),
                          "counts": item.get("counts", {})}))


@batch_app.command("collect")
def collect_command(
    directory: Path = typer.Argument(..., metavar="DIR"),
    out: Path = typer.Option(..., "--out", "-o", help="Results file (JSON Lines, as trialx extract, unless --format)."),
    from_file: list[Path] = typer.Option([], "--from-file", help="Output files of vLLM's run_batch (or any Batch-format runner)."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible server URL."),
    prices: Optional[Path] = typer.Option(None, "--prices", help="JSON price table (or $TRIALX_PRICES)."),
    output_format: str = typer.Option("jsonl", "--format", "-f", help="jsonl (default), table, csv or ctgov, as "
                                      "trialx extract --format; csv companions go beside --out."),
    bom: bool = typer.Option(False, "--bom", help="csv: start each file with a UTF-8 byte-order mark (for Excel)."),
    formula_guard: bool = typer.Option(False, "--formula-guard", help="csv: prefix a cell starting with =, +, -, @ "
                                       "with an apostrophe (spreadsheets never run page text)."),
) -> None:
    """Validate, merge, ground and check every answer: one result line per document, in input order."""
    if output_format not in FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(FORMATS)}, not {output_format!r}")
    for flag, given in (("--bom", bom), ("--formula-guard", formula_guard)):
        if given and output_format != "csv":
            raise ConfigError(f"{flag} applies to --format csv only")
    store = BatchDir(directory)
    store.manifest()
    files = list(from_file) if from_file else gather(client(base_url), store)
    summary = collect(store, out, files, output_format=output_format, bom=bom, formula_guard=formula_guard)
    model = store.manifest()["model"]
    table = load_prices(prices)
    cost = batch_cost_usd(model, summary.tokens, table)
    notice(f"{summary.documents} documents: {summary.merged} merged, {summary.llm_failed} LLM_FAILED, "
           f"{summary.errors} unreadable; tokens {summary.tokens}; cost "
           + (f"${cost:.4f} at the batch price" if cost is not None else "unknown (no price for the model)"))
    if summary.missing:
        notice(f"{len(summary.missing)} request(s) without a valid answer: 'trialx batch retry {directory}'")


@batch_app.command("retry")
def retry_command(
    directory: Path = typer.Argument(..., metavar="DIR"),
    realtime: bool = typer.Option(False, "--realtime", help="Send the failed documents through the real-time path."),
    from_file: list[Path] = typer.Option([], "--from-file", help="Output files of vLLM's runner: the retry files are written for it (DIR/retry<N>-001.jsonl)."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible server URL."),
) -> None:
    """List the requests that failed, expired or were cancelled, and send them again."""
    store = BatchDir(directory)
    store.manifest()
    api = None if from_file else client(base_url)  # with --from-file (vLLM): new files for the runner
    files = list(from_file) if from_file else gather(api, store) if api is not None else []
    sent = retry(store, files, api=api, realtime=realtime, base_url=base_url)
    notice(json.dumps(sent))
