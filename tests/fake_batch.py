"""A fake OpenAI Batch API on 127.0.0.1 (files and batches), answering from the fake model.

Speaks what `openai.OpenAI().files` and `.batches` use: POST /v1/files (multipart upload),
GET /v1/files, GET /v1/files/{id}/content, POST /v1/batches, GET /v1/batches[/{id}],
POST /v1/batches/{id}/cancel. Each batch moves one state per retrieve: validating ->
in_progress -> its outcome (`outcomes`, one per batch created, default "completed"):
- "completed": every line answered by `model` (a `FakeOpenAI`, through `fake_openai.respond`, so
  its fault schedules give line-level 429/500 answers); non-200 lines go to the error file, or
  stay in the output when `errors_in_output` (as vLLM's runner writes them).
- "expired" / "cancelled": the first `partial` fraction of lines answered, the rest in the error
  file as batch_expired / batch_cancelled lines (as OpenAI does).
- "failed": validation failed, no output at all.
`crash_after_create`: the next create makes the batch, then drops the connection (the client
sees an error), as a crash between "create" and the journal line would.
"""

from __future__ import annotations

import email.parser
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.fake_openai import FakeOpenAI, respond


@dataclass
class FakeBatchAPI:
    model: FakeOpenAI = field(default_factory=FakeOpenAI)
    outcomes: list[str] = field(default_factory=list)
    partial: float = 0.5
    errors_in_output: bool = False
    crash_after_create: bool = False
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    content: dict[str, bytes] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    creates: int = 0
    uploads: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def __enter__(self) -> "FakeBatchAPI":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake._route(self, "GET", b"")

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake._route(self, "POST", raw)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    # -- routing ---------------------------------------------------------------------------
    def _route(self, h: BaseHTTPRequestHandler, method: str, raw: bytes) -> None:
        url = urlparse(h.path)
        parts = [p for p in url.path.split("/") if p][1:]  # drop "v1"
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        with self._lock:
            if parts == ["files"] and method == "POST":
                return self._send(h, 200, self._upload(h, raw))
            if parts == ["files"]:
                data = [f for f in self.files.values() if query.get("purpose") in (None, f["purpose"])]
                return self._send(h, 200, {"object": "list", "data": data, "has_more": False})
            if len(parts) == 3 and parts[0] == "files" and parts[2] == "content":
                if parts[1] not in self.content:
                    return self._send(h, 404, {"error": {"message": "no such file"}})
                return self._send_bytes(h, self.content[parts[1]])
            if parts == ["batches"] and method == "POST":
                created = self._create(json.loads(raw))
                if self.crash_after_create:
                    self.crash_after_create = False
                    h.close_connection = True
                    return None  # the batch exists, the client never hears of it
                return self._send(h, 200, created)
            if parts == ["batches"]:
                data = sorted(self.batches.values(), key=lambda b: b["created_at"], reverse=True)
                return self._send(h, 200, {"object": "list", "data": data, "has_more": False})
            if len(parts) >= 2 and parts[0] == "batches" and parts[1] in self.batches:
                batch = self.batches[parts[1]]
                if len(parts) == 3 and parts[2] == "cancel":
                    if batch["status"] not in ("completed", "failed", "expired", "cancelled"):
                        batch["status"], batch["_outcome"] = "cancelling", "cancelled"
                    return self._send(h, 200, self._public(batch))
                self._advance(batch)
                return self._send(h, 200, self._public(batch))
            return self._send(h, 404, {"error": {"message": f"no route {method} {url.path}"}})

    def _upload(self, h: BaseHTTPRequestHandler, raw: bytes) -> dict[str, Any]:
        message = email.parser.BytesParser().parsebytes(
            b"Content-Type: " + h.headers["Content-Type"].encode() + b"\r\n\r\n" + raw)
        fields: dict[str, Any] = {}
        filename = "upload.jsonl"
        for part in message.get_payload():  # type: ignore[union-attr]
            name = part.get_param("name", header="content-disposition")
            if part.get_filename():
                filename = part.get_filename()
            fields[name] = part.get_payload(decode=True)
        self.uploads += 1
        file_id = f"file-{len(self.files) + 1}"
        data = fields["file"]
        self.files[file_id] = {"id": file_id, "object": "file", "bytes": len(data), "created_at": int(time.time()),
                               "filename": filename, "purpose": fields.get("purpose", b"batch").decode(),
                               "status": "processed"}
        self.content[file_id] = data
        return self.files[file_id]

    def _create(self, body: dict[str, Any]) -> dict[str, Any]:
        self.creates += 1
        batch_id = f"batch_{len(self.batches) + 1}"
        outcome = self.outcomes[len(self.batches)] if len(self.batches) < len(self.outcomes) else "completed"
        lines = self.content[body["input_file_id"]].decode().splitlines()
        self.batches[batch_id] = {
            "id": batch_id, "object": "batch", "endpoint": body["endpoint"], "errors": None,
            "input_file_id": body["input_file_id"], "completion_window": body["completion_window"],
            "status": "validating", "output_file_id": None, "error_file_id": None,
            "created_at": time.time_ns(), "metadata": body.get("metadata"),
            "request_counts": {"total": len(lines), "completed": 0, "failed": 0}, "_outcome": outcome,
        }
        return self._public(self.batches[batch_id])

    @staticmethod
    def _public(batch: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in batch.items() if not k.startswith("_")} | {"created_at": batch["created_at"] // 10**9}

    # -- running a batch -------------------------------------------------------------------
    def _advance(self, batch: dict[str, Any]) -> None:
        if batch["status"] == "validating":
            batch["status"] = "in_progress"
        elif batch["status"] in ("in_progress", "cancelling"):
            self._finish(batch, batch["_outcome"])

    def _finish(self, batch: dict[str, Any], outcome: str) -> None:
        batch["status"] = outcome
        if outcome == "failed":
            batch["errors"] = {"object": "list", "data": [{"code": "invalid_request", "message": "fake validation failure"}]}
            return
        lines = [json.loads(x) for x in self.content[batch["input_file_id"]].decode().splitlines() if x.strip()]
        answered = len(lines) if outcome == "completed" else int(len(lines) * self.partial)
        out, err = [], []
        for n, line in enumerate(lines):
            if n >= answered:
                code = "batch_expired" if outcome == "expired" else "batch_cancelled"
                err.append({"id": f"req_{n}", "custom_id": line["custom_id"], "response": None,
                            "error": {"code": code, "message": f"This request could not be executed before the batch was {outcome}."}})
                continue
            status, payload = respond(self.model, line["body"])
            item = {"id": f"req_{n}", "custom_id": line["custom_id"],
                    "response": {"status_code": status, "request_id": f"r{n}", "body": payload}, "error": None}
            (out if status == 200 or self.errors_in_output else err).append(item)
        counts = batch["request_counts"]
        counts["completed"] = sum(1 for i in out if i["response"]["status_code"] == 200)
        counts["failed"] = len(lines) - counts["completed"]
        if out:
            batch["output_file_id"] = self._store(batch["id"] + "-output.jsonl", out)
        if err:
            batch["error_file_id"] = self._store(batch["id"] + "-errors.jsonl", err)

    def _store(self, name: str, items: list[dict[str, Any]]) -> str:
        file_id = f"file-{len(self.files) + 1}"
        data = "".join(json.dumps(i) + "\n" for i in items).encode()
        self.files[file_id] = {"id": file_id, "object": "file", "bytes": len(data), "created_at": int(time.time()),
                               "filename": name, "purpose": "batch_output", "status": "processed"}
        self.content[file_id] = data
        return file_id

    def run_file(self, requests: bytes) -> bytes:
        """What a Batch-format runner (vLLM's run_batch) writes for a request file: every line's answer
        in the output, errors included (it has no separate error file)."""
        with self._lock:
            keep, self.errors_in_output = self.errors_in_output, True
            self.content["runner-input"] = requests
            job: dict[str, Any] = {"id": "runner", "input_file_id": "runner-input", "request_counts": {}}
            self._finish(job, "completed")
            self.errors_in_output = keep
            return self.content[job["output_file_id"]]

    # -- HTTP ------------------------------------------------------------------------------
    def _send(self, h: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _send_bytes(self, h: BaseHTTPRequestHandler, data: bytes) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/octet-stream")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
