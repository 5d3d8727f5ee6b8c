"""The FastAPI app: /v1/extract, /v1/jobs..., /healthz, /metrics, with auth, limits and back-pressure.

`create_app(config)` is the public entry point; `app.state.tokens`, `app.state.store` are stable
for code mounted beside it (the review page).
"""


import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from extractor import Settings, document_error

from extractor.errors import ConfigError, InputError, TrialxError
from extractor.llm import list_prompts
from extractor.inputs import decode_bytes, html_to_text, is_html
from service.auth import TokenRegistry
from service.config import ServiceConfig, is_loopback
from service.formats import OutputFormat, Reformatter, media_type
from service.metrics import Metrics
from service.review import mount_service_review
from service.store import FINISHED, JobInfo, JobStore, NewDocument, QueueFull
from service.worker import Extraction, WorkerPool, settings_key

__all__ = ["create_app"]

log = logging.getLogger("trialx.service")
LOCAL_OWNER = "local"

BackendChoice = Literal["auto", "llm", "rules"]


class ExtractRequest(BaseModel):
    """One document as JSON: its text (or HTML) and, optionally, the backend choice."""

    model_config = ConfigDict(extra="forbid")
    text: str
    id: str = "doc"
    source: str | None = None
    backend: BackendChoice | None = None
    model: str | None = None
    prompt_version: str | None = None
    mode: str | None = None


class JobLine(BaseModel):
    """One line of an application/x-ndjson job body."""

    model_config = ConfigDict(extra="forbid")
    id: str
    text: str


class TooLarge(Exception):
    def __init__(self, what: str, limit: int) -> None:
        self.what, self.limit = what, limit


class _BodyLimit:
    """413 before reading more than `limit` bytes of a request body (declared or streamed)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(self.limit, "request body")(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise TooLarge("request body", self.limit)
            return message

        await self.app(scope, counted, send)


def _too_large(limit: int, what: str) -> JSONResponse:
    return JSONResponse({"detail": f"{what} larger than the limit of {limit} bytes"}, status_code=413)


def _prepare(doc_id: str, source: str, raw: bytes | str, limit: int) -> NewDocument:
    """Decode and de-HTML a document as `trialx extract` reads a file; unreadable -> its error line."""
    size = len(raw.encode("utf-8")) if isinstance(raw, str) else len(raw)
    if size > limit:
        raise TooLarge(f"document {doc_id!r}", limit)
    try:
        text = raw if isinstance(raw, str) else decode_bytes(raw, source)[0]
        if not text.strip():
            raise InputError(f"{source}: empty document")
    except InputError as exc:
        return NewDocument(doc_id, source, "", document_error(doc_id, source, exc).model_dump(mode="json"))
    if is_html(source, text):
        text = html_to_text(text)
    return NewDocument(doc_id, source, text)


def _validation(exc: ValidationError, prefix: tuple[Any, ...]) -> RequestValidationError:
    errors = [{"loc": [*prefix, *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
    return RequestValidationError(errors)


def create_app(config: ServiceConfig) -> FastAPI:
    """The service app; raises ConfigError when it would listen beyond loopback without tokens."""
    tokens = TokenRegistry.load(config.tokens, config.tokens_file)
    if not len(tokens) and not is_loopback(config.host):
        raise ConfigError(f"no API tokens (TRIALX_API_TOKENS or a tokens file): refusing to listen on {config.host}")
    metrics = Metrics()
    store = JobStore(config.db_path)
    extraction = Extraction(config.settings, metrics, threads=config.extract_threads)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = WorkerPool(store, extraction, config.workers, commit_every=config.commit_every,
                          commit_interval_s=config.commit_interval_s)
        app.state.pool = pool
        pool.start()
        try:
            yield
        finally:
            await pool.stop(config.shutdown_grace_s)
            await extraction.aclose()

    app = FastAPI(title="trialx", version="1", lifespan=lifespan,
                  description="Clinical-trial registry pages in, checked TrialRecords out.")
    app.state.tokens = tokens
    app.state.store = store
    app.state.metrics = metrics
    app.state.config = config
    bearer = HTTPBearer(auto_error=False)

    def owner(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> str:
        if not len(tokens):
            return LOCAL_OWNER  # loopback only, no tokens configured
        name = tokens.verify(creds.credentials) if creds is not None else None
        if name is None:
            raise HTTPException(401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})
        return name

    Owner = Annotated[str, Depends(owner)]

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()]
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)
        return JSONResponse({"detail": errors, "message": where}, status_code=422)

    @app.exception_handler(TooLarge)
    async def _large(request: Request, exc: TooLarge) -> JSONResponse:
        return _too_large(exc.limit, exc.what)

    @app.middleware("http")
    async def _count(request: Request, call_next: Any) -> Response:
        start = time.perf_counter()
        try:
            response: Response = await call_next(request)
        except TooLarge as exc:
            response = _too_large(exc.limit, exc.what)
        route = getattr(request.scope.get("route"), "path", "unmatched")
        metrics.requests.labels(request.method, route, str(response.status_code)).inc()
        metrics.req_latency.labels(route).observe(time.perf_counter() - start)
        return response

    def checked_settings(choice: dict[str, Any]) -> Settings:
        """The request's extraction settings, or a 422 naming the field: a prompt is a version name
        of the server's prompts folder (never a path), and the backend they make is built now, so a
        bad mode or a missing model configuration fails the request, not each document later."""
        version = choice.get("prompt_version")
        if version is not None and version not in list_prompts():
            raise RequestValidationError([{"loc": ["query", "prompt_version"], "type": "value_error",
                                           "msg": f"unknown prompt version; available: {', '.join(list_prompts())}"}])
        try:
            settings = extraction.settings_for(choice)
            extraction.backend(settings)
        except (TrialxError, TypeError, ValueError) as exc:
            field = exc.data.get("field", "backend") if isinstance(exc, TrialxError) else "backend"
            raise RequestValidationError([{"loc": ["query", field], "type": "value_error",
                                           "msg": " ".join(str(exc).split())}]) from None
        return settings

    def job_view(job: JobInfo) -> dict[str, Any]:
        return {"id": job.id, "state": job.state, "total": job.total, "done": job.done, "failed": job.failed,
                "started": job.created, "updated": job.updated}

    def busy(message: str) -> HTTPException:
        return HTTPException(429, message, headers={"Retry-After": str(config.retry_after_s)})

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "queue": store.queue_depth()}

    @app.get("/metrics", response_class=PlainTextResponse)
    async def prometheus() -> Response:
        metrics.queue_depth.set(store.queue_depth())
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.post("/v1/extract", openapi_extra={"requestBody": {"content": {
        "application/json": {"schema": ExtractRequest.model_json_schema()},
        "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}}}})
    async def extract(request: Request, who: Owner,
                      backend: BackendChoice | None = None, model: str | None = None,
                      prompt_version: str | None = None, mode: str | None = None,
                      output_format: Annotated[OutputFormat | None, Query(alias="format")] = None,
                      formula_guard: bool = False) -> Any:
        """One document (JSON body or an uploaded `file`) -> one line of `trialx extract` as JSON, or
        with ?format=jsonl|table|csv|ctgov the text `trialx extract --format` writes for it."""
        choice: dict[str, Any] = {"backend": backend, "model": model, "prompt_version": prompt_version, "mode": mode}
        ctype = request.headers.get("content-type", "")
        if ctype.startswith("multipart/form-data"):
            form = await request.form()
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise RequestValidationError([{"loc": ["body", "file"], "msg": "Field required", "type": "missing"}])
            name = upload.filename or "upload"
            doc = _prepare(name, name, await upload.read(), config.max_document_bytes)
        else:
            body = await request.body()
            try:
                req = ExtractRequest.model_validate_json(body)
            except ValidationError as exc:
                raise _validation(exc, ("body",)) from None
            choice.update({k: v for k, v in req.model_dump(include=set(choice)).items() if v is not None})
            doc = _prepare(req.id, req.source or req.id, req.text, config.max_document_bytes)
        settings = checked_settings(choice)
        line: dict[str, Any]
        if doc.error_line is not None:
            line = doc.error_line
        else:
            line = (await extraction.run(doc.doc_id, doc.source, doc.text, settings)).model_dump(mode="json")
        if output_format is None:
            return line
        reformat = Reformatter(output_format, formula_guard)
        return Response(reformat.feed([line]) + reformat.close(), media_type=media_type(output_format))

    async def read_job_documents(request: Request) -> list[NewDocument]:
        ctype = request.headers.get("content-type", "")
        limit = config.max_document_bytes
        if ctype.startswith("multipart/form-data"):
            form = await request.form()
            docs = []
            for key, value in form.multi_items():
                if isinstance(value, str):
                    raise RequestValidationError([{"loc": ["body", key], "msg": "expected an uploaded file",
                                                   "type": "file_type"}])
                name = value.filename or key
                docs.append(_prepare(name, name, await value.read(), limit))
            return docs
        if not ctype.startswith(("application/x-ndjson", "application/jsonl", "application/json")):
            raise HTTPException(415, "send multipart/form-data files or an application/x-ndjson body")
        docs = []
        for n, raw in enumerate((await request.body()).splitlines(), 1):
            if not raw.strip():
                continue
            try:
                line = JobLine.model_validate_json(raw)
            except ValidationError as exc:
                raise _validation(exc, ("body", n)) from None
            docs.append(_prepare(line.id, line.id, line.text, limit))
        return docs

    @app.post("/v1/jobs", status_code=202, openapi_extra={"requestBody": {"content": {
        "application/x-ndjson": {"schema": {"type": "string", "description": 'lines of {"id": ..., "text": ...}'}},
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}}}})
    async def submit(request: Request, who: Owner, backend: BackendChoice | None = None, model: str | None = None,
                     prompt_version: str | None = None, mode: str | None = None) -> dict[str, Any]:
        """Many documents -> 202 and the job's id; results come from /v1/jobs/{id}/results."""
        settings = checked_settings({"backend": backend, "model": model, "prompt_version": prompt_version, "mode": mode})
        if store.unfinished_jobs(who) >= config.max_jobs_per_token:
            raise busy(f"at most {config.max_jobs_per_token} unfinished jobs per token")
        docs = await read_job_documents(request)
        if not docs:
            raise RequestValidationError([{"loc": ["body"], "msg": "no documents", "type": "missing"}])
        if store.queue_depth() + len(docs) > config.max_queue:
            raise busy(f"the queue holds at most {config.max_queue} documents")
        try:  # checked again inside the insert's transaction: two uploads at once cannot both slip under
            job = await asyncio.to_thread(store.create_job, who, docs, settings_key(settings),
                                          max_unfinished=config.max_jobs_per_token, max_queue=config.max_queue)
        except QueueFull as exc:
            raise busy(str(exc)) from None
        app.state.pool.notify()
        return job_view(job)

    @app.get("/v1/jobs")
    async def list_jobs(who: Owner) -> list[dict[str, Any]]:
        return [job_view(j) for j in store.list_jobs(who)]

    def own_job(job_id: str, who: str) -> JobInfo:
        job = store.get_job(job_id, who)
        if job is None:
            raise HTTPException(404, f"no job {job_id}")
        return job

    @app.get("/v1/jobs/{job_id}")
    async def get_job(job_id: str, who: Owner) -> dict[str, Any]:
        return job_view(own_job(job_id, who))

    @app.delete("/v1/jobs/{job_id}")
    async def cancel_job(job_id: str, who: Owner) -> dict[str, Any]:
        own_job(job_id, who)
        store.cancel(job_id)
        return job_view(own_job(job_id, who))

    @app.get("/v1/jobs/{job_id}/results")
    async def results(job_id: str, who: Owner, after: Annotated[int, Query(ge=0)] = 0,
                      output_format: Annotated[OutputFormat, Query(alias="format")] = "jsonl",
                      formula_guard: bool = False) -> StreamingResponse:
        """Result lines in input order, streamed while the job runs; ?after=N skips the first N;
        ?format=table|csv|ctgov writes them as `trialx extract --format` does (jsonl by default);
        ?formula_guard=true makes csv cells that a spreadsheet would run as formulas inert."""
        own_job(job_id, who)
        reformat = None if output_format == "jsonl" else Reformatter(output_format, formula_guard)

        async def lines() -> AsyncIterator[bytes]:
            cursor = after
            while True:
                job = store.get_job(job_id)
                finished = job is None or job.state in FINISHED
                rows = store.result_lines(job_id, cursor)
                chunk: list[str] = []
                gap = False
                for seq, line in rows:
                    if seq != cursor + 1 and not finished:
                        gap = True  # wait for the earlier document, keep input order
                        break
                    cursor = seq
                    chunk.append(line)
                if chunk and reformat is not None:
                    yield reformat.feed(chunk).encode("utf-8")
                elif chunk:  # the stored JSON lines as they are, one write per page
                    yield ("\n".join(chunk) + "\n").encode("utf-8")
                if rows and not gap:
                    continue
                if finished and not gap:
                    if reformat is not None:
                        yield reformat.close().encode("utf-8")
                    return
                await asyncio.sleep(0.1)

        return StreamingResponse(lines(), media_type=media_type(output_format))

    app.state.reviews = mount_service_review(app, store, tokens, config.home, config.review_runs,
                                             config.secure_cookie)
    app.add_middleware(_BodyLimit, limit=config.max_body_bytes)
    return app
