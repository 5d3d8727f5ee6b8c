"""The service under load, and under kill -9: `python -m benchmarks.bench_service [--seconds 60]`.

1. `trialx extract` (rules) on N documents: docs/s, start-up subtracted (a 1-document run).
2. `trialx serve` (rules) on 127.0.0.1: 32 concurrent clients on /v1/extract for --seconds;
   then --jobs jobs of N documents submitted at once and streamed back: docs/s, lost documents,
   /healthz latency meanwhile; compared with the CLI's pipeline in-process run just before and after.
3. Faults: three jobs, each with kill -9 of the server at a random point, restarted; every
   result present exactly once and equal to a kill-free run.
Figures are printed and appended to benchmarks/RESULTS.md (--no-append to skip).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.corpus import pages
from extractor import Document, Settings, extract_documents

ROOT = Path(__file__).resolve().parent.parent
TOKENS = ",".join(f"c{i}=bench-token-{i}" for i in range(32))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-c", "from cli.main import run; run()", *args]


def start_server(home: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TRIALX_HOME": str(home), "TRIALX_API_TOKENS": TOKENS}
    proc = subprocess.Popen(_cmd("serve", "--port", str(port), "--backend", "rules"), cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(1200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start")


def cli_docs_per_s(docs: list[tuple[str, str]], work: Path) -> float:
    folder = work / "cli_docs"
    folder.mkdir()
    for doc_id, text in docs:
        (folder / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    one = work / "one"
    one.mkdir()
    (one / "a.txt").write_text(docs[0][1], encoding="utf-8")
    env = {**os.environ, "TRIALX_HOME": str(work / "cli_home")}

    def timed(path: Path) -> float:
        t = time.perf_counter()
        subprocess.run(_cmd("extract", str(path), "--backend", "rules", "--out", str(work / "out.jsonl")),
                       cwd=ROOT, env=env, check=False, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t

    startup = timed(one)
    return len(docs) / max(1e-9, timed(folder) - startup)


def pipeline_docs_per_s(docs: list[tuple[str, str]]) -> tuple[float, float]:
    """`trialx extract`'s pipeline in-process (extract_stream + one JSON line each), no start-up:
    documents per second of wall time and per second of this process's CPU time."""
    t, cpu = time.perf_counter(), time.process_time()
    for r in extract_documents([Document(d, d, x) for d, x in docs], Settings(backend="rules")):
        json.dumps(r.model_dump(mode="json"))
    return len(docs) / (time.perf_counter() - t), len(docs) / (time.process_time() - cpu)


def cpu_seconds(pid: int) -> float:
    """A process's user + system CPU time so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else 0.0


async def load_extract(url: str, docs: list[tuple[str, str]], seconds: float, clients: int) -> dict[str, Any]:
    lat: list[float] = []
    errors = 0
    end = time.perf_counter() + seconds

    async def client(i: int) -> None:
        nonlocal errors
        h = {"Authorization": f"Bearer bench-token-{i}"}
        async with httpx.AsyncClient(base_url=url, timeout=60) as c:
            k = i
            while time.perf_counter() < end:
                doc_id, text = docs[k % len(docs)]
                k += clients
                t = time.perf_counter()
                r = await c.post("/v1/extract", json={"id": doc_id, "text": text}, headers=h)
                lat.append(time.perf_counter() - t)
                if r.status_code != 200 or "record" not in r.json():
                    errors += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    wall = time.perf_counter() - t0
    return {"requests": len(lat), "rps": len(lat) / wall, "p50_ms": _pct(lat, .5) * 1000,
            "p99_ms": _pct(lat, .99) * 1000, "errors": errors}


async def load_jobs(url: str, docs: list[tuple[str, str]], jobs: int) -> dict[str, Any]:
    body = "\n".join(json.dumps({"id": d, "text": t}) for d, t in docs)
    lost = errors = 0
    lat: list[float] = []

    async def one(i: int) -> int:
        nonlocal lost, errors
        h = {"Authorization": f"Bearer bench-token-{i}"}
        async with httpx.AsyncClient(base_url=url, timeout=600) as c:
            t = time.perf_counter()
            r = await c.post("/v1/jobs", content=body, headers={**h, "content-type": "application/x-ndjson"})
            if r.status_code != 202:
                errors += 1
                return 0
            async with c.stream("GET", f"/v1/jobs/{r.json()['id']}/results", headers=h) as s:
                ids = [json.loads(x)["id"] async for x in s.aiter_lines() if x]
            lat.append(time.perf_counter() - t)
            lost += len(docs) - len(ids) if ids == [d for d, _ in docs][:len(ids)] else len(docs)
            return len(ids)

    probes: list[float] = []
    running = True

    async def probe() -> None:  # is the event loop responsive while the jobs run?
        async with httpx.AsyncClient(base_url=url, timeout=60) as c:
            while running:
                t = time.perf_counter()
                await c.get("/healthz")
                probes.append(time.perf_counter() - t)
                await asyncio.sleep(0.2)

    prober = asyncio.create_task(probe())
    t0 = time.perf_counter()
    got = await asyncio.gather(*(one(i) for i in range(jobs)))
    wall = time.perf_counter() - t0
    running = False
    await prober
    return {"jobs": jobs, "docs": sum(got), "docs_per_s": sum(got) / wall, "p50_job_s": _pct(lat, .5),
            "errors": errors, "lost": lost, "health_p50_ms": _pct(probes, .5) * 1000,
            "health_p99_ms": _pct(probes, .99) * 1000}


def stable(line: dict[str, Any]) -> dict[str, Any]:
    usage = dict(line.get("usage") or {})
    usage.pop("latency_s", None)
    return {**line, "usage": usage}


def faults(docs: list[tuple[str, str]], work: Path, runs: int, rng: random.Random) -> dict[str, Any]:
    expected = [stable(r.model_dump(mode="json")) for r in
                extract_documents([Document(d, d, t) for d, t in docs], Settings(backend="rules"))]
    body = "\n".join(json.dumps({"id": d, "text": t}) for d, t in docs)
    h = {"Authorization": "Bearer bench-token-0"}
    kills = exact = 0
    for run in range(runs):
        home, port = work / f"fault{run}", _free_port()
        url = f"http://127.0.0.1:{port}"
        proc = start_server(home, port)
        job_id = httpx.post(f"{url}/v1/jobs", content=body, headers={**h, "content-type": "application/x-ndjson"},
                            timeout=60).json()["id"]
        for _ in range(2):  # two kills per job at random points
            time.sleep(rng.uniform(0.05, 1.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            proc = start_server(home, port)
        with httpx.stream("GET", f"{url}/v1/jobs/{job_id}/results", headers=h, timeout=600) as r:
            lines = [stable(json.loads(x)) for x in r.iter_lines() if x]
        proc.send_signal(signal.SIGTERM)
        proc.wait()
        exact += lines == expected
    return {"jobs": runs, "kills": kills, "exactly_once_and_equal": exact}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="duration of the /v1/extract load")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--docs", type=int, default=1000, help="documents per job")
    ap.add_argument("--jobs", type=int, default=4, help="jobs of --docs documents submitted at once")
    ap.add_argument("--no-append", action="store_true")
    args = ap.parse_args(argv)
    rng = random.Random(12)
    docs = pages(args.docs)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cli = cli_docs_per_s(docs, work)
        port = _free_port()
        proc = start_server(work / "home", port)
        try:
            ext = asyncio.run(load_extract(f"http://127.0.0.1:{port}", docs, args.seconds, args.clients))
            # the in-process pipeline right before and right after the jobs (server idle): on a shared
            # machine the load changes by the minute, so the baseline is taken beside the jobs
            before, cpu_before = pipeline_docs_per_s(docs)
            server_cpu = cpu_seconds(proc.pid)
            jobs = asyncio.run(load_jobs(f"http://127.0.0.1:{port}", docs, args.jobs))
            server_cpu = cpu_seconds(proc.pid) - server_cpu
            after, cpu_after = pipeline_docs_per_s(docs)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait()
        fault = faults(docs, work, 3, rng)
    inproc = (before + after) / 2
    ratio = jobs["docs_per_s"] / inproc
    # load-independent: documents per CPU-second, the server process (HTTP, store, extraction, streaming)
    # against the pipeline in-process
    server_per_cpu = jobs["docs"] / max(1e-9, server_cpu)
    pipe_per_cpu = (cpu_before + cpu_after) / 2
    rows = [
        f"| service /v1/extract, {args.clients} clients, {args.seconds:.0f} s: req/s | {ext['rps']:.1f} |  | "
        f"p50 {ext['p50_ms']:.1f} ms, p99 {ext['p99_ms']:.1f} ms, {ext['requests']} requests, {ext['errors']} errors |",
        f"| service jobs ({args.jobs} x {args.docs} docs at once): docs/s | {jobs['docs_per_s']:.1f} |  | "
        f"{ratio:.0%} of the CLI pipeline in-process ({inproc:.1f} docs/s: {before:.1f} just before, "
        f"{after:.1f} just after; `trialx extract` subprocess {cli:.1f} docs/s, start-up subtracted); "
        f"{jobs['errors']} errors, {jobs['lost']} lost; p50 job {jobs['p50_job_s']:.1f} s; "
        f"GET /healthz meanwhile p50 {jobs['health_p50_ms']:.1f} ms, p99 {jobs['health_p99_ms']:.1f} ms |",
        f"| service jobs: docs per CPU-second | {server_per_cpu:.1f} |  | {server_per_cpu / pipe_per_cpu:.0%} of the "
        f"CLI pipeline in-process ({pipe_per_cpu:.1f}); the server process's CPU time during the jobs, "
        f"so the machine's other load does not count |",
        f"| service kill -9 faults | {fault['exactly_once_and_equal']}/{fault['jobs']} jobs exact |  | "
        f"{fault['kills']} kills at random points, restarted; every result once and equal to a kill-free run |",
    ]
    print("\n".join(rows))
    if not args.no_append:
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        with open(ROOT / "benchmarks" / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write(f"\n## Service (`python -m benchmarks.bench_service --seconds {args.seconds:g}`, {stamp})\n\n"
                     "| metric | trialx | | note |\n|---|---|---|---|\n" + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
