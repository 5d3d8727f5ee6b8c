"""`extractor.outputs.jsonl` and `writer_for`: the contract line, unchanged; unknown formats refused."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from extractor.errors import ConfigError
from extractor.outputs import FORMATS, writer_for

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "outputs" / "tricky_line.json"


def test_jsonl_writes_the_line_as_it_is() -> None:
    line = json.loads(FIXTURE.read_text(encoding="utf-8"))
    out = io.StringIO()
    writer = writer_for("jsonl", out)
    writer.write(line)
    writer.write({"id": "bad", "source": "bad.txt", "error": {"code": "X", "message": "é"}})
    writer.close()
    first, second = out.getvalue().splitlines()
    assert json.loads(first) == line and "é" in second


def test_formats_and_unknown_format() -> None:
    assert list(FORMATS) == ["jsonl", "table", "csv", "ctgov"]
    assert FORMATS["csv"].media_type.startswith("text/csv")
    with pytest.raises(ConfigError, match="unknown format 'xml'"):
        writer_for("xml", io.StringIO())
