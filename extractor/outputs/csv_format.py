"""CSV: one row per document, one column per scalar field; nested lists in companion files.

Main file columns: `id, source, backend, error_code, error_message`, then every scalar field of the
record, every text list (`secondary_ids`, `phases`, `conditions`, `keywords`, criteria,
`collaborators`) joined with " | " (a "|" or "\\" inside an item is backslash-escaped; `split_list`
undoes it), then `issue_count` and `issues` (`severity CODE [paths]: message`, joined the same way).
A document that failed is a row too, with only `id, source, error_code, error_message` filled.

Nested lists go to companion files keyed by document `id`, one row per item with its 1-based
`position`: `arms.csv`, `interventions.csv`, `outcomes.csv` (with `kind` primary/secondary),
`locations.csv`, `contacts.csv`. With no companion directory (writing to stdout), they are JSON
array cells in columns of the same names instead. RFC 4180 quoting (CRLF rows; a cell with a comma,
quote or newline is quoted), UTF-8, with a byte-order mark on request for spreadsheets.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, TextIO

from extractor.outputs.fields import NESTED_FIELDS, SCALAR_FIELDS, TEXT_LIST_FIELDS, join_list

__all__ = ["COMPANIONS", "CsvWriter", "main_columns"]

_HEAD = ("id", "source", "backend", "error_code", "error_message")
_TAIL = ("issue_count", "issues")
# companion file stem -> (record fields it holds, its columns after id/position)
COMPANIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "arms": (("arms",), ("label", "type", "description", "intervention_names")),
    "interventions": (("interventions",), ("type", "name", "description", "other_names", "arm_labels")),
    "outcomes": (("primary_outcomes", "secondary_outcomes"), ("kind", "measure", "time_frame", "description")),
    "locations": (("locations",), ("facility", "city", "state", "country", "status")),
    "contacts": (("contacts",), ("name", "role", "email", "phone")),
}


def main_columns(companions: bool) -> list[str]:
    nested = [] if companions else list(NESTED_FIELDS)
    return [*_HEAD, *SCALAR_FIELDS, *TEXT_LIST_FIELDS, *nested, *_TAIL]


# What a spreadsheet reads as a formula at the start of a cell (OWASP "CSV injection"): text from an
# untrusted page such as "=HYPERLINK(...)" would run when the file is opened.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any, guard: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = join_list(value) if isinstance(value, list) else str(value)
    if guard and isinstance(value, (str, list)) and text.startswith(FORMULA_STARTS):  # text, not a number
        return "'" + text  # shown as text by Excel, LibreOffice and Google Sheets
    return text


class CsvWriter:
    """Streams rows as lines come; companion files are opened once, at the start."""

    def __init__(self, out: TextIO, *, bom: bool = False, companion_dir: str | Path | None = None,
                 companion_prefix: str = "", formula_guard: bool = False) -> None:
        self.out = out
        self.guard = formula_guard
        self.files: list[IO[str]] = []
        self.companions: dict[str, Any] = {}
        if bom:
            out.write("\ufeff")
        self.main = csv.writer(out, lineterminator="\r\n")
        self.main.writerow(main_columns(companion_dir is not None))
        if companion_dir is not None:
            folder = Path(companion_dir)
            folder.mkdir(parents=True, exist_ok=True)
            for stem, (_, columns) in COMPANIONS.items():
                fh = open(folder / f"{companion_prefix}{stem}.csv", "w", encoding="utf-8", newline="")
                self.files.append(fh)
                if bom:
                    fh.write("\ufeff")
                writer = csv.writer(fh, lineterminator="\r\n")
                writer.writerow(["id", "position", *columns])
                self.companions[stem] = writer

    def write(self, line: Mapping[str, Any]) -> None:
        doc_id = line.get("id", "")
        if "record" not in line:
            error = line.get("error") or {}
            row = {"id": doc_id, "source": line.get("source", ""), "error_code": error.get("code", ""),
                   "error_message": error.get("message", "")}
            self.main.writerow([_cell(row.get(c), self.guard) for c in main_columns(bool(self.companions))])
            return
        record = line["record"]
        issues = line.get("issues") or []
        row = {"id": doc_id, "source": line.get("source"), "backend": line.get("backend"),
               **{f: record.get(f) for f in (*SCALAR_FIELDS, *TEXT_LIST_FIELDS)},
               "issue_count": len(issues),
               "issues": [f"{i['severity']} {i['code']} [{', '.join(i.get('paths') or [])}]: {i['message']}" for i in issues]}
        if not self.companions:
            row.update({f: json.dumps(record.get(f) or [], ensure_ascii=False) for f in NESTED_FIELDS})
        self.main.writerow([_cell(row.get(c), self.guard) for c in main_columns(bool(self.companions))])
        for stem, (fields, columns) in COMPANIONS.items():
            if stem not in self.companions:
                continue
            for field in fields:
                kind = field.split("_")[0]
                for n, item in enumerate(record.get(field) or [], start=1):
                    values = {**item, "kind": kind}
                    self.companions[stem].writerow([doc_id, n, *(_cell(values.get(c), self.guard) for c in columns)])
        self.out.flush()

    def close(self) -> None:
        self.out.flush()
        for fh in self.files:
            fh.close()
        self.files = []
