"""The pipeline: backend choice, the rules result, ordered bounded streaming, errors per document."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from typing import ClassVar, Literal

import pytest

from extractor.errors import ConfigError, LLMError
from extractor.inputs import Document
from extractor import (
    Backend,
    Settings,
    extract_documents,
    extract_rules_result,
    extract_stream,
    make_backend,
    resolve_backend,
)
from extractor.llm import LLMBackend
from extractor.result import DocumentError, ExtractionResult, MatchStatus, Source, Usage
from extractor.rules import RulesBackend
from extractor.errors import EmptyInputError
from tests import fake_rules

PAGE = "Title: Sleep Study\nNCT ID: NCT01234567\nStatus: Completed\nEnrollment: 48\nPhase: Phase 2\n"


@pytest.fixture(autouse=True)
def _rules(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_rules.install(monkeypatch)


def test_resolve_backend() -> None:
    assert resolve_backend(Settings(), env={}) == "rules"
    assert resolve_backend(Settings(), env={"OPENAI_API_KEY": "k"}) == "llm"
    assert resolve_backend(Settings(), env={"OPENAI_BASE_URL": "http://127.0.0.1:1"}) == "llm"
    assert resolve_backend(Settings(base_url="http://127.0.0.1:1"), env={}) == "llm"
    assert resolve_backend(Settings(backend="rules"), env={"OPENAI_API_KEY": "k"}) == "rules"
    assert resolve_backend(Settings(backend="llm"), env={}) == "llm"


def test_rules_result_has_evidence_provenance_and_checks() -> None:
    result = extract_rules_result("doc", "doc.txt", PAGE + "Start Date: 2030-01\n")
    assert result.backend == "rules" and result.id == "doc" and result.usage == Usage()
    assert result.record.enrollment == 48
    assert set(result.provenance) == set(result.evidence) == {
        "nct_id", "overall_status", "enrollment", "phases[0]", "start_date", "brief_title"}
    assert all(p.source == Source.RULES for p in result.provenance.values())
    assert result.evidence["enrollment"].status == MatchStatus.EXACT
    line = result.to_json_line()
    assert set(line) == {"id", "source", "backend", "record", "evidence", "provenance", "issues", "usage"}


def test_rules_result_carries_check_issues() -> None:
    result = extract_rules_result("d", "d.txt", "Status: Completed\nEnrollment: 0\n")
    assert "ENROLLMENT_RANGE" in [i.code for i in result.issues]


def docs(n: int, pulled: list[int] | None = None) -> Iterator[Document]:
    for i in range(n):
        if pulled is not None:
            pulled.append(i)
        yield Document(id=f"d{i}", source=f"d{i}.txt", text=PAGE.replace("48", str(i + 1)))


def test_rules_stream_keeps_order_and_reports_bad_documents() -> None:
    batch = [
        Document(id="ok1", source="ok1.txt", text=PAGE),
        Document(id="empty", source="empty.txt", error=EmptyInputError("empty.txt is empty")),
        Document(id="boom", source="boom.txt", text="RAISE-IN-RULES"),
        Document(id="ok2", source="ok2.txt", text=PAGE),
    ]
    out = extract_documents(batch, Settings(backend="rules"))
    assert [o.id for o in out] == ["ok1", "empty", "boom", "ok2"]
    assert isinstance(out[0], ExtractionResult) and isinstance(out[3], ExtractionResult)
    assert isinstance(out[1], DocumentError) and out[1].error["code"] == "EMPTY_INPUT"
    assert isinstance(out[2], DocumentError) and out[2].error == {
        "code": "INTERNAL_ERROR", "message": "RuntimeError: the rules tripped"}


class SlowBackend(Backend):
    """A fake model backend with random latency that records how many calls overlap."""

    name: ClassVar[Literal["llm", "rules"]] = "llm"

    def __init__(self, fail: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.active = 0
        self.peak = 0
        self.fail = fail
        self.closed = False

    async def extract(self, doc_id: str, source: str, text: str) -> ExtractionResult:
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            await asyncio.sleep(random.uniform(0, 0.01))
            if doc_id in self.fail:
                raise LLMError("the model server answered 500 four times")
            return extract_rules_result(doc_id, source, text).model_copy(update={"backend": "llm"})
        finally:
            self.active -= 1

    async def aclose(self) -> None:
        self.closed = True


def test_llm_stream_is_ordered_bounded_and_lazy() -> None:
    random.seed(7)
    backend = SlowBackend(fail={"d5"})
    pulled: list[int] = []
    settings = Settings(backend="llm", concurrency=3)

    async def run() -> list[tuple[str, int]]:
        seen = []
        async for item in extract_stream(docs(40, pulled), settings, backend=backend):
            seen.append((item.id, len(pulled)))
        return seen

    seen = asyncio.run(run())
    assert [doc_id for doc_id, _ in seen] == [f"d{i}" for i in range(40)]
    assert backend.peak <= 6  # the pipeline bounds documents in flight; a backend gates its own requests
    assert not backend.closed  # a backend the caller passed is the caller's to close
    # never more than concurrency * 2 documents read ahead of what has been yielded
    assert all(read - (n + 1) <= 6 for n, (_, read) in enumerate(seen))
    # the first result comes out long before the last document is read: streamed
    assert seen[0][1] < 10


def test_llm_failure_becomes_an_error_line() -> None:
    out = extract_documents(docs(8), Settings(backend="llm", concurrency=2), backend=SlowBackend(fail={"d5"}))
    errors = [o for o in out if isinstance(o, DocumentError)]
    assert [e.id for e in errors] == ["d5"] and errors[0].error["code"] == "LLM_FAILED"
    assert all(o.backend == "llm" for o in out if isinstance(o, ExtractionResult))


def test_llm_without_a_server_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY or a base URL"):
        extract_documents(docs(1), Settings(backend="llm"))


def test_make_backend_builds_what_the_settings_ask_for() -> None:
    assert isinstance(make_backend(Settings(backend="rules", base_url="http://127.0.0.1:9/v1")), RulesBackend)
    backend = make_backend(Settings(base_url="http://127.0.0.1:9/v1", concurrency=5, model="m"))
    assert isinstance(backend, LLMBackend) and isinstance(backend.rules, RulesBackend)
    assert not backend.rules.checks  # the merge checks the final record once
    assert (backend.config.model, backend.config.max_connections) == ("m", 5)
