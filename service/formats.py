"""Results in the format a client asks for (`?format=`), written by `extractor.outputs`' one writer
module, so the API, `trialx extract --format` and `trialx batch collect --format` agree byte for byte.

JSON Lines passes the stored lines through untouched; the other formats are written incrementally
into a small buffer that is drained after every page of results, so memory stays flat.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from extractor.outputs import FORMATS, writer_for

__all__ = ["OutputFormat", "Reformatter", "media_type"]

OutputFormat = Literal["jsonl", "table", "csv", "ctgov"]
TABLE_WIDTH = 120  # no terminal to measure over HTTP: a width that reads well in a browser or `less`


def media_type(output_format: str) -> str:
    return FORMATS[output_format].media_type


class Reformatter:
    """Result lines in, text of `output_format` out, chunk by chunk (csv: nested lists as JSON cells)."""

    def __init__(self, output_format: OutputFormat, formula_guard: bool = False) -> None:
        self.buffer = io.StringIO()
        self.writer = writer_for(output_format, self.buffer, width=TABLE_WIDTH, formula_guard=formula_guard)

    def feed(self, lines: Iterable[Mapping[str, Any] | str]) -> str:
        """Write result lines (dicts, or stored JSON text) and return what the writer produced."""
        for line in lines:
            self.writer.write(json.loads(line) if isinstance(line, str) else line)
        return self.drain()

    def close(self) -> str:
        self.writer.close()
        return self.drain()

    def drain(self) -> str:
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text
