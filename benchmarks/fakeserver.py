"""Run the project's fake OpenAI server (tests/fake_openai.py) in its own process for benchmarks.

A separate process keeps the server's CPU out of the client's `time.process_time()`, so the
CPU-per-document figure is trialx's (or langextract's) own work. The child prints
`READY <base_url>` and serves until its stdin closes; then it writes every request body it saw
to a JSON Lines dump, which the parent reads for token counting.

The responder answers two kinds of request: langextract's (a JSON `{"extractions": [...]}`
built from verbatim substrings of the chunk, the format its resolver parses) and trialx's (the
rules extractor's record for the document, so instructor's validation does real work).

trialx's answers are computed before the timed run (`ServerProcess(..., documents=[...])`, keyed
by a hash of the document text) and memoized: a real model server's work costs the client's
machine nothing, but running the rules extractor per request here (~2.5 ms of CPU each, 16 at
once at c=16) took CPU from the client on a 2-core machine and delayed the answers.
"""

from __future__ import annotations

import argparse
import hashlib
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
_answers: dict[str, dict[str, Any]] = {}  # sha256 of the document text -> its trialx answer


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rules_answer(text: str) -> dict[str, Any]:
    """The rules record of `text` as JSON (an empty record when rules are absent), memoized."""
    global _rules
    key = _text_key(text)
    if (hit := _answers.get(key)) is not None:
        return hit
    if _rules is None:
        try:
            from extractor.rules import extract_rules

            _rules = extract_rules
        except ImportError:
            _rules = False
    answer: dict[str, Any] = _rules(text).model_dump(mode="json") if _rules else {}
    _answers[key] = answer
    return answer


def precompute(documents: Path) -> int:
    """Answer every document in a JSON Lines file of texts before serving (see the docstring)."""
    with documents.open(encoding="utf-8") as fh:
        texts = [json.loads(line) for line in fh if line.strip()]
    for text in texts:
        rules_answer(text)
    return len(texts)


def trialx_answer(body: dict[str, Any], fake: ModuleType) -> dict[str, Any]:
    """The rules record of the document in the request (precomputed when the benchmark listed it).

    A fresh copy each time: the answer is serialized by the caller, never shared mutable state."""
    return dict(rules_answer(fake.document_text(body)))


def serve(latency: float, dump: Path, documents: Path | None = None) -> None:
    fake = load_fake_openai()
    if documents is not None:
        precompute(documents)

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

    def __init__(self, latency: float, dump: Path, documents: list[str] | None = None) -> None:
        """`documents`: texts the run will send; their answers are computed before READY."""
        self.latency, self.dump = latency, dump
        self.documents = list(dict.fromkeys(documents or []))
        self.base_url = ""
        self.requests: list[dict[str, Any]] = []
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> "ServerProcess":
        cmd = [sys.executable, "-m", "benchmarks.fakeserver", "--latency", str(self.latency), "--dump", str(self.dump)]
        if self.documents:
            listing = self.dump.with_name(self.dump.name + ".documents.jsonl")
            with listing.open("w", encoding="utf-8") as fh:
                fh.writelines(json.dumps(text) + "\n" for text in self.documents)
            cmd += ["--documents", str(listing)]
        self._proc = subprocess.Popen(
            cmd,
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
    parser.add_argument("--documents", type=Path, help="JSON Lines of document texts to answer before serving")
    args = parser.parse_args()
    serve(args.latency, args.dump, args.documents)
