"""The review page over HTTP (httpx's ASGI transport): sign-in, access, pages, changes, undo, export."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import httpx

from evals import load_gold
from tests.review.helpers import A, B, NDJSON, config, job_body
from tests.service.asgi import client
from tests.service.pages import page


async def a_job(c: httpx.AsyncClient, body: str | None = None) -> str:
    job_id: str = (await c.post("/v1/jobs", content=body or job_body(), headers={**A, **NDJSON})).json()["id"]
    for _ in range(300):
        if (await c.get(f"/v1/jobs/{job_id}", headers=A)).json()["state"] == "done":
            return job_id
        await asyncio.sleep(0.02)
    raise AssertionError("job did not finish")


def cookie_of(response: httpx.Response) -> str:
    header = response.headers["set-cookie"]
    return header.split(";", 1)[0]


def test_sign_in_sets_a_secure_http_only_cookie_and_never_puts_the_token_in_the_address(tmp_path: Path) -> None:
    asyncio.run(_sign_in_sets_a_secure_http_only_cookie_and_never_puts_the_token_in_the_address(tmp_path))


async def _sign_in_sets_a_secure_http_only_cookie_and_never_puts_the_token_in_the_address(tmp_path: Path) -> None:
    async with client(config(tmp_path)) as c:
        job = await a_job(c)
        page = await c.get(f"/review/jobs/{job}")
        assert page.status_code == 303 and page.headers["location"] == f"/review/login?next=/review/jobs/{job}"
        form = await c.get("/review/login", params={"next": f"/review/jobs/{job}"})
        assert 'method="post"' in form.text and 'type="password"' in form.text
        bad = await c.post("/review/login", data={"token": "nope", "next": "/review/jobs"})
        assert bad.status_code == 401 and "not valid" in bad.text and "set-cookie" not in bad.headers
        ok = await c.post("/review/login", data={"token": "tok-alice", "next": f"/review/jobs/{job}"})
        assert ok.status_code == 303 and ok.headers["location"] == f"/review/jobs/{job}"
        cookie = ok.headers["set-cookie"].lower()
        assert all(flag in cookie for flag in ("httponly", "secure", "samesite=strict", "path=/review"))
        assert "tok-alice" not in ok.headers["set-cookie"] and "tok-alice" not in ok.headers["location"]
        session = {"cookie": cookie_of(ok)}
        queue = await c.get(f"/review/jobs/{job}", headers=session)
        assert queue.status_code == 200 and "d0" in queue.text and "alice" in queue.text
        assert "script-src 'self'" in queue.headers["content-security-policy"]
        away = await c.post("/review/login", data={"token": "tok-alice", "next": "//evil.example/x"})
        assert away.headers["location"] == "/review/jobs"  # no open redirect
        out = await c.post("/review/logout", headers=session)
        assert out.status_code == 303
        assert (await c.get(f"/review/jobs/{job}", headers=session)).status_code == 303  # the session is gone
        for _ in range(10):
            await c.post("/review/login", data={"token": "guess"})
        limited = await c.post("/review/login", data={"token": "tok-alice"})
        assert limited.status_code == 429  # ten failures a minute from one address, then no more guesses


def test_a_token_sees_only_its_own_jobs(tmp_path: Path) -> None:
    asyncio.run(_a_token_sees_only_its_own_jobs(tmp_path))


async def _a_token_sees_only_its_own_jobs(tmp_path: Path) -> None:
    async with client(config(tmp_path)) as c:
        job = await a_job(c)
        assert (await c.get(f"/review/api/jobs/{job}/d0", headers=B)).status_code == 404
        assert (await c.get(f"/review/jobs/{job}", headers=B)).status_code == 404
        assert (await c.get(f"/review/api/export/{job}", headers=B)).status_code == 404
        assert (await c.post(f"/review/api/jobs/{job}/d0/changes", headers=B,
                             json={"path": "enrollment", "new": 1})).status_code == 404
        assert (await c.get(f"/review/api/jobs/{job}/d0")).status_code == 401
        assert (await c.get(f"/review/api/jobs/{job}/d0", headers={"Authorization": "Bearer forged"})).status_code == 401
        assert [j["id"] for j in (await c.get("/review/api/jobs", headers=B)).json()] == []


def test_correct_undo_review_and_export(tmp_path: Path) -> None:
    asyncio.run(_correct_undo_review_and_export(tmp_path))


async def _correct_undo_review_and_export(tmp_path: Path) -> None:
    async with client(config(tmp_path)) as c:
        job = await a_job(c)
        api = f"/review/api/jobs/{job}/d1"
        doc: dict[str, Any] = (await c.get(api, headers=A)).json()
        assert doc["record"]["enrollment"] == 11 and doc["evidence"]["enrollment"]["quote"] == "11"
        refused = await c.post(f"{api}/changes", headers=A, json={"path": "overall_status", "new": "SORT_OF"})
        assert refused.status_code == 422 and refused.json()["path"] == "overall_status"
        assert "overall_status" in refused.json()["detail"]
        bad_date = await c.post(f"{api}/changes", headers=A, json={"path": "start_date", "new": "2021-02-30"})
        assert bad_date.status_code == 422 and "start_date" in bad_date.json()["detail"]
        stale = await c.post(f"{api}/changes", headers=A, json={"path": "enrollment", "old": 99, "new": 12})
        assert stale.status_code == 409
        form = await c.post(f"{api}/changes", headers=A, data={"path": "enrollment"})
        assert form.status_code == 415  # only JSON: no cross-site form can post a change
        text = (await c.get(api, headers=A)).json()
        set1 = await c.post(f"{api}/changes", headers=A, json={"path": "enrollment", "old": 11, "new": 12})
        now = set1.json()
        assert set1.status_code == 200 and now["record"]["enrollment"] == 12 and "enrollment" in now["edited"]
        assert now["changes"][-1]["who"] == "alice" and now["changes"][-1]["at"] > 0
        undone = (await c.post(f"{api}/undo", headers=A, json={})).json()
        assert undone["record"]["enrollment"] == 11 and undone["changes"] == [] and undone["record"] == text["record"]
        added = await c.post(f"{api}/changes", headers=A, json={"path": "keywords[0]", "new": "Asthma",
                                                                  "start": 0, "end": 5})
        assert added.status_code == 200
        ev = added.json()["evidence"]["keywords[0]"]
        assert (ev["start"], ev["end"], ev["status"]) == (0, 5, "exact")
        await c.post(f"{api}/changes", headers=A, json={"path": "enrollment", "old": 11, "new": 12})
        marked = await c.post(f"{api}/reviewed", headers=A, json={"reviewed": True})
        assert marked.json()["reviewed"]["who"] == "alice"
        queue = (await c.get(f"/review/api/jobs/{job}", headers=A)).json()
        assert queue[-1]["id"] == "d1" and queue[-1]["reviewed_by"] == "alice" and queue[-1]["changes"] == 2
        export = await c.get(f"/review/api/export/{job}", headers=A)
        assert export.status_code == 200 and export.headers["content-type"] == "application/zip"
        zipfile.ZipFile(io.BytesIO(export.content)).extractall(tmp_path / "gold")
        gold = load_gold(tmp_path / "gold")
        assert list(gold.records) == ["d1"] and gold.records["d1"]["enrollment"] == 12
        assert gold.records["d1"]["keywords"] == ["Asthma"]
        assert (tmp_path / "gold" / "sources" / "d1.txt").read_text(encoding="utf-8").startswith("Trial 1 of Drug 1")


def test_documents_of_the_same_name_each_get_their_own_address(tmp_path: Path) -> None:
    asyncio.run(_same_name(tmp_path))


async def _same_name(tmp_path: Path) -> None:
    async with client(config(tmp_path)) as c:
        body = "\n".join(json.dumps({"id": "dup", "text": page(i)}) for i in (4, 5))
        job = await a_job(c, body)
        assert sorted(d["id"] for d in (await c.get(f"/review/api/jobs/{job}", headers=A)).json()) == ["dup", "dup~2"]
        second = (await c.get(f"/review/api/jobs/{job}/dup~2", headers=A)).json()
        assert second["record"]["enrollment"] == 15
        assert (await c.get(f"/review/jobs/{job}/dup~2", headers=A)).status_code == 200
        assert (await c.get(f"/review/api/jobs/{job}/nope", headers=A)).status_code == 404


def test_document_ids_with_a_slash_or_a_route_name_are_reachable(tmp_path: Path) -> None:
    asyncio.run(_awkward_ids(tmp_path))


async def _awkward_ids(tmp_path: Path) -> None:
    """Ids come from the people who send jobs: "site/001" and "export" reach their own document."""
    async with client(config(tmp_path)) as c:
        ids = ((4, "site/001"), (5, "export"), (6, "site/group/arms"))
        body = "\n".join(json.dumps({"id": d, "text": page(i)}) for i, d in ids)
        job = await a_job(c, body)
        listed = [d["id"] for d in (await c.get(f"/review/api/jobs/{job}", headers=A)).json()]
        assert sorted(listed) == ["export", "site/001", "site/group/arms"]
        assert (await c.get(f"/review/api/jobs/{job}/", headers=A)).json() == \
            (await c.get(f"/review/api/jobs/{job}", headers=A)).json()  # a trailing slash is the queue
        grouped = await c.get(f"/review/api/jobs/{job}/site/group/arms", headers=A)
        assert grouped.status_code == 200 and grouped.json()["record"]["enrollment"] == 16
        slashed = await c.get(f"/review/api/jobs/{job}/site%2F001", headers=A)
        assert slashed.status_code == 200 and slashed.json()["record"]["enrollment"] == 14
        assert (await c.get(f"/review/jobs/{job}/site%2F001", headers=A)).status_code == 200
        changed = await c.post(f"/review/api/jobs/{job}/site%2F001/changes", headers=A,
                               json={"path": "enrollment", "new": 41})
        assert changed.status_code == 200 and changed.json()["record"]["enrollment"] == 41
        named = await c.get(f"/review/api/jobs/{job}/export", headers=A)
        assert named.status_code == 200 and named.json()["record"]["enrollment"] == 15
        export = await c.get(f"/review/api/export/{job}", headers=A)
        assert export.status_code == 200 and export.headers["content-type"] == "application/zip"


def test_a_session_ends_when_its_token_is_removed(tmp_path: Path) -> None:
    asyncio.run(_removed_token(tmp_path))


async def _removed_token(tmp_path: Path) -> None:
    async with client(config(tmp_path)) as c:
        job = await a_job(c)
        ok = await c.post("/review/login", data={"token": "tok-alice", "next": f"/review/jobs/{job}"})
        session = {"cookie": cookie_of(ok)}
        assert (await c.get(f"/review/jobs/{job}", headers=session)).status_code == 200
    # the server restarts on the same home with alice's token replaced, then removed: her cookie
    # signs in no one, though a new sign-in with the new token works
    async with client(config(tmp_path, tokens="alice=tok-alice-2,bob=tok-bob")) as c:
        assert (await c.get(f"/review/jobs/{job}", headers=session)).status_code == 303
        assert (await c.get(f"/review/api/jobs/{job}", headers=session)).status_code == 401
        again = await c.post("/review/login", data={"token": "tok-alice-2", "next": f"/review/jobs/{job}"})
        assert (await c.get(f"/review/jobs/{job}", headers={"cookie": cookie_of(again)})).status_code == 200
    async with client(config(tmp_path, tokens="bob=tok-bob")) as c:
        assert (await c.get(f"/review/jobs/{job}", headers={"cookie": cookie_of(again)})).status_code == 303
    # a loopback server without tokens: a leftover cookie is no one, so the page is the local owner's
    async with client(config(tmp_path, tokens="")) as c:
        local = await c.get("/review/jobs", headers=session)
        assert local.status_code == 200
