"""Run the project's fake OpenAI server (tests/fake_openai.py) in its own process for benchmarks.

A separate process keeps the server's CPU out of the client's `time.process_time()`, so the
CPU-per-document figure is trialx's (or langextract's) own work. The child prints
`READY <base_url>` and serves until its stdin closes; then it writes every request body it saw
to a JSON Lines dump, which the parent reads for token counting.

The responder answers two kinds of request: langextract's (a JSON `{"extractions": [...]}`
built from verbatim substrings of the chunk, the format its resolver parses) and trialx's (the
rules extractor's record for the document, so instructor's validation does real work).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LANGEXTRACT_SYSTEM = "You are a helpful assistant that responds in JSON format."


def load_fake_openai() -> ModuleType:
    """tests/fake_openai.py by path (tests/ is not a package)."""
    path = ROOT / "tests" / "fake_openai.py"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing")
    spec = importlib.util.spec_from_file_location("fake_openai", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fake_openai"] = module
    spec.loader.exec_module(module)
    return module


def is_langextract(body: dict[str, Any]) -> bool:
    messages = body.get("messages") or []
    return bool(messages) and messages[0].get("role") == "system" and messages[0].get("content") == LANGEXTRACT_SYSTEM


# Verbatim patterns for the langextract answer: every extraction_text is a substring of the chunk,
# as a real model following its few-shot example would produce.
_LX_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("nct_id", re.compile(r"\bNCT\d{8}\b")),
    ("overall_status", re.compile(r"\b(Recruiting|Completed|Terminated|Withdrawn|Active, not recruiting|Not yet recruiting|Unknown status|Suspended)\b")),
    ("phase", re.compile(r"\b(Phase ?[1-4](?:/Phase ?[1-4])?|PHASE[1-4])\b")),
    ("enrollment", re.compile(r"(?<!, )\b\d{1,6}(?= participants| \((?:Actual|Anticipated|Estimated)\))")),
    ("minimum_age", re.compile(r"\b\d{1,3} Years\b")),
    ("start_date", re.compile(r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December) (?:\d{1,2}, )?\d{4}\b|\b\d{4}-\d{2}(?:-\d{2})?\b")),
    ("study_type", re.compile(r"\b(Interventional|Observational|Expanded Access)\b")),
]


def langextract_answer(body: dict[str, Any]) -> dict[str, Any]:
    user = next((m.get("content") or "" for m in body.get("messages", []) if m.get("role") == "user"), "")
    chunk = user.rsplit("\nQ: ", 1)[-1]
    chunk = chunk.rsplit("\nA: ", 1)[0]
    extractions: list[dict[str, Any]] = []
    for name, pattern in _LX_PATTERNS:
        for m in list(pattern.finditer(chunk))[:3]:
            extractions.append({name: m.group(0), f"{name}_attributes": {}})
    return {"extractions": extractions}


_rules: Any = None


def trialx_answer(body: dict[str, Any], fake: ModuleType) -> dict[str, Any]:
    """The rules record of the document in the request (an empty record when rules are absent)."""
    global _rules
    if _rules is None:
        try:
            from extractor.rules import extract_rules

            _rules = extract_rules
        except ImportError:
            _rules = False
    if not _rules:
        return {}
    record = _rules(fake.document_text(body))
    answer: dict[str, Any] = record.model_dump(mode="json")
    return answer


def serve(latency: float, dump: Path) -> None:
    fake = load_fake_openai()

    def responder(body: dict[str, Any]) -> dict[str, Any]:
        return langextract_answer(body) if is_langextract(body) else trialx_answer(body, fake)

    with fake.FakeOpenAI(responder=responder, latency_s=latency) as srv:
        print(f"READY {srv.base_url}", flush=True)
        sys.stdin.read()  # until the parent closes our stdin
        requests = list(srv.requests)
    with dump.open("w", encoding="utf-8") as fh:
        for r in requests:
            keep = {k: r.body.get(k) for k in ("messages", "tools", "response_format") if r.body.get(k) is not None}
            fh.write(json.dumps({"key": r.key, "fault": r.fault, "body": keep}) + "\n")


class ServerProcess:
    """Context manager: the fake server in a child process; `.requests` holds its dump after exit."""

    def __init__(self, latency: float, dump: Path) -> None:
        self.latency, self.dump = latency, dump
        self.base_url = ""
        self.requests: list[dict[str, Any]] = []
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> "ServerProcess":
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.fakeserver", "--latency", str(self.latency), "--dump", str(self.dump)],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self._proc.stdout is not None
        deadline = time.monotonic() + 60
        line = self._proc.stdout.readline()
        if not line.startswith("READY ") or time.monotonic() > deadline:
            self._proc.kill()
            raise RuntimeError(f"fake server did not start (said {line!r})")
        self.base_url = line.split(" ", 1)[1].strip()
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.close()
        try:
            self._proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        if self.dump.is_file():
            with self.dump.open(encoding="utf-8") as fh:
                self.requests = [json.loads(line) for line in fh if line.strip()]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.25)
    parser.add_argument("--dump", type=Path, required=True)
    args = parser.parse_args()
    serve(args.latency, args.dump)
