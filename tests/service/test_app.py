"""The API through httpx's ASGI transport: auth, limits, every error status, the job life cycle."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from extractor import Document, Settings, extract_documents
from extractor.errors import ConfigError
from extractor.llm import client as llm_client
from extractor.rules import extract_rules
from service import ServiceConfig, create_app
from tests.fake_openai import FakeOpenAI, document_text
from tests.service.asgi import client
from tests.service.pages import page, stable

A = {"Authorization": "Bearer tok-alice"}
B = {"Authorization": "Bearer tok-bob"}
NDJSON = {"content-type": "application/x-ndjson"}


def config(tmp_path: Path, **kw: Any) -> ServiceConfig:
    base = ServiceConfig(home=tmp_path, tokens="alice=tok-alice,bob=tok-bob", settings=Settings(backend="rules"))
    return replace(base, **kw)


def ndjson(n: int, start: int = 0) -> str:
    return "\n".join(json.dumps({"id": f"d{i}", "text": page(i)}) for i in range(start, start + n))


async def wait_done(c: httpx.AsyncClient, job_id: str, headers: dict[str, str] = A) -> dict[str, Any]:
    for _ in range(200):
        job: dict[str, Any] = (await c.get(f"/v1/jobs/{job_id}", headers=headers)).json()
        if job["state"] in ("done", "cancelled"):
            return job
        await asyncio.sleep(0.02)
    raise AssertionError("job did not finish")


async def stream(c: httpx.AsyncClient, job_id: str, after: int = 0) -> list[dict[str, Any]]:
    async with c.stream("GET", f"/v1/jobs/{job_id}/results?after={after}", headers=A) as r:
        assert r.status_code == 200
        return [json.loads(line) async for line in r.aiter_lines() if line]


def run(coro_fn: Callable[[], Any]) -> None:
    asyncio.run(coro_fn())


def test_extract_needs_a_valid_token_and_returns_one_result_line(tmp_path: Path) -> None:
    cli = extract_documents([Document("p1", "p1", page(1))], Settings(backend="rules"))[0]

    async def go() -> None:
        async with client(config(tmp_path)) as c:
            assert (await c.post("/v1/extract", json={"text": page(1)})).status_code == 401
            bad = await c.post("/v1/extract", json={"text": page(1)}, headers={"Authorization": "Bearer nope"})
            assert bad.status_code == 401 and bad.headers["www-authenticate"] == "Bearer"
            r = await c.post("/v1/extract", json={"id": "p1", "text": page(1)}, headers=A)
            assert r.status_code == 200
            line = r.json()
            assert line == {**line, "id": "p1", "backend": "rules"}
            assert stable(line) == stable(cli.model_dump(mode="json"))  # one line of `trialx extract`
            assert line["record"]["nct_id"] == "NCT01000001"
            up = await c.post("/v1/extract", files={"file": ("p2.html", "<html><body>" + "".join(f"<p>{ln}</p>" for ln in page(2).splitlines()) + "</body></html>")}, headers=A)
            assert up.status_code == 200 and up.json()["record"]["nct_id"] == "NCT01000002"
            binary = await c.post("/v1/extract", files={"file": ("x.txt", b"\x00\x01\x02" * 50)}, headers=A)
            assert binary.status_code == 200 and binary.json()["error"]["code"] == "BINARY_INPUT"
    run(go)


def test_bad_input_is_422_naming_the_field_never_500(tmp_path: Path) -> None:
    async def go() -> None:
        async with client(config(tmp_path)) as c:
            r = await c.post("/v1/extract", json={"text": 5, "colour": "red"}, headers=A)
            assert r.status_code == 422
            locs = [e["loc"] for e in r.json()["detail"]]
            assert ["body", "text"] in locs and ["body", "colour"] in locs
            r = await c.post("/v1/extract", content=b"{not json", headers={**A, "content-type": "application/json"})
            assert r.status_code == 422 and r.json()["detail"][0]["loc"][0] == "body"
            r = await c.post("/v1/extract?backend=magic", json={"text": "x"}, headers=A)
            assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "backend"]
            r = await c.post("/v1/jobs", content='{"id": "a", "text": "t"}\n{"id": 3}\n', headers={**A, **NDJSON})
            assert r.status_code == 422 and "body.2.id" in r.json()["message"]
            r = await c.post("/v1/jobs", content="", headers={**A, **NDJSON})
            assert r.status_code == 422
            r = await c.post("/v1/jobs", content="x", headers={**A, "content-type": "text/plain"})
            assert r.status_code == 415
            r = await c.get("/v1/jobs/x/results?after=-1", headers=A)
            assert r.status_code == 422
    run(go)


def test_limits_give_413_and_429_with_retry_after(tmp_path: Path) -> None:
    async def go() -> None:
        cfg = config(tmp_path, max_body_bytes=20_000, max_document_bytes=2_000, max_queue=10, max_jobs_per_token=1,
                     workers=0)
        async with client(cfg) as c:
            r = await c.post("/v1/extract", json={"text": "x" * 30_000}, headers=A)
            assert r.status_code == 413 and "20000 bytes" in r.json()["detail"]
            r = await c.post("/v1/extract", json={"text": "x" * 3_000}, headers=A)
            assert r.status_code == 413 and "2000 bytes" in r.json()["detail"]
            r = await c.post("/v1/jobs", content=ndjson(11), headers={**A, **NDJSON})
            assert r.status_code == 429 and r.headers["retry-after"] == "5"
            assert (await c.post("/v1/jobs", content=ndjson(2), headers={**A, **NDJSON})).status_code == 202
            r = await c.post("/v1/jobs", content=ndjson(2), headers={**A, **NDJSON})
            assert r.status_code == 429 and "unfinished jobs" in r.json()["detail"]
            assert (await c.post("/v1/jobs", content=ndjson(2), headers={**B, **NDJSON})).status_code == 202
    run(go)


def test_job_life_cycle_in_order_with_after_owner_isolation_and_cancel(tmp_path: Path) -> None:
    async def go() -> None:
        async with client(config(tmp_path)) as c:
            r = await c.post("/v1/jobs", content=ndjson(12), headers={**A, **NDJSON})
            assert r.status_code == 202
            job_id = r.json()["id"]
            lines = await stream(c, job_id)  # streamed while it runs, complete at the end
            assert [x["id"] for x in lines] == [f"d{i}" for i in range(12)]
            assert [x["id"] for x in await stream(c, job_id, after=10)] == ["d10", "d11"]
            job = await wait_done(c, job_id)
            assert (job["state"], job["done"], job["failed"], job["total"]) == ("done", 12, 0, 12)
            assert job["updated"] >= job["started"]
            assert (await c.get(f"/v1/jobs/{job_id}", headers=B)).status_code == 404
            assert (await c.delete(f"/v1/jobs/{job_id}", headers=B)).status_code == 404
            assert (await c.get(f"/v1/jobs/{job_id}/results", headers=B)).status_code == 404
            assert [j["id"] for j in (await c.get("/v1/jobs", headers=A)).json()] == [job_id]
            assert (await c.get("/v1/jobs", headers=B)).json() == []
            files = [("files", ("a.txt", page(1).encode())), ("files", ("b.bin", b"\x00\xff" * 40)),
                     ("files", ("c.html", ("<html><body>" + "".join(f"<p>{ln}</p>" for ln in page(3).splitlines()) + "</body></html>").encode()))]
            r = await c.post("/v1/jobs", files=files, headers=A)
            assert r.status_code == 202
            multi = await stream(c, r.json()["id"])
            assert [x["id"] for x in multi] == ["a.txt", "b.bin", "c.html"]
            assert "error" in multi[1] and multi[2]["record"]["nct_id"] == "NCT01000003"
            assert (await wait_done(c, r.json()["id"]))["failed"] == 1
            cancelled = await c.delete(f"/v1/jobs/{job_id}", headers=A)
            assert cancelled.status_code == 200 and cancelled.json()["state"] == "done"  # finished jobs stay done
    run(go)


def test_cancel_stops_a_queued_job(tmp_path: Path) -> None:
    async def go() -> None:
        async with client(config(tmp_path, workers=0)) as c:
            job_id = (await c.post("/v1/jobs", content=ndjson(5), headers={**A, **NDJSON})).json()["id"]
            r = await c.delete(f"/v1/jobs/{job_id}", headers=A)
            assert r.json()["state"] == "cancelled" and r.json()["done"] == 0
            assert await stream(c, job_id) == []
            assert (await c.get("/healthz")).json() == {"status": "ok", "queue": 0}
    run(go)


def test_health_metrics_docs_and_no_secret_anywhere(tmp_path: Path) -> None:
    async def go() -> None:
        async with client(config(tmp_path)) as c:
            await c.post("/v1/extract", json={"text": page(4)}, headers=A)
            await c.post("/v1/extract", json={"text": "   "}, headers=A)
            job_id = (await c.post("/v1/jobs", content=ndjson(3), headers={**A, **NDJSON})).json()["id"]
            await wait_done(c, job_id)
            m = (await c.get("/metrics")).text
            assert 'trialx_documents_total{backend="rules",outcome="ok"} 4.0' in m
            assert "trialx_document_seconds_bucket" in m and "trialx_queue_depth 0.0" in m
            assert 'route="/v1/extract",status="200"' in m
            assert "tok-alice" not in m
            spec = (await c.get("/openapi.json")).json()
            assert {"/v1/extract", "/v1/jobs", "/v1/jobs/{job_id}", "/v1/jobs/{job_id}/results"} <= set(spec["paths"])
            assert (await c.get("/docs")).status_code == 200
        blob = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
        assert b"tok-alice" not in blob and b"tok-bob" not in blob
    run(go)


def test_refuses_to_listen_beyond_loopback_without_tokens(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="refusing"):
        create_app(config(tmp_path, tokens="", host="0.0.0.0"))

    async def go() -> None:  # loopback without tokens: open to this machine only
        async with client(config(tmp_path, tokens="")) as c:
            assert (await c.post("/v1/extract", json={"text": page(5)})).status_code == 200
    run(go)


def rules_answer(request: dict[str, Any]) -> dict[str, Any]:
    return {**extract_rules(document_text(request)).model_dump(mode="json"), "quotes": {}}


def test_llm_backend_through_the_service_against_a_faulty_fake_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-service-DO-NOT-LEAK-77"
    monkeypatch.setenv("OPENAI_API_KEY", secret)

    async def no_wait(seconds: float) -> None:
        return None

    monkeypatch.setattr(llm_client, "sleep", no_wait)

    async def go(base_url: str) -> None:
        settings = Settings(backend="llm", base_url=base_url, model="fake-1", use_cache=False)
        async with client(config(tmp_path, settings=settings)) as c:
            r = await c.post("/v1/jobs", content=ndjson(4), headers={**A, **NDJSON})
            lines = await stream(c, r.json()["id"])
            assert [x["id"] for x in lines] == ["d0", "d1", "d2", "d3"]
            assert all(x["backend"] == "llm" and x["record"]["nct_id"] == f"NCT0{1000000 + i}" for i, x in enumerate(lines))
            one = (await c.post("/v1/extract?backend=rules", json={"text": page(9)}, headers=A)).json()
            assert one["backend"] == "rules"
            m = (await c.get("/metrics")).text
            assert 'trialx_documents_total{backend="llm",outcome="ok"} 4.0' in m
            assert 'trialx_model_tokens_total{kind="input"}' in m and secret not in m
            assert secret not in json.dumps(lines)

    with FakeOpenAI(rules_answer, per_document=["429", "500", "not_json"]) as server:
        asyncio.run(go(server.base_url))
    blob = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert secret.encode() not in blob


def test_a_bad_extraction_choice_is_a_422_naming_its_field_before_any_work(tmp_path: Path) -> None:
    async def go() -> None:
        async with client(config(tmp_path)) as c:
            for query, field in (("prompt_version=../../etc/passwd.toml", "prompt_version"),
                                 ("prompt_version=v999", "prompt_version"),
                                 ("backend=llm&mode=bogus", "mode")):
                for method, url, kw in (("POST", "/v1/extract", {"json": {"text": page(1)}}),
                                        ("POST", "/v1/jobs", {"content": ndjson(2), "headers": {**A, **NDJSON}})):
                    r = await c.request(method, f"{url}?{query}", headers=kw.pop("headers", A), **kw)
                    assert r.status_code == 422, (url, query, r.text)
                    assert r.json()["detail"][0]["loc"] == ["query", field], r.text
            assert (await c.get("/v1/jobs", headers=A)).json() == []  # nothing was queued
    run(go)
