"""Streaming, idle timeout vs deadline, mode probing, rejected modes and cached tokens, against the fake server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from extractor.llm import LLMBackend, LLMConfig
from extractor.llm import client as llm_client
from extractor.result import ExtractionResult
from extractor.schema import TrialRecord
from tests.builders import FixedRules
from tests.fake_openai import FakeOpenAI, fixed_responder

TEXT = """Study of Drug A in Adults With Asthma

NCT ID: NCT01234567
Overall Status: Recruiting
Lead Sponsor: Acme Pharma
"""
GOOD: dict[str, Any] = {"nct_id": "NCT01234567", "overall_status": "RECRUITING", "lead_sponsor": "Acme Pharma"}


@pytest.fixture(autouse=True)
def instant(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_wait(seconds: float) -> None:
        return None

    monkeypatch.setattr(llm_client, "sleep", no_wait)


def run(srv: FakeOpenAI, **options: Any) -> ExtractionResult:
    options.setdefault("use_cache", False)
    options.setdefault("prompt_version", "v3")  # one request per document: request counts rely on it
    rules = ExtractionResult(id="doc", source="doc.txt", backend="rules", record=TrialRecord())
    backend = LLMBackend(LLMConfig(base_url=srv.base_url, **options), rules=FixedRules(rules))
    return asyncio.run(backend.extract("doc", "doc.txt", TEXT))


def failure(result: ExtractionResult) -> str:
    return next(i.message for i in result.issues if i.code == "LLM_FAILED")


def test_answers_are_streamed_and_reassembled_with_usage_and_cached_tokens() -> None:
    with FakeOpenAI(fixed_responder(GOOD), cached_tokens=300) as srv:
        result = run(srv, mode="tools")
    body = srv.requests[0].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert result.backend == "llm" and result.record.lead_sponsor == "Acme Pharma"
    assert result.usage.input_tokens == srv.requests[0].usage["prompt_tokens"]
    assert result.usage.cached_tokens == 300


def test_usage_is_estimated_when_the_stream_does_not_report_it() -> None:
    with FakeOpenAI(fixed_responder(GOOD), usage_in_stream=False) as srv:
        result = run(srv, mode="json")
    assert result.backend == "llm"
    assert result.usage.input_tokens > 0 and result.usage.output_tokens > 0 and result.usage.cached_tokens == 0


def test_a_slow_model_that_keeps_producing_is_never_cut_off() -> None:
    # every piece 0.15 s apart: the whole answer takes well over the 0.5 s idle timeout
    with FakeOpenAI(fixed_responder(GOOD), per_document=["slow"], slow_s=0.15) as srv:
        result = run(srv, mode="json", idle_timeout_s=0.5)
    assert result.backend == "llm" and len(srv.requests) == 1


def test_a_stalled_stream_is_an_idle_timeout_and_is_not_resent() -> None:
    with FakeOpenAI(fixed_responder(GOOD), per_document=["stall"] * 3, hang_s=3) as srv:
        result = run(srv, mode="json", idle_timeout_s=0.3, max_attempts=4)
    assert len(srv.requests) == 1
    assert "sent nothing for 0.3s (idle timeout)" in failure(result)


def test_timeouts_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIALX_IDLE_TIMEOUT", "12.5")
    monkeypatch.setenv("TRIALX_DEADLINE", "99")
    config = LLMConfig()
    assert (config.idle_timeout_s, config.deadline_s) == (12.5, 99.0)
    monkeypatch.setenv("TRIALX_DEADLINE", "soon")
    with pytest.raises(Exception, match="TRIALX_DEADLINE"):
        LLMConfig()


def test_auto_probes_a_llama_cpp_server_once_and_sends_its_grammar_mode() -> None:
    with FakeOpenAI(fixed_responder(GOOD), owned_by="me") as srv:
        result = run(srv)
    assert result.backend == "llm" and len(srv.requests) == 1 and result.usage.requests == 1
    fmt = srv.requests[0].body["response_format"]
    assert fmt["type"] == "json_object" and "lead_sponsor" in fmt["schema"]["properties"]
    assert "tools" not in srv.requests[0].body


@pytest.mark.parametrize("owner, sent", [("vllm", "json_schema"), ("openai", "tools")])
def test_auto_picks_by_what_the_server_says(owner: str, sent: str) -> None:
    with FakeOpenAI(fixed_responder(GOOD), owned_by=owner) as srv:
        result = run(srv)
    body = srv.requests[0].body
    assert result.backend == "llm"
    assert ("tools" in body) if sent == "tools" else body["response_format"]["type"] == "json_schema"


def test_an_explicit_mode_the_server_rejects_is_one_line_quoting_the_server() -> None:
    said = "1 validation error: response_format.type Input should be 'text' or 'json_object'"
    with FakeOpenAI(fixed_responder(GOOD), rejects_with={"response_format.type=json_schema": (500, said)}) as srv:
        result = run(srv, mode="json_schema", max_attempts=4)
    assert len(srv.requests) == 1  # no retry can help
    message = failure(result)
    assert "rejected --mode json_schema (HTTP 500)" in message and said in message and "\n" not in message


def test_auto_moves_on_when_the_server_rejects_its_first_mode() -> None:
    with FakeOpenAI(fixed_responder(GOOD), owned_by="vllm",
                    rejects_with={"response_format.type=json_schema": (500, "json_schema is not supported")}) as srv:
        result = run(srv)
    assert result.backend == "llm"
    assert [r.fault for r in srv.requests] == ["rejected:response_format.type=json_schema", "ok"]


def test_stream_answer_waits_longer_for_the_first_chunk_than_between_chunks() -> None:
    import httpx2

    from extractor.llm.transport import stream_answer

    event = 'data: {"id": "c", "choices": [{"index": 0, "delta": {"content": "%s"}, "finish_reason": null}]}\n\n'

    class Paced(httpx2.AsyncByteStream):
        def __init__(self, pauses: list[float]) -> None:
            self.pauses = pauses

        async def __aiter__(self):  # type: ignore[no-untyped-def]
            for n, pause in enumerate(self.pauses):
                await asyncio.sleep(pause)
                yield (event % n).encode()
            yield b"data: [DONE]\n\n"

    def answer(pauses: list[float], idle: float, first: float) -> dict:
        response = httpx2.Response(200, headers={"content-type": "text/event-stream"}, stream=Paced(pauses))
        return asyncio.run(stream_answer(response, 10, idle_s=idle, first_s=first))

    slow_start = answer([0.3, 0.01, 0.01], idle=0.1, first=1.0)  # a prompt read slowly, then steady tokens
    assert slow_start["choices"][0]["message"]["content"] == "012"
    with pytest.raises(httpx2.ReadTimeout):
        answer([1.5], idle=0.1, first=0.3)  # nothing at all: hung before the first token
    with pytest.raises(httpx2.ReadTimeout):
        answer([0.0, 0.5], idle=0.1, first=1.0)  # silence mid-answer
