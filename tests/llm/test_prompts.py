"""Prompt files: versions on disk, validated at load, hashed by content."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

from extractor.errors import PromptError
from extractor.llm.prompts import DEFAULT_PROMPT, list_prompts, load_prompt, parse_prompt, prompts_dir

GOOD = b'system = "Extract the record."\nuser = "Text:\\n{document}"\n'


# Past runs record prompts by hash: a shipped version's file never changes (write a new version).
SHIPPED = {
    "v1": "88dcada88c7dee20f9fb99378063448412e9d5ced5424f7e8f431567b11818f3",
    "v2": "f0de895d736bdd4f010110e8bb9b39d04ebd7d23aa746d454c50207b28fc0545",
}
# Issue acceptance: schema plus instructions cost at most this many o200k tokens per document.
OVERHEAD_BUDGET = 2500


def test_shipped_versions_load_and_render() -> None:
    assert {"v1", "v2", "v3"} <= set(list_prompts())
    for version in ("v1", "v2", "v3"):
        prompt = load_prompt(version)
        path = prompts_dir() / f"{version}.toml"
        assert prompt.version == version
        assert prompt.hash == hashlib.sha256(path.read_bytes()).hexdigest()
        messages = prompt.render(document="Enrollment: 42 <b>{not a var}</b>")
        assert [m["role"] for m in messages] == ["system", "user"]
        assert "Enrollment: 42 <b>{not a var}</b>" in messages[1]["content"]
    assert len({load_prompt(v).hash for v in ("v1", "v2", "v3")}) == 3


def test_past_versions_are_unchanged() -> None:
    assert {v: load_prompt(v).hash for v in SHIPPED} == SHIPPED


def test_v4_is_the_default() -> None:
    """v4 (stepwise) is the default: the one prompt a small local model finishes (measured on
    Qwen2.5-Coder-0.5B, benchmarks/RESULTS.md); v3 stays one `--prompt v3` away."""
    assert DEFAULT_PROMPT == "v4" and load_prompt().version == "v4" and load_prompt().steps


def test_v2_teaches_the_guidelines() -> None:
    system = load_prompt("v2").system
    for convention in ("null", "ESTIMATED", "18 Years", "first organization", "one item per criterion", "quotes"):
        assert convention in system


@pytest.mark.parametrize(
    "convention",
    [
        "ONE verbatim span", "line breaks kept",  # long texts: one quote of the page, not re-joined paragraphs
        "public/lay/brief title over a differing heading", "acronym only if labelled",
        "first_posted_date: the registry's registration date", '"Target" alone: null', "Anticipated/Planned/Expected = ESTIMATED",
        '";" clauses: one item per clause', "role = its label as printed", "ICD10", "identifier heading",
        "Funders are neither", "country only printed with the site", "Lettered items", "enclosing top-level list",
        "Description cell is the arm's description", "Method cell", "never narrative", '"Leads", a person too',
        "quotes", "null",
    ],
)
def test_v3_states_the_v2_guidelines(convention: str) -> None:
    assert convention in load_prompt("v3").system


def test_v3_drops_the_outdated_joined_paragraphs_rule() -> None:
    assert "joined by a blank line" not in load_prompt("v3").system


def test_v3_overhead_estimate_keeps_a_margin() -> None:
    """chars/4 undercounts the JSON schema against o200k (~10% overall), so the estimate gets a margin."""
    from extractor.llm.wire import schema_overhead_tokens

    assert schema_overhead_tokens(load_prompt("v3")) <= OVERHEAD_BUDGET * 0.9


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # bpe-openai's resource loader
def test_v3_overhead_fits_the_budget_in_o200k_tokens() -> None:
    """The real request (messages + tool schema, as `benchmarks.measure.bench_tokens` counts it) minus
    the document stays within the budget."""
    from benchmarks.measure import Tokenizer
    from extractor.llm.client import LLMConfig, extract_record
    from tests.fake_openai import FakeOpenAI, fixed_responder

    tok = Tokenizer()
    if tok.encoder is None:
        pytest.skip(f"o200k tokenizer {tok.name}")
    document = "Study of Drug A\n\nNCT ID: NCT01234567\nEnrollment: 120 participants\n"
    with FakeOpenAI(fixed_responder({"nct_id": "NCT01234567"})) as srv:
        asyncio.run(extract_record(document, LLMConfig(base_url=srv.base_url, use_cache=False, prompt_version="v3")))
        body = srv.requests[0].body
    total, doc = tok.request(body), tok.count(document)
    assert total is not None and doc is not None
    assert body["tools"] and 2000 < total - doc <= OVERHEAD_BUDGET


def test_a_user_adds_a_version_by_adding_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mine.toml").write_bytes(GOOD)
    monkeypatch.setenv("TRIALX_PROMPTS_DIR", str(tmp_path))
    assert list_prompts() == ["mine"]
    assert load_prompt("mine").render(document="D")[1]["content"] == "Text:\nD"
    assert load_prompt(str(tmp_path / "mine.toml")).version == "mine"  # a path works too


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (GOOD + b'temperature = "0.2"\n', "unknown keys"),
        (b'system = "x"\nuser = "no variable here"\n', "{document}"),
        (b'system = "x"\nuser = "{document} {sponsor}"\n', "unknown template variables"),
        (b'system = "x {"\nuser = "{document}"\n', "malformed"),
        (b'system = "x"\nuser = "{document!r}"\n', "format spec"),
        (b'user = "{document}"\n', "missing keys"),
        (b'system = 3\nuser = "{document}"\n', "must be a string"),
        (b'version = "v9"\nsystem = "x"\nuser = "{document}"\n', "declares version"),
        (b"system = \n", "not valid TOML"),
    ],
)
def test_invalid_prompts_are_rejected(content: bytes, message: str) -> None:
    with pytest.raises(PromptError, match=message.replace("{", r"\{").replace("}", r"\}")):
        parse_prompt(content, "v1")


def test_unknown_version_names_the_available_ones() -> None:
    with pytest.raises(PromptError, match="available: .*v1"):
        load_prompt("v999")
    with pytest.raises(PromptError):
        load_prompt("../etc/passwd")


def test_prompt_error_is_a_usage_error() -> None:
    with pytest.raises(PromptError) as info:
        load_prompt("nope")
    assert info.value.exit_code == 2
