"""Against a real model server (opt-in: `pytest -m live`).

The test suite strips OPENAI_* from the environment, so these read their own variables:
TRIALX_LIVE_BASE_URL and/or TRIALX_LIVE_API_KEY, TRIALX_LIVE_MODEL, TRIALX_LIVE_MODE.
`make test-live` starts the local model (`make model-server`), sets them and runs these.
They skip when the variables are unset or the server does not answer.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace

import httpx2
import pytest

from extractor.llm import LLMBackend, LLMConfig
from extractor.llm.client import LLMClient, extract_record
from extractor.result import ExtractionResult
from extractor.schema import TrialRecord
from tests.builders import FixedRules

pytestmark = pytest.mark.live

TEXT = """Aspirin After Knee Surgery

NCT ID: NCT04000001
Overall Status: Recruiting
Enrollment: 120 (Estimated)
Start Date: 2020-01-15
Lead Sponsor: University of Exampleton

Inclusion Criteria:
- Adults scheduled for total knee replacement
- Able to give consent
Exclusion Criteria:
- Bleeding disorder
"""


@pytest.fixture
def live_config() -> LLMConfig:
    base_url, key = os.environ.get("TRIALX_LIVE_BASE_URL"), os.environ.get("TRIALX_LIVE_API_KEY")
    if not base_url and not key:
        pytest.skip("set TRIALX_LIVE_BASE_URL and/or TRIALX_LIVE_API_KEY to run live tests")
    if base_url:
        try:
            httpx2.get(base_url.rstrip("/") + "/models", timeout=3)
        except httpx2.HTTPError:
            pytest.skip(f"no model server answers at {base_url}")
    return LLMConfig(base_url=base_url, api_key=key, model=os.environ.get("TRIALX_LIVE_MODEL", "qwen2.5-coder-0.5b-instruct"),
                     mode=os.environ.get("TRIALX_LIVE_MODE", "auto"), use_cache=False, prompt_version="v4")


def test_live_extraction_reads_the_basics(live_config: LLMConfig) -> None:
    rules = ExtractionResult(id="live", source="live.txt", backend="rules", record=TrialRecord())
    result = asyncio.run(LLMBackend(live_config, rules=FixedRules(rules)).extract("live", "live.txt", TEXT))
    assert result.backend == "llm", [i.message for i in result.issues if i.code == "LLM_FAILED"]
    assert result.record.nct_id == "NCT04000001"
    assert result.record.enrollment == 120
    assert result.usage.requests >= 1 and result.usage.input_tokens > 0


def test_live_auto_mode_is_found_without_spending_requests(live_config: LLMConfig) -> None:
    async def probe() -> tuple[str, str | None]:
        client = LLMClient(live_config)
        try:
            return await client.settle_mode(), client.server
        finally:
            await client.aclose()

    mode, server = asyncio.run(probe())
    assert server is not None and mode in ("grammar", "json_schema", "tools")


def test_live_deadline_cuts_one_answer_and_does_not_resend(live_config: LLMConfig) -> None:
    config = replace(live_config, deadline_s=0.5, max_attempts=3)
    rules = ExtractionResult(id="live", source="live.txt", backend="rules", record=TrialRecord())
    result = asyncio.run(LLMBackend(config, rules=FixedRules(rules)).extract("live", "live.txt", TEXT))
    failed = [i.message for i in result.issues if i.code == "LLM_FAILED"]
    assert failed and "deadline of 0.5s" in failed[0] and result.usage.requests == 1


def test_live_cache_answers_the_second_time(live_config: LLMConfig, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TRIALX_HOME", str(tmp_path))
    config = replace(live_config, use_cache=True, prompt_version="v4")
    first = asyncio.run(extract_record(TEXT, config))
    second = asyncio.run(extract_record(TEXT, config))
    assert not first.usage.cache_hit and second.usage.cache_hit and second.record == first.record


def test_live_two_documents_at_once_are_both_answered_in_full(live_config: LLMConfig) -> None:
    """Concurrent requests queue on `make model-server` (--interrupt_requests False); with
    llama-cpp-python's default each new request cut the streamed answer in progress short."""
    rules = ExtractionResult(id="live", source="live.txt", backend="rules", record=TrialRecord())

    async def both() -> list[ExtractionResult]:
        backends = [LLMBackend(live_config, rules=FixedRules(rules)) for _ in range(2)]
        return list(await asyncio.gather(*(b.extract(f"live{i}", "live.txt", TEXT) for i, b in enumerate(backends))))

    for result in asyncio.run(both()):
        problems = [i.message for i in result.issues if i.code in ("LLM_FAILED", "LLM_STEP_FAILED")]
        assert result.backend == "llm" and not any("no finish_reason" in p for p in problems), problems
