"""Header-row tables: a tab-separated row of column names, then rows of cells under it.

An HTML table flattened to text keeps its cells apart by tabs and its rows by line breaks, so
"Target sample size:<TAB>Gender:<TAB>Minimum age" over "120<TAB>F<TAB>18 Y" pairs each column
name with the cell below it. A table with one body row is a set of labelled fields; a table of
many rows is a list of records (sites, contacts, sponsors, arms), read by the role each column's
name gives. A column whose name is not known is ignored; a table whose header is not made of
short label-like cells is not a table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["Cell", "HeadTable", "find_tables", "fold_head"]


@dataclass(slots=True)
class Cell:
    """A cell's text (trimmed) and where that text starts in the page."""

    text: str
    start: int


@dataclass(slots=True)
class HeadTable:
    heading: str  # the nearest line above the header that is not a table row ("" when none)
    header: list[Cell]
    rows: list[list[Cell]] = field(default_factory=list)
    end: int = 0  # the offset just past the last body row
    start: int = 0  # where the header's line starts
    row_starts: list[int] = field(default_factory=list)  # where each body row's line starts

    def column(self, names: frozenset[str]) -> int | None:
        """The index of the first header cell whose folded name is one of `names`."""
        for i, cell in enumerate(self.header):
            if fold_head(cell.text) in names:
                return i
        return None


_HEAD_CELL_RE = re.compile(r"^[A-Za-z][A-Za-z'’()/&,. -]{0,58}[:：]?$")
_PLURAL_RE = re.compile(r"\(s\)|[:：?]", re.IGNORECASE)


def fold_head(text: str) -> str:
    """"Name of recruitment centre:" -> "name of recruitment centre"; "Timepoint(s)" -> "timepoint"."""
    return " ".join(_PLURAL_RE.sub("", text).lower().split())


def _cells(raw: str, start: int) -> list[Cell]:
    out: list[Cell] = []
    pos = start
    for piece in raw.split("\t"):
        text = piece.strip()
        out.append(Cell(text, pos + (len(piece) - len(piece.lstrip()))))
        pos += len(piece) + 1
    while out and not out[-1].text:
        out.pop()
    return out


def _is_header(cells: list[Cell]) -> bool:
    named = [c for c in cells if c.text]
    return len(cells) >= 3 and len(named) >= 3 and all(
        _HEAD_CELL_RE.match(c.text) and len(c.text.split()) <= 8 for c in named)


@lru_cache(maxsize=8)
def find_tables(text: str) -> tuple[HeadTable, ...]:
    """Every header row of three or more label-like cells with the tab rows right under it
    (cached: the segmenter and the record reader both ask for the same page)."""
    tables: list[HeadTable] = []
    current: HeadTable | None = None
    heading = ""
    pos = 0
    for raw in text.split("\n"):
        start = pos
        pos += len(raw) + 1
        if "\t" not in raw:
            current = None
            if raw.strip():
                heading = raw.strip()
            continue
        cells = _cells(raw, start)
        repeated = current is not None and [c.text for c in cells] == [c.text for c in current.header]
        if current is not None and not repeated and len(cells) <= len(current.header) and any(c.text for c in cells):
            current.rows.append(cells)
            current.row_starts.append(start)
            current.end = start + len(raw)
            continue
        current = None
        if _is_header(cells):
            current = HeadTable(heading, cells, end=start + len(raw), start=start)
            tables.append(current)
        else:
            heading = ""
    return tuple(t for t in tables if t.rows)
