"""`make bench`: speed, cost and scale of trialx, side by side with google's langextract.

Writes `benchmarks/results/latest.json` and regenerates `benchmarks/RESULTS.md`, and prints a
table. `--quick` runs every section on a handful of documents (the smoke test uses it, with
`--out-dir` pointing at a temp folder); its figures are not meant to be read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import measure
from benchmarks.corpus import base_records

HERE = Path(__file__).resolve().parent
LATENCY = 0.25
CONCURRENCIES = [1, 4, 16, 64]


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    try:
        import psutil

        info["memory_gb"] = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        info["memory_gb"] = None
    return info


def run_all(quick: bool, use_shared: bool, skip: set[str]) -> dict[str, Any]:
    pairs_for = measure.corpus_for(use_shared)
    _, source = base_records(use_shared)
    results: dict[str, Any] = {"machine": machine(), "quick": quick, "corpus": source, "sections": {}}
    plan = {
        "rules": lambda: measure.bench_rules(pairs_for(12 if quick else 600)),
        "precision": lambda: measure.bench_rules_precision(use_shared, 4 if quick else None),
        "llm": lambda: measure.bench_llm(pairs_for, [1, 4] if quick else CONCURRENCIES, 0.05 if quick else LATENCY,
                                         waves=1 if quick else 16),
        "tokens": lambda: measure.bench_tokens(pairs_for(3 if quick else 24)),
        "langextract": lambda: measure.bench_langextract(
            pairs_for(3 if quick else 64), 0.05 if quick else LATENCY, 16,
            {"default chunks (1000 chars)": 1000, "whole document": 12000}),
        "scoring": lambda: measure.bench_scoring(quick),
        "memory": lambda: measure.bench_memory(30 if quick else 10_000, use_shared),
    }
    for name, fn in plan.items():
        if name in skip:
            results["sections"][name] = {"unavailable": "skipped (--skip)"}
            continue
        started = time.perf_counter()
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        results["sections"][name] = fn()
        results["sections"][name]["section_seconds"] = round(time.perf_counter() - started, 1)
    results["targets"] = targets(results["sections"])
    return results


def _get(d: Any, *path: str) -> Any:
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


def targets(s: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with its measured value and pass / miss (None when not measured)."""
    c16 = _get(s, "llm", "runs", "16") or {}
    cpu = [r["cpu_ms_per_doc"] for r in (_get(s, "llm", "runs") or {}).values()]
    overheads = [v.get("overhead_per_doc_o200k", v.get("overhead_per_doc_server"))
                 for v in (_get(s, "tokens", "versions") or {}).values()]
    rows = [
        ("throughput at c=16, 250 ms", "% of ideal", c16.get("pct_of_ideal"), ">=", 90.0),
        ("trialx CPU per document (worst concurrency)", "ms", max(cpu) if cpu else None, "<", 20.0),
        ("schema + instructions overhead (worst prompt)", "tokens/doc", max(overheads) if overheads else None, "<=", 2500.0),
        ("peak RSS streaming 10,000 docs", "MB", _get(s, "memory", "peak_rss_mb"), "<", 300.0),
        ("rules extractor", "docs/s", _get(s, "rules", "extract_rules", "docs_per_s"), ">=", 500.0),
        ("rules backend (with grounding + checks)", "docs/s", _get(s, "rules", "rules_result", "docs_per_s"), ">=", 500.0),
    ]
    out = []
    for name, unit, value, op, limit in rows:
        ok = None if value is None else {"<": value < limit, "<=": value <= limit, ">=": value >= limit}[op]
        out.append({"target": name, "unit": unit, "value": value, "limit": f"{op} {limit:g}", "met": ok})
    return out


# -- presentation -----------------------------------------------------------------------------
def rows(r: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(metric, trialx, langextract, note) rows shared by the console table and RESULTS.md."""
    s = r["sections"]
    out: list[tuple[str, str, str, str]] = []

    def na(section: str) -> str | None:
        reason = _get(s, section, "unavailable")
        return f"unavailable: {reason}" if reason else None

    if (why := na("rules")) is None:
        for key, label in (("extract_rules", "rules extractor"), ("rules_result", "rules backend (+grounding, checks)")):
            v = s["rules"][key]
            out.append((f"{label}: docs/s", f"{v['docs_per_s']:.0f}", "", f"median {v['median_ms']} ms, p95 {v['p95_ms']} ms, {s['rules']['documents']} docs of {s['rules']['mean_kb']} KB avg"))
    else:
        out.append(("rules", why, "", ""))
    if (why := na("precision")) is None:
        p = s["precision"]
        worst = ", ".join(f"{k} {v}" for k, v in list(p["by_field"].items())[:4]) or "none"
        kind = "CT.gov-derived" if str(p["corpus"]).startswith("shared") else "template"
        out.append((f"rules wrong-or-extra values on {p['pages']} {kind} pages",
                    f"{p['wrong_or_extra']} of {p['filled_values']} filled (precision {p['precision']})", "",
                    f"by field: {worst}; {p['corpus']}"))
    else:
        out.append(("rules precision", why, "", ""))
    lx = _get(s, "langextract", "configs") or {}
    lx_na = na("langextract")
    if (why := na("llm")) is None:
        for c, v in s["llm"]["runs"].items():
            peer = ""
            if c == "16":
                peer = "; ".join(f"{k}: {x['docs_per_s']}" for k, x in lx.items()) if lx else (lx_na or "")
            err = f", {v['errors']} errors" if v["errors"] else ""
            out.append((f"LLM docs/s, c={c} ({s['llm']['latency_s'] * 1000:.0f} ms)", f"{v['docs_per_s']} ({v['pct_of_ideal']}% of {v['ideal_docs_per_s']})",
                        peer, f"{v['documents']} docs, {v['requests']} requests{err}"))
            cpu_peer = "; ".join(f"{k}: {x['cpu_ms_per_doc']}" for k, x in lx.items()) if c == "16" and lx else ""
            out.append((f"client CPU ms/doc, c={c}", f"{v['cpu_ms_per_doc']}", cpu_peer, "process_time of the client; server in its own process"))
    else:
        out.append(("LLM pipeline", why, lx_na or "", ""))
    if (why := na("tokens")) is None:
        t = s["tokens"]
        out.append(("document tokens (avg)", f"{t['doc_tokens_o200k']} o200k / {t['doc_tokens_estimate']} est", "same documents", t["tokenizer"]))
        for ver, v in t["versions"].items():
            o = v.get("prompt_tokens_per_doc_o200k")
            out.append((f"prompt tokens/doc, prompt {ver}", f"{o} o200k / {v['prompt_tokens_per_doc_server']} server",
                        "", f"overhead {v.get('overhead_per_doc_o200k')} o200k / {v['overhead_per_doc_server']} server; {v['requests_per_doc']} req/doc"))
        for k, x in lx.items():
            out.append((f"prompt tokens/doc, langextract ({k})", "", f"{x.get('prompt_tokens_per_doc_o200k')} o200k / {x['prompt_tokens_per_doc_server']} server",
                        f"{x['requests_per_doc']} req/doc, {x['extractions_per_doc']} extractions/doc"))
    else:
        out.append(("prompt tokens", why, "", ""))
    if (why := na("scoring")) is None:
        sc = {k: v for k, v in s["scoring"].items() if k != "section_seconds"}
        rps = sc.get("records_per_s") or sc.get("records_per_second")
        out.append(("scoring: records/s", f"{rps}" if rps is not None else json.dumps(sc)[:60], "", "benchmarks/bench_scoring.py"))
    else:
        out.append(("scoring", why, "", ""))
    if (why := na("memory")) is None:
        m = s["memory"]
        out.append((f"peak RSS streaming {m['documents']} docs", f"{m['peak_rss_mb']} MB", "",
                     f"{m['baseline_rss_mb']} MB after imports; {m['docs_per_s']} docs/s; {m['errors']} errors"))
    else:
        out.append(("memory", why, "", ""))
    return out


def print_table(r: dict[str, Any]) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # rich is a core dependency; plain text if it ever is not
        for row in rows(r):
            print(" | ".join(row))
        return
    table = Table(title=f"trialx bench ({r['machine']['cores']} cores, Python {r['machine']['python']}, {r['corpus']})")
    for col in ("metric", "trialx", "langextract", "note"):
        table.add_column(col, overflow="fold")
    for row in rows(r):
        table.add_row(*row)
    console = Console(width=max(140, Console().width))
    console.print(table)
    t2 = Table(title="targets")
    for col in ("target", "value", "limit", "met"):
        t2.add_column(col)
    for t in r["targets"]:
        met = "n/a" if t["met"] is None else ("yes" if t["met"] else "NO")
        t2.add_row(t["target"], f"{t['value']} {t['unit']}" if t["value"] is not None else "unavailable", t["limit"], met)
    console.print(t2)


def markdown(r: dict[str, Any]) -> str:
    m = r["machine"]
    lines = [
        "# Benchmark results",
        "",
        "Regenerated by `make bench` (`benchmarks/run.py`); the raw figures are in `results/latest.json`.",
        "",
        f"Machine: {m['cores']} cores, {m['memory_gb']} GB memory, Python {m['python']}, {m['platform']}; run {m['date']}.",
        f"Corpus: 5-10 KB registry-like pages rendered from {r['corpus']} in three layouts (label, heading, aggregator).",
        "",
        "| metric | trialx | langextract | note |",
        "|---|---|---|---|",
    ]
    lines += [f"| {' | '.join(c.replace('|', '/') for c in row)} |" for row in rows(r)]
    lines += ["", "## Targets", "", "| target | value | limit | met |", "|---|---|---|---|"]
    for t in r["targets"]:
        met = "n/a" if t["met"] is None else ("yes" if t["met"] else "**no**")
        value = f"{t['value']} {t['unit']}" if t["value"] is not None else "unavailable"
        lines.append(f"| {t['target']} | {value} | {t['limit']} | {met} |")
    lines += ["", "## How each figure is measured", "", METHODS]
    return "\n".join(lines) + "\n"


# Sections below this line are written by their own benchmarks (bench_batch, bench_service, ...):
# `make bench` regenerates what is above it and keeps them as they are.
KEPT_MARKER = "<!-- other benchmarks' sections: kept by make bench -->"


def kept_sections(page: Path) -> str:
    """The other benchmarks' sections of an existing RESULTS.md, from the marker on (or just the marker)."""
    text = page.read_text(encoding="utf-8") if page.exists() else ""
    at = text.find(KEPT_MARKER)
    return "\n" + (text[at:] if at >= 0 else KEPT_MARKER + "\n")


METHODS = """\
- **Rules**: `extract_rules(text)` and `extract_rules_result(...)` (rules + grounding + checks) called
  one document at a time in one process, after a 5-document warm-up; docs/s = documents / wall time,
  latency from `time.perf_counter()` around each call.
- **Rules precision**: `benchmarks/rules_precision.py` renders every corpus record in the three
  layouts, runs `extract_rules` on each page and compares the record with the CT.gov importer's
  record of the same study, field by field with `evals.scoring` (same thresholds and alignment as
  `trialx eval`). A page need not show every field, so only values the rules filled are judged:
  wrong (differs from the importer's) or extra (the importer has none); a scalar, a list item or an
  unaligned object counts one, an aligned object counts its filled sub-fields. Values the page cut
  short with "…" are skipped. Precision = 1 - wrong-or-extra / filled.
- **LLM pipeline**: the real `extract_stream` with `Settings(backend="llm", use_cache=False,
  concurrency=c)` against `tests/fake_openai.py` run in a **separate process**
  (`benchmarks/fakeserver.py`) with a fixed 250 ms latency per request; 16 waves of `c` documents
  (32 at c=1), after a warm-up: a steady-state figure, since users send thousands of pages and the
  first wave's ramp-up should not dominate. Ideal = c / 0.25 s. Client CPU per document =
  `time.process_time()` of the benchmark process over the run / documents: it holds the rules
  pre-pass, the openai/instructor client, validation, merge, grounding and checks, and none of the
  server's work. The server answers with the rules record of each document, computed **before**
  the timed runs (keyed by a hash of the text): a real model server's work costs the client
  machine nothing, and on 2 cores computing answers per request took CPU from the client.
- **Prompt tokens**: every request the server received, re-counted offline with the o200k_base
  encoding (the `bpe-openai` wheel ships its BPE file; tiktoken would download it at run time) as
  message contents + 3 tokens per message + 3, plus the tool / response-format JSON schema as JSON
  text (an approximation of how OpenAI bills function schemas); and the server's own usage figure
  (chars/4 of the JSON-encoded messages and tools). Overhead = prompt tokens per document minus the
  document's own tokens (same counter).
- **langextract**: `lx.extract` with its OpenAI provider (`ModelConfig(provider="OpenAILanguageModel",
  provider_kwargs={"base_url": <fake server>})`), JSON output without fences, schema constraints off,
  `max_workers=batch_length=16`, one few-shot example over the same fields; the same documents and
  server (the responder answers langextract's requests with `{"extractions": [...]}` of verbatim
  spans). Run with its default 1000-character chunks and with whole documents in one chunk.
- **Scoring**: `benchmarks/bench_scoring.py` (the eval engineer's), records per second.
- **Memory**: `benchmarks/memprobe.py` in a fresh subprocess streams 10,000 generated pages through
  `extract_stream` (rules backend) into a JSON Lines temp file; peak = `VmHWM` of that process
  (not `ru_maxrss`, which Linux carries over from the parent across fork + exec).
- Wall-clock figures come from one run on a 2-core machine that may be busy with other work;
  expect ±20% between runs. CPU-per-document and token figures are steadier.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a handful of documents per section (smoke test)")
    parser.add_argument("--no-shared", action="store_true", help="use the bundled template instead of ../shared/ctgov")
    parser.add_argument("--out-dir", type=Path, default=HERE, help="where results/latest.json and RESULTS.md go")
    parser.add_argument("--skip", action="append", default=[], help="section to skip (repeatable)")
    args = parser.parse_args(argv)
    results = run_all(args.quick, not args.no_shared, set(args.skip))
    out = args.out_dir / "results" / "latest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    page = args.out_dir / "RESULTS.md"
    page.write_text(markdown(results) + kept_sections(page), encoding="utf-8")
    print_table(results)
    print(f"wrote {out} and {args.out_dir / 'RESULTS.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
