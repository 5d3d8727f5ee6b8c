from __future__ import annotations

from pathlib import Path

import pytest

from extractor.errors import ConfigError
from service.auth import TokenRegistry, hash_token


def test_tokens_from_the_environment_are_verified_and_kept_hashed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIALX_API_TOKENS", "alice=tok-a, bob=tok-b")
    reg = TokenRegistry.load()
    assert len(reg) == 2
    assert reg.verify("tok-a") == "alice" and reg.verify("tok-b") == "bob"
    assert reg.verify("tok-c") is None and reg.verify("") is None
    assert "tok-a" not in repr(vars(reg)) and hash_token("tok-a") in repr(vars(reg))


def test_a_tokens_file_takes_plain_or_hashed_tokens(tmp_path: Path) -> None:
    f = tmp_path / "tokens"
    f.write_text(f"# team tokens\ncarol=plain-c\ndave=sha256:{hash_token('dave-t')}\n", encoding="utf-8")
    reg = TokenRegistry.load("", f)
    assert reg.verify("plain-c") == "carol" and reg.verify("dave-t") == "dave"


def test_a_bad_entry_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as info:
        TokenRegistry.load("secret-without-name")
    assert "secret-without-name" not in str(info.value)
