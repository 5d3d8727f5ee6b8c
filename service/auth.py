"""Bearer tokens: kept as sha256 hashes only; `verify` compares in constant time."""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from extractor.errors import ConfigError

__all__ = ["TokenRegistry", "hash_token"]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenRegistry:
    """name -> sha256(token); the tokens themselves are dropped once hashed."""

    def __init__(self, hashes: dict[str, str] | None = None) -> None:
        self._hashes = dict(hashes or {})

    @classmethod
    def load(cls, spec: str | None = None, path: Path | None = None) -> "TokenRegistry":
        """From "name=token,..." (default env TRIALX_API_TOKENS) and/or a file of such lines."""
        hashes: dict[str, str] = {}
        spec = spec if spec is not None else os.environ.get("TRIALX_API_TOKENS", "")
        entries = [e for e in spec.split(",") if e.strip()]
        if path is not None:
            try:
                text = Path(path).read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError(f"cannot read tokens file {path}: {exc.strerror or exc}") from None
            entries += [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        for n, entry in enumerate(entries, 1):
            name, sep, token = entry.strip().partition("=")
            name, token = name.strip(), token.strip()
            if not sep or not name or not token:
                raise ConfigError(f"token entry {n} must be name=token")  # never echo the token
            hashes[name] = token[7:] if token.startswith("sha256:") else hash_token(token)
        return cls(hashes)

    def __len__(self) -> int:
        return len(self._hashes)

    def fingerprint(self, name: str) -> str | None:
        """A short digest of `name`'s token hash, or None when `name` has no token: a review session
        is bound to it, so replacing or removing the token ends the session (no verifier is stored)."""
        expected = self._hashes.get(name)
        return None if expected is None else hashlib.sha256(f"session:{expected}".encode()).hexdigest()[:16]

    def verify(self, token: str) -> str | None:
        """The token's name, or None; every entry is compared so timing says nothing."""
        digest = hash_token(token)
        found: str | None = None
        for name, expected in self._hashes.items():
            if hmac.compare_digest(digest, expected):
                found = name
        return found
