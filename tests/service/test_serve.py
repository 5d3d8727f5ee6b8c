"""`trialx serve` as a real subprocess on 127.0.0.1: a page in, a record out; kill -9 mid-job loses nothing."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from extractor import Document, Settings, extract_documents
from service import ServiceConfig, create_app
from tests.service.pages import page, stable

TOKEN = "tok-serve-DO-NOT-LEAK"
H = {"Authorization": f"Bearer {TOKEN}"}
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn(home: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TRIALX_HOME": str(home), "TRIALX_API_TOKENS": f"tester={TOKEN}"}
    return subprocess.Popen([sys.executable, "-c", "from cli.main import run; run()", "serve", "--port", str(port),
                             "--backend", "rules", "--concurrency", "1"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_up(proc: subprocess.Popen[bytes], port: int) -> None:
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"server did not start: {proc.communicate()[1].decode()[-500:]}")


def submit(url: str, n: int) -> str:
    body = "\n".join(json.dumps({"id": f"d{i}", "text": page(i)}) for i in range(n))
    job_id: str = httpx.post(f"{url}/v1/jobs", content=body, headers={**H, "content-type": "application/x-ndjson"},
                             timeout=10).json()["id"]
    return job_id


def done_once(url: str, job_id: str, at_least: int) -> int:
    done = 0
    for _ in range(2000):
        done = int(httpx.get(f"{url}/v1/jobs/{job_id}", headers=H, timeout=5).json()["done"])
        if done >= at_least:
            break
        time.sleep(0.005)
    return done


async def finish_in_process(home: Path, job_id: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The restart: the same app on the same home finishes the job the killed server left."""
    app = create_app(ServiceConfig(home=home, tokens=f"tester={TOKEN}", settings=Settings(backend="rules")))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc", timeout=30) as c:
            async with c.stream("GET", f"/v1/jobs/{job_id}/results", headers=H) as r:
                lines = [json.loads(x) async for x in r.aiter_lines() if x]
            job: dict[str, Any] = (await c.get(f"/v1/jobs/{job_id}", headers=H)).json()
    return lines, job


def test_a_real_server_takes_a_page_and_survives_kill_9_mid_job_with_every_result_exactly_once(
        tmp_path: Path) -> None:
    """`trialx serve` as a subprocess: a page in, a record out; a job, kill -9 mid-job; the same app
    started again on the same home (in-process, to spare a second start-up) finishes it: every
    result once, equal to a kill-free run. (SIGTERM's graceful path: the next test.)"""
    n = 300  # results are stored in batches of 64: several batches, so the kill lands mid-job
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = spawn(tmp_path, port)
    try:
        expected = [stable(r.model_dump(mode="json")) for r in
                    extract_documents([Document(f"d{i}", f"d{i}", page(i)) for i in range(n)],
                                      Settings(backend="rules"))]  # while the server starts
        wait_up(proc, port)
        one = httpx.post(f"{url}/v1/extract", json={"id": "d7", "text": page(7)}, headers=H, timeout=10)
        assert one.status_code == 200 and stable(one.json()) == expected[7]

        job_id = submit(url, n)
        done_at_kill = done_once(url, job_id, 5)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert 5 <= done_at_kill < n, "the kill must land mid-job"
        _, err = proc.communicate()
        assert TOKEN.encode() not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    lines, job = asyncio.run(finish_in_process(tmp_path, job_id))
    assert [stable(x) for x in lines] == expected
    assert (job["state"], job["done"], job["total"]) == ("done", n, n)
    db = sqlite3.connect(tmp_path / "service.sqlite")
    rows = db.execute("SELECT seq, COUNT(*) FROM results WHERE job_id=? GROUP BY seq", (job_id,)).fetchall()
    db.close()
    assert len(rows) == n and all(count == 1 for _, count in rows)
    assert TOKEN.encode() not in b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())


def test_shutdown_mid_job_lets_in_flight_finish_and_leaves_the_rest_queued(tmp_path: Path) -> None:
    """What SIGTERM triggers in uvicorn (should_exit), on an in-process server to spare a second start-up."""
    cfg = ServiceConfig(home=tmp_path, tokens=f"tester={TOKEN}", settings=Settings(backend="rules"), workers=1)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(cfg), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    body = "\n".join(json.dumps({"id": f"d{i}", "text": page(i)}) for i in range(600))
    try:
        while not server.started:
            time.sleep(0.01)
        job_id = httpx.post(f"{url}/v1/jobs", content=body, headers={**H, "content-type": "application/x-ndjson"},
                            timeout=10).json()["id"]
        for _ in range(1000):
            if httpx.get(f"{url}/v1/jobs/{job_id}", headers=H, timeout=5).json()["done"] >= 3:
                break
            time.sleep(0.005)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
    assert not thread.is_alive()
    db = sqlite3.connect(tmp_path / "service.sqlite")
    states: dict[str, Any] = dict(db.execute("SELECT state, COUNT(*) FROM documents GROUP BY state").fetchall())
    results = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    db.close()
    assert states.get("running", 0) == 0 and states.get("pending", 0) > 0
    assert results == states["done"] and results >= 3  # in-flight documents finished, none half-done
