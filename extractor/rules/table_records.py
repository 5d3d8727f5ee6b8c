"""Records from many-row header tables: sites, enquiry contacts, sponsors, arms and interventions.

Which record a table holds is read from its column names (a site table names a facility column
and a place column; a contact table a role, a name and an e-mail or phone column), and the
heading above it may veto it (funders and ethics committees print the same address columns as
sites). A row missing the cell its record needs is skipped rather than completed by a guess.
"""

from __future__ import annotations

import re
from typing import Any

from extractor.rules.header_tables import Cell, HeadTable, find_tables
from extractor.rules.parsers import parse_enum, parse_status
from extractor.schema import ArmType, InterventionType

__all__ = ["TableRecords", "read_row_records"]

_FACILITY = frozenset({"name of recruitment centre", "name of recruitment center", "name of institution",
                       "facility", "facility name", "site", "site name", "institution", "institution name",
                       "hospital", "name of hospital", "study site", "name of site", "recruitment site",
                       "name of the institution", "centre", "center", "name of centre", "name of center"})
_CITY = frozenset({"city", "town", "city/town"})
_STATE = frozenset({"state", "province", "state/province", "region"})
_COUNTRY = frozenset({"country"})
_SITE_STATUS = frozenset({"recruitment status", "status", "site status", "site recruitment status"})
_ROLE = frozenset({"role", "contact role", "contact type", "type of contact", "type"})
_NAME = frozenset({"name", "contact name", "full name", "name of contact"})
_EMAIL = frozenset({"email", "e-mail", "contact email", "email address", "e-mail address"})
_PHONE = frozenset({"phone", "telephone", "tel", "contact phone", "phone number", "telephone number"})
_LEVEL = frozenset({"sponsor level", "level", "sponsor role", "type of sponsor", "sponsor type"})
_ARM_LABEL = frozenset({"arm label", "arm name", "group name", "arm/group title", "arm title", "arm/group label"})
_ARM_TYPE = frozenset({"arm type", "arm/group type", "group type"})
_INT_TYPE = frozenset({"intervention type"})
_INT_NAME = frozenset({"intervention name", "intervention/treatment name"})
_INT_DESC = frozenset({"intervention description", "description of intervention"})

# Headings of tables that print site-like columns for something else.
_NOT_SITES_RE = re.compile(r"fund|sponsor|ethic|committee|collaborat|contact|investigator|monetary", re.IGNORECASE)
# Enquiry contacts are the central contacts; investigators and committee contacts are not.
_ENQUIRY_RE = re.compile(r"public|scientific|enquir|inquir|quer", re.IGNORECASE)
_NOT_ENQUIRY_RE = re.compile(r"investigator|ethic|committee|updat", re.IGNORECASE)
_PRIMARY_RE = re.compile(r"^(?:primary|lead|main)(?: sponsor)?$", re.IGNORECASE)
_SECONDARY_RE = re.compile(r"^(?:secondary(?: sponsor)?|collaborator|co-sponsor)$", re.IGNORECASE)
_EMAIL_RE = re.compile(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$")
_PHONE_RE = re.compile(r"^\+?[\d(][\d\s().-]{5,}\d(?:\s*(?:ext\.?|x)\s*\d+)?$", re.IGNORECASE)
_NAME_RE = re.compile(r"^[A-Z][\w'.-]*(?:[ -][\w'.-]+){1,5}$")


class TableRecords:
    """What the page's header tables give, each list empty when no table gives it."""

    __slots__ = ("locations", "contacts", "lead_sponsor", "collaborators", "arms", "interventions")

    def __init__(self) -> None:
        self.locations: list[dict[str, Any]] = []
        self.contacts: list[dict[str, Any]] = []
        self.lead_sponsor: str | None = None
        self.collaborators: list[str] = []
        self.arms: list[dict[str, Any]] = []
        self.interventions: list[dict[str, Any]] = []


def _cell(row: list[Cell], index: int | None) -> str | None:
    if index is None or index >= len(row):
        return None
    return row[index].text or None


def read_row_records(text: str) -> TableRecords:
    """Read every many-row (or one-row record) header table of the page."""
    found = TableRecords()
    if "\t" not in text:
        return found
    for table in find_tables(text):
        _sites(table, found)
        _contacts(table, found)
        _sponsors(table, found)
        _arms(table, found)
    return found


def _sites(table: HeadTable, found: TableRecords) -> None:
    facility = table.column(_FACILITY)
    places = [table.column(_CITY), table.column(_STATE), table.column(_COUNTRY), table.column(_SITE_STATUS)]
    if facility is None or all(p is None for p in places) or _NOT_SITES_RE.search(table.heading):
        return
    city, state, country, status = places
    for row in table.rows:
        name = _cell(row, facility)
        if name is None or len(name) > 150:
            continue
        site = {"facility": name, "city": _cell(row, city), "state": _cell(row, state),
                "country": _cell(row, country), "status": parse_status(_cell(row, status))}
        if site not in found.locations:
            found.locations.append(site)


def _contacts(table: HeadTable, found: TableRecords) -> None:
    role, name = table.column(_ROLE), table.column(_NAME)
    email, phone = table.column(_EMAIL), table.column(_PHONE)
    if role is None or name is None or (email is None and phone is None):
        return
    for row in table.rows:
        label, person = _cell(row, role), _cell(row, name)
        if not label or not person or not _ENQUIRY_RE.search(label) or _NOT_ENQUIRY_RE.search(label):
            continue
        if not _NAME_RE.match(person):
            continue
        mail, tel = _cell(row, email), _cell(row, phone)
        found.contacts.append({"name": person, "role": label,
                               "email": mail if mail and _EMAIL_RE.match(mail) else None,
                               "phone": tel if tel and _PHONE_RE.match(tel) else None})


def _sponsors(table: HeadTable, found: TableRecords) -> None:
    level, name = table.column(_LEVEL), table.column(_NAME)
    if level is None or name is None:
        return
    for row in table.rows:
        kind, org = _cell(row, level), _cell(row, name)
        if not kind or not org or len(org) > 200:
            continue
        if _PRIMARY_RE.match(kind) and found.lead_sponsor is None:
            found.lead_sponsor = org
        elif _SECONDARY_RE.match(kind) and org not in found.collaborators:
            found.collaborators.append(org)


def _arms(table: HeadTable, found: TableRecords) -> None:
    label_col, type_col = table.column(_ARM_LABEL), table.column(_ARM_TYPE)
    name_col = table.column(_INT_NAME)
    itype_col, desc_col = table.column(_INT_TYPE), table.column(_INT_DESC)
    if label_col is not None and type_col is not None:
        for row in table.rows:
            label, kind = _cell(row, label_col), _cell(row, type_col)
            if not label or parse_enum(ArmType, kind) is None:
                continue
            name = _cell(row, name_col)
            found.arms.append({"label": label, "type": kind, "description": None,
                               "intervention_names": [name] if name else []})
    if name_col is None:
        return
    by_name: dict[str, dict[str, Any]] = {}
    for row in table.rows:
        name = _cell(row, name_col)
        if not name or len(name) > 100 or name in by_name:
            continue
        kind = _cell(row, itype_col)
        item: dict[str, Any] = {"type": kind if parse_enum(InterventionType, kind) is not None else None, "name": name,
                "description": _cell(row, desc_col), "arm_labels": []}
        by_name[name] = item
        found.interventions.append(item)
    for arm in found.arms:
        for name in arm["intervention_names"]:
            if name in by_name:
                by_name[name]["arm_labels"].append(arm["label"])
