"""Eligibility for the rules: sex, ages, healthy volunteers and the criteria lists.

Criteria come from inclusion/exclusion headings (and the bulleted lines that carry them on), or
from an eligibility block split at its own headings; a trailing run of bare age/sex/yes-no values
under the criteria is read as those fields.
"""

from __future__ import annotations

import re
from typing import Any

from extractor.criteria import split_criteria, split_items
from extractor.rules.lexicon import SUBLABELS, Kind
from extractor.rules.parsers import bare_age, parse_age, parse_age_range, parse_sex
from extractor.rules.section_values import first_value, put, raw_text
from extractor.rules.segment import Line, Page, strip_marker

__all__ = ["read_eligibility"]

_HEADING_WORD_RE = re.compile(r"inclusion|exclusion", re.IGNORECASE)
_YES_NO = {"yes": "Yes", "no": "No"}
# Requirement-vs-reason cue for unlabelled lists: an item that opens with a reason to be left out.
_EXCLUSION_CUE_RE = re.compile(
    r"^(?:history of|known\b|pregnan|breast-?feeding|lactating|allerg|hypersensitiv|received (?:other|prior|any)|"
    r"prior (?:treatment|therapy)|previous (?:treatment|therapy)|contraindicat|participation in (?:another|other)|"
    r"currently (?:participating|enrolled)|concurrent|uncontrolled|active (?:infection|bleeding))",
    re.IGNORECASE,
)


def _is_bare_elig(text: str) -> bool:
    return bare_age(text) or text in ("ALL", "MALE", "FEMALE") or text.lower() in _YES_NO


def read_eligibility(page: Page, out: dict[str, Any]) -> None:
    sex, _ = first_value(page, "sex")
    put(out, "sex", parse_sex(sex))
    put(out, "minimum_age", parse_age(first_value(page, "minimum_age")[0]))
    put(out, "maximum_age", parse_age(first_value(page, "maximum_age")[0]))
    low, high = parse_age_range(first_value(page, "age_range")[0])
    put(out, "minimum_age", low)
    put(out, "maximum_age", high)
    healthy, _ = first_value(page, "healthy_volunteers")
    put(out, "healthy_volunteers", healthy)
    labelled_ages = "minimum_age" in out or "maximum_age" in out

    inclusion: list[str] = []
    exclusion: list[str] = []
    for index, section in enumerate(page.sections):
        if section.key in ("inclusion", "exclusion"):
            lines = _take_bare_values(_list_end(page, _criteria_lines(page, index)), out)
            (inclusion if section.key == "inclusion" else exclusion).extend(_items(page, lines))
    if not inclusion and not exclusion:
        for section in page.all("eligibility"):
            index = page.sections.index(section)
            lines = _take_bare_values(page.stray(index), out)
            start = next((i for i, line in enumerate(lines) if line.bulleted), None)
            if start is None:
                continue
            raw = raw_text(page, lines[start:])
            inc, exc = split_criteria(raw) if _HEADING_WORD_RE.search(raw) else (split_items(raw), [])
            if not exc:
                inc, exc = _split_unlabelled(inc)
            inclusion.extend(inc)
            exclusion.extend(exc)
            if inclusion:
                break
    out["inclusion_criteria"], out["exclusion_criteria"] = inclusion, exclusion
    if not labelled_ages and "minimum_age" not in out:
        for item in inclusion:
            if _AGE_ITEM_RE.match(item):
                low, high = parse_age_range(item)
                if low:
                    out["minimum_age"] = low
                    put(out, "maximum_age", high)
                    break


def _criteria_lines(page: Page, index: int) -> list[Line]:
    """A criteria heading's lines, and the lines trailing the fields printed under it when they
    carry on the list (bulleted); unbulleted text after another field's value is no criterion."""
    out = [line for line in page.sections[index].lines if line.text.lower() not in SUBLABELS]
    for section in page.sections[index + 1:]:
        if section.container != index:
            break
        if section.kind is Kind.SCALAR and len(section.lines) > 1:
            tail = [line for line in section.lines[1:] if line.text.lower() not in SUBLABELS]
            if tail and (tail[0].bulleted or not out):
                out.extend(tail)
    return out


_AGE_ITEM_RE = re.compile(r"^(?:aged?\b|\d{1,3}\s*(?:-|–|~|to)\s*\d{1,3}\s*years?\b)", re.IGNORECASE)
_TAG_RE = re.compile(r"^[a-z]{2}(?:-[a-z]{2,4})?$")  # a language tag ("en", "pt-br") over a field's text
_GAP_RE = re.compile(r"\n[ \t]*\n")


def _list_end(page: Page, lines: list[Line]) -> list[Line]:
    """A bulleted list ends at a blank line followed by an unbulleted heading-like line (the page's
    next section: "Addresses", "Share this page"); language tags are no criteria."""
    lines = [line for line in lines if not _TAG_RE.match(line.text)]
    for i in range(2, len(lines)):
        prev, line = lines[i - 1], lines[i]
        if (prev.bulleted and lines[0].bulleted and not line.bulleted and len(line.text) <= 60
                and not line.text.endswith((".", ";", ",", ":")) and line.text[:1].isupper()
                and _GAP_RE.search(page.text, prev.start + len(prev.text), line.start)):
            return lines[:i]
    return lines


def _take_bare_values(lines: list[Line], out: dict[str, Any]) -> list[Line]:
    """Strip the trailing run of bare age/sex/yes-no values off a criteria block and read them."""
    end = len(lines)
    while end > 0 and _is_bare_elig(strip_marker(lines[end - 1].text)):
        end -= 1
    tail = [strip_marker(line.text) for line in lines[end:]]
    ages = [t for t in tail if bare_age(t)]
    if len(ages) == 2:
        put(out, "minimum_age", ages[0])
        put(out, "maximum_age", ages[1])
    for i, text in enumerate(tail):
        if text in ("ALL", "MALE", "FEMALE"):
            put(out, "sex", text)
        elif text.lower() in _YES_NO and i > 0 and _is_bare_elig(tail[i - 1]) and text.lower() not in (
                t.lower() for t in tail[:i]):
            put(out, "healthy_volunteers", _YES_NO[text.lower()])
    return lines[:end]


def _items(page: Page, lines: list[Line]) -> list[str]:
    return split_items(raw_text(page, lines)) if lines else []


def _split_unlabelled(items: list[str]) -> tuple[list[str], list[str]]:
    """An unlabelled list turns from requirements to reasons at the first reason item, when the
    reasons that follow are plainly reasons (at least two cue items, none before the turn)."""
    cues = [i for i, item in enumerate(items) if _EXCLUSION_CUE_RE.match(item)]
    if len(cues) < 2 or cues[0] == 0:
        return items, []
    turn = cues[0]
    tail = len(items) - turn
    if len(cues) * 3 < tail:
        return items, []
    return items[:turn], items[turn:]
