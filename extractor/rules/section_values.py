"""Shared readers of the rules modules: a section"s value, its bare lines, its raw text.

Kept apart so the rules" field modules (design, eligibility, parties) share them without
importing one another.
"""

from __future__ import annotations

import re
from typing import Any

from extractor.rules.segment import Line, Page, Section, strip_marker

__all__ = ["BARE_KEYS", "NOT_STATED_RE", "bare_lines", "bare_sections", "first_value", "put", "raw_text"]

NOT_STATED_RE = re.compile(r"^(?:not available|n/?a|none|nil|not applicable|not provided|not stated|empty|-+)\.?$",
                            re.IGNORECASE)
# Sections whose lines may hold bare values (enums, dates, counts): headers and design blocks.
BARE_KEYS = frozenset({"", "status_block", "design", "eligibility"})


def bare_lines(lines: list[Line]) -> list[str]:
    return [strip_marker(line.text) for line in lines]


def first_value(page: Page, key: str) -> tuple[str | None, Section | None]:
    for section in page.all(key):
        value = section.value
        if value and not NOT_STATED_RE.match(value):
            return value, section
    return None, None


def put(out: dict[str, Any], field: str, value: Any) -> None:
    if value not in (None, [], "") and out.get(field) in (None, [], ""):
        out[field] = value


def bare_sections(page: Page) -> list[Section]:
    return [s for s in page.sections if s.key in BARE_KEYS]


def raw_text(page: Page, lines: list[Line]) -> str:
    """The page text under these lines, indentation and blank lines kept (the splitter reads them)."""
    if not lines:
        return ""
    last = lines[-1]
    return page.text[lines[0].start: last.start + len(last.text)]
