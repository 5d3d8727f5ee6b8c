"""`trialx extract` end to end against a fake OpenAI-compatible server on 127.0.0.1.

The whole stack runs: the CLI, the pipeline, httpx, openai, instructor, the merge and the output.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from cli.main import run
from extractor.llm import client as llm_client
from extractor.rules.reader import extract_rules
from tests.fake_openai import FakeOpenAI, document_text

SECRET = "sk-test-DO-NOT-LEAK-4f1c9a"
PAGE = """{title}

NCT ID: {nct}
Overall Status: Recruiting
Study Type: Interventional
Phase: Phase 2
Enrollment: {n} participants (Estimated)
Start Date: March 2021
Lead Sponsor: {sponsor}

Eligibility
Sex: All
Minimum Age: 18 Years

Inclusion Criteria:
1. Adults aged 18 years or older
2. Signed informed consent
"""
TRIALS = [
    ("Drug A in Adults With Asthma", "NCT01234561", 120, "Acme Pharma"),
    ("Exercise After Knee Surgery", "NCT01234562", 64, "North University"),
    ("Vitamin D in Older Adults", "NCT01234563", 300, "Bay Hospital"),
]


def rules_answer(request: dict[str, Any]) -> dict[str, Any]:
    """A model that reads the page the way the rules do: a plausible, grounded answer."""
    return {**extract_rules(document_text(request)).model_dump(mode="json"), "quotes": {}}


@pytest.fixture(autouse=True)
def instant_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_wait(seconds: float) -> None:
        return None

    monkeypatch.setattr(llm_client, "sleep", no_wait)


@pytest.fixture
def pages(tmp_path: Path) -> Path:
    folder = tmp_path / "pages"
    folder.mkdir()
    for i, (title, nct, n, sponsor) in enumerate(TRIALS):
        (folder / f"p{i}.txt").write_text(PAGE.format(title=title, nct=nct, n=n, sponsor=sponsor), encoding="utf-8")
    return folder


def extract(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """`trialx extract ARGV`, with `--prompt v3` (one request per page: the counts here rely on it)
    unless ARGV names a prompt."""
    if "--prompt" not in argv:
        argv = [*argv, "--prompt", "v3"]
    with pytest.raises(SystemExit) as exit_info:
        run(["extract", *argv])
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_faulty_server_loses_nothing_and_a_second_run_makes_no_request(
    pages: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    out = tmp_path / "out.jsonl"
    with FakeOpenAI(rules_answer, per_document=["429", "500", "not_json"]) as server:
        argv = [str(pages), "--backend", "llm", "--base-url", server.base_url, "--model", "fake-1", "--out", str(out)]
        code, _, err = extract(argv, capsys)
        first = len(server.requests)
        per_doc: dict[str, int] = {}
        for request in server.requests:
            per_doc[request.key] = per_doc.get(request.key, 0) + 1
        code2, _, _ = extract([*argv[:-1], str(tmp_path / "again.jsonl")], capsys)
        second = len(server.requests) - first
    assert code == 0 and code2 == 0
    results = lines(out)
    assert [r["id"] for r in results] == ["p0", "p1", "p2"]
    assert [r["backend"] for r in results] == ["llm"] * 3
    assert [r["record"]["nct_id"] for r in results] == [t[1] for t in TRIALS]
    assert len(per_doc) == 3 and max(per_doc.values()) <= 6
    assert all(r["usage"]["requests"] <= 6 and r["usage"]["input_tokens"] > 0 for r in results)
    assert second == 0, "an identical second run must be served from the cache"
    assert all(r["usage"]["cache_hit"] for r in lines(tmp_path / "again.jsonl"))
    home = Path(__import__("os").environ["TRIALX_HOME"])
    for blob in [out.read_text(encoding="utf-8"), err, *(p.read_bytes().decode("latin-1") for p in home.rglob("*") if p.is_file())]:
        assert SECRET not in blob


def test_a_server_that_always_fails_gives_the_rules_result_flagged(
    pages: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    with FakeOpenAI(rules_answer, per_document=["500"] * 50) as server:
        started = time.monotonic()
        code, out, err = extract([str(pages), "--backend", "llm", "--base-url", server.base_url, "--no-cache"], capsys)
        elapsed = time.monotonic() - started
        requests = len(server.requests)
    results = [json.loads(line) for line in out.splitlines()]
    assert len(results) == 3 and all("record" in r for r in results)
    for result, (_, nct, n, sponsor) in zip(results, TRIALS):
        assert "LLM_FAILED" in [i["code"] for i in result["issues"]]
        assert result["record"]["nct_id"] == nct and result["record"]["enrollment"] == n
        assert result["record"]["lead_sponsor"] == sponsor
    assert requests <= 3 * 6, "retries are bounded"
    assert elapsed < 30
    assert SECRET not in out + err


def test_auto_uses_the_model_when_a_base_url_is_configured(
    pages: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeOpenAI(rules_answer) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        code, out, _ = extract([str(pages / "p0.txt"), "--no-cache"], capsys)
        assert len(server.requests) == 1
    result = json.loads(out)
    assert code == 0 and result["backend"] == "llm"
    assert result["provenance"]["nct_id"]["source"] == "both" and result["provenance"]["nct_id"]["agreed"] is True


def test_a_model_that_misreads_the_page_never_undoes_the_rules(
    pages: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small model's typical answer: the title as the sponsor, a list cut short, an invented
    date. The merged result keeps every value the rules read and says where the model disagreed."""
    def misreading(request: dict[str, Any]) -> dict[str, Any]:
        answer = rules_answer(request)
        answer["lead_sponsor"] = answer["brief_title"]
        answer["inclusion_criteria"] = answer["inclusion_criteria"][:1]
        answer["completion_date"] = "2031-01"
        return answer

    with FakeOpenAI(misreading) as server:
        code, out, _ = extract([str(pages), "--backend", "llm", "--base-url", server.base_url, "--no-cache"], capsys)
    assert code == 0
    for result, (title, nct, n, sponsor) in zip([json.loads(line) for line in out.splitlines()], TRIALS):
        record = result["record"]
        assert result["backend"] == "llm" and record["nct_id"] == nct and record["enrollment"] == n
        assert record["lead_sponsor"] == sponsor and len(record["inclusion_criteria"]) == 2
        assert record["completion_date"] is None
        flagged = {p for i in result["issues"] if i["code"] == "LLM_RULES_DISAGREE" for p in i["paths"]}
        assert {"lead_sponsor", "inclusion_criteria"} <= flagged
        assert any(i["code"] == "UNGROUNDED_VALUE" and i["paths"] == ["completion_date"] for i in result["issues"])
        assert result["provenance"]["brief_title"]["source"] == "both"


def test_the_default_prompt_asks_in_steps(pages: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No --prompt: v4, one bounded request per group of fields, merged with the rules."""
    from extractor.llm.prompts import load_prompt

    steps = load_prompt("v4").steps
    with FakeOpenAI(rules_answer) as server:
        with pytest.raises(SystemExit) as exit_info:
            run(["extract", str(pages / "p0.txt"), "--base-url", server.base_url, "--model", "fake-1", "--no-cache"])
        out, _ = capsys.readouterr()
        bodies = [r.body for r in server.requests]
    assert exit_info.value.code in (0, None)
    result = json.loads(out)
    assert result["backend"] == "llm" and result["usage"]["prompt_version"] == "v4"
    assert len(bodies) == len(steps) == result["usage"]["requests"]
    assert sorted(b["max_tokens"] for b in bodies) == sorted(s.max_tokens for s in steps)
    assert {p["source"] for p in result["provenance"].values()} <= {"both", "llm", "rules", "none"}
    assert "LLM_FAILED" not in [i["code"] for i in result["issues"]]
