"""Segment a registry page into labelled sections in one pass over its lines.

Every layout the rules meet reduces to "a known label, then the text it owns": "Label: value"
on one line, a label line with its value on the next line(s) (also markdown "- Label" / "- value"
pairs), or a heading followed by a block. Which labels exist, and whether a label owns one value
or a whole block, is the lexicon's business; this module only walks the lines once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extractor.lexicon import KINDS, SUBLABELS, Kind, is_blurb, is_chrome, lookup

__all__ = ["Line", "Page", "Section", "segment", "strip_marker"]

_NUMBERED_RE = re.compile(r"^(?:\(?\d{1,3}[.)]|\(\d{1,3}\)|[\u2460-\u2473])\s*\S")
_MARKER_RE = re.compile(r"^(?:#{1,6}\s+|[-*•·▪●◦⁃]\s+)")
_BOLD_RE = re.compile(r"\*\*|__")
_FLAG_RE = re.compile(r"^[\U0001F1E6-\U0001F1FF\s]+")
_COLON_RE = re.compile(r"\s*[:：]\s*|\s*\t\s*")  # "Label: value", and table cells kept apart by tabs
# Sections in which "Label: value" lines are criteria text, not fields.
_CRITERIA_KEYS = frozenset({"inclusion", "exclusion"})


@dataclass(slots=True)
class Line:
    """A non-empty line: its text trimmed, and where that text starts in the page."""

    text: str
    start: int
    bulleted: bool = False  # began with "-", "•", "1." …: a list item, not a label


@dataclass(slots=True)
class Section:
    """A label (or heading) and the lines it owns.

    For a scalar label `lines[0]` is its value; later lines are what followed it before the
    next label (they belong to the enclosing heading, `container`, as stray text).
    """

    key: str
    label: str
    start: int
    qualifier: str | None = None
    inline: bool = False
    lines: list[Line] = field(default_factory=list)
    container: int = 0

    @property
    def kind(self) -> Kind:
        return KINDS.get(self.key, Kind.BLOCK)

    @property
    def value(self) -> str | None:
        """The first value line without a markdown bullet ("- RECRUITING" -> "RECRUITING"),
        skipping a registry's sub-label ("Primary Sponsor" / "Name" / "Riverbend Hospital")."""
        for line in self.lines[:2]:
            text = strip_marker(line.text)
            if text.lower() not in SUBLABELS:
                return text
        return None

    def texts(self) -> list[str]:
        return [line.text for line in self.lines]


@dataclass(slots=True)
class Page:
    text: str
    sections: list[Section]
    _index: dict[str, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for i, section in enumerate(self.sections):
            self._index.setdefault(section.key, []).append(i)

    def all(self, key: str) -> list[Section]:
        return [self.sections[i] for i in self._index.get(key, ())]

    def first(self, key: str) -> Section | None:
        idx = self._index.get(key)
        return self.sections[idx[0]] if idx else None

    def stray(self, container: int) -> list[Line]:
        """Unlabelled lines under a heading: its own lines and what trails its scalar fields."""
        out = list(self.sections[container].lines)
        for section in self.sections[container + 1:]:
            if section.container != container:
                break
            if section.kind is Kind.SCALAR:
                out.extend(section.lines[1:])
        return [line for line in out if line.text.lower() not in SUBLABELS]


_MARKER_CHARS = frozenset("#-*•·▪●◦⁃")


def strip_marker(text: str) -> str:
    """Drop a markdown heading/bullet marker and bold markup around a candidate label."""
    if text and text[0] in _MARKER_CHARS:
        text = _MARKER_RE.sub("", text, count=1)
    if "**" in text or "__" in text:
        text = _BOLD_RE.sub("", text)
    return text.strip()


def segment(text: str) -> Page:
    """Split `text` into sections; section 0 is the preamble before the first label."""
    sections = [Section(key="", label="", start=0)]
    current = sections[0]
    container = 0
    fresh = False  # the previous line was a label-only heading: a site blurb may follow
    pos = 0
    for raw in text.split("\n"):
        line_start = pos
        pos += len(raw) + 1
        stripped = raw.strip()
        if not stripped:
            continue
        start = line_start + len(raw) - len(raw.lstrip())
        first = stripped[0]
        if first >= "\U0001F1E6":  # a flag emoji before a place name
            flag = _FLAG_RE.match(stripped)
            if flag:
                start += flag.end()
                stripped = stripped[flag.end():]
                if not stripped:
                    continue
                first = stripped[0]
        if is_chrome(stripped):
            continue
        if fresh:
            fresh = False
            if current.key not in _CRITERIA_KEYS and is_blurb(stripped):
                continue
        if first == "|":
            if not stripped.strip("|-: "):
                continue  # a markdown table's rule line
            if stripped.count("|") == 3:  # a markdown table row "| Phase | Phase 2 |"
                cells = stripped.strip("|").split("|")
                stripped = f"{cells[0].strip()}: {cells[1].strip()}" if cells[1].strip() else cells[0].strip()
                start += raw[start - line_start:].find(cells[0].strip())
                first = stripped[0]
        numbered = (first.isdigit() or first in "(\u2460\u2461\u2462\u2463\u2464") and bool(_NUMBERED_RE.match(stripped))
        bulleted = numbered or (first in _MARKER_CHARS and bool(_MARKER_RE.match(stripped)))
        if not numbered:
            bare = strip_marker(stripped) if first in _MARKER_CHARS or "**" in stripped or "__" in stripped \
                else stripped.strip()
            found = lookup(bare.rstrip(":： ").rstrip("?")) if len(bare) <= 72 else None
            if found is not None:
                key, qualifier = found
                current = Section(key, bare.rstrip(":： "), start, qualifier, container=container)
                sections.append(current)
                if KINDS[key] is Kind.BLOCK:
                    container = current.container = len(sections) - 1
                fresh = True
                continue
            section = _inline(bare, stripped, start, current, container, bulleted)
            if section is not None:
                current = section
                sections.append(section)
                if section.kind is Kind.BLOCK:
                    container = section.container = len(sections) - 1
                continue
        current.lines.append(Line(stripped, start, bulleted))
    return Page(text, sections)


def _inline(bare: str, stripped: str, start: int, current: Section, container: int,
            bulleted: bool) -> Section | None:
    """A "Label: value" line as a section holding its value, or None."""
    head = bare[1:74]
    if ":" not in head and "\t" not in head and "：" not in head:
        return None  # most lines hold no separator at all; the regex is the dear way to learn that
    colon = _COLON_RE.search(bare, 1, 74)
    if colon is None:
        return None
    found = lookup(bare[: colon.start()].rstrip("?"))
    if found is None:
        return None
    key, qualifier = found
    in_criteria = current.key in _CRITERIA_KEYS
    if in_criteria and bulleted and key not in _CRITERIA_KEYS:
        return None  # "- Age: 18-65" inside a criteria list is a criterion
    value = bare[colon.end():].strip()
    section = Section(key, bare[: colon.start()], start, qualifier, inline=True, container=container)
    if value:
        offset = stripped.find(value)
        section.lines.append(Line(value, start + max(offset, 0)))
    return section
