"""The LLM path against a real HTTP fake server: the real openai + instructor code runs."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from extractor import llm
from extractor.llm.cache import cache_path
from extractor.errors import ConfigError, ContextLengthError
from extractor.llm import LLMBackend, LLMConfig, extract_record, split_document
from extractor.llm import client as llm_client
from extractor.result import ExtractionResult
from extractor.schema import TrialRecord
from tests.builders import FixedRules
from tests.fake_openai import FakeOpenAI, document_text, fixed_responder

TEXT = """Study of Drug A in Adults With Asthma

NCT ID: NCT01234567
Overall Status: Recruiting
Enrollment: 120 participants (Estimated)
Start Date: March 2021
Lead Sponsor: Acme Pharma

Eligibility
Sex: All
Minimum Age: 18 Years
"""

GOOD: dict[str, Any] = {
    "brief_title": "Study of Drug A in Adults With Asthma",
    "nct_id": "NCT01234567",
    "overall_status": "Recruiting",
    "enrollment": 120,
    "enrollment_type": "ESTIMATED",
    "start_date": "2021-03",
    "lead_sponsor": "Acme Pharma",
    "sex": "ALL",
    "minimum_age": "18 Years",
    "quotes": {"enrollment": "Enrollment: 120", "lead_sponsor": "Lead Sponsor: Acme Pharma"},
}


@pytest.fixture(autouse=True)
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every backoff is recorded and instant."""
    seen: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        seen.append(seconds)

    monkeypatch.setattr(llm_client, "sleep", fake_sleep)
    return seen


def rules_result(text: str = TEXT, **fields: Any) -> ExtractionResult:
    record = TrialRecord(**(fields or {"nct_id": "NCT01234567", "enrollment": 120}))
    return ExtractionResult(id="doc", source="doc.txt", backend="rules", record=record)


def run(srv: FakeOpenAI, text: str = TEXT, rules: ExtractionResult | None = None, **options: Any) -> ExtractionResult:
    options.setdefault("use_cache", False)
    options.setdefault("prompt_version", "v3")  # one request per document: the retry counts below rely on it
    backend = LLMBackend(LLMConfig(base_url=srv.base_url, **options), rules=FixedRules(rules or rules_result(text)))
    return asyncio.run(backend.extract("doc", "doc.txt", text))


def codes(result: ExtractionResult) -> list[str]:
    return [i.code for i in result.issues]


def failure(result: ExtractionResult) -> str:
    return next(i.message for i in result.issues if i.code == "LLM_FAILED")


def test_good_tool_call() -> None:
    with FakeOpenAI(fixed_responder(GOOD)) as srv:
        result = run(srv)
    assert result.backend == "llm"
    assert result.record.lead_sponsor == "Acme Pharma"
    assert result.record.overall_status is not None and result.record.overall_status.value == "RECRUITING"
    assert result.usage.requests == 1 and result.usage.input_tokens > 0 and result.usage.output_tokens > 0
    assert result.usage.prompt_version == "v3" and result.usage.cache_hit is False
    assert "tools" in srv.requests[0].body
    assert "LLM_FAILED" not in codes(result)
    assert result.provenance["enrollment"].source.value == "both"
    assert result.provenance["lead_sponsor"].source.value == "llm"


@pytest.mark.parametrize("mode", ["json_schema", "md_json"])
def test_modes_without_tools(mode: str) -> None:
    with FakeOpenAI(fixed_responder(GOOD)) as srv:
        result = run(srv, mode=mode)
    assert "tools" not in srv.requests[0].body
    assert result.record.enrollment == 120 and result.usage.requests == 1


def test_invalid_answer_is_sent_back_then_good() -> None:
    with FakeOpenAI(fixed_responder(GOOD), per_document=["bad_schema"]) as srv:
        result = run(srv)
    assert result.backend == "llm" and result.record.enrollment == 120
    assert result.usage.requests == 2
    reask = json.dumps(srv.requests[1].body["messages"])
    assert "SORT_OF_RUNNING" in reask and "allowed values" in reask  # the validation error went back


def test_quote_not_in_document_is_rejected_and_reasked() -> None:
    def responder(request: dict[str, Any]) -> dict[str, Any]:
        answer = dict(GOOD)
        if len(request["messages"]) <= 2:  # first answer: an invented quote
            answer["quotes"] = {"lead_sponsor": "Sponsored by Globex Corporation"}
        return answer

    with FakeOpenAI(responder) as srv:
        result = run(srv)
    assert result.usage.requests == 2
    assert "do not occur in the document" in json.dumps(srv.requests[1].body["messages"])
    assert result.record.lead_sponsor == "Acme Pharma"


def test_429_honours_retry_after(waits: list[float]) -> None:
    with FakeOpenAI(fixed_responder(GOOD), per_document=["429"], retry_after="3") as srv:
        result = run(srv)
    assert result.backend == "llm" and result.usage.requests == 2
    assert waits == [3.0]


def test_429_retry_after_ms_and_cap(waits: list[float]) -> None:
    with FakeOpenAI(fixed_responder(GOOD), per_document=["429"], retry_after=None, retry_after_ms="1500") as srv:
        run(srv)
    with FakeOpenAI(fixed_responder(GOOD), per_document=["429"], retry_after="3600") as srv:
        run(srv, retry_after_cap_s=30)
    assert waits == [1.5, 30.0]


def test_5xx_then_success_with_backoff(waits: list[float]) -> None:
    with FakeOpenAI(fixed_responder(GOOD), per_document=["500", "502", "503"]) as srv:
        result = run(srv)
    assert result.backend == "llm" and result.usage.requests == 4
    assert len(waits) == 3 and all(0 <= w <= 20 for w in waits)


def test_5xx_until_the_end_falls_back_to_rules() -> None:
    with FakeOpenAI(fixed_responder(GOOD), per_document=["500"] * 10) as srv:
        result = run(srv, rules=rules_result(nct_id="NCT01234567", enrollment=120))
    assert len(srv.requests) == 4  # max_attempts, then give up
    assert result.backend == "rules" and result.record.enrollment == 120 and result.record.lead_sponsor is None
    assert "HTTP 500" in failure(result) and "LLM_TRANSPORT" in failure(result)
    assert result.usage.requests == 4
    issue = next(i for i in result.issues if i.code == "LLM_FAILED")
    assert issue.severity.value == "warning"


def test_text_that_is_not_json_is_bounded() -> None:
    with FakeOpenAI(fixed_responder(GOOD), per_document=["not_json"] * 5) as srv:
        result = run(srv)
    assert len(srv.requests) == 3  # the answer and two re-asks
    assert result.backend == "rules" and "LLM_BAD_RESPONSE" in failure(result)


def test_not_json_then_good_in_md_json_mode() -> None:
    with FakeOpenAI(fixed_responder(GOOD), per_document=["not_json"]) as srv:
        result = run(srv, mode="md_json")
    assert result.backend == "llm" and result.usage.requests == 2


def test_finish_reason_length() -> None:
    with FakeOpenAI(fixed_responder(GOOD), per_document=["length"] * 5) as srv:
        result = run(srv)
    assert result.backend == "rules" and "finish_reason=length" in failure(result)
    assert len(srv.requests) <= 3


def test_refusal_stops_at_once() -> None:
    with FakeOpenAI(fixed_responder(GOOD), per_document=["refusal"] * 5) as srv:
        result = run(srv)
    assert len(srv.requests) == 1
    assert "refused" in failure(result)


def test_idle_timeout_is_not_resent_to_a_busy_server() -> None:
    with FakeOpenAI(fixed_responder(GOOD), per_document=["stall"] * 5, hang_s=3) as srv:
        result = run(srv, idle_timeout_s=0.3, max_attempts=4, mode="json")
    assert len(srv.requests) == 1  # the server may still be computing it: never queued twice
    assert "idle timeout" in failure(result) and "not re-sent" in failure(result)


def test_deadline_bounds_one_answer() -> None:
    with FakeOpenAI(fixed_responder(GOOD), per_document=["hang"] * 5, hang_s=3) as srv:
        result = run(srv, idle_timeout_s=10, deadline_s=0.3)
    assert len(srv.requests) == 1
    assert "deadline of 0.3s" in failure(result)


def test_usage_sums_every_attempt() -> None:
    with FakeOpenAI(fixed_responder(GOOD), per_document=["429", "500", "bad_schema", "not_json"]) as srv:
        result = run(srv)
    assert result.usage.requests == 5 == len(srv.requests)
    answered = [r.usage for r in srv.requests if r.usage]
    assert len(answered) == 3  # two failed answers and the good one
    assert result.usage.input_tokens == sum(u["prompt_tokens"] for u in answered)
    assert result.usage.output_tokens == sum(u["completion_tokens"] for u in answered)


def test_token_budget_stops_reasks() -> None:
    with FakeOpenAI(fixed_responder(GOOD), per_document=["bad_schema"] * 5) as srv:
        result = run(srv, token_budget=6000)
    assert "TOKEN_BUDGET" in failure(result) and "6000" in failure(result)
    assert len(srv.requests) < 3


def test_cache_hit_makes_no_request() -> None:
    with FakeOpenAI(fixed_responder(GOOD)) as srv:
        first = run(srv, use_cache=True)
        second = run(srv, use_cache=True)
        assert len(srv.requests) == 1
        third = run(srv, use_cache=False)
        assert len(srv.requests) == 2
    assert first.usage.cache_hit is False and second.usage.cache_hit is True
    assert second.usage.requests == 0 and second.record == first.record and third.usage.cache_hit is False


def test_cache_key_covers_prompt_and_model() -> None:
    with FakeOpenAI(fixed_responder(GOOD)) as srv:
        run(srv, use_cache=True, prompt_version="v2")
        run(srv, use_cache=True, prompt_version="v1")
        run(srv, use_cache=True, model="other-model")
        assert len(srv.requests) == 3


def test_api_key_never_stored_or_output(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-test-DO-NOT-LEAK-8f3a9c"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    with FakeOpenAI(fixed_responder(GOOD), per_document=["500", "bad_schema"]) as srv:
        result = run(srv, use_cache=True)
        failed = run(srv, text=TEXT + "\nmore", use_cache=True, max_attempts=1, max_reasks=0)
    assert all(r.saw_authorization for r in srv.requests)
    db = cache_path()
    stored = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    assert stored and secret.encode() not in stored
    assert secret not in json.dumps(result.to_json_line()) + json.dumps(failed.to_json_line())


def test_every_document_survives_the_acceptance_faults() -> None:
    """Each document's first attempts fail with 429, 500 and non-JSON: all still come from the LLM."""
    texts = [TEXT.replace("NCT01234567", f"NCT0123456{i}") for i in range(6)]

    def responder(request: dict[str, Any]) -> dict[str, Any]:
        doc = document_text(request)
        return {**GOOD, "nct_id": doc.split("NCT ID: ")[1].split()[0]}

    async def batch(srv: FakeOpenAI) -> list[ExtractionResult]:
        backend = LLMBackend(LLMConfig(base_url=srv.base_url, use_cache=False, prompt_version="v3"), rules=FixedRules(rules_result()))
        return await asyncio.gather(*(backend.extract(f"d{i}", "x", t) for i, t in enumerate(texts)))

    with FakeOpenAI(responder, per_document=["429", "500", "not_json"], latency_s=0.01) as srv:
        results = asyncio.run(batch(srv))
        per_doc = {}
        for r in srv.requests:
            per_doc[r.key] = per_doc.get(r.key, 0) + 1
    assert [r.backend for r in results] == ["llm"] * len(texts)
    assert [r.record.nct_id for r in results] == [f"NCT0123456{i}" for i in range(6)]
    assert all(r.usage.requests <= 6 for r in results) and max(per_doc.values()) <= 6
    assert len(per_doc) == len(texts)


def test_long_document_is_split_not_cut() -> None:
    sections = [f"Section {i}\n" + ("filler words here. " * 60) + f"\nKeyword: K{i}" for i in range(4)]
    text = "\n\n".join(sections)

    def responder(request: dict[str, Any]) -> dict[str, Any]:
        doc = document_text(request)
        found = [w for w in doc.split() if w.startswith("K") and w[1:].isdigit()]
        return {"keywords": found, "brief_title": "T" if "Section 0" in doc else None}

    with FakeOpenAI(responder) as srv:
        config = LLMConfig(base_url=srv.base_url, use_cache=False, max_context_tokens=0, reserve_output_tokens=0, prompt_version="v3")
        overhead = llm.estimate_tokens(llm.load_prompt("v3").system + llm.load_prompt("v3").user) + llm.estimate_tokens(
            json.dumps(llm.WIRE_SCHEMA))
        config.max_context_tokens = overhead + 700  # about 2,800 characters of document per request
        outcome = asyncio.run(extract_record(text, config))
        assert len(srv.requests) >= 2
        # every character of the document went to the model in some request
        sent = "".join(document_text(r.body) for r in srv.requests)
        assert all(s in sent for s in sections)
    assert outcome.record.keywords == ["K0", "K1", "K2", "K3"] and outcome.record.brief_title == "T"


def test_split_refuses_a_section_too_long() -> None:
    with pytest.raises(ContextLengthError, match="100 characters"):
        split_document("short\n\n" + "x" * 500, 100)
    assert split_document("a\n\nb", 100) == ["a\n\nb"]


def test_no_key_and_no_base_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        LLMBackend(LLMConfig(), rules=FixedRules(rules_result()))


def test_create_backend_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from extractor import Settings, make_backend

    backend = make_backend(Settings(backend="llm", model="m1", prompt_version="v1", base_url="http://127.0.0.1:9/v1",
                                        use_cache=False))
    assert isinstance(backend, LLMBackend)
    assert (backend.config.model, backend.prompt.version, backend.config.use_cache) == ("m1", "v1", False)
    monkeypatch.setenv("TRIALX_MODEL", "env-model")
    assert LLMConfig().model == "env-model"


def test_fake_server_stops_by_itself() -> None:
    srv = FakeOpenAI(fixed_responder(GOOD), per_document=["hang"], hang_s=30)
    with srv:
        url = srv.base_url
    import urllib.request

    with pytest.raises(OSError):
        urllib.request.urlopen(url + "/chat/completions", data=b"{}", timeout=1)



def test_pipeline_runs_the_llm_backend_and_a_second_run_makes_no_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """The batch machinery with `--backend llm` semantics: merged results in order, then all from the cache."""
    from extractor.inputs import Document
    from extractor import Settings, extract_documents
    from tests import fake_rules

    fake_rules.install(monkeypatch)  # the pipeline's rules pass reads labelled lines only
    docs = [Document(id=f"d{i}", source=f"d{i}.txt", text=f"Title: Trial {i}\nNCT0000000{i}\nEnrollment: {10 + i}\n")
            for i in range(5)]

    def responder(request: dict[str, Any]) -> dict[str, Any]:
        doc = document_text(request)
        return {"brief_title": doc.split("\n")[0][len("Title: "):], "enrollment": 500, "keywords": ["invented"]}

    with FakeOpenAI(responder, per_document=["503"]) as srv:
        settings = Settings(backend="llm", base_url=srv.base_url, concurrency=3, prompt_version="v3")
        first = extract_documents(docs, settings)
        made = len(srv.requests)
        second = extract_documents(docs, settings)
        assert len(srv.requests) == made == 10
    for i, (a, b) in enumerate(zip(first, second)):
        assert isinstance(a, ExtractionResult) and isinstance(b, ExtractionResult)
        assert a.id == f"d{i}" and a.backend == "llm" and a.record.brief_title == f"Trial {i}"
        assert a.record.enrollment == 10 + i  # the rules' grounded count beat the model's 500
        assert any(x.code == "UNGROUNDED_VALUE" and x.paths == ["keywords[0]"] for x in a.issues)
        assert b.usage.cache_hit and b.record == a.record


def test_fault_schedules_by_document_and_by_request() -> None:
    from tests.fake_openai import key_for_document

    other = TEXT.replace("Asthma", "COPD")
    with FakeOpenAI(fixed_responder(GOOD), by_document={key_for_document(TEXT, "v3"): ["500", "500"]}) as srv:
        run(srv)
        run(srv, text=other)
        assert [r.fault for r in srv.requests] == ["500", "500", "ok", "ok"]
    with FakeOpenAI(fixed_responder(GOOD), by_request=["503"]) as srv:
        run(srv)
        run(srv, text=other)
        assert [r.fault for r in srv.requests] == ["503", "ok", "ok"]
    with pytest.raises(ValueError, match="unknown fault"):
        FakeOpenAI(per_document=["418"])


def test_one_client_serves_a_whole_stream_and_is_closed_at_its_end(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building a client per document cost an SSL context and the connection pool: one per stream."""
    from extractor import Settings, extract_documents, make_backend
    from extractor.inputs import Document
    from tests import fake_rules

    fake_rules.install(monkeypatch)
    made: list[llm.LLMClient] = []
    real_init = llm.LLMClient.__init__

    def counting_init(self: llm.LLMClient, config: LLMConfig) -> None:
        real_init(self, config)
        made.append(self)

    monkeypatch.setattr(llm.LLMClient, "__init__", counting_init)
    docs = [Document(id=f"d{i}", source=f"d{i}.txt", text=f"Title: Trial {i}\nNCT0000000{i}\n") for i in range(6)]
    with FakeOpenAI(fixed_responder({"brief_title": "Trial"}), latency_s=0.01) as srv:
        settings = Settings(backend="llm", base_url=srv.base_url, concurrency=3, use_cache=False, prompt_version="v3")
        backend = make_backend(settings)
        assert isinstance(backend, LLMBackend)
        assert backend.config.max_connections == 3  # the pool is sized for the concurrency
        out = extract_documents(docs, settings, backend=backend)
        assert len(srv.requests) == 6
    assert [o.backend for o in out] == ["llm"] * 6  # type: ignore[union-attr]
    assert len(made) == 1 and backend._client is None  # one client, closed when the stream ended
    assert made[0].openai.is_closed()


def test_wire_schema_is_compact_and_built_once() -> None:
    """The tool schema keeps every field and enum but drops titles, defaults and null branches."""
    wire = json.dumps(llm.WIRE_SCHEMA)
    assert '"title"' not in wire.replace('"title": "LLMRecord"', "") and '"null"' not in wire and '"default"' not in wire
    assert set(llm.WIRE_SCHEMA["properties"]) == set(llm.LLMRecord.model_fields)
    assert "ACTIVE_NOT_RECRUITING" in wire and "PLACEBO_COMPARATOR" in wire
    assert len(wire) < len(json.dumps(llm.LLMRecord.model_json_schema())) * 0.6
    with FakeOpenAI(fixed_responder(GOOD)) as srv:
        run(srv)
        run(srv)
        tools = [r.body["tools"][0]["function"]["parameters"] for r in srv.requests]
    assert tools[0] == tools[1] and json.dumps(tools[0], sort_keys=True) == json.dumps(
        {k: v for k, v in llm.WIRE_SCHEMA.items() if k not in ("title", "description")} | {"required": []}, sort_keys=True)


def test_the_document_reaches_the_model_verbatim() -> None:
    """Braces, Jinja-like markup and indentation are the document's, not a template's."""
    text = "    Indented title {{ not_a_var }} {% raw %}\n" + TEXT
    with FakeOpenAI(fixed_responder(GOOD)) as srv:
        result = run(srv, text=text)
        assert document_text(srv.requests[0].body) == text
    assert result.backend == "llm" and result.record.lead_sponsor == "Acme Pharma"


INCONSISTENT = """Study of Drug A in Adults With Asthma

NCT ID: NCT01234567
Overall Status: Completed
Enrollment: 120 participants (Estimated)
Start Date: March 2021
Completion Date: January 2019
Lead Sponsor: Acme Pharma

Eligibility
Sex: All
Minimum Age: 65 Years
Maximum Age: 18 Years
"""


def test_pipeline_llm_failed_fallback_still_carries_the_rules_checks() -> None:
    """The LLM path's rules pass leaves its checks to the merge; when the model fails for good the
    rules' result stands, and it must be the complete rules-only result: checks included, in order."""
    from extractor.inputs import Document
    from extractor import Settings, extract_documents, extract_rules_result

    expected = extract_rules_result("d0", "d0.txt", INCONSISTENT)
    assert {"DATE_ORDER", "AGE_RANGE"} <= set(codes(expected))  # the page really trips checks
    docs = [Document(id="d0", source="d0.txt", text=INCONSISTENT)]
    with FakeOpenAI(fixed_responder(GOOD), per_document=["500"] * 10) as srv:
        [out] = extract_documents(docs, Settings(backend="llm", base_url=srv.base_url, use_cache=False))
    assert isinstance(out, ExtractionResult) and out.backend == "rules"
    assert codes(out) == codes(expected) + ["LLM_FAILED"]
    assert out.issues[:-1] == expected.issues and out.record == expected.record and out.evidence == expected.evidence


def test_pipeline_merge_checks_the_final_record() -> None:
    """With the model's answer merged, the checks run once, on the merged record (none lost, none doubled)."""
    from extractor.inputs import Document
    from extractor import Settings, extract_documents

    answer = {"nct_id": "NCT01234567", "start_date": "2021-03", "completion_date": "2019-01"}
    docs = [Document(id="d0", source="d0.txt", text=INCONSISTENT)]
    with FakeOpenAI(fixed_responder(answer)) as srv:
        [out] = extract_documents(docs, Settings(backend="llm", base_url=srv.base_url, use_cache=False))
    assert isinstance(out, ExtractionResult) and out.backend == "llm"
    assert codes(out).count("DATE_ORDER") == 1 and codes(out).count("AGE_RANGE") == 1


@pytest.mark.parametrize(
    ("unsupported", "expected_mode"),
    [((), "tools"), (("tools",), "json_schema"), (("tools", "response_format"), "md_json")],
)
def test_auto_mode_falls_back_when_the_server_rejects_tools(unsupported: tuple[str, ...], expected_mode: str) -> None:
    """Local servers (llama.cpp, Ollama) may reject tool calls or response_format with a 400."""

    async def two_documents(srv: FakeOpenAI) -> tuple[list[ExtractionResult], str]:
        backend = LLMBackend(LLMConfig(base_url=srv.base_url, use_cache=False, mode="auto", prompt_version="v3"),
                             rules=FixedRules(rules_result()))
        results = [await backend.extract(f"d{i}", "x", TEXT) for i in range(2)]
        mode = backend.client().mode
        await backend.aclose()
        return results, mode

    with FakeOpenAI(fixed_responder(GOOD), unsupported=unsupported) as srv:
        results, mode = asyncio.run(two_documents(srv))
        rejected = [r for r in srv.requests if r.fault.startswith("unsupported")]
    assert mode == expected_mode
    assert [r.backend for r in results] == ["llm", "llm"]
    assert all(r.record.enrollment == 120 and "LLM_FAILED" not in codes(r) for r in results)
    assert len(rejected) == len(unsupported), "each rejected mode is tried once per client, not per document"


def test_a_fixed_mode_does_not_fall_back() -> None:
    with FakeOpenAI(fixed_responder(GOOD), unsupported=("tools",)) as srv:
        result = run(srv, mode="tools")
    assert "LLM_FAILED" in codes(result) and "400" in failure(result)


def test_a_stepwise_plan_survives_one_step_that_keeps_answering_badly() -> None:
    """A small model echoing the schema in one step (as Qwen 0.5B did in md_json mode): that step's
    fields stay empty and are named in an LLM_STEP_FAILED warning; the other steps' values count."""
    from extractor.llm.prompts import load_prompt

    design = next(s for s in load_prompt("v4").steps if s.name == "design").instruction

    def responder(request: dict[str, Any]) -> dict[str, Any]:
        if design in json.dumps(request["messages"]):
            return {"enrollment": {"minimum": 0, "type": "integer"}}
        return {k: v for k, v in GOOD.items() if k not in ("quotes", "enrollment", "enrollment_type")}

    with FakeOpenAI(responder) as srv:
        result = run(srv, rules=rules_result(nct_id="NCT01234567", enrollment=120), mode="md_json", prompt_version="v4")
    assert "LLM_FAILED" not in codes(result) and result.backend == "llm"
    step_failed = [i.message for i in result.issues if i.code == "LLM_STEP_FAILED"]
    assert len(step_failed) == 1 and step_failed[0].startswith("model step design:")
    assert result.record.enrollment == 120 and result.provenance["enrollment"].source.value == "rules"
    assert result.record.lead_sponsor == "Acme Pharma" and result.provenance["lead_sponsor"].source.value == "llm"


def test_a_stepwise_plan_whose_every_step_fails_is_llm_failed() -> None:
    with FakeOpenAI(fixed_responder({"enrollment": {"type": "integer"}})) as srv:
        result = run(srv, mode="md_json", prompt_version="v4")
    assert "LLM_FAILED" in codes(result) and "LLM_BAD_RESPONSE" in failure(result)


def test_a_stream_cut_before_its_finish_reason_is_named() -> None:
    """llama-cpp-python's server ends a streamed answer with [DONE] and no finish_reason when another
    request arrives (its default --interrupt_requests): the half answer is not taken as finished,
    and the failure says what happened instead of only "no valid record"."""
    with FakeOpenAI(fixed_responder(GOOD), per_document=["interrupted"] * 5) as srv:
        result = run(srv, mode="json")
    assert result.backend == "rules" and "no finish_reason" in failure(result)
