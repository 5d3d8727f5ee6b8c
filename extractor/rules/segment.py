"""Segment a registry page into labelled sections in one pass over its lines.

Every layout the rules meet reduces to "a known label, then the text it owns": "Label: value"
on one line, a label line with its value on the next line(s) (also markdown "- Label" / "- value"
pairs), or a heading followed by a block. Which labels exist, and whether a label owns one value
or a whole block, is the lexicon's business; this module only walks the lines once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extractor.rules.header_tables import HeadTable, find_tables
from extractor.rules.lexicon import KINDS, NUMBERED_CODE_RE, SUBLABELS, Kind, flag, is_blurb, is_chrome, lookup

__all__ = ["Line", "Page", "Section", "segment", "strip_marker"]

_NUMBERED_RE = re.compile(r"^(?:\(?\d{1,3}[.)]|\(\d{1,3}\)|[\u2460-\u2473])\s*\S")
_MARKER_RE = re.compile(r"^(?:#{1,6}\s+|[-*•·▪●◦⁃]\s+)")
_BOLD_RE = re.compile(r"\*\*|__")
_FLAG_RE = re.compile(r"^[\U0001F1E6-\U0001F1FF\s]+")
_COLON_RE = re.compile(r"\s*[:：]\s*|\s*\t\s*")  # "Label: value", and table cells kept apart by tabs
_DETAILS_CELL_RE = re.compile(r"^(?:Details|Description)\s*\t\s*", re.IGNORECASE)
_LETTER_HEADING_RE = re.compile(r"^[A-P]\.\s+(?=[A-Z]{2,}\b|[A-Z][a-z]+ [A-Z])")
_LIST_KEYS = frozenset({"inclusion", "exclusion", "eligibility"})
_SUBLABEL_CELL_RE = re.compile(r"^([A-Za-z ]{2,25}?)\s*(?:\t|[:：])\s*")
_SPACED_RE = re.compile(r"\S {2,}(?=\S)")  # "Sponsor  Acme Inc.": cells kept apart by a run of spaces
_SPACE_RUN_RE = re.compile(r" {2,}")
# Blocks that an unknown "Label<TAB>value" row ends: a field row of the registry's table is no list item.
_TERMINABLE = frozenset({"conditions", "keywords", "secondary_ids", "collaborators", "primary_outcomes",
                         "secondary_outcomes", "inclusion", "exclusion", "brief_summary", "detailed_description",
                         "interventions", "eligibility", "design", "status_block"})
# Lists of short values, where even a "Label: value" line (not only a tab row) is another field.
_SHORT_LISTS = frozenset({"conditions", "keywords", "collaborators", "secondary_ids"})
_UNKNOWN_LABEL_RE = re.compile(r"^[A-Z][A-Za-z'’()/&,.-]*(?: [A-Za-z'’()/&,.-]+){0,7}:?$")
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
                # "Name<TAB>Acme University": the cell after the sub-label (the regex needs a tab or colon)
                cell = _SUBLABEL_CELL_RE.match(text) if "\t" in text or ":" in text or "：" in text else None
                if cell and cell.group(1).lower() in SUBLABELS:
                    return text[cell.end():].strip() or None
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
        idx = self._index.get(key)
        if idx is None:
            return []  # most keys name no section of a page
        sections = self.sections
        return [sections[i] for i in idx]

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
    fields = _field_rows(text) if "\t" in text else {}
    skip = -1
    for raw in text.split("\n"):
        line_start = pos
        pos += len(raw) + 1
        stripped = raw.strip()
        if not stripped or line_start == skip:
            continue
        table = fields.get(line_start) if fields else None
        if table is not None:  # "Gender<TAB>Minimum age<TAB>…" over one row of values: a field each
            skip = table.row_starts[0]
            for head, value in zip(table.header, table.rows[0]):
                found = lookup(head.text.rstrip(":： "))
                if found is not None and value.text and (KINDS[found[0]] is Kind.SCALAR or found[0] in _CRITERIA_KEYS):
                    sections.append(Section(found[0], head.text.rstrip(":： "), head.start, found[1], inline=True,
                                            lines=[Line(value.text, value.start)], container=container))
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
        coded = False
        if first in _CODE_FIRST and stripped[1:2] == ".":  # "E.5.1.1<TAB>Timepoint(s) ...": drop the code
            code = NUMBERED_CODE_RE.match(stripped)
            if code is None and current.key not in _LIST_KEYS:
                code = _LETTER_HEADING_RE.match(stripped)  # "D. IMP Identification": a lettered part heading
            if code and code.end() < len(stripped):
                coded = True
                start += code.end()
                stripped = stripped[code.end():]
                first = stripped[0]
        if first in "DdEe" and "\t" in stripped and sections[container].key in _CRITERIA_KEYS:
            cell = _DETAILS_CELL_RE.match(stripped)  # CTRI "Details<TAB>1. Children aged …"
            if cell and cell.end() < len(stripped):
                start += cell.end()
                stripped = stripped[cell.end():]
                first = stripped[0]
        numbered = (first.isdigit() or first in "(\u2460\u2461\u2462\u2463\u2464") and bool(_NUMBERED_RE.match(stripped))
        bulleted = numbered or (first in _MARKER_CHARS and bool(_MARKER_RE.match(stripped)))
        if not numbered:
            bare = strip_marker(stripped) if first in _MARKER_CHARS or "**" in stripped or "__" in stripped \
                else stripped.strip()
            found = lookup(bare.rstrip(":： ").rstrip("?")) if len(bare) <= 72 else None
            if found is None and coded and "," in bare and "\t" not in bare:
                found = lookup(bare.split(",", 1)[0])  # "Title of the trial for lay people, in easily …"
            if found is None and coded and "\t" in bare:  # a coded table row: "A.3.1<TAB>Label, …<TAB>value"
                row_label, _, row_value = bare.partition("\t")
                row = lookup(row_label.rstrip(":： ")) or (lookup(row_label.split(",", 1)[0]) if "," in row_label else None)
                if row is not None and KINDS[row[0]] is Kind.SCALAR and row_value.strip():
                    coded_row = Section(row[0], row_label, start, row[1], inline=True, container=container,
                                      lines=[Line(row_value.strip(), start + len(bare) - len(row_value.lstrip()))])
                    current = coded_row
                    sections.append(coded_row)
                    continue
            if found is not None and current.key == "brief_summary" and bare.endswith("?"):
                found = None  # "Who can participate?" inside a lay summary is one of its sub-headings
            if found is not None:
                key, qualifier = found
                current = Section(key, bare.rstrip(":： "), start, qualifier, container=container)
                sections.append(current)
                if KINDS[key] is Kind.BLOCK:
                    container = current.container = len(sections) - 1
                fresh = True
                continue
            section = None
            if " / " in bare[:120] and ("\t" in bare or _BILINGUAL_RE.match(bare)):  # "研究名称 / Scientific Title<TAB>…<TAB>English value"
                section = _bilingual(bare, stripped, start, container)
            lead = bare[1:74]  # most lines hold no separator at all: `_inline` is for those that do
            if section is None and (":" in lead or "\t" in lead or "：" in lead or "  " in lead):
                section = _inline(bare, stripped, start, current, container, bulleted)
            if section is None and (coded or (current.key in _TERMINABLE and "\t" in stripped and current.lines
                                              and not _under_header_row(current))):
                section = _unknown_label(bare, start, coded, container)
            elif section is None and current.key in _SHORT_LISTS and ": " in bare[:40] \
                    and not _under_header_row(current):
                section = _unknown_label(bare.replace(": ", "\t", 1), start, coded, container)
            if section is not None:
                current = section
                sections.append(section)
                if section.kind is Kind.BLOCK:
                    container = section.container = len(sections) - 1
                continue
        current.lines.append(Line(stripped, start, bulleted))
    return Page(text, sections)


_CODE_FIRST = frozenset("ABCDEFGHIJKLMNOP")


def _field_rows(text: str) -> dict[int, HeadTable]:
    """Header tables of one body row whose column names include two or more field labels,
    keyed by where the header line starts."""
    out: dict[int, HeadTable] = {}
    for table in find_tables(text):
        if len(table.rows) != 1:
            continue
        known = [lookup(c.text.rstrip(":： ")) for c in table.header if c.text]
        if sum(1 for k in known if k is not None and KINDS[k[0]] is Kind.SCALAR) >= 2:
            out[table.start] = table
    return out


_BILINGUAL_RE = re.compile(r"^[^\x00-\x7f][^/]* / [\x20-\x7e（）]+$")  # "対象疾患コード / Code"
_PAREN_RE = re.compile(r"\s*[(（][^()（）]*[)）]\s*$")


def _bilingual(bare: str, stripped: str, start: int, container: int) -> Section | None:
    """A bilingual row, "label / English label<TAB>value<TAB>English value": the label looked up in
    either language (less a trailing "(Acronym)"), the value its last cell (the English one)."""
    cells = bare.split("\t")
    if " / " not in cells[0] and len(cells) >= 3 and " / " in cells[1]:
        cells = cells[1:]  # a group cell before the label ("進捗状況<TAB>進捗状況 / Recruitment status<TAB>…")
    head = cells[0]
    if " / " not in head:
        return None
    found = None
    for part in reversed(head.split(" / ")):
        part = part.strip().rstrip(":： ")
        found = lookup(_PAREN_RE.sub("", part)) or lookup(part)
        if found is not None:
            break
    if found is None:  # a field row all the same: it ends the list or text before it
        return Section("ignore", head, start, inline=True, container=container)
    values = [c.strip() for c in cells[1:] if c.strip()]
    section = Section(found[0], head, start, found[1], inline=True, container=container)
    if values:
        value = values[-1]
        section.lines.append(Line(value, start + max(stripped.rfind(value), 0)))
    return section


def _under_header_row(section: Section) -> bool:
    """The section's first line is a tab row (column names): tab rows under it are its table body."""
    return bool(section.lines) and "\t" in section.lines[0].text


def _unknown_label(bare: str, start: int, coded: bool, container: int) -> Section | None:
    """A field row whose label the lexicon does not know ("Therapeutic area<TAB>...", a numbered
    "E.2.1 Main objective"): an "ignore" section, so it ends the list or text before it."""
    if not coded:
        cells = bare.split("\t")
        head = cells[0].strip()
        if len(cells) != 2 or len(head) > 60 or head.lower().rstrip(": ") in SUBLABELS \
                or not _UNKNOWN_LABEL_RE.match(head):
            return None
    return Section("ignore", bare.split("\t")[0].strip(), start, inline=True, container=container)


def _inline(bare: str, stripped: str, start: int, current: Section, container: int,
            bulleted: bool) -> Section | None:
    """A "Label: value" line as a section holding its value, or None."""
    head = bare[1:74]
    tab = "\t" in head
    if ":" not in head and not tab and "：" not in head and "  " not in head:
        return None  # most lines hold no separator at all; the regex is the dear way to learn that
    colon = _COLON_RE.search(bare, 1, 74)
    found = None
    if tab and colon is not None and colon.start() < bare.find("\t"):  # "Public Title: Acronym<TAB>X"
        cell = re.search(r"\s*\t\s*", bare)
        found = lookup(bare[: cell.start()].replace(":", " ")) if cell is not None else None
        colon = cell if found is not None else colon
    if found is None and colon is not None:
        found = lookup(bare[: colon.start()].rstrip("?"))
    if found is None and tab:  # "Overall trial: Planned number<TAB>760": the tab is the separator
        colon = re.search(r"\s*\t\s*", bare)
        found = lookup(bare[: colon.start()].rstrip(":? ")) if colon is not None else None
    if found is None and "  " in head:  # "Information provided by  Acme (Responsible Party)"
        spaced = _SPACED_RE.search(bare, 0, 74)
        if spaced is not None:
            colon = _SPACE_RUN_RE.search(bare, spaced.start())
            if colon is not None and "  " not in bare[colon.end():]:  # a menu row has more runs
                found = lookup(bare[: spaced.start() + 1].rstrip(":?"))
    if found is None and colon is not None:
        label = bare[: colon.start()].rstrip(":?")
        value = bare[colon.end():].strip().rstrip(".").lower()
        flagged = flag(label) if value in ("yes", "no") else None
        if flagged is not None:  # "Double blind<TAB>Yes"
            found = ("flag", None)
    if found is None or colon is None:
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
