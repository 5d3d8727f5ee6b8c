"""Arms, interventions and outcomes: blocks and tables whose cells were glued into text.

HTML tables lose their cell borders when a page becomes text ("SorafenibSorafenibSorafenib
(Nexavar) ...", "Recurrence free survival2 years"). The column structure the header announces,
the names the page gives elsewhere and the forms of the values (a time frame starts with a
number and a unit, or with "From", "Up to" ...) put the borders back; a row that cannot be split
that way is left out rather than guessed.
"""

from __future__ import annotations

import re
from typing import Any

from extractor.rules.lexicon import lookup
from extractor.rules.parsers import parse_enum, split_values
from extractor.schema import ArmType, InterventionType, clean_text
from extractor.rules.segment import Page, Section, strip_marker

__all__ = [
    "arms_and_interventions",
    "outcomes",
    "parse_arm_header",
    "parse_arm_suffix",
    "parse_typed_intervention",
    "split_glued_cells",
    "split_outcome_row",
    "split_timeframe",
]


def _bare_lines(lines: list[Any]) -> list[str]:
    return [strip_marker(line.text) for line in lines]


# ---------------------------------------------------------------- arms, interventions

_PREFIX_RE = re.compile(r"^([A-Za-z][A-Za-z _/-]{1,30}?)\s*:\s*(\S.*)$")


def parse_arm_header(line: str) -> tuple[str, str] | None:
    """("EXPERIMENTAL"-able type text, label) for "Experimental: Arm A"; None otherwise."""
    m = _PREFIX_RE.match(line)
    if not m or parse_enum(ArmType, m.group(1)) is None:
        return None
    return m.group(1), m.group(2).strip()


_SUFFIX_RE = re.compile(r"^(.{1,150}?)\s*\(([A-Za-z][A-Za-z _/-]{2,30})\)$")


def parse_arm_suffix(line: str) -> tuple[str, str] | None:
    """(type text, label) for "Arm A (Experimental)", "Placebo (PLACEBO_COMPARATOR)"; None otherwise."""
    m = _SUFFIX_RE.match(line)
    if not m or parse_enum(ArmType, m.group(2)) is None:
        return None
    return m.group(2), m.group(1).strip()


def parse_typed_intervention(line: str) -> tuple[str, str] | None:
    """(type text, name) for "Drug: Lenvatinib", "Procedure: Liver Resection"; None otherwise."""
    m = _PREFIX_RE.match(line)
    if not m or parse_enum(InterventionType, m.group(1)) is None:
        return None
    return m.group(1), m.group(2).strip()


_CAMEL_RE = re.compile(r"(?<=[a-z)\].])(?=[A-Z])")


def split_glued_cells(row: str, known: list[str], cells: int = 3) -> list[str] | None:
    """Split a table row whose cells were glued ("SorafenibSorafenibSorafenib (Nexavar) ...").

    A name the page gives elsewhere marks the second cell's span; otherwise the first
    `cells - 1` lower->upper case boundaries do, when the cells before them are short names.
    """
    for name in sorted(known, key=len, reverse=True):
        pos = row.find(name, 1)
        if pos > 0:
            first = row[:pos].strip()
            rest = row[pos + len(name):].strip()
            if first and len(first) <= 80:
                return [first, name, rest][:cells]
    bounds = [m.start() for m in _CAMEL_RE.finditer(row)][: cells - 1]
    if len(bounds) < cells - 1:
        return None
    parts = [row[i:j] for i, j in zip([0] + bounds, bounds + [len(row)])]
    if any(not p.strip() or len(p) > 60 or len(p.split()) > 6 or p != p.strip() for p in parts[:-1]):
        return None
    return [p.strip() for p in parts]


# ---------------------------------------------------------------- outcomes

_UNIT = r"(?:years?|yrs?|months?|mos?|weeks?|wks?|days?|hours?|hrs?|minutes?|mins?)"
_TIME_NUM_RE = re.compile(rf"[1-9]\d*\s*(?:(?:-|–|to)\s*\d+\s*)?{_UNIT}\b", re.IGNORECASE)
_TIME_WORD_RE = re.compile(
    r"(?:From|Up to|Until|Through|Throughout|At|Baseline|Within|During|After|Before|Every|Each|"
    r"Approximately|Over|End of|Day|Week|Month|Year|Screening|Cycle|Visit|Time from|Assessed)\b"
)
_SPACED_TIME_RE = re.compile(
    rf"\s([1-9]\d*\s*"
    rf"(?:(?:-|–|to)\s*\d+\s*)?{_UNIT}\b(?:\s*(?:,|and|or|/)\s*[1-9]\d*\s*-?\s*{_UNIT}\b)*)",
    re.IGNORECASE,
)
# Where a glued time frame may begin: a digit or a capital stuck to the text before it.
_GLUE_RE = re.compile(r"(?<=\S)(?=[1-9])|(?<=[a-z)\].])(?=[A-Z])")
_DANGLING_RE = re.compile(r"\b(?:at|in|within|by|after|over|to|of|for|and|per|every)$", re.IGNORECASE)


def split_timeframe(row: str) -> tuple[str, str | None]:
    """Split a glued "measure + time frame" cell pair: "Overall survival3 years, 5 years"."""
    for m in _GLUE_RE.finditer(row):
        i = m.start()
        if (_TIME_NUM_RE if row[i].isdigit() else _TIME_WORD_RE).match(row, i):
            return row[:i].strip(), row[i:].strip()
    return row.strip(), None


def split_outcome_row(row: str) -> tuple[str, str, str | None] | None:
    """A spaced "measure time-frame description" row: split at its first time expression."""
    m = _SPACED_TIME_RE.search(row)
    if not m:
        return None
    measure = row[: m.start()].strip()
    if not measure or _DANGLING_RE.search(measure):
        return None
    description = row[m.end():].strip() or None
    return measure, m.group(1).strip(), description



_HEADER_RE = re.compile(r"^Group\s*Intervention\s*Description\s*", re.IGNORECASE)
_OUTCOME_HEADER_RE = re.compile(r"^(?:Name|Measure|Outcome(?: Measure)?)\s*Time(?:\s*Frame)?\s*(?:Method|Description)?\s*",
                                re.IGNORECASE)
_CELL_HEADS = {"outcome": "measure", "outcomes": "measure", "name": "measure", "measure": "measure",
               "timepoints": "time", "timepoint": "time", "time frame": "time", "time": "time"}
_TIME_FRAME_RE = re.compile(r"^(.*?)\s*\[\s*Time\s*Frame\s*:\s*(.*?)\s*\]\s*$", re.IGNORECASE)


def arms_and_interventions(page: Page) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Interventions from typed lines or name/description pairs; arms from arm blocks or
    from a glued Group|Intervention|Description table; links mirrored both ways."""
    interventions: list[dict[str, Any]] = []
    for section in page.all("interventions"):
        lines = _bare_lines(section.lines)
        if section.inline:  # "Intervention(s): Drug: A; Drug: B": only typed pieces name one
            lines = [p for p in split_values(lines) if parse_typed_intervention(p) is not None]
        typed_block = False
        owner: dict[str, Any] | None = None
        for text in lines:
            typed = parse_typed_intervention(text)
            typed_block = typed_block or typed is not None
            if typed is not None:
                owner = None  # a repeated "Type: Name" line: its text is not the first one's
                if not any(i["name"] == typed[1] and i["type"] == typed[0] for i in interventions):
                    owner = {"type": typed[0], "name": typed[1], "description": None}
                    interventions.append(owner)
            elif typed_block:  # in a typed list, untyped lines describe the item above them
                if owner is not None:
                    owner["description"] = f"{owner['description']}\n{text}" if owner["description"] else text
            elif interventions and interventions[-1]["description"] is None and _is_prose(text):
                interventions[-1]["description"] = text
            elif _is_name(text):
                interventions.append({"type": None, "name": text, "description": None})
    by_name = {i["name"]: i for i in interventions}
    arms: list[dict[str, Any]] = []
    for section in page.all("arms"):
        lines = _bare_lines(section.lines)
        skip = False
        for i, text in enumerate(lines):
            if skip:
                skip = False
                continue
            header = parse_arm_header(text) or parse_arm_suffix(text)
            typed = parse_typed_intervention(text)
            current = arms[-1] if arms else None
            if header is not None and typed is not None and current is not None and current["description"]:
                header = None  # "Other: Placebo" after an arm's text names its intervention
            if header is not None and (len(text) <= 150 or current is None or current["description"]):
                arms.append({"label": header[1], "type": header[0], "description": None, "intervention_names": []})
            elif text in by_name and current is not None:
                current["intervention_names"].append(text)
                nxt = lines[i + 1] if i + 1 < len(lines) else None
                skip = nxt is not None and nxt == by_name[text]["description"]
            elif typed is not None and current is not None:  # "Drug: X" inside an arm block
                current["intervention_names"].append(typed[1])
                if typed[1] not in by_name:
                    by_name[typed[1]] = {"type": typed[0], "name": typed[1], "description": None}
                    interventions.append(by_name[typed[1]])
            elif current is not None and current["description"] is None and (
                    _is_prose(text) or (current["type"] and not current["intervention_names"])):
                # a typed arm's next line is its description, however short
                current["description"] = text
            elif _is_name(text):
                arms.append({"label": text, "type": None, "description": None, "intervention_names": []})
    for section in page.all("arm_table"):
        _arm_table(section, arms, interventions, by_name)
    labels = {a["label"] for a in arms}
    for arm in arms:
        for name in arm["intervention_names"]:
            if name in by_name and arm["label"] in labels:
                by_name[name].setdefault("arm_labels", []).append(arm["label"])
    arms = [a for a in arms if a["description"] or a["type"] or a["intervention_names"]]
    return arms, interventions


def _arm_table(section: Section, arms: list[dict[str, Any]], interventions: list[dict[str, Any]],
               by_name: dict[str, dict[str, Any]]) -> None:
    lines = _bare_lines(section.lines)
    if not lines or not _HEADER_RE.match(lines[0]):
        return
    lines[0] = _HEADER_RE.sub("", lines[0], count=1)
    for row in (r for r in lines if r):
        cells = split_glued_cells(row, list(by_name))
        if cells is None or len(cells) < 2:
            continue
        label, name = cells[0], cells[1]
        description = cells[2] if len(cells) > 2 and cells[2] else None
        arms.append({"label": label, "type": None, "description": description, "intervention_names": [name]})
        if name not in by_name:
            by_name[name] = {"type": None, "name": name, "description": None}
            interventions.append(by_name[name])


# Not intervention or arm names: a language tag ("en", "pt-br"), a thesaurus code ("E02.831.387 …"),
# a label with a plural mark ("Outcome(s)"), a flattened table row.
_NOT_NAME_RE = re.compile(r"^(?:[a-z]{2,3}(?:-[a-z]{2,4})?|[A-Z]\d{2}(?:\.\d{1,4})+\b.*|.*\(s\)\s*:?)$")


def _is_name(text: str) -> bool:
    if not 0 < len(text) <= 100 or len(text.split()) > 12 or text.endswith((".", ";", ":")):
        return False
    return "\t" not in text and not _NOT_NAME_RE.match(text) and lookup(text) is None


def _is_prose(text: str) -> bool:
    return len(text) > 100 or text.endswith((".", ";")) or len(text.split()) > 12


def outcomes(page: Page, key: str) -> list[dict[str, Any]]:
    """Outcomes from a glued or spaced Name|Time|Method table, "[Time Frame: …]" lines, or one
    measure per line; a "Time Frame"/"Timepoint" label right after an outcome is its time frame."""
    found: list[dict[str, Any]] = []
    for index, section in enumerate(page.sections):
        if section.key == "timepoint" and found and page.sections[section.container].key == key:
            if found[-1]["time_frame"] is None and section.value:
                found[-1]["time_frame"] = section.value
            continue
        if section.key != key:
            continue
        lines = [t for t in _bare_lines(section.lines) if t]
        if not lines:
            continue
        columns = _tab_header(lines[0])
        if columns is not None:  # "Outcome Measure<TAB>Measure Description<TAB>Time Frame" rows
            found.extend(_tab_outcomes(columns, lines[1:]))
            continue
        header = _OUTCOME_HEADER_RE.match(lines[0])
        if len(lines) > 2 and _CELL_HEADS.get(lines[0].lower()) == "measure" and _CELL_HEADS.get(lines[1].lower()) == "time":
            # a two-column table flattened one cell per line: measure, time, measure, time ...
            cells = lines[2:]
            found.extend({"measure": m, "time_frame": t, "description": None} for m, t in zip(cells[::2], cells[1::2]))
        elif header and header.end() == len(lines[0]):
            found.extend(_glued_outcomes(lines[1:]))
        elif header:
            lines[0] = lines[0][header.end():]
            for row in lines:
                parts = split_outcome_row(row)
                if parts is not None:
                    found.append({"measure": parts[0], "time_frame": parts[1], "description": parts[2]})
        else:
            found.extend(_plain_outcomes(lines))
    return found


_TAB_HEADS = {"outcome measure": "measure", "outcome": "measure", "measure": "measure", "outcomes": "measure",
              "name": "measure", "measure description": "description", "description": "description",
              "time frame": "time_frame", "timepoints": "time_frame", "timepoint": "time_frame",
              "time points": "time_frame", "time": "time_frame"}


def _tab_header(line: str) -> list[str] | None:
    """The columns of a tab-separated outcome table header, or None when the line is no such header."""
    if "\t" not in line:
        return None
    cells = [_TAB_HEADS.get(c.strip().lower(), "") for c in line.split("\t")]
    if "measure" not in cells or "" in cells or len(set(cells)) != len(cells):
        return None
    return cells


def _tab_outcomes(columns: list[str], rows: list[str]) -> list[dict[str, Any]]:
    """One outcome per row whose tab-separated cells match the header's column count."""
    out: list[dict[str, Any]] = []
    for row in rows:
        cells = [c.strip() for c in row.split("\t")]
        if len(cells) != len(columns):
            continue
        found: dict[str, Any] = {"measure": None, "time_frame": None, "description": None}
        for column, cell in zip(columns, cells):
            found[column] = cell or None
        if found["measure"]:
            out.append(found)
    return out


def _glued_outcomes(lines: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    strict = len(lines) % 2 == 0
    for i, line in enumerate(lines):
        measure, time = split_timeframe(line)
        is_description = (i % 2 == 1) if strict else (time is None and bool(out))
        if is_description and out and out[-1]["description"] is None:
            out[-1]["description"] = line
        elif not is_description:
            out.append({"measure": measure, "time_frame": time, "description": None})
    return out


def _plain_outcomes(lines: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for line in (clean_text(raw) for raw in lines):
        m = _TIME_FRAME_RE.match(line)
        if m:
            out.append({"measure": m.group(1), "time_frame": m.group(2), "description": None})
        elif out and out[-1]["time_frame"] is not None and out[-1]["description"] is None and _is_prose(line):
            out[-1]["description"] = line
        else:
            out.extend({"measure": v, "time_frame": None, "description": None} for v in split_values([line]))
    return out
