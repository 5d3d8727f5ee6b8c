"""What the review tests share: a service with tokens, a job of small pages, a saved run."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from extractor import Document, Settings, extract_documents
from service import ServiceConfig
from tests.service.pages import page

A = {"Authorization": "Bearer tok-alice"}
B = {"Authorization": "Bearer tok-bob"}
NDJSON = {"content-type": "application/x-ndjson"}
HOSTILE = ("Trial of <script>alert(1)</script> Drug\n\nNCT ID: NCT01000099\nOverall Status: Recruiting\n"
           "Study Type: Interventional\nPhase: Phase 2\nEnrollment: 30 participants\n"
           'Lead Sponsor: <img src=x onerror="alert(2)"> & Co\n')


def config(home: Path, **kw: Any) -> ServiceConfig:
    base = ServiceConfig(home=home, tokens="alice=tok-alice,bob=tok-bob", settings=Settings(backend="rules"),
                         workers=2)
    return replace(base, **kw)


def job_body(n: int = 3, hostile: bool = True) -> str:
    lines = [json.dumps({"id": f"d{i}", "text": page(i)}) for i in range(n)]
    if hostile:
        lines.append(json.dumps({"id": "evil", "text": HOSTILE}))
    return "\n".join(lines)


def save_run(run_dir: Path, texts: dict[str, str]) -> Path:
    """A run directory as `trialx extract --out run/predictions.jsonl` leaves it, with its sources."""
    sources = run_dir / "src"
    sources.mkdir(parents=True)
    docs = []
    for doc_id, text in texts.items():
        path = sources / f"{doc_id}.txt"
        path.write_text(text, encoding="utf-8")
        docs.append(Document(doc_id, str(path), text))
    lines = [r.model_dump(mode="json") for r in extract_documents(docs, Settings(backend="rules"))]
    (run_dir / "predictions.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return run_dir
