"""Documents longer than the model context: a token estimate, a split along sections, and the merge.

A document is split along blank lines and headings, never cut inside a section; each part is
extracted on its own and the parts' records are merged back into one.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from extractor.errors import ContextLengthError
from extractor.schema import TrialRecord

__all__ = ["estimate_tokens", "split_document", "merge_parts"]


def estimate_tokens(text: str) -> int:
    """chars / 4, rounded up: a deliberately simple, tokenizer-free estimate."""
    return (len(text) + 3) // 4


_HEADING = re.compile(r"(?m)^(?=#{1,6} |[A-Z][A-Za-z /&-]{2,60}:?\s*$)")


def split_document(text: str, max_chars: int) -> list[str]:
    """Split along blank lines and headings into parts of at most `max_chars`; never cut a section.

    Raises ContextLengthError when one section alone exceeds the limit.
    """
    if len(text) <= max_chars:
        return [text]
    sections: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        sections.extend(s for s in _HEADING.split(block) if s.strip())
    parts: list[str] = []
    current = ""
    for section in sections:
        if len(section) > max_chars:
            raise ContextLengthError(
                f"a section of {len(section)} characters does not fit the model context "
                f"({max_chars} characters of document per request); raise max_context_tokens or shorten it",
            )
        joined = f"{current}\n\n{section}" if current else section
        if len(joined) > max_chars:
            parts.append(current)
            current = section
        else:
            current = joined
    if current:
        parts.append(current)
    return parts


def merge_parts(records: list[TrialRecord]) -> TrialRecord:
    """Scalars: first non-null; lists: concatenated, duplicates dropped."""
    merged: dict[str, Any] = {}
    for name in TrialRecord.model_fields:
        values = [getattr(r, name) for r in records]
        if isinstance(values[0], list):
            out: list[Any] = []
            seen: list[Any] = []
            for items in values:
                for item in items:
                    key = item.model_dump() if isinstance(item, BaseModel) else item
                    if key not in seen:
                        seen.append(key)
                        out.append(item)
            merged[name] = out
        else:
            merged[name] = next((v for v in values if v is not None), None)
    return TrialRecord.model_validate(merged)

