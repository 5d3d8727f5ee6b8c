"""`trialx serve`: the HTTP service (FastAPI on uvicorn) over the durable job store."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import typer

from extractor import Settings
from extractor.errors import ConfigError



def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (beyond loopback needs tokens)."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="Port to listen on."),
    backend: str = typer.Option("auto", "--backend", help="Default backend: auto, llm or rules."),
    model: str | None = typer.Option(None, "--model", help="Model name for the LLM backend."),
    prompt: str | None = typer.Option(None, "--prompt", help="Prompt version for the LLM backend."),
    base_url: str | None = typer.Option(None, "--base-url", help="OpenAI-compatible server URL."),
    mode: str | None = typer.Option(None, "--mode", help="How the model returns JSON (see trialx extract --help)."),
    concurrency: int = typer.Option(4, "--concurrency", min=1, max=256, help="Documents worked on at once."),
    tokens_file: Path | None = typer.Option(None, "--tokens-file", help="File of name=token lines (else TRIALX_API_TOKENS)."),
    review_run: list[Path] = typer.Option([], "--review-run", help="A saved run directory to open in the review page "
                                          "(/review/jobs); repeatable."),
    insecure_cookie: bool = typer.Option(False, "--insecure-cookie", help="Send the review page's session cookie "
                                         "over plain HTTP to a host other than localhost (behind no TLS proxy)."),
) -> None:
    """Serve the HTTP API (POST /v1/extract, /v1/jobs; docs at /docs) and the review page (/review/jobs).

    Example: TRIALX_API_TOKENS=me=secret trialx serve --port 8000 --review-run ~/.local/share/trialx/runs/X
    """
    if backend not in ("auto", "llm", "rules"):
        raise ConfigError(f"--backend must be auto, llm or rules, not {backend!r}")
    import uvicorn

    from service import ServiceConfig, create_app

    kind: Literal["auto", "llm", "rules"] = backend  # type: ignore[assignment]
    settings = Settings(backend=kind, model=model, prompt_version=prompt, base_url=base_url, mode=mode,
                        concurrency=concurrency)
    for run in review_run:
        if not (run / "predictions.jsonl").is_file():
            raise ConfigError(f"--review-run {run}: no predictions.jsonl there (pass a run directory of 'trialx eval')")
    config = ServiceConfig(host=host, port=port, settings=settings, tokens_file=tokens_file, workers=concurrency,
                           review_runs=tuple(review_run), secure_cookie=not insecure_cookie)
    app = create_app(config)
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)
