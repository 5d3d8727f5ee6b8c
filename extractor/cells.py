"""Cells: where a value stands as a cell of its own on a page (a table cell, a "label: value", a
comma-separated part), which grounding prefers to a word inside a sentence or a title."""

from __future__ import annotations

__all__ = ["find_cell", "is_cell"]

_CELL_TRIES = 200  # occurrences looked at per value
_CELL_BEFORE = frozenset(":,;|•-–(.\t")
_CELL_AFTER = frozenset(":,;|()\t")


def is_cell(text: str, at: int, end: int) -> bool:
    """Whether text[at:end] is delimited like a cell: line edges, separators, or camel-case glue."""
    i = at - 1
    while i >= 0 and text[i] == " ":
        i -= 1
    if i >= 0 and text[i] != "\n":
        c = text[i]
        if c not in _CELL_BEFORE and not (i == at - 1 and c.islower() and text[at].isupper()):
            return False
    j = end
    while j < len(text) and text[j] == " ":
        j += 1
    if j < len(text) and text[j] != "\n":
        c = text[j]
        if c not in _CELL_AFTER and not (j == end and text[end - 1].islower() and c.isupper()):
            return False
    return True


def find_cell(text: str, value: str, lo: int = 0, hi: int | None = None, near: int | None = None) -> tuple[int, int] | None:
    """An occurrence of `value` that stands as a cell of its own (the whole line, a "label: value",
    a comma-separated part, or glued to a neighbouring cell as "SorafenibSorafenib (Nexavar)"), not
    a word inside a sentence or a title: the first, or the nearest `near`. None when there is none."""
    if not value:
        return None
    hi = len(text) if hi is None else hi
    n = len(value)
    best: tuple[int, int] | None = None
    best_d = 0
    at, tries = text.find(value, max(lo, 0), hi), 0
    while at >= 0 and tries < _CELL_TRIES:
        if is_cell(text, at, at + n):
            if near is None:
                return at, at + n
            d = abs(at - near)
            if best is None or d < best_d:
                best, best_d = (at, at + n), d
            elif at > near:
                break
        at, tries = text.find(value, at + 1, hi), tries + 1
    return best
