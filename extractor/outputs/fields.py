"""The record's fields sorted by kind, for the flat formats (CSV columns, table rows).

Scalars are one value; text lists (conditions, criteria, IDs) are lists of strings; nested lists
(arms, interventions, outcomes, locations, contacts) are lists of objects. Derived from the schema,
so a field added to `TrialRecord` shows up in every format without touching this package.
"""

from __future__ import annotations

import re
from typing import Any

from extractor.schema import TrialRecord

__all__ = ["NESTED_FIELDS", "SCALAR_FIELDS", "TEXT_LIST_FIELDS", "field_of", "join_list", "split_list"]

_NESTED = {"arms", "interventions", "primary_outcomes", "secondary_outcomes", "locations", "contacts"}


def _kinds() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    scalars, texts, nested = [], [], []
    for name, info in TrialRecord.model_fields.items():
        default = info.get_default(call_default_factory=True)
        if name in _NESTED:
            nested.append(name)
        elif isinstance(default, list):
            texts.append(name)
        else:
            scalars.append(name)
    return tuple(scalars), tuple(texts), tuple(nested)


SCALAR_FIELDS, TEXT_LIST_FIELDS, NESTED_FIELDS = _kinds()

LIST_SEPARATOR = " | "
_SPLIT_RE = re.compile(r"(?<!\\)((?:\\\\)*) \| ")
_UNESCAPE_RE = re.compile(r"\\([\\|])")


def join_list(items: list[Any]) -> str:
    """["a", "b|c"] -> 'a | b\\|c': items joined with " | "; a "|" or "\\" inside an item is backslash-escaped."""
    return LIST_SEPARATOR.join(str(i).replace("\\", "\\\\").replace("|", "\\|") for i in items)


def split_list(cell: str) -> list[str]:
    """The inverse of `join_list`: split on unescaped " | ", then undo the escapes."""
    if cell == "":
        return []
    parts, start = [], 0
    for m in _SPLIT_RE.finditer(cell):
        parts.append(cell[start:m.start() + len(m.group(1))])
        start = m.end()
    parts.append(cell[start:])
    return [_UNESCAPE_RE.sub(r"\1", p) for p in parts]


_PATH_HEAD = re.compile(r"^[A-Za-z_]+")


def field_of(path: str) -> str:
    """"arms[1].label" -> "arms"; "enrollment" -> "enrollment"."""
    m = _PATH_HEAD.match(path)
    return m.group(0) if m else path
