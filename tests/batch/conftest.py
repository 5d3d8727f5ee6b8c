"""Shared pieces of the batch tests: documents, a fake model that reads them, the fake Batch API."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from extractor import Settings, extract_documents
from extractor.inputs import load_documents
from tests.fake_openai import FakeOpenAI, document_text, requested_fields

PAGES = Path(__file__).resolve().parent.parent / "fixtures" / "pages"


def reading_responder(request: dict[str, Any]) -> dict[str, Any]:
    """A fake model that reads the document: its registry id, its first line as title, an enrollment."""
    text = document_text(request)
    answer: dict[str, Any] = {"quotes": {}}
    nct = re.search(r"\bNCT\d{8}\b", text)
    if nct:
        answer["nct_id"] = nct.group(0)
        answer["quotes"]["nct_id"] = nct.group(0)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if first:
        answer["brief_title"] = first
        answer["quotes"]["brief_title"] = first
    count = re.search(r"(\d{2,5}) participants", text)
    if count:
        answer["enrollment"] = int(count.group(1))
    wanted = requested_fields(request)  # a stepwise request asks for some fields only
    if wanted is not None:
        answer = {k: v for k, v in answer.items() if k in wanted or k == "quotes"}
        answer["quotes"] = {k: v for k, v in answer["quotes"].items() if k in wanted}
    return answer


@pytest.fixture()
def pages(tmp_path: Path) -> Path:
    """The fixture pages, plus a few more generated, plus one unreadable file."""
    folder = tmp_path / "pages"
    shutil.copytree(PAGES, folder)
    for n in range(6):
        (folder / f"gen_{n}.txt").write_text(
            f"Study number {n} of a small trial\nClinicalTrials.gov ID NCT0{n}000000\n"
            f"Enrollment: {30 + n} participants\nOverall Status: Recruiting\n", encoding="utf-8")
    (folder / "empty.txt").write_text("", encoding="utf-8")
    return folder


def realtime_lines(pages: Path, fake: FakeOpenAI, prompt: str | None = None) -> list[dict[str, Any]]:
    """`trialx extract`'s lines for `pages` through the real-time path against `fake` (default prompt unless given)."""
    settings = Settings(backend="llm", base_url=fake.base_url, use_cache=False, concurrency=2,
                        **({"prompt_version": prompt} if prompt else {}))
    return [r.model_dump(mode="json") for r in extract_documents(list(load_documents([str(pages)])), settings)]


def comparable(line: dict[str, Any]) -> dict[str, Any]:
    """A result line without what differs by engine: latency, request counts, the price tier."""
    out = json.loads(json.dumps(line))
    out.pop("usage", None)
    return out


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
