"""Sponsors and parties for the rules: lead sponsor, collaborators, responsible party."""

from __future__ import annotations

import re
from typing import Any

from extractor.rules.lexicon import CLASS_TAGS, SUBLABELS, lookup
from extractor.rules.parsers import split_values
from extractor.rules.site_parsers import COUNTRIES
from extractor.rules.section_values import NOT_STATED_RE, bare_lines, first_value, put
from extractor.rules.segment import Page, strip_marker

__all__ = ["read_parties"]

_NAME_CELL_RE = re.compile(r"^Name\s*(?:\t|[:：])\s*(\S.*)$", re.IGNORECASE)
_RP_TYPES = re.compile(r"^(?:sponsor|principal investigator|sponsor-investigator|investigator)$", re.IGNORECASE)
_RP_TAG_RE = re.compile(r"\s*\(Responsible Party\)$", re.IGNORECASE)


def _org(text: str) -> str | None:
    text = strip_marker(text).strip()
    if not text or text in CLASS_TAGS or len(text) > 200 or NOT_STATED_RE.match(text) or text.lower() in SUBLABELS:
        return None
    if _LABEL_CELL_RE.match(text) or lookup(text) is not None:
        return None  # "Name of organization / entity": a table's label cell, not its value
    if not _LETTER_RE.search(text) or ":" in text or "\t" in text:
        return None  # "1", "Study Director: …", table rows are no organization names
    return text


def org_name(text: str) -> str | None:
    """The organization name a value cell holds, or None for tags, labels, rows and numbers."""
    return _org(text)


_LABEL_CELL_RE = re.compile(r"^(?:name|type|address|title)\s+of\s+(?:the\s+)?(?:organi[sz]ation|entity|sponsor|"
                            r"institution|company|funder)\b", re.IGNORECASE)
_LETTER_RE = re.compile(r"[^\W\d_]{2}")
# Address-like lines: a sponsor block holding them is one sponsor's details, not a list of sponsors.
_ADDRESS_RE = re.compile(r"\d|\bdetails\b", re.IGNORECASE)
# "Jane R. Holloway, University of Pittsburgh": a person's name, then the affiliation.
_PERSON_AFFIL_RE = re.compile(r"^((?:(?:Dr|Prof)\.?\s+)?[A-Z][a-z'-]+(?:\s+[A-Z]\.)?(?:\s+[A-Z][a-z'-]+){1,2}),\s+"
                              r"(?=.*\b(?:University|Universit\w+|Hospital|Institute|Center|Centre|College|"
                              r"Clinic|School|Foundation|Inc|Ltd|GmbH)\b)")


def read_parties(page: Page, out: dict[str, Any]) -> None:
    for section in page.all("lead_sponsor"):  # "B.Sponsor: 1" then "Name of Sponsor  Acme": the first name
        put(out, "lead_sponsor", _org(section.value or ""))
    collaborators: list[str] = []
    for section in page.all("collaborators"):
        for value in split_values(bare_lines(section.lines)):
            org = _org(value)
            if org and org not in collaborators:
                collaborators.append(org)
    if "lead_sponsor" not in out:
        for section in page.all("sponsor_type"):  # "Primary sponsor type  University" / "Name  Monash …"
            named = _NAME_CELL_RE.match(section.lines[1].text) if len(section.lines) > 1 else None
            if named:
                put(out, "lead_sponsor", _org(named.group(1)))
    if "lead_sponsor" not in out:
        for section in page.all("sponsors"):
            orgs = [o for o in (_org(line.text) for line in section.lines) if o]
            if orgs and all(not o.endswith(".") for o in orgs):
                out["lead_sponsor"] = orgs[0]
                details = any(_ADDRESS_RE.search(o) or o in COUNTRIES for o in orgs) or any(
                    strip_marker(line.text).lower() in SUBLABELS for line in section.lines)
                collaborators = collaborators or ([] if details else orgs[1:])
                break
    out["collaborators"] = collaborators
    party, _ = first_value(page, "responsible_party")
    party = _RP_TAG_RE.sub("", party or "")
    person = _PERSON_AFFIL_RE.match(party)
    if person:
        party = person.group(1)
    if party and not _RP_TYPES.match(party):
        out["responsible_party"] = party
