"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests and benchmarks (no network).

openai 3.x talks through httpx2, which mocking libraries cannot intercept, so the real client,
instructor and our retry layer run against this server. It speaks `POST /v1/chat/completions`:
a tool call when the request carries `tools`, JSON content when it carries `response_format`,
markdown-fenced JSON otherwise. The answer object comes from `responder(request_json)`.

Faults are scheduled per document (keyed by a hash of the first user message, so re-asks of
one document share a schedule) through `per_document=[...]` (the same schedule for every
document) or `by_document={key: [...]}`, or by global request count through `by_request=[...]`.
Fault names: "429", "500", "502", "503", "hang", "not_json", "bad_schema", "length",
"refusal", "ok". Usage: prompt tokens are estimated as the request body's characters / 4 and
completion tokens as the answer's characters / 4 (an estimate, not a tokenizer).

A request with `"stream": true` is answered as server-sent events (the answer in pieces, then
usage when `stream_options.include_usage` asks for it, as OpenAI and vLLM do; `usage_in_stream=False`
leaves it out, as llama-cpp-python does). "stall" sends the first piece and then nothing for
`hang_s`; "slow" sends every piece `slow_s` apart. `cached_tokens` is reported in
`prompt_tokens_details` like OpenAI's prompt caching. `owned_by` is what GET /v1/models says.

Use as a context manager: `with FakeOpenAI(responder) as srv: srv.base_url ...`; leaving it
stops the server and releases any request still hanging.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

Responder = Callable[[dict[str, Any]], dict[str, Any]]
FAULTS = {"429", "500", "502", "503", "hang", "stall", "slow", "not_json", "bad_schema", "length", "refusal", "interrupted", "ok"}


def _has(body: dict[str, Any], param: str) -> bool:
    """`response_format.type=json_schema` style paths, or a plain top-level key."""
    if "=" in param:
        path, want = param.split("=", 1)
        node: Any = body
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return node == want
    return param in body


def first_user_message(request: dict[str, Any]) -> str:
    for message in request.get("messages", []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):  # content parts
                return "".join(part.get("text", "") for part in content if isinstance(part, dict))
            return str(content or "")
    return ""


def document_key(request: dict[str, Any]) -> str:
    """The schedule key of a request: sha256 of its first user message, 16 hex digits."""
    return hashlib.sha256(first_user_message(request).encode("utf-8")).hexdigest()[:16]


def key_for_text(user_message: str) -> str:
    return hashlib.sha256(user_message.encode("utf-8")).hexdigest()[:16]


def key_for_document(document: str, prompt_version: str | None = None) -> str:
    """The schedule key the requests for `document` will carry under that prompt version (default: the default)."""
    from extractor.llm.prompts import load_prompt

    return key_for_text(load_prompt(prompt_version).render(document=document)[1]["content"])


def document_text(request: dict[str, Any]) -> str:
    """The document inside `<document>...</document>` of the first user message; a stepwise (v4)
    request's page sections after its "Registry page ...:" header; or the whole message."""
    text = first_user_message(request)
    m = re.search(r"<document>\n?(.*?)\n?</document>", text, flags=re.S)
    if m:
        return m.group(1)
    m = re.search(r"^Registry page[^\n]*:\n\n(.*)", text, flags=re.S | re.M)
    return m.group(1) if m else text


def requested_fields(request: dict[str, Any]) -> set[str] | None:
    """The record fields the request's schema asks for (a step's sub-schema), or None when unknown."""
    schemas = [t.get("function", {}).get("parameters") for t in request.get("tools") or []]
    response_format = request.get("response_format") or {}
    schemas += [response_format.get("json_schema", {}).get("schema"), response_format.get("schema")]
    for schema in schemas:
        if isinstance(schema, dict) and isinstance(schema.get("properties"), dict):
            return set(schema["properties"]) - {"quotes"}
    return None


def fixed_responder(answer: dict[str, Any]) -> Responder:
    """Always answer with `answer` (a record dict, optionally with "quotes")."""
    return lambda request: json.loads(json.dumps(answer))


@dataclass
class Recorded:
    key: str
    fault: str
    body: dict[str, Any]
    saw_authorization: bool
    usage: dict[str, int] = field(default_factory=dict)  # what a 200 answer reported


@dataclass
class FakeOpenAI:
    responder: Responder = field(default_factory=lambda: fixed_responder({}))
    per_document: list[str] = field(default_factory=list)
    by_document: dict[str, list[str]] = field(default_factory=dict)
    by_request: list[str] = field(default_factory=list)
    latency_s: float = 0.0
    hang_s: float = 5.0
    retry_after: str | None = "0"
    retry_after_ms: str | None = None
    requests: list[Recorded] = field(default_factory=list)
    # What a local server may not support: a 400 for requests that use it, as llama.cpp or Ollama do.
    unsupported: tuple[str, ...] = ()  # "tools", "response_format"
    # A server error about a request field, as llama-cpp-python answers json_schema with HTTP 500.
    rejects_with: dict[str, tuple[int, str]] = field(default_factory=dict)
    usage_in_stream: bool = True
    slow_s: float = 0.05
    cached_tokens: int = 0
    owned_by: str | None = None  # None: no GET /v1/models (404)

    def __post_init__(self) -> None:
        for name in [*self.per_document, *self.by_request, *(f for s in self.by_document.values() for f in s)]:
            if name not in FAULTS:
                raise ValueError(f"unknown fault {name!r}; known: {sorted(FAULTS)}")
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._counts: dict[str, int] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> "FakeOpenAI":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body go out in two writes; with Nagle on, the body waits for the client's
            # delayed ACK (~40 ms per response), a stall no real model server adds
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                if fake.owned_by is not None and self.path.rstrip("/").endswith("/models"):
                    fake._send(self, 200, {"object": "list", "data": [
                        {"id": "fake-model", "object": "model", "owned_by": fake.owned_by}]})
                else:
                    fake._send(self, 404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                fake._handle(self, raw)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        assert self._server is not None, "enter the context manager first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def requests_for(self, key: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.key == key]

    # -- behaviour -------------------------------------------------------------------------
    def _next_fault(self, key: str) -> str:
        with self._lock:
            n_global = len(self.requests)
            n_doc = self._counts.get(key, 0)
            self._counts[key] = n_doc + 1
        schedule = self.by_document.get(key, self.per_document)
        if n_doc < len(schedule):
            return schedule[n_doc]
        if n_global < len(self.by_request):
            return self.by_request[n_global]
        return "ok"

    def _handle(self, handler: BaseHTTPRequestHandler, raw: bytes) -> None:
        if not handler.path.rstrip("/").endswith("/chat/completions"):
            self._send(handler, 404, {"error": {"message": "not found", "type": "invalid_request_error"}})
            return
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            self._send(handler, 400, {"error": {"message": "body is not JSON", "type": "invalid_request_error"}})
            return
        rejected = next((param for param in self.unsupported if param in body), None)
        if rejected is not None:
            with self._lock:
                self.requests.append(Recorded(document_key(body), f"unsupported:{rejected}", body,
                                              "authorization" in {k.lower() for k in handler.headers}))
            self._send(handler, 400, {"error": {"message": f"'{rejected}' is not supported by this server",
                                                "type": "invalid_request_error", "param": rejected}})
            return
        for param, (status, message) in self.rejects_with.items():
            if _has(body, param):
                with self._lock:
                    self.requests.append(Recorded(document_key(body), f"rejected:{param}", body, True))
                self._send(handler, status, {"error": {"message": message, "type": "server_error"}})
                return
        key = document_key(body)
        fault = self._next_fault(key)
        with self._lock:
            self.requests.append(Recorded(key, fault, body, "authorization" in {k.lower() for k in handler.headers}))
        if self.latency_s:
            self._stop.wait(self.latency_s)
        if fault == "429":
            headers = {}
            if self.retry_after is not None:
                headers["Retry-After"] = self.retry_after
            if self.retry_after_ms is not None:
                headers["retry-after-ms"] = self.retry_after_ms
            self._send(handler, 429, {"error": {"message": "Rate limit reached", "type": "rate_limit_error"}}, headers)
            return
        if fault in {"500", "502", "503"}:
            self._send(handler, int(fault), {"error": {"message": f"fake server error {fault}", "type": "server_error"}})
            return
        if fault == "hang":
            self._stop.wait(self.hang_s)
            if self._stop.is_set():
                return
        completion = self._completion(body, fault)
        with self._lock:
            for rec in reversed(self.requests):
                if rec.body is body:
                    rec.usage = dict(completion["usage"])
                    break
        if body.get("stream"):
            self._send_stream(handler, body, completion, fault)
        else:
            self._send(handler, 200, completion)

    def _send_stream(self, handler: BaseHTTPRequestHandler, body: dict[str, Any], completion: dict[str, Any],
                     fault: str) -> None:
        choice = completion["choices"][0]
        message = choice["message"]
        base = {k: completion[k] for k in ("id", "created", "model")} | {"object": "chat.completion.chunk"}
        deltas: list[dict[str, Any]] = [{"role": "assistant"}]
        if message.get("refusal"):
            deltas.append({"refusal": message["refusal"]})
        for call in message.get("tool_calls") or []:
            args = call["function"]["arguments"]
            deltas.append({"tool_calls": [{"index": 0, "id": call["id"], "type": "function",
                                           "function": {"name": call["function"]["name"], "arguments": ""}}]})
            deltas += [{"tool_calls": [{"index": 0, "function": {"arguments": args[i:i + 40]}}]}
                       for i in range(0, len(args), 40)]
        content = message.get("content") or ""
        deltas += [{"content": content[i:i + 40]} for i in range(0, len(content), 40)]
        events = [base | {"choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
        if fault == "interrupted":  # llama-cpp-python's server cuts a stream when another request arrives
            events = events[: max(2, len(events) // 2)]
        else:
            events.append(base | {"choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}]})
        if self.usage_in_stream and (body.get("stream_options") or {}).get("include_usage"):
            events.append(base | {"choices": [], "usage": completion["usage"]})
        try:
            handler.send_response(200)
            handler.send_header("Content-Type", "text/event-stream")
            handler.send_header("Connection", "close")
            handler.end_headers()
            for i, event in enumerate(events):
                if i and fault == "slow":
                    self._stop.wait(self.slow_s)
                handler.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                handler.wfile.flush()
                if i == 0 and fault == "stall":
                    self._stop.wait(self.hang_s)
                    if self._stop.is_set():
                        return
            handler.wfile.write(b"data: [DONE]\n\n")
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        handler.close_connection = True

    def _completion(self, body: dict[str, Any], fault: str) -> dict[str, Any]:
        answer: Any
        finish = "stop"
        refusal = None
        if fault == "bad_schema":
            answer = {"enrollment": "lots of people", "overall_status": "SORT_OF_RUNNING", "nct_id": "12345"}
        else:
            answer = self.responder(body)
        text = json.dumps(answer)
        if fault == "not_json":
            text = "Sure! The trial looks interesting, but I would rather describe it in prose."
        if fault == "length":
            text, finish = text[: max(1, len(text) // 2)], "length"
        message: dict[str, Any] = {"role": "assistant", "content": None}
        if fault == "refusal":
            refusal = "I'm sorry, I can't help with that request."
            message["refusal"] = refusal
        elif body.get("tools"):
            name = body["tools"][0]["function"]["name"]
            message["tool_calls"] = [
                {"id": "call_fake_1", "type": "function", "function": {"name": name, "arguments": text}}
            ]
            finish = "tool_calls" if finish == "stop" else finish
        elif body.get("response_format"):
            message["content"] = text
        else:
            message["content"] = f"```json\n{text}\n```" if fault != "not_json" else text
        prompt_tokens = max(1, len(json.dumps(body.get("messages", [])) + json.dumps(body.get("tools", []))) // 4)
        completion_tokens = max(1, len(text) // 4)
        return {
            "id": f"chatcmpl-fake-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake-model"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
                **({"prompt_tokens_details": {"cached_tokens": self.cached_tokens}} if self.cached_tokens else {}),
            },
        }

    def _send(self, handler: BaseHTTPRequestHandler, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode("utf-8")
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test); nothing to tell it


def respond(fake: FakeOpenAI, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """What `fake` answers to one chat-completions body, without HTTP: (status, payload).

    The same fault schedules and the same answers as the HTTP server (a "hang" answers at once);
    the fake Batch API (tests/fake_batch.py) answers each request line through it.
    """
    key = document_key(body)
    fault = fake._next_fault(key)
    with fake._lock:
        fake.requests.append(Recorded(key, fault, body, True))
    if fault == "429":
        return 429, {"error": {"message": "Rate limit reached", "type": "rate_limit_error"}}
    if fault in {"500", "502", "503"}:
        return int(fault), {"error": {"message": f"fake server error {fault}", "type": "server_error"}}
    return 200, fake._completion(body, fault)


def completion_for(fake: FakeOpenAI, body: dict[str, Any]) -> dict[str, Any]:
    """The 200 answer `fake` gives to `body` (no fault, nothing recorded)."""
    return fake._completion(body, "ok")
