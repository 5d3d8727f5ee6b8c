"""Eligibility text -> inclusion and exclusion items, one per criterion.

Registry criteria come as CT.gov legacy textblocks (hard-wrapped at a fixed width, "-" bullets,
hanging indents), API v2 markdown ("*" bullets, nested by indentation) or plain-text registry
pages ("•", "⁃", "①", "1)", several numbered items run together on one line). The importer and
the rules extractor both need the same answer, so the splitting lives here, free of any source
format knowledge beyond these layouts.

Rules: a bullet or numbering starts an item (sub-items too); a blank line or a line that ends a
lead-in (":") ends one; a line joins the previous one only when it is a hanging-indent
continuation or the previous line was visibly wrapped (the next word would not have fitted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["split_criteria", "split_items", "strip_marker"]

_CIRCLED = "\u2460-\u2473\u2776-\u277f\u2780-\u2793"
# A list marker at the start of a line: bullets, circled numbers, 1. 1) (1) 1.2. a) (a) ii.
_MARKER_RE = re.compile(
    rf"""^(?P<marker>
        [•⁃‣◦●○▪▫■□·∙]
      | [-*+–—o](?=\s)
      | [{_CIRCLED}]
      | \(\d{{1,3}}\) | \d{{1,3}}(?:\.\d{{1,3}})*[.)](?!\d)
      | \([a-zA-Z]\) | [a-z][.)](?=\s) | [A-Z]\)(?=\s)
      | \((?:i{{1,3}}|iv|v|vi{{1,3}}|ix|x)\) | (?:i{{1,3}}|iv|vi{{0,3}}|ix|x)[.)](?=\s)
    )\s*""",
    re.X,
)
_NUMBER_RE = re.compile(r"^\(?(\d{1,3})([.)])\)?$")
_HEADING_RE = re.compile(
    r"""^(?:(?:key|main|major|general|additional|principal|specific|other)\s+)?
        (?P<kind>inclusion|exclusion|eligibility)(?=\W|criteri|$)
        (?P<crit>\s*(?:criteria|criterion|critera)\b)?
        (?P<rest>.*)$""",
    re.I | re.X,
)
_CRITERIA_FOR_RE = re.compile(r"^(?P<crit>criteria)\s+for\s+(?P<kind>inclusion|exclusion)\b(?P<rest>.*)$", re.I)
# A heading written in the middle of a line ("... signed consent. Exclusion criteria: 1. ...").
_INLINE_HEADING_RE = re.compile(
    r"(?<=\S)(?<!key)(?<!main)(?<!major)(?<!general)(?<!additional)(?<!principal)(?<!specific)(?<!other)"
    r"[ \t]+(?=(?:key\s+)?(?:inclusion|exclusion)\s+criteri(?:a|on)\s*:)",
    re.I,
)
# A short heading naming its group: "Transplant Exclusion:", "Exclusion criteria for cohort 2:".
_QUALIFIED_HEADING_RE = re.compile(r"^(?=.{0,60}:$)(?:[\w/&()'-]+\s+){0,5}?(?P<kind>inclusion|exclusion)(?:\s+criteri(?:a|on))?\s*:$", re.I)
_PLAIN_QUALIFIERS = re.compile(r"^(?:key|main|major|general|additional|principal|specific|other)?\s*$", re.I)
_INLINE_BULLET_RE = re.compile(rf"(?<=\S)(?:[ \t]+(?=[•⁃]\s*\S)|[ \t]*(?=[{_CIRCLED}]\s*\S))")


@dataclass
class _Line:
    indent: int
    marker: str  # "" when the line carries no list marker
    text: str  # the content after the marker
    raw_len: int


def strip_marker(text: str) -> str:
    """Remove one leading bullet or numbering ("1.", "(2)", "•", "⁃", "①", "a)") and trim."""
    stripped = text.strip()
    m = _MARKER_RE.match(stripped)
    if m and stripped[m.end():].strip():
        return stripped[m.end():].strip()
    return stripped


def _parse_line(raw: str) -> _Line:
    expanded = raw.expandtabs(4).rstrip()
    body = expanded.lstrip()
    indent = len(expanded) - len(body)
    m = _MARKER_RE.match(body)
    if m and body[m.end():].strip():
        return _Line(indent, m["marker"], body[m.end():].strip(), len(expanded))
    return _Line(indent, "", body, len(expanded))


def _prepare(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = _INLINE_BULLET_RE.sub("\n", text)
    return text.split("\n")


def _first_word_len(text: str) -> int:
    return len(text.split(" ", 1)[0])


def split_items(text: str) -> list[str]:
    """Split one list of criteria (no section headings) into items, one per criterion."""
    lines = _prepare(text)
    parsed = [_parse_line(line) if line.strip() else None for line in lines]
    width = max((p.raw_len for p in parsed if p is not None), default=0)
    # Hard-wrapped text has several lines filled up to the wrap column; one long line is no sign.
    full_lines = sum(1 for p in parsed if p is not None and p.raw_len >= width - 12)
    items: list[tuple[str, list[str]]] = []  # (marker, text parts)
    item_indent = 0  # indent of the current item's marker or first line
    content_indent = 0  # where the current item's text starts
    prev: _Line | None = None
    after_blank = True
    for line in parsed:
        if line is None:
            after_blank = True
            continue
        starts_new = True
        if items and not line.marker and prev is not None and not prev.text.endswith(":"):
            current_marker = items[-1][0]
            hanging = bool(current_marker) and line.indent > item_indent and line.indent >= content_indent - 1
            if after_blank:
                # a second paragraph of a bulleted criterion, indented under its text
                starts_new = not (hanging and line.indent >= content_indent)
            else:
                wrapped = (
                    width >= 60
                    and prev.raw_len + 1 + _first_word_len(line.text) > width - 2
                    and (full_lines >= 2 or line.text[:1].islower())
                )
                starts_new = not (hanging or (wrapped and line.indent <= max(content_indent, item_indent) + 1))
        if starts_new:
            items.append((line.marker, [line.text]))
            item_indent = line.indent
            content_indent = line.indent + (len(line.marker) + 1 if line.marker else 0)
            if line.marker:
                # the text column of a marker line: where the content actually begins
                content_indent = line.raw_len - len(line.text)
        else:
            items[-1][1].append(line.text)
        prev = line
        after_blank = False
    result: list[str] = []
    for marker, parts in items:
        joined = " ".join(" ".join(parts).split())
        for piece in _split_run_on(joined, marker):
            piece = strip_marker(piece) if not marker else piece.strip()
            if piece and not _is_bare_marker(piece):
                result.append(piece)
    return result


def _is_bare_marker(text: str) -> bool:
    return bool(re.fullmatch(rf"[-*•⁃‣◦●○▪▫■□·∙–—+.:;,{_CIRCLED}]+|\(?\d{{1,3}}[.)]?\)?", text))


def _split_run_on(text: str, marker: str) -> list[str]:
    """Split "1. a 2. b 3. c" run together on one line, following the list's own numbering only."""
    m = _NUMBER_RE.match(marker)
    if m:
        style = "paren" if marker.startswith("(") else m[2]
        return _split_numbered(text, int(m[1]) + 1, style)
    # An unnumbered text holding an inline list that starts at 1: "Criteria: 1. a; 2. b".
    start = re.search(r"(?:^|(?<=[\s:;,]))(\(1\)|1[.)])\s+(?=\S)", text)
    if not start:
        return [text]
    token = start[1]
    style = "paren" if token.startswith("(") else token[-1]
    head, rest = text[: start.start()].strip(), text[start.end():]
    pieces = _split_numbered(rest, 2, style)
    if len(pieces) < 2:
        return [text]
    return ([head] if head else []) + pieces


def _split_numbered(text: str, expected: int, style: str) -> list[str]:
    pieces: list[str] = []
    rest = text
    while True:
        token = rf"\({expected}\)" if style == "paren" else rf"{expected}\{style}"
        hit = re.search(rf"(?:(?<=[\s;,.:])|(?<=^)){token}\s+(?=\S)", rest)
        if not hit or hit.start() == 0:
            break
        pieces.append(rest[: hit.start()].strip())
        rest = rest[hit.end():]
        expected += 1
    pieces.append(rest.strip())
    return [p for p in pieces if p]


def _heading(line: str) -> tuple[str | None, str] | None:
    """(section or None for a neutral "Eligibility criteria:", inline text) when `line` is a heading."""
    body = strip_marker(line).replace("**", "").replace("__", "")
    body = re.sub(r"^[#\s]+", "", body).strip()
    m = _HEADING_RE.match(body) or _CRITERIA_FOR_RE.match(body)
    if not m:
        q = _QUALIFIED_HEADING_RE.match(body)
        both = re.search(r"\binclusion\b", body, re.I) and re.search(r"\bexclusion\b", body, re.I)
        if q and not both:
            return q["kind"].lower(), body  # the group's name is kept as the section's lead-in item
        return None
    said_criteria = bool(m["crit"])
    rest = m["rest"].strip()
    if rest.startswith(":"):
        inline = rest[1:].strip()
    elif said_criteria and ":" in rest and len(rest.split(":", 1)[0]) <= 60:
        inline = rest.split(":", 1)[1].strip()
    elif said_criteria and len(rest) <= 40 and not rest.endswith("."):
        inline = ""
    else:
        return None
    kind = m["kind"].lower()
    qualifier = rest.split(":", 1)[0].strip() if ":" in rest else rest
    if qualifier and not inline and not _PLAIN_QUALIFIERS.match(qualifier) and kind != "eligibility":
        inline = body  # "Inclusion Criteria for Cohort 2:" names a group: keep it as a lead-in
    return (None if kind == "eligibility" else kind), inline


def split_criteria(text: str | None) -> tuple[list[str], list[str]]:
    """(inclusion items, exclusion items). Text before any heading, or with none, is inclusion."""
    if not text or not text.strip():
        return [], []
    lines = _INLINE_HEADING_RE.sub("\n", text.replace("\r\n", "\n").replace("\r", "\n")).split("\n")
    sections: dict[str, list[str]] = {"inclusion": [], "exclusion": []}
    blocks: list[tuple[str, list[str]]] = [("inclusion", [])]
    for line in lines:
        head = _heading(line) if line.strip() else None
        if head is None:
            blocks[-1][1].append(line)
            continue
        kind, inline = head
        section = kind or blocks[-1][0]
        indent = len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())
        blocks.append((section, [" " * indent + inline] if inline else []))
    for section, block in blocks:
        sections[section].extend(split_items("\n".join(block)))
    return sections["inclusion"], sections["exclusion"]
