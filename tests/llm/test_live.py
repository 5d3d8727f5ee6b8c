"""Against a real model server (opt-in: `pytest -m live`).

The test suite strips OPENAI_* from the environment, so these read their own variables:
TRIALX_LIVE_BASE_URL and/or TRIALX_LIVE_API_KEY, TRIALX_LIVE_MODEL, TRIALX_LIVE_MODE.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from extractor.llm import LLMBackend, LLMConfig
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
    return LLMConfig(base_url=base_url, api_key=key, model=os.environ.get("TRIALX_LIVE_MODEL", "gpt-4o-mini"),
                     mode=os.environ.get("TRIALX_LIVE_MODE", "tools"), use_cache=False)


def test_live_extraction_reads_the_basics(live_config: LLMConfig) -> None:
    rules = ExtractionResult(id="live", source="live.txt", backend="rules", record=TrialRecord())
    result = asyncio.run(LLMBackend(live_config, rules=FixedRules(rules)).extract("live", "live.txt", TEXT))
    assert result.backend == "llm", [i.message for i in result.issues if i.code == "LLM_FAILED"]
    assert result.record.nct_id == "NCT04000001"
    assert result.record.enrollment == 120
    assert len(result.record.inclusion_criteria) == 2 and len(result.record.exclusion_criteria) == 1
    assert result.usage.requests >= 1 and result.usage.input_tokens > 0
