"""The deterministic rules extractor: page text -> TrialRecord, no model involved.

It reads only what the page states under a known label (or, for bare values, what a value's
form makes unambiguous), because the rules also check the LLM: a value given here must be
right, so a field is left empty rather than guessed. Values go to `TrialRecord` as display
text; a value the schema rejects empties that field only.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from extractor.rules.design import read_design
from extractor.rules.eligibility import read_eligibility
from extractor.rules.keyword_fallback import read_fallback
from extractor.rules.lexicon import lookup
from extractor.rules.parsers import (
    condition_name,
    is_bare_date,
    page_date_order,
    parse_date,
    parse_ids,
    parse_period,
    parse_phases,
    parse_status,
    split_values,
)
from extractor.rules.parties import read_parties
from extractor.rules.site_parsers import parse_contacts, parse_locations
from extractor.rules.table_records import read_row_records
from extractor.rules.section_values import NOT_STATED_RE, bare_lines, bare_sections, first_value, put, raw_text
from extractor.schema import TrialRecord
from extractor.rules.segment import Page, Section, segment
from extractor.rules.titles import read_titles
from extractor.rules.arms_outcomes import arms_and_interventions, outcomes

__all__ = ["build_record", "extract_rules", "extract_values"]

_BOLD_RE = re.compile(r"\*\*|__")
# Registry numbers whose form names them; read from the page's header lines only.
_REGISTRY_ID_RE = re.compile(
    r"\b(?:ISRCTN\d{8}|ACTRN\d{14}|ChiCTR[-\w]{6,20}|CTRI/\d{4}/\d{2,3}/\d{4,6}|\d{4}-\d{6}-\d{2}(?:-\d{2})?|"
    r"DRKS\d{8}|IRCT\d{6,}N\d+|JPRN-\w+|KCT\d{7}|TCTR\d{11}|PACTR\d{15}|NL-OMON\d+|EUCTR[-\w]+|"
    r"jRCT[a-z]?\d{9,10}|UMIN\d{9}|RBR-\w{6,8}|U1111-\d{4}-\d{4}|NTR\d{3,5}|NL\d{4,5}|SLCTR/\d{4}/\d{3}|"
    r"RPCEC\d{8}|CRIS-?KCT\d{7}|LBCTR\d{10}|ITMCTR\d+|ChiMCTR\d+)\b"
)
_REGISTERED_RE = re.compile(r"[\[(]\s*Registered on\s*[:：]?\s*([^\])]+?)\s*[\])]", re.IGNORECASE)
_SPACED_ID_RE = re.compile(r"^(.{2,40}?)\s*[:：]?\s+([A-Za-z]*\d[\w/.-]{3,40})$")
_NCT_RE = re.compile(r"\bNCT\d{8}\b", re.IGNORECASE)
_URL_NCT_RE = re.compile(r"clinicaltrials\.gov/(?:study|ct2/show)/(NCT\d{8})", re.IGNORECASE)


def extract_rules(text: str) -> TrialRecord:
    """Read a registry page into a TrialRecord using labels, headings and value forms only."""
    return build_record(extract_values(text))


def build_record(values: dict[str, Any]) -> TrialRecord:
    """Validate field by field: a value the schema rejects is dropped, the rest is kept."""
    values = {k: v for k, v in values.items() if v not in (None, [], "")}
    for _ in range(len(values) + 1):
        try:
            return TrialRecord(**values)
        except ValidationError as exc:
            bad = {err["loc"][0] for err in exc.errors() if err["loc"]}
            if not bad:
                break
            for field in bad:
                values.pop(str(field), None)
    return TrialRecord()


def extract_values(text: str) -> dict[str, Any]:
    """The display values the rules read, keyed by TrialRecord field (before normalization)."""
    page = segment(text)
    out: dict[str, Any] = {}
    _identifiers(page, out)
    read_titles(page, out)
    _status_and_dates(page, out)
    read_design(page, out)
    _lists_and_texts(page, out)
    read_eligibility(page, out)
    read_parties(page, out)
    arms, interventions = arms_and_interventions(page)
    out["arms"], out["interventions"] = arms, interventions
    out["primary_outcomes"] = outcomes(page, "primary_outcomes")
    out["secondary_outcomes"] = outcomes(page, "secondary_outcomes")
    out["locations"] = [site for s in page.all("locations") for site in parse_locations(bare_lines(s.lines))]
    out["contacts"] = [c for s in page.all("contacts") for c in parse_contacts(bare_lines(s.lines))]
    _table_records(text, out)
    read_fallback(page, out)  # unknown label wordings, strictly parsed, for fields still empty
    return out


def _table_records(text: str, out: dict[str, Any]) -> None:
    """Header-table records fill what the labelled blocks left empty; a sponsor table's levels
    ("Primary Sponsor" / "Collaborator") outrank a block's loose lines for the collaborators."""
    found = read_row_records(text)
    put(out, "lead_sponsor", found.lead_sponsor)
    if found.collaborators:
        out["collaborators"] = found.collaborators
    if not out.get("arms") and not out.get("interventions"):
        out["arms"], out["interventions"] = found.arms, found.interventions
    put(out, "locations", found.locations)
    put(out, "contacts", found.contacts)


# ---------------------------------------------------------------- header fields


def _identifiers(page: Page, out: dict[str, Any]) -> None:
    secondary: list[str] = []
    for key in ("nct_id", "registry_id", "secondary_ids"):
        for section in page.all(key):
            lines = bare_lines(section.lines[:1] if key != "secondary_ids" else section.lines)
            if lines and NOT_STATED_RE.match(lines[0]):
                continue  # "Secondary IDs" / "empty": what follows is some other block's
            for ident in parse_ids(_id_run(lines) if key == "secondary_ids" else lines):
                if _NCT_RE.fullmatch(ident):
                    if key != "secondary_ids" or "nct_id" not in out:
                        put(out, "nct_id", ident.upper())
                    if ident.upper() == out.get("nct_id"):
                        continue
                if key != "nct_id" and ident not in secondary:
                    secondary.append(ident)
    own: list[str] = []  # the registry numbers printed in the page's header come first
    for line in [line for s in page.sections if s.key in ("", "status_block") for line in s.lines]:
        for ident in _REGISTRY_ID_RE.findall(line.text):
            if ident not in own:
                own.append(ident)
    secondary = own + [s for s in secondary if s not in own]
    for line in page.sections[0].lines:
        if _NCT_RE.fullmatch(line.text.strip()):  # a bare "NCT06512947" under the page's heading
            put(out, "nct_id", line.text.strip().upper())
        labelled = _SPACED_ID_RE.match(line.text)  # "ClinicalTrials.gov ID NCT01234567"
        found = lookup(labelled.group(1)) if labelled else None
        if labelled and found and found[0] in ("nct_id", "registry_id"):
            ident = labelled.group(2)
            if _NCT_RE.fullmatch(ident):
                put(out, "nct_id", ident.upper())
            elif ident not in secondary:
                secondary.append(ident)
    for section in page.all("registry_id"):  # "CTRI/2099/01/1 [Registered on: 19/08/2099]"
        registered = _REGISTERED_RE.search(section.value or "")
        if registered:
            put(out, "first_posted_date", parse_date(registered.group(1), _date_order(page, registered.group(1)))[0])
    if "nct_id" not in out:
        m = _URL_NCT_RE.search(page.text)
        if m:
            out["nct_id"] = m.group(1).upper()
    out["secondary_ids"] = [s for s in secondary if s.upper() != out.get("nct_id")]


def _id_run(lines: list[str]) -> list[str]:
    """A list of identifiers is one run of lines: the first line without one after it ends the list
    (a block the page left open runs on into addresses and phone numbers)."""
    for i, line in enumerate(lines):
        if not parse_ids([line]) and any(parse_ids([before]) for before in lines[:i]):
            return lines[:i]
    return lines


def _status_and_dates(page: Page, out: dict[str, Any]) -> None:
    for key in ("overall_status", "recruitment_status"):
        for section in page.all(key):
            put(out, "overall_status", parse_status(section.value))
    put(out, "why_stopped", first_value(page, "why_stopped")[0])
    values = [s.value for key in ("start_date", "primary_completion_date", "completion_date", "first_posted_date",
                                  "last_update_date") for s in page.all(key)]
    order = _date_order(page, *values)
    period_end: tuple[str, str | None] | None = None
    for key in ("start_date", "primary_completion_date", "completion_date", "first_posted_date",
                "last_update_date"):
        found: list[tuple[int, str, str | None]] = []
        for section in page.all(key):
            date, qualifier = parse_date(section.value, order)
            if date is None and key == "start_date":  # "Study execute time: From 2099-06-01 To 2100-12-31"
                date, end = parse_period(section.value, order)
                if date and end and period_end is None:
                    period_end = (end, section.qualifier)
            if date:
                qualifier = section.qualifier or qualifier
                found.append((_date_rank(key, section.label, qualifier), date, qualifier))
        if found and key not in out:
            _, date, qualifier = min(found, key=lambda f: f[0])  # stable: page order breaks ties
            out[key] = date
            if key.endswith("completion_date") or key == "start_date":
                put(out, f"{key}_type", qualifier)
    if period_end is not None and "completion_date" not in out:
        out["completion_date"] = period_end[0]
        put(out, "completion_date_type", period_end[1])
    if "start_date" not in out and "completion_date" not in out:
        dates = [line.text for s in bare_sections(page) for line in s.lines if is_bare_date(line.text)]
        if len(dates) == 2:
            out["start_date"] = parse_date(dates[0], order)[0]
            out["completion_date"] = parse_date(dates[1], order)[0]


_AMBIGUOUS_RE = re.compile(r"\b(?:0?[1-9]|1[0-2])[/.](?:0?[1-9]|1[0-2])[/.]\d{4}\b")


def _date_order(page: Page, *values: str | None) -> str | None:
    """The page's day/month order, looked for only when a value is a numeric date that needs it
    (a whole-page scan per document would cost more than all the rest of the date reading)."""
    if any(v and _AMBIGUOUS_RE.search(v) for v in values):
        return page_date_order(page.text)
    return None


# Labels of a lesser kind for the same date: enrolment dates stand in for a study start, a
# submission for a posting. A stated actual date outranks an anticipated one.
_LESSER_DATE_RE = re.compile(r"enrol|submitted|received|recruitment|participant", re.IGNORECASE)


def _date_rank(key: str, label: str, qualifier: str | None) -> int:
    rank = 2 if _LESSER_DATE_RE.search(label) else 0
    return rank + (1 if qualifier == "ESTIMATED" else 0)


# "Asthma, Eosinophilic Asthma": a comma list of capitalised names (a lower-case word after a comma
# means the commas are inside one condition: "Early breast cancer, hormone receptor positive").
_TITLE_LIST_RE = re.compile(r"^[A-Z][\w'-]*(?: [\w'-]+){0,4}(?:, [A-Z][\w'-]*(?: [\w'-]+){0,4})+$")


# ---------------------------------------------------------------- lists and long texts


def _table_columns(section: Section) -> dict[str, list[str]] | None:
    """A table flattened to text under an inline header row ("Condition or disease<TAB>Intervention/
    treatment<TAB>Phase"): cells are kept apart by tabs and a cell's lines by line breaks, so the
    body split at its tabs gives one cell per header column. None unless every header cell is a label."""
    if not section.inline or not section.lines or "\t" not in section.lines[0].text:
        return None
    header = [section.label] + [c.strip() for c in section.lines[0].text.split("\t")]
    keys = [lookup(h.rstrip(": ")) for h in header]
    body = "\n".join(line.text for line in section.lines[1:]).split("\t")
    if any(k is None for k in keys) or len(body) != len(header):
        return None
    return {k[0]: [c.strip() for c in cell.split("\n") if c.strip()] for k, cell in zip(keys, body) if k}


def _lists_and_texts(page: Page, out: dict[str, Any]) -> None:
    for key in ("conditions", "keywords"):
        values: list[str] = []
        for section in page.all(key):
            table = _table_columns(section)
            if table is not None:
                lines = table.get(key, [])
                if "phases" in table and "phases" not in out:
                    put(out, "phases", [p for cell in table["phases"] for p in parse_phases(cell)])
            elif section.inline and len(section.lines) == 1 and _TITLE_LIST_RE.match(section.lines[0].text):
                lines = [v.strip() for v in section.lines[0].text.split(",")]  # "Condition: Asthma, Eosinophilic Asthma"
            else:
                lines = bare_lines(section.lines)
            found = split_values(lines)
            if key == "conditions":
                found = [n for n in map(condition_name, found) if n]
            values.extend(v for v in found if len(v) <= 200 and not NOT_STATED_RE.match(v) and v not in values)
        out[key] = values
    for key in ("brief_summary", "detailed_description"):
        block = next((s for s in page.all(key) if s.lines), None)
        if block is None:
            continue
        text = _BOLD_RE.sub("", raw_text(page, block.lines)).strip()
        if not NOT_STATED_RE.match(text):
            out[key] = text
