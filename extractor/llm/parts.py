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

__all__ = ["estimate_tokens", "merge_parts", "select_sections", "split_document", "split_sections"]


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


def split_sections(text: str) -> list[tuple[str, str]]:
    """The page as (heading, section text) pairs, split at headings; the first pair is the page's head."""
    out: list[tuple[str, str]] = []
    for chunk in _HEADING.split(text):
        if not chunk.strip():
            continue
        first = chunk.strip().splitlines()[0]
        out.append((first.strip("# :").lower(), chunk.strip("\n")))
    return out


def select_sections(text: str, words: tuple[str, ...], max_chars: int, known: tuple[str, ...] = ()) -> str:
    """The page's head plus the sections whose heading holds one of `words`, in page order, within `max_chars`.

    A section runs from its heading to the next title-like heading; values printed as bare capitals
    under a heading ("RANDOMIZED" under "Study Design") stay in it. `known` is kept for callers
    that pass every step's words.
    No words, or no heading matching them: the whole page, along sections, within `max_chars`.
    """
    fragments = split_sections(text)
    sections: list[tuple[str, list[str]]] = []
    for heading, body in fragments:
        # an all-capitals line ("RANDOMIZED") is a value under the heading before it, not a heading
        line = body.strip().splitlines()[0]
        if not sections or (line != line.upper() and len(heading.split()) <= 6):
            sections.append((heading, [body]))
        else:
            sections[-1][1].append(body)
    picked = [sections[0]] + [s for s in sections[1:] if any(w in s[0] for w in words)] if words else sections
    if words and len(picked) == 1:
        picked = sections
    out: list[str] = []
    size = 0
    for _, bodies in picked:
        body = "\n".join(bodies)
        if size + len(body) + 2 > max_chars:
            continue
        out.append(body)
        size += len(body) + 2
    return "\n\n".join(out)


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

