"""Result lines written in the format their reader wants: JSON Lines (the contract), a table for a
person, CSV for a spreadsheet or database, ClinicalTrials.gov API v2 studies for CT.gov tools.

One writer module for every producer (`trialx extract --format`, `trialx batch collect --format`,
the service's `?format=`): `writer_for(format, out)` returns a `Writer` whose `write(line)` takes one
`trialx extract` line (a dict: a result or a `{"id", "source", "error"}` line) at a time and whose
`close()` ends the output; memory stays constant however many lines pass. Imports the core only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

from extractor.errors import ConfigError
from extractor.outputs.csv_format import COMPANIONS, CsvWriter
from extractor.outputs.ctgov import CtgovWriter, to_ctgov_study
from extractor.outputs.fields import join_list, split_list
from extractor.outputs.jsonl import JsonlWriter
from extractor.outputs.table import TableWriter

__all__ = ["COMPANIONS", "FORMATS", "Format", "Writer", "join_list", "split_list", "to_ctgov_study", "writer_for"]


class Writer(Protocol):
    def write(self, line: Mapping[str, Any]) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    extension: str
    description: str


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("jsonl", "application/x-ndjson", ".jsonl", "one JSON line per document (the contract)"),
        Format("table", "text/plain; charset=utf-8", ".txt",
               "a table per document: value, match status, provenance, findings"),
        Format("csv", "text/csv; charset=utf-8", ".csv",
               "one row per document; nested lists in companion files or JSON cells"),
        Format("ctgov", "application/json", ".json",
               'ClinicalTrials.gov API v2 studies: {"studies": [...]}, one study per line'),
    )
}


def writer_for(format: str, out: TextIO, *, full: bool = False, bom: bool = False,
               companion_dir: str | Path | None = None, companion_prefix: str = "",
               width: int | None = None, formula_guard: bool = False) -> Writer:
    """A streaming writer of `format` onto `out` (a text stream); unknown formats raise ConfigError.

    `full` (table): every value path and the whole text. `bom` (csv): a UTF-8 byte-order mark.
    `formula_guard` (csv): a cell starting with =, +, -, @, tab or CR gets a leading apostrophe, so a
    spreadsheet shows it as text instead of running it; it changes the text, so it is opt-in.
    `companion_dir`/`companion_prefix` (csv): where `<prefix>arms.csv` etc. go; without a
    directory the nested lists are JSON cells. `width` (table): the table's width.
    """
    if format == "jsonl":
        return JsonlWriter(out)
    if format == "table":
        return TableWriter(out, full=full, width=width)
    if format == "csv":
        return CsvWriter(out, bom=bom, companion_dir=companion_dir, companion_prefix=companion_prefix,
                         formula_guard=formula_guard)
    if format == "ctgov":
        return CtgovWriter(out)
    raise ConfigError(f"unknown format {format!r}; use one of: {', '.join(FORMATS)}", format=format)
