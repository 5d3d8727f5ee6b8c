"""The review page's HTTP surface, mounted on the service app: sign-in (form -> session cookie),
the queue and document pages, the JSON API for changes, undo, reviewed marks and the gold export."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ValidationError

from review.edits import Edit, EditError, parse_path, value_at
from review.gold import gold_zip, safe_name
from review.pages import QueueRow, document_page, group_rows, jobs_page, login_page, queue_order, queue_page
from review.sources import Catalog, JobSummary
from review.state import DocumentState, check_edit, current_state, entry_flags, state_flags
from review.store import ReviewStore

__all__ = ["COOKIE", "ReviewConfig", "mount_review"]

COOKIE = "trialx_review"
RECENT = 16  # documents whose current state is kept between requests
LOGIN_ATTEMPTS, LOGIN_WINDOW_S = 10, 60.0  # failed sign-ins per client address per window
STATIC = Path(__file__).resolve().parent / "static"
_SECURITY = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class ReviewConfig:
    """What the review page needs from its host: documents, where changes go, how tokens are checked.

    `anonymous`: the name used when no credentials are sent (a loopback service without tokens)."""

    catalog: Catalog
    store: ReviewStore
    verify_token: Callable[[str], str | None]
    secure_cookie: bool = True
    anonymous: str | None = None
    # a fingerprint of the credential a name signs in with now (None: it has none); a session made
    # with another one (the token removed or replaced) ends
    credential: Callable[[str], str | None] = lambda who: ""


class ReviewedBody(BaseModel):
    reviewed: bool = True


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=_SECURITY)


def mount_review(app: FastAPI, config: ReviewConfig) -> None:
    """Add /review/... to `app`."""
    router = APIRouter(prefix="/review", include_in_schema=False)
    catalog, store = config.catalog, config.store

    def who_of(request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        if auth:
            scheme, _, token = auth.partition(" ")
            return config.verify_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        sid = request.cookies.get(COOKIE)
        session = store.session_user(sid) if sid else None
        if session is not None and config.credential(session[0]) == session[1]:
            return session[0]
        return config.anonymous  # no session, or a stale one: signed in as no one (or the local owner)

    def api_user(request: Request) -> str:
        who = who_of(request)
        if who is None:
            raise HTTPException(401, "sign in at /review/login or send an Authorization: Bearer token",
                                headers={"WWW-Authenticate": "Bearer"})
        return who

    def job_of(job: str, who: str) -> JobSummary:
        found = next((j for j in catalog.jobs(who) if j.id == job), None) if catalog.owns(job, who) else None
        if found is None:
            raise HTTPException(404, f"no job {job}")
        return found

    recent: OrderedDict[tuple[str, str], tuple[Any, DocumentState]] = OrderedDict()  # the last documents opened
    recent_lock = threading.Lock()  # sync routes run on several threads

    def state_of(job: str, doc: str) -> tuple[DocumentState, Any]:
        view = catalog.document(job, doc)
        if view is None:
            raise HTTPException(404, f"no document {doc} in job {job}")
        changes, mark = store.changes(job, doc), store.reviewed(job).get(doc)
        # a result line is stored once: with the same text, changes and mark, the state is the same
        signature = (len(view.text), "record" in view.line, tuple(c.id for c in changes), mark)
        with recent_lock:
            hit = recent.get((job, doc))
            if hit is not None and hit[0] == signature:
                recent.move_to_end((job, doc))
                return hit[1], view
        state = current_state(view, changes, mark)
        with recent_lock:
            recent[(job, doc)] = (signature, state)
            while len(recent) > RECENT:
                recent.popitem(last=False)
        return state, view

    def rows(job: str, *, live: bool) -> list[QueueRow]:
        """Queue rows; `live`: flags as the documents stand after their changes, reviewed marks."""
        changed = store.changed_documents(job)
        marks = store.reviewed(job) if live else {}
        out = []
        for entry in catalog.entries(job):
            flags = entry_flags(entry)
            if live and entry.doc_id in changed:
                flags = state_flags(state_of(job, entry.doc_id)[0])
            mark = marks.get(entry.doc_id)
            out.append(QueueRow(entry.doc_id, flags, changed.get(entry.doc_id, 0), mark[0] if mark else None))
        return out

    def page_user(request: Request) -> str | RedirectResponse:
        who = who_of(request)
        if who is None:
            return RedirectResponse(f"/review/login?next={quote(request.url.path)}", status_code=303)
        return who

    # --- sign in ------------------------------------------------------------------------------
    @router.get("/login")
    def login_form(next: str = "/review/jobs") -> HTMLResponse:
        return _html(login_page(_local(next)))

    failures: dict[str, list[float]] = {}  # client address -> times of recent failed sign-ins

    @router.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        token, target = str(form.get("token") or ""), _local(str(form.get("next") or "/review/jobs"))
        client = request.client.host if request.client is not None else "?"
        now = time.monotonic()
        for address in [a for a, times in failures.items() if now - times[-1] >= LOGIN_WINDOW_S]:
            del failures[address]  # forget old failures, so the table stays as small as the last minute
        recent = [t for t in failures.get(client, []) if now - t < LOGIN_WINDOW_S]
        if len(recent) >= LOGIN_ATTEMPTS:
            return _html(login_page(target, "Too many failed sign-ins; wait a minute."), 429)
        who = config.verify_token(token) if token else None
        if who is None:
            failures[client] = recent + [now]
            return _html(login_page(target, "That token is not valid."), 401)
        failures.pop(client, None)
        response = RedirectResponse(target, status_code=303)
        sid = store.new_session(who, config.credential(who) or "")
        response.set_cookie(COOKIE, sid, httponly=True, secure=config.secure_cookie, samesite="strict",
                            path="/review", max_age=12 * 3600)
        return response

    @router.post("/logout")
    def logout(request: Request) -> Response:
        sid = request.cookies.get(COOKIE)
        if sid:
            store.end_session(sid)
        response = RedirectResponse("/review/login", status_code=303)
        response.delete_cookie(COOKIE, path="/review", httponly=True, secure=config.secure_cookie, samesite="strict")
        return response

    # --- pages --------------------------------------------------------------------------------
    @router.get("", include_in_schema=False)
    @router.get("/jobs")
    def jobs(request: Request) -> Response:
        who = page_user(request)
        if isinstance(who, Response):
            return who
        return _html(jobs_page(catalog.jobs(who), who))

    @router.get("/jobs/{job}")
    def queue(request: Request, job: str, code: str | None = None, field: str | None = None) -> Response:
        who = page_user(request)
        if isinstance(who, Response):
            return who
        return _html(queue_page(job_of(job, who), rows(job, live=True), who, code=code or None,
                                field_name=field or None))

    @router.get("/jobs/{job}/{doc:path}")
    def document(request: Request, job: str, doc: str) -> Response:
        if not doc:  # "/review/jobs/J/": the queue
            return RedirectResponse(f"/review/jobs/{quote(job, safe='')}", status_code=307)
        who = page_user(request)
        if isinstance(who, Response):
            return who
        summary = job_of(job, who)
        state, _ = state_of(job, doc)
        order = [r.doc_id for r in queue_order(rows(job, live=False))]
        at = order.index(doc) if doc in order else -1
        prev_doc = order[at - 1] if at > 0 else None
        next_doc = order[at + 1] if 0 <= at < len(order) - 1 else None
        return _html(document_page(state, summary, who, prev_doc=prev_doc, next_doc=next_doc))

    # --- JSON API -------------------------------------------------------------------------------
    @router.get("/api/jobs")
    def api_jobs(request: Request) -> list[dict[str, Any]]:
        return [j.__dict__ for j in catalog.jobs(api_user(request))]

    @router.get("/api/jobs/{job}")
    def api_queue(request: Request, job: str) -> list[dict[str, Any]]:
        job_of(job, api_user(request))
        return [{"id": r.doc_id, "flags": r.flags, "changes": r.changes, "reviewed_by": r.reviewed_by}
                for r in queue_order(rows(job, live=True))]

    @router.get("/api/export/{job}")
    def api_export(request: Request, job: str) -> Response:
        job_of(job, api_user(request))
        return Response(gold_zip(catalog, store, job), media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="gold-{safe_name(job)}.zip"'})

    @router.get("/api/group/{job}/{doc:path}")
    def api_group(request: Request, job: str, doc: str, name: str) -> Response:
        """The rows of a folded list field, as HTML for the document page."""
        job_of(job, api_user(request))
        rows_html = group_rows(state_of(job, doc)[0], name)
        if rows_html is None:
            raise HTTPException(404, f"no list field {name}")
        return _html(rows_html)

    @router.get("/api/jobs/{job}/{doc:path}")
    def api_document(request: Request, job: str, doc: str) -> Any:
        if not doc:  # "/review/api/jobs/J/": the queue
            return api_queue(request, job)
        job_of(job, api_user(request))
        return state_of(job, doc)[0].to_json()

    async def json_body(request: Request) -> Any:
        if not request.headers.get("content-type", "").startswith("application/json"):
            raise HTTPException(415, "send application/json")  # and so no cross-site form can post here
        try:
            return await request.json()
        except ValueError:
            raise HTTPException(422, "the body is not JSON") from None

    @router.post("/api/jobs/{job}/{doc:path}/changes")
    async def api_change(request: Request, job: str, doc: str) -> Response:
        who = api_user(request)
        job_of(job, who)
        raw = await json_body(request)
        try:
            edit = Edit.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            return _refused(".".join(str(p) for p in first["loc"]) or "body", first["msg"])
        view = catalog.document(job, doc)
        if view is None:
            raise HTTPException(404, f"no document {doc} in job {job}")
        changes = store.changes(job, doc)
        try:
            check_edit(view, changes, edit)
            current = current_state(view, changes)
            if edit.op != "accept" and "old" in raw and current.record is not None:
                now = value_at(current.record.model_dump(mode="json"), parse_path(edit.path))
                if now != edit.old:
                    return JSONResponse({"detail": f"{edit.path} changed meanwhile (it is now {now!r}); reload",
                                         "path": edit.path}, status_code=409)
        except EditError as exc:
            return _refused(exc.path, exc.message)
        store.add_change(job, doc, who, edit)
        return JSONResponse(state_of(job, doc)[0].to_json())

    @router.post("/api/jobs/{job}/{doc:path}/undo")
    async def api_undo(request: Request, job: str, doc: str) -> Response:
        who = api_user(request)
        job_of(job, who)
        await json_body(request)
        state_of(job, doc)
        undone = store.undo_last(job, doc, who)
        if undone is None:
            return JSONResponse({"detail": "nothing to undo"}, status_code=409)
        return JSONResponse({**state_of(job, doc)[0].to_json(), "undone": undone.edit.model_dump(mode="json")})

    @router.post("/api/jobs/{job}/{doc:path}/reviewed")
    async def api_reviewed(request: Request, job: str, doc: str) -> dict[str, Any]:
        who = api_user(request)
        job_of(job, who)
        raw = await json_body(request)
        try:
            body = ReviewedBody.model_validate(raw or {})
        except ValidationError as exc:
            raise HTTPException(422, exc.errors()[0]["msg"]) from None
        state = state_of(job, doc)[0]
        if state.record is None and body.reviewed:
            raise HTTPException(422, "a document without a record cannot be gold")
        store.mark_reviewed(job, doc, who, body.reviewed)
        return state_of(job, doc)[0].to_json()

    app.include_router(router)
    app.mount("/review/static", StaticFiles(directory=STATIC), name="review-static")


def _refused(path: str, message: str) -> JSONResponse:
    return JSONResponse({"detail": f"{path}: {message}", "path": path, "message": message}, status_code=422)


def _local(target: str) -> str:
    """Only a path of this site's review page may follow sign-in (no open redirect)."""
    return target if target.startswith("/review/") and not target.startswith("//") and "\\" not in target \
        else "/review/jobs"
