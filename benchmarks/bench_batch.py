"""Batch runs at size: 10,000 documents prepare -> fake batch engine -> collect, and the faults.

`python -m benchmarks.bench_batch [--n 10000] [--check 1000] [--fault-n 1000]` prints one JSON object:
- prepare / run / collect: seconds and peak resident memory, each phase in a fresh subprocess
  (`VmHWM`, as benchmarks/memprobe.py): streaming keeps the peak flat in the number of documents.
  The pages are benchmarks.corpus pages written to a temp directory. The "run" phase is a fake
  Batch-format runner (vLLM's `run_batch` file format): it streams the request files through
  tests/fake_openai.py's model (`respond`), whose answer is the rules record of the document.
- identity: the first `--check` documents through the real-time path (`extract_stream` against
  the same fake model over HTTP) against the batch result lines, usage aside: how many differ.
- faults (`--fault-n` documents each, through tests/fake_batch.py's Batch API over HTTP): an
  expired batch, a cancelled one, an output with 5% error lines (429/500), each collected, retried
  as a new batch and collected again; and a collect killed with SIGKILL mid-file and run again.
  For each: documents in the results, duplicates, LLM_FAILED before and after the retry.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _peak_mb() -> float:
    from benchmarks.memprobe import peak_rss_mb

    return round(peak_rss_mb()[0], 1)


def _responder(body: dict[str, Any]) -> dict[str, Any]:
    from benchmarks import fakeserver
    from tests.fake_openai import document_text

    return dict(fakeserver.rules_answer(document_text(body)))


# -- phases, each run in its own process --------------------------------------------------------
def phase_prepare(pages: str, run: str) -> dict[str, Any]:
    from batch import prepare
    from extractor.llm import LLMConfig

    t0 = time.perf_counter()
    manifest = prepare([pages], run, LLMConfig(model="fake-model"))
    return {"seconds": round(time.perf_counter() - t0, 2), "peak_mb": _peak_mb(), "documents": manifest["documents"],
            "requests": manifest["requests"], "files": len(manifest["files"]),
            "request_mb": round(sum(f["bytes"] for f in manifest["files"]) / 2**20, 1)}


def phase_run(run: str, out: str) -> dict[str, Any]:
    from tests.fake_openai import FakeOpenAI, respond

    model = FakeOpenAI(_responder)
    t0 = time.perf_counter()
    n = 0
    with open(out, "w", encoding="utf-8") as dst:
        for path in sorted(Path(run).glob("requests-*.jsonl")):
            with open(path, encoding="utf-8") as src:
                for raw in src:
                    line = json.loads(raw)
                    status, body = respond(model, line["body"])
                    model.requests.clear()  # the recorder would hold every body
                    dst.write(json.dumps({"id": f"r{n}", "custom_id": line["custom_id"],
                                          "response": {"status_code": status, "body": body}, "error": None}) + "\n")
                    n += 1
    return {"seconds": round(time.perf_counter() - t0, 2), "peak_mb": _peak_mb(), "answers": n}


def phase_collect(run: str, files: list[str], out: str) -> dict[str, Any]:
    from batch import BatchDir, collect

    t0 = time.perf_counter()
    summary = collect(BatchDir(run), out, [Path(f) for f in files])
    return {"seconds": round(time.perf_counter() - t0, 2), "peak_mb": _peak_mb(), "documents": summary.documents,
            "merged": summary.merged, "llm_failed": summary.llm_failed, "tokens": summary.tokens["batch"]}


def phase_identity(pages: str, results: str, check: int) -> dict[str, Any]:
    from extractor import Settings, extract_stream
    from extractor.inputs import load_documents, plan_sources
    from tests.fake_openai import FakeOpenAI

    paths = [s.path for s in plan_sources([pages])][:check]
    batch_lines = []
    with open(results, encoding="utf-8") as fh:
        for raw in fh:
            batch_lines.append(json.loads(raw))
            if len(batch_lines) >= check:
                break

    async def realtime(base_url: str) -> list[dict[str, Any]]:
        settings = Settings(backend="llm", base_url=base_url, use_cache=False, concurrency=16)
        return [r.model_dump(mode="json") async for r in extract_stream(load_documents([str(p) for p in paths]), settings)]

    with FakeOpenAI(_responder) as fake:
        t0 = time.perf_counter()
        lines = asyncio.run(realtime(fake.base_url))
        seconds = time.perf_counter() - t0
    differ = sum(1 for a, b in zip(lines, batch_lines) if {**a, "usage": None} != {**b, "usage": None})
    return {"documents": len(lines), "differ": differ + abs(len(lines) - len(batch_lines)),
            "realtime_seconds": round(seconds, 2)}


def _child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_batch", "--phase", *args], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- faults, through the fake Batch API --------------------------------------------------------
def _accounting(out: Path, store: Any) -> dict[str, int]:
    ids = [json.loads(x)["id"] for x in out.read_text(encoding="utf-8").splitlines()]
    expected = [d["id"] for d in store.documents()]
    failed = sum(1 for x in out.read_text(encoding="utf-8").splitlines() if '"LLM_FAILED"' in x)
    return {"documents": len(expected), "in_results": len(ids), "duplicates": len(ids) - len(set(ids)),
            "missing": len(set(expected) - set(ids)), "in_order": int(ids == expected), "llm_failed": failed}


def _collect_in_child(run: Path, files: list[Path], out: Path) -> None:
    from batch import BatchDir, collect

    try:
        collect(BatchDir(run), out, files)
    finally:
        os._exit(0)


def fault(kind: str, pages: str, work: Path) -> dict[str, Any]:
    import openai

    from batch import BatchDir, collect, gather, prepare, refresh, retry, submit
    from extractor.llm import LLMConfig
    from tests.fake_batch import FakeBatchAPI
    from tests.fake_openai import FakeOpenAI

    store = BatchDir(work / f"run-{kind}")
    prepare([pages], store.path, LLMConfig(model="fake-model"))
    n = store.manifest()["requests"]
    faults = ["ok"] * n
    if kind == "errors5":
        faults = ["429" if i % 40 == 3 else "500" if i % 40 == 23 else "ok" for i in range(n)]
    outcome = {"expired": "expired", "cancelled": "cancelled"}.get(kind, "completed")
    out = work / f"results-{kind}.jsonl"
    report: dict[str, Any] = {}
    with FakeBatchAPI(model=FakeOpenAI(_responder, by_request=faults), outcomes=[outcome], partial=0.6) as fake:
        api = openai.OpenAI(api_key="k", base_url=fake.base_url, max_retries=0)
        submit(api, store)
        if kind == "cancelled":
            api.batches.cancel(next(iter(fake.batches)))
        refresh(api, store)
        files = gather(api, store)
        if kind == "crash_in_collect":
            proc = multiprocessing.get_context("fork").Process(target=_collect_in_child, args=(store.path, files, out))
            proc.start()
            tmp = Path(str(out) + ".tmp")
            while proc.is_alive() and not (tmp.exists() and tmp.stat().st_size > 200_000):
                time.sleep(0.005)
            proc.kill()
            proc.join()
            report["killed_mid_file"] = int(proc.exitcode == -9 and not out.exists())
        collect(store, out, files)
        report["first"] = _accounting(out, store)
        if report["first"]["llm_failed"]:
            report["retried"] = retry(store, files, api=api)["failed"]
            refresh(api, store)
            collect(store, out, gather(api, store))
            report["after_retry"] = _accounting(out, store)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--check", type=int, default=1000, help="documents compared with the real-time path")
    parser.add_argument("--fault-n", type=int, default=1000)
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        name, *rest = args.phase
        result = {"prepare": lambda: phase_prepare(*rest), "run": lambda: phase_run(*rest),
                  "collect": lambda: phase_collect(rest[0], rest[1:-1], rest[-1]),
                  "identity": lambda: phase_identity(rest[0], rest[1], int(rest[2]))}[name]()
        print(json.dumps(result))
        return 0
    from benchmarks.corpus import iter_pages

    with tempfile.TemporaryDirectory(prefix="trialx-bench-batch-") as tmp:
        work = Path(tmp)
        pages = work / "pages"
        pages.mkdir()
        for doc_id, text in iter_pages(args.n):
            (pages / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        run, output, results = work / "run", work / "output.jsonl", work / "results.jsonl"
        report: dict[str, Any] = {"documents": args.n}
        report["prepare"] = _child(["prepare", str(pages), str(run)])
        report["run"] = _child(["run", str(run), str(output)])
        report["collect"] = _child(["collect", str(run), str(output), str(results)])
        report["identity"] = _child(["identity", str(pages), str(results), str(args.check)])
        small = work / "small"
        small.mkdir()
        for doc_id, text in iter_pages(args.fault_n):
            (small / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        report["faults"] = {kind: fault(kind, str(small), work) for kind in ("expired", "cancelled", "errors5", "crash_in_collect")}
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
