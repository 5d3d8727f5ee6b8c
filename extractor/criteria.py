"""Eligibility text -> inclusion and exclusion items, one per criterion.

Registry criteria come as CT.gov legacy textblocks (hard-wrapped at a fixed width, "-" bullets,
hanging indents), API v2 markdown ("*" bullets, nested by indentation) or plain-text registry
pages ("•", "⁃", "①", "1)", several numbered items run together on one line). The importer and
the rules extractor both need the same answer, so the splitting lives here, free of any source
format knowledge beyond these layouts.

Rules: a bullet or numbering starts an item (sub-items too); a blank line or a line that ends a
lead-in (":") ends one; a line joins the previous one only when it is a hanging-indent
continuation or the previous line was visibly wrapped (the next word would not have fitted).
Inside an item (gold/GUIDELINES.md §6) numbering splits only where it continues an open list:
every open level is tracked on a stack, so "5. x 8. y" after a nested 1…5 under an outer 7 splits
at 8; an enumeration of the item's own ("met: 1. … 2. …", "① … ③ …" in a "•" item) stays inline.
"A. … B. …" on the line after a lead-in ending with ":" is a sub-list. Markup leftovers
(`<!-- -->`) and lines of lone punctuation are no items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["semicolon_clauses", "split_criteria", "split_items", "strip_marker"]

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


# "A. portal vein …": an upper-case letter with a period is a marker only where a list is expected
# (right after a lead-in ending with ":", or after a sibling "A." item); elsewhere it is an initial.
_UPPER_DOT_RE = re.compile(r"^(?P<marker>[A-Z]\.)\s+(?=\S)")
_UPPER_MARKER_RE = re.compile(r"[A-Z]\.")
_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
_PUNCTUATION_RE = re.compile(rf"[-*•⁃‣◦●○▪▫■□·∙–—+.:;,{_CIRCLED}]+")  # a line of it is no text
_BARE_RE = re.compile(rf"{_PUNCTUATION_RE.pattern}|\(?\d{{1,3}}[.)]?\)?")
_INLINE_BULLETS = "•⁃"  # bullets that also separate items run together on one line
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
_ROMAN_OF = {value: numeral for numeral, value in _ROMAN.items()}
_MAX_DEPTH = 6  # open list levels tracked below the top level
_CIRCLED_BASES = (0x2460, 0x2776, 0x2780, 0x278A)  # ①, ❶, ➀, ➊: each its own numbering


@dataclass(slots=True)
class _Line:
    indent: int
    marker: str  # "" when the line carries no list marker
    text: str  # the content after the marker
    raw_len: int


@dataclass(slots=True)
class _Level:
    """One open list: its numbering style ("#.", "(#)", "a)", "circled2460", "bullet•" …) and last value."""

    kind: str
    last: int


def strip_marker(text: str) -> str:
    """Remove one leading bullet or numbering ("1.", "(2)", "•", "⁃", "①", "a)") and trim."""
    stripped = text.strip()
    m = _MARKER_RE.match(stripped)
    if m and stripped[m.end():].strip():
        return stripped[m.end():].strip()
    return stripped


def _parse_line(raw: str) -> _Line:
    expanded = (raw.expandtabs(4) if "\t" in raw else raw).rstrip()
    body = expanded.lstrip()
    indent = len(expanded) - len(body)
    m = _MARKER_RE.match(body)
    if m and (rest := body[m.end():].strip()):
        return _Line(indent, m["marker"], rest, len(expanded))
    return _Line(indent, "", body, len(expanded))


def _prepare(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    return _COMMENT_RE.sub(" ", text).split("\n")


def _first_word_len(text: str) -> int:
    return len(text.split(" ", 1)[0])


def _is_bare_marker(text: str) -> bool:
    return bool(_BARE_RE.fullmatch(text))


def _soft_marker(line: _Line, prev: _Line | None, prev_marker: str) -> _Line:
    """Promote "A. text" to a marker line when it opens or continues a lettered sub-list."""
    m = _UPPER_DOT_RE.match(line.text) if not line.marker else None
    if m is None or prev is None:
        return line
    opens = m["marker"] == "A." and prev.text.endswith(":")
    continues = bool(_UPPER_MARKER_RE.fullmatch(prev_marker))
    if not (opens or continues):
        return line
    return _Line(line.indent, m["marker"], line.text[m.end():].strip(), line.raw_len)


def semicolon_clauses(text: str) -> list[str]:
    """"a; b (x; y); c" -> ["a", "b (x; y)", "c"]: split at semicolons outside brackets."""
    out: list[str] = []
    depth, begin = 0, 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch == ";" and depth == 0:
            out.append(text[begin:i])
            begin = i + 1
    out.append(text[begin:])
    return [c.strip() for c in out if c.strip()]


def split_items(text: str) -> list[str]:
    """Split one list of criteria (no section headings) into items, one per criterion."""
    lines = _prepare(text)
    parsed = [_parse_line(line) if line.strip() and not _PUNCTUATION_RE.fullmatch(line.strip()) else None
              for line in lines]
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
        line = _soft_marker(line, prev, items[-1][0] if items else "")
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
    if len(items) == 1 and not items[0][0] and len(items[0][1]) == 1:
        clauses = semicolon_clauses(items[0][1][0])
        if len(clauses) >= 2:  # one unmarked paragraph of "a; b; c" clauses is a list (GUIDELINES §6 v2)
            return clauses
    result: list[str] = []
    stack: list[_Level] = []  # every open list level, outermost first
    for marker, parts in items:
        joined = " ".join(" ".join(parts).split())
        if marker:
            _enter(stack, _readings(marker))
        for piece in _split_run_on(joined, stack):
            piece = strip_marker(piece) if not marker else piece.strip()
            if piece and not _is_bare_marker(piece):
                result.append(piece)
    return result


@lru_cache(maxsize=1024)
def _readings(marker: str) -> tuple[tuple[str, int], ...]:
    """Memoized: a pure function of the marker, and markers recur on every page."""
    return tuple(_marker_readings(marker))


_READING_RE = re.compile(r"(\(?)((?:\d{1,3}\.)*)(\d{1,3}|[a-zA-Z]+)([.)])")


def _marker_readings(marker: str) -> list[tuple[str, int]]:
    """(kind, value) readings of a line-start marker; "i." may be the letter i or the numeral 1.

    A kind is the marker with its number replaced by a placeholder ("#." "(#)" "2.#." "a)" "(A)"
    "i."), "circled…" for each family of circled numbers, "bullet…" for each bullet glyph."""
    if len(marker) == 1:
        code = ord(marker)
        for base in _CIRCLED_BASES:
            if base <= code < base + _circled_count(base):
                return [(f"circled{base:x}", code - base + 1)]
        return [(f"bullet{marker}", 0)]
    m = _READING_RE.fullmatch(marker)
    if m is None:
        return [(marker, 0)]
    opening, prefix, core, close = m.groups()
    if core.isdigit():
        return [(f"{opening}{prefix}#{close}", int(core))]
    readings: list[tuple[str, int]] = []
    if core.islower() and core in _ROMAN:
        readings.append((f"{opening}i{close}", _ROMAN[core]))
    if len(core) == 1:
        letter = "a" if core.islower() else "A"
        readings.append((f"{opening}{letter}{close}", ord(core.lower()) - ord("a") + 1))
    return readings or [(marker, 0)]


def _circled_count(base: int) -> int:
    return 20 if base == 0x2460 else 10


def _enter(stack: list[_Level], readings: tuple[tuple[str, int], ...]) -> None:
    """Update the open lists for a line-start marker: continue an open level (closing the levels
    inside it), start a sub-list at 1, or carry on the innermost list after a gap."""
    for depth in range(len(stack) - 1, -1, -1):
        level = stack[depth]
        for kind, value in readings:
            if level.kind == kind and (value == level.last + 1 or kind.startswith("bullet")):
                del stack[depth + 1:]
                level.last = value
                return
    kind, value = min(readings, key=lambda reading: reading[1] != 1)
    if value != 1 and stack and stack[-1].kind == kind:
        stack[-1].last = value  # a gap in the innermost list
    else:
        stack.append(_Level(kind, value))
        del stack[1:-_MAX_DEPTH]  # keep the top level and the innermost ones: bounded work per item


@lru_cache(maxsize=4096)
def _token(kind: str, value: int) -> tuple[str, re.Pattern[str]] | None:
    """The pattern of item `value` of a list of `kind` run on inside a line (None: never inline),
    with the literal every match starts with (a cheap `str.find` rules most lines out).
    Memoized: a pure function of two small values, asked for each item of every list."""
    if kind.startswith("bullet"):
        glyph = kind[len("bullet"):]
        return (glyph, re.compile(rf"(?<=\s){re.escape(glyph)}\s*(?=\S)")) if glyph in _INLINE_BULLETS else None
    if kind.startswith("circled"):
        base = int(kind[len("circled"):], 16)
        glyph = chr(base + value - 1)
        return (glyph, re.compile(rf"(?<=.){glyph}\s*(?=\S)")) if value <= _circled_count(base) else None
    placeholder = next((c for c in "#aAi" if c in kind), None)
    numeric = placeholder == "#"
    if placeholder is None:
        return None
    if numeric:
        label = str(value)
    elif placeholder in "aA":
        if value > 26:
            return None
        label = chr(ord(placeholder) + value - 1)
    elif value in _ROMAN_OF:
        label = _ROMAN_OF[value]
    else:
        return None
    literal = kind.replace(placeholder, label)
    text = re.escape(literal)
    paren = kind.startswith("(")
    # "e.g. b." is no list item: a letter needs a space or , ; : before it, a number may follow a "."
    before = r"(?<=[\s;,.:])" if numeric or paren else r"(?<=[\s;,:])"
    if paren:
        after = r"\s*(?=\S)"
    elif numeric:
        after = r"(?:\s+(?=\S)|(?=[^\W\d_]))"  # "11.Patients" runs on without a space; "1.5" is a decimal
    else:
        after = r"\s+(?=\S)"
    return literal, re.compile(before + text + after)


def _split_run_on(text: str, stack: list[_Level]) -> list[str]:
    """Split where the next item of an open list (any level, not only the innermost) is run on in
    the text, updating `stack`. A "1." (or "a)", "①" …) inside an item opens an enumeration of its
    own; its next numbers stay inline even when they would also continue an open list."""
    pieces: list[str] = []
    inline: dict[str, int] = {}  # kind -> last value of an enumeration written inside this piece
    cut = pos = 0
    while True:
        # (rank, kind, value, depth); rank breaks ties
        candidates = [(0, kind, last + 1, -1) for kind, last in inline.items()] if inline else []
        if len(stack) == 1:  # the common case, one open list: its next item, or a "1." of the item's own
            kind = stack[0].kind
            candidates.append((1, kind, stack[0].last + 1, 0))
            if not kind.startswith("bullet"):
                candidates.append((2, kind, 1, -1))
        else:
            candidates += [(1, level.kind, level.last + 1, depth) for depth, level in enumerate(stack)]
            candidates += [(2, kind, 1, -1) for kind in dict.fromkeys(level.kind for level in stack)
                           if not kind.startswith("bullet")]
        # earliest hit first; at one place an inline enumeration, then the innermost list, wins
        best: tuple[int, int, int, int, str] | None = None  # (start, rank, -depth, end, kind)
        for rank, kind, value, depth in candidates:
            token = _token(kind, value)
            if token is None:
                continue
            at = text.find(token[0], pos)
            if at < 0 or (best is not None and at > best[0]):
                continue  # a match starts with the literal: none here, or none before the best one
            hit = token[1].search(text, at)
            if hit and (best is None or (hit.start(), rank, -depth) < best[:3]):
                best = (hit.start(), rank, -depth, hit.end(), kind)
        if best is None:
            break
        start, rank, depth, end, kind = best
        depth = -depth
        if rank == 1:
            pieces.append(text[cut:start])
            cut = end
            del stack[depth + 1:]
            stack[depth].last += 1
            inline.clear()
        else:
            inline[kind] = inline.get(kind, 0) + 1 if rank == 0 else 1
        pos = end
    pieces.append(text[cut:])
    return [piece.strip() for piece in pieces if piece.strip()]


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
