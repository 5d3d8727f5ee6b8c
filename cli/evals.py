"""`trialx eval`, `trialx score`, `trialx compare`: generate, score and compare runs on gold.

Generation (eval) and scoring are separate: `score` and `compare` read run directories only.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console

from cli.common import notice
from evals.compare import compare_runs, has_failed, load_run
from evals.report import compare_table, field_table, write_compare_report
from evals.runs import ROOT, ScoredRun, generate_run, load_gold, load_prices, new_run_dir, score_run, write_json
from evals.scoring import field_specs
from extractor.errors import ConfigError

out_console = Console(highlight=False, soft_wrap=False, width=160)


def _default_gold() -> Path:
    local = Path("gold")
    return local if (local / "records").is_dir() else ROOT / "gold"


def parse_min_scores(items: list[str]) -> dict[str, float]:
    """FIELD=VALUE pairs ('overall' included) -> thresholds; anything else is a usage error."""
    known = {"overall", *(s.name for s in field_specs())}
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        try:
            threshold = float(value)
        except ValueError:
            threshold = math.nan
        if not sep or math.isnan(threshold) or not 0 <= threshold <= 1:
            raise ConfigError(f"--min-score {item!r}: write FIELD=VALUE with VALUE in [0, 1], e.g. enrollment=0.9")
        if name not in known:
            raise ConfigError(f"--min-score {item!r}: unknown field {name!r} (use 'overall' or a field of 'trialx schema')")
        out[name] = threshold
    return out


def check_min_scores(scores: dict[str, Any], thresholds: dict[str, float], label: str = "") -> list[str]:
    """One message per threshold not met; a field never scored does not meet its threshold."""
    failures = []
    for name, threshold in thresholds.items():
        score = scores["overall"].get("score") if name == "overall" else scores["fields"].get(name, {}).get("score")
        if score is None or score < threshold:
            shown = "not scored" if score is None else f"{score:.3f}"
            failures.append(f"{label}{name} score {shown} is below --min-score {threshold:g}")
    return failures


def _label(prompt: str | None, model: str | None, n_prompts: int, n_models: int) -> str:
    parts = []
    if n_prompts > 1:
        parts.append(f"prompt-{prompt}")
    if n_models > 1:
        parts.append(f"model-{model}")
    return re.sub(r"[^A-Za-z0-9._-]+", "_", "_".join(parts)) or "run"


def _print_run(run: ScoredRun, title: str | None = None) -> None:
    out_console.print(field_table(run.scores, title=title))
    out_console.print(f"run directory: {run.dir}")


def eval_command(
    gold: Optional[Path] = typer.Option(None, "--gold", help="Gold directory (sources/<id>.txt, records/<id>.json); default gold/."),
    backend: str = typer.Option("auto", "--backend", help="auto, llm or rules."),
    prompt: list[str] = typer.Option([], "--prompt", help="Prompt version; repeat to compare two prompts."),
    model: list[str] = typer.Option([], "--model", help="Model name; repeat to compare two models."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible server URL."),
    mode: Optional[str] = typer.Option(None, "--mode", help="auto (default), tools, json_schema, json or md_json."),
    out: Optional[Path] = typer.Option(None, "--out", help="Run directory (default: a new one under $TRIALX_HOME/runs)."),
    min_score: list[str] = typer.Option([], "--min-score", help="FIELD=VALUE (or overall=VALUE); exit 1 when below."),
    concurrency: int = typer.Option(4, "--concurrency", min=1, help="Documents in flight for the LLM path."),
    idle_timeout: Optional[float] = typer.Option(None, "--idle-timeout", min=0.1, help="LLM: seconds of silence before a "
                                                 "streamed answer is given up (env TRIALX_IDLE_TIMEOUT, default 30)."),
    deadline: Optional[float] = typer.Option(None, "--deadline", min=0.1, help="LLM: seconds one answer may take "
                                             "(env TRIALX_DEADLINE, default 900)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the response cache."),
    prices: Optional[Path] = typer.Option(None, "--prices", help="JSON price table {MODEL: {input, output}} in USD per 1M tokens (or $TRIALX_PRICES)."),
) -> None:
    """Extract every gold source, score it against gold, write RUN_DIR and print a per-field table.

    Example: trialx eval --gold gold --backend rules --min-score overall=0.6
    """
    from extractor import Settings

    if backend not in ("auto", "llm", "rules"):
        raise ConfigError(f"--backend {backend!r}: use auto, llm or rules")
    thresholds = parse_min_scores(min_score)
    price_table = load_prices(prices)
    gold_set = load_gold(gold or _default_gold())
    run_dir = out or new_run_dir()
    no_choice: list[str | None] = [None]
    variants = list(itertools.product(list(prompt) or no_choice, list(model) or no_choice))
    multi = len(variants) > 1
    runs: list[ScoredRun] = []
    for p, m in variants:
        label = _label(p, m, len(prompt), len(model)) if multi else None
        target = run_dir / label if label else run_dir
        settings = Settings(backend=backend, model=m, prompt_version=p, base_url=base_url,  # type: ignore[arg-type]
                            use_cache=not no_cache, concurrency=concurrency, mode=mode,
                            idle_timeout=idle_timeout, deadline=deadline)
        generate_run(gold_set, target, settings, label=label)
        runs.append(score_run(target, gold_set.dir, prices=price_table))
    failures: list[str] = []
    for run in runs:
        label = run.scores["run"].get("label")
        _print_run(run, title=f"{label}: overall {run.scores['overall']['score']:.3f}" if label else None)
        failures += check_min_scores(run.scores, thresholds, f"{label}: " if label else "")
        if run.scores["overall"]["failed_documents"]:
            first = next(d.error for d in run.documents if d.error)
            failures.append(f"{run.scores['overall']['failed_documents']} document(s) could not be extracted"
                            + (f" in {label}" if label else "") + f" (first: {first})")
    if multi:
        base = load_run(runs[0].dir)
        for other in runs[1:]:
            comparison = compare_runs(base, load_run(other.dir), gold_dir=gold_set.dir)
            suffix = "" if len(runs) == 2 else f"_{runs[0].dir.name}_vs_{other.dir.name}"
            write_json(run_dir / f"compare{suffix}.json", comparison)
            html = write_compare_report(comparison, run_dir)
            if suffix:
                html.replace(run_dir / f"compare{suffix}.html")
            out_console.print(compare_table(comparison))
    for message in failures:
        notice(message)
    if failures:
        raise typer.Exit(1)


def score_command(
    run_dir: Path = typer.Argument(..., help="A run directory made by 'trialx eval'."),
    gold: Optional[Path] = typer.Option(None, "--gold", help="Gold directory; default: the one recorded in the run, else gold/."),
    min_score: list[str] = typer.Option([], "--min-score", help="FIELD=VALUE (or overall=VALUE); exit 1 when below."),
    prices: Optional[Path] = typer.Option(None, "--prices", help="JSON price table (or $TRIALX_PRICES)."),
) -> None:
    """Score the predictions saved in RUN_DIR again (rewrites scores.json and report.html); no model call.

    Example: trialx score ~/.local/share/trialx/runs/20250101T120000Z --gold gold
    """
    if not run_dir.is_dir():
        raise ConfigError(f"{run_dir} is not a directory (pass a run directory made by 'trialx eval')")
    thresholds = parse_min_scores(min_score)
    run = score_run(run_dir, gold, prices=load_prices(prices))
    _print_run(run)
    failures = check_min_scores(run.scores, thresholds)
    for message in failures:
        notice(message)
    if failures:
        raise typer.Exit(1)


def compare_command(
    run_a: Path = typer.Argument(..., help="The baseline run directory (A)."),
    run_b: Path = typer.Argument(..., help="The candidate run directory (B)."),
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
    fail_on_regression: bool = typer.Option(False, "--fail-on-regression",
                                            help="Exit 1 when a field is significantly worse or any document regressed."),
    alpha: float = typer.Option(0.05, "--alpha", min=0.0, max=1.0, help="Significance level after correction."),
    correction: str = typer.Option("holm", "--correction", help="holm or bh (Benjamini-Hochberg)."),
    gold: Optional[Path] = typer.Option(None, "--gold", help="Gold directory for the gold values shown (default: the runs')."),
    out: Optional[Path] = typer.Option(None, "--out", help="Also write compare.json and compare.html into this directory."),
) -> None:
    """Compare two scored runs: per-field deltas with intervals, paired tests, regressions.

    Example: trialx compare runs/base runs/new --json --fail-on-regression
    """
    if correction not in ("holm", "bh"):
        raise ConfigError(f"--correction {correction!r}: use holm or bh")
    for path in (run_a, run_b):
        if not path.is_dir():
            raise ConfigError(f"{path} is not a directory (pass two run directories made by 'trialx eval')")
    comparison = compare_runs(load_run(run_a), load_run(run_b), alpha=alpha, correction=correction, gold_dir=gold)
    if out is not None:
        write_json(out / "compare.json", comparison)
        write_compare_report(comparison, out)
    if as_json:
        sys.stdout.write(json.dumps(comparison, ensure_ascii=False, indent=2) + "\n")
    else:
        out_console.print(compare_table(comparison))
        for r in comparison["regressions"]:
            out_console.print(f"regression {r['id']} {r['field']}: {r['a_score']:.2f} -> {r['b_score']:.2f}", markup=False)
            for line in r["differences"]:
                out_console.print(f"    {line}", markup=False)
    if fail_on_regression and has_failed(comparison):
        raise typer.Exit(1)
