"""The contract format: one JSON object per line, exactly the `trialx extract` line (spec/cli.md)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TextIO

__all__ = ["JsonlWriter"]


class JsonlWriter:
    """Each line is written whole, with one `write` call, so an appending sink never holds half a line."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def write(self, line: Mapping[str, Any]) -> None:
        self.out.write(json.dumps(line, ensure_ascii=False) + "\n")
        self.out.flush()

    def close(self) -> None:
        self.out.flush()
