"""Prompt files: versions on disk, validated at load, hashed by content."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from extractor.errors import PromptError
from extractor.prompts import list_prompts, load_prompt, parse_prompt, prompts_dir

GOOD = b'system = "Extract the record."\nuser = "Text:\\n{document}"\n'


def test_shipped_versions_load_and_render() -> None:
    assert {"v1", "v2"} <= set(list_prompts())
    for version in ("v1", "v2"):
        prompt = load_prompt(version)
        path = prompts_dir() / f"{version}.toml"
        assert prompt.version == version
        assert prompt.hash == hashlib.sha256(path.read_bytes()).hexdigest()
        messages = prompt.render(document="Enrollment: 42 <b>{not a var}</b>")
        assert [m["role"] for m in messages] == ["system", "user"]
        assert "Enrollment: 42 <b>{not a var}</b>" in messages[1]["content"]
    assert load_prompt("v1").hash != load_prompt("v2").hash


def test_v2_teaches_the_guidelines() -> None:
    system = load_prompt("v2").system
    for convention in ("null", "ESTIMATED", "18 Years", "first organization", "one item per criterion", "quotes"):
        assert convention in system


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
