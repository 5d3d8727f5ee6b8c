"""extractor.llm.requests: the real-time request as a body, and an answer validated back, per mode."""

from __future__ import annotations

import json
from typing import Any

import pytest

from extractor.errors import LLMResponseError
from extractor.llm import LLMConfig, extract_record, load_prompt, parse_answer, plan_requests, request_body
from tests.fake_openai import FakeOpenAI, completion_for, fixed_responder

TEXT = "Title: Aspirin after stroke\nNCT01234567\nEnrollment: 120 participants\n"
GOOD = {"nct_id": "NCT01234567", "enrollment": 120, "quotes": {"nct_id": "NCT01234567"}}


def _plan() -> Any:
    # v3: one request per document, so "the first request" is the whole answer (v4's steps are compared
    # body for body, as a multiset, in tests/batch/test_prepare.py)
    return plan_requests(TEXT, load_prompt("v3"), max_context_tokens=128_000, reserve_output_tokens=8_000)[0]


@pytest.mark.parametrize("mode", ["tools", "json_schema", "json", "md_json"])
def test_body_and_answer_match_the_real_time_path(mode: str) -> None:
    import asyncio

    config = LLMConfig(model="fake-model", mode=mode, use_cache=False, base_url="http://x", prompt_version="v3")
    with FakeOpenAI(fixed_responder(GOOD)) as fake:
        config.base_url = fake.base_url
        outcome = asyncio.run(extract_record(TEXT, config))
        sent = fake.requests[0].body
        answer = completion_for(fake, sent)
    body = request_body(_plan(), config, mode)
    # The real-time path streams (to tell a slow model from a hung one); a batch engine answers whole.
    assert sent.pop("stream") is True and "stream_options" in sent
    sent.pop("stream_options")
    assert json.dumps(body, sort_keys=True) == json.dumps(sent, sort_keys=True)
    record = parse_answer(_plan(), answer, mode).to_record()
    assert record == outcome.record


def _completion(content: str | None = None, finish: str = "stop", refusal: str | None = None) -> dict[str, Any]:
    return {"id": "c", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [{"index": 0, "finish_reason": finish,
                         "message": {"role": "assistant", "content": content, "refusal": refusal}}]}


@pytest.mark.parametrize("completion, needle", [
    (_completion("not json at all"), "no valid record"),
    (_completion(json.dumps({**GOOD, "quotes": {"nct_id": "NCT99999999"}})), "do not occur in the document"),
    (_completion('{"nct_id": "NCT0123', finish="length"), "cut off"),
    (_completion(None, refusal="I can't"), "refused"),
    ({"choices": "nonsense"}, "not a chat completion"),
])
def test_bad_answers_are_typed_errors(completion: dict[str, Any], needle: str) -> None:
    with pytest.raises(LLMResponseError, match=needle):
        parse_answer(_plan(), completion, "json_schema")
