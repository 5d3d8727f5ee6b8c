"""Site and contact parsers: a locations or contacts block's lines -> site / contact records.

A site needs a place (a known country, or a city beside a postcode); a contact needs a name
shaped like a person's. Lines that are neither are left out rather than guessed into a field.
"""

from __future__ import annotations

import re

from extractor.rules.lexicon import lookup
from extractor.schema import OverallStatus

__all__ = ["COUNTRIES", "parse_contacts", "parse_locations"]

_STATUS_WORDS = {m.value.lower().replace("_", " ") for m in OverallStatus} - {"unknown", "available"}
_STATUS_WORDS |= {"active, not recruiting"}
COUNTRIES = frozenset(
    """Afghanistan Albania Algeria Argentina Armenia Australia Austria Azerbaijan Bangladesh Belarus Belgium
    Bolivia Bosnia Brazil Bulgaria Cambodia Cameroon Canada Chile China Colombia Croatia Cuba Cyprus Czechia
    Denmark Ecuador Egypt Estonia Ethiopia Finland France Georgia Germany Ghana Greece Guatemala Honduras
    Hungary Iceland India Indonesia Iran Iraq Ireland Israel Italy Japan Jordan Kazakhstan Kenya Korea Kuwait
    Latvia Lebanon Lithuania Luxembourg Malawi Malaysia Malta Mexico Moldova Mongolia Morocco Mozambique Nepal
    Netherlands Nigeria Norway Oman Pakistan Panama Paraguay Peru Philippines Poland Portugal Qatar Romania
    Russia Rwanda Serbia Singapore Slovakia Slovenia Spain Sweden Switzerland Taiwan Tanzania Thailand
    Tunisia Turkey Türkiye Uganda Ukraine Uruguay USA Uzbekistan Venezuela Vietnam Zambia Zimbabwe""".split()
) | {"United States", "United Kingdom", "Korea, Republic of", "South Korea", "Republic of Korea",
     "New Zealand", "South Africa", "Saudi Arabia", "United Arab Emirates", "Czech Republic", "Hong Kong",
     "Russian Federation", "Sri Lanka", "Costa Rica", "Puerto Rico", "Dominican Republic", "Viet Nam",
     "Iran, Islamic Republic of", "Taiwan, Province of China", "UK", "U.S.", "US"}
_STATUS_TOKENS = {m.value for m in OverallStatus}
_LONG_NUMBER_RE = re.compile(r"\d{6,}")
_DIGIT_RE = re.compile(r"\d")


# Words that make the first part of a one-line site a facility, not a city.
_FACILITY_RE = re.compile(
    r"\b(?:hospital|clinic|klinik\w*|universit\w*|cent(?:er|re)|institut\w*|medical|research|site|unit|trust|"
    r"corporation|organi[sz]ation|foundation|college|school|laborator\w*|health|pharma\w*|department|"
    r"h[oô]pital|ospedale|krankenhaus|CHU|practice|infirmary|sanatorium|policlinic\w*|hospice)\b",
    re.IGNORECASE,
)


_SITE_NUMBER_RE = re.compile(r"^\d{2,6}\s*[-–:]\s*\w")  # "1101 - AKH Wien": a numbered site


def _one_line_site(line: str) -> tuple[str, str, str | None, str] | None:
    """(facility, city, state, country) for "Facility, City, [State,] Country" lines whose first part
    names an institution; None otherwise (a "City, State, Country" line is `_place`'s)."""
    if line.count(",") < 2:
        return None  # fewer than three parts (dropping postcodes and joining a country only removes parts)
    parts = [p.strip() for p in line.split(",")]
    parts = [p for p in parts if not _POSTCODE_RE.fullmatch(p)]
    if len(parts) >= 3 and ", ".join(parts[-2:]) in COUNTRIES:
        parts = parts[:-2] + [", ".join(parts[-2:])]
    if not 3 <= len(parts) <= 4 or parts[-1] not in COUNTRIES or not (
            _FACILITY_RE.search(parts[0]) or _SITE_NUMBER_RE.match(parts[0])):
        return None
    rest = parts[1:-1]
    if any(not p or len(p) > 40 or _DIGIT_RE.search(p) or _FACILITY_RE.search(p) for p in rest):
        return None
    return parts[0], rest[0], rest[1] if len(rest) == 2 else None, parts[-1]


def _place(line: str) -> tuple[str | None, str | None, str] | None:
    """(city, state, country) for "City, State, Country" / "City, Country" lines."""
    if "," not in line:
        return None  # one part: never two or three
    parts = [p.strip() for p in line.split(",")]
    parts = [p for p in parts if not _POSTCODE_RE.fullmatch(p)]
    if len(parts) >= 2 and ", ".join(parts[-2:]) in COUNTRIES:
        parts = parts[:-2] + [", ".join(parts[-2:])]
    if not 2 <= len(parts) <= 3 or parts[-1] not in COUNTRIES or any(not p or len(p) > 40 for p in parts):
        return None
    if any(_DIGIT_RE.search(p) for p in parts):
        return None
    city = parts[0]
    state = parts[1] if len(parts) == 3 else None
    return city, state, parts[-1]


_POSTCODE_RE = re.compile(r"[A-Z]{0,2} ?\d{3,6}(?:-\d{3,4})?|[A-Z]\d[A-Z] ?\d[A-Z]\d|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}")
_SHORT_NAME_RE = re.compile(r"^[A-Z][\w'.-]*(?:[ -][A-Z][\w'.-]*){0,2}$")


def parse_locations(lines: list[str]) -> list[dict[str, str | None]]:
    """Sites from a locations block: a facility line, then its "City, State, Country" line,
    optionally a status line; a bare country line sets the country of the sites after it."""
    sites: list[dict[str, str | None]] = []
    current: dict[str, str | None] | None = None
    country: str | None = None
    for line in lines:
        line = line.strip()
        if not line or "@" in line or _LONG_NUMBER_RE.search(line):
            continue
        if line in COUNTRIES:
            country, current = line, None
            continue
        cells = [c.strip() for c in line.split("\t")] if "\t" in line else []
        if 3 <= len(cells) <= 4 and cells[-1] in COUNTRIES and all(cells) and not _DIGIT_RE.search(line):
            # "Facility<TAB>City<TAB>Country" (a state cell between them when four)
            current = {"facility": cells[0], "city": cells[1] if len(cells) > 2 else None,
                       "state": cells[2] if len(cells) == 4 else None, "country": cells[-1], "status": None}
            sites.append(current)
            continue
        if line.upper() in _STATUS_TOKENS or line.lower() in _STATUS_WORDS:
            if current is not None:
                current["status"] = line
            continue
        whole = _one_line_site(line)
        if whole is not None:
            current = {"facility": whole[0], "city": whole[1], "state": whole[2], "country": whole[3], "status": None}
            sites.append(current)
            continue
        place = _place(line)
        if place is not None:
            if current is None or current.get("country"):
                current = {"facility": None, "status": None}
                sites.append(current)
            current["city"], current["state"], current["country"] = place
            continue
        if (current is not None and not current.get("city") and current.get("facility")
                and _SHORT_NAME_RE.match(line) and country):
            current["city"] = line
            continue
        if len(line) > 150 or ":" in line:
            continue  # "Contact: …", "Principal Investigator: …" are not sites
        current = {"facility": line, "city": None, "state": None, "country": country, "status": None}
        sites.append(current)
    out: list[dict[str, str | None]] = []
    seen: set[tuple[str | None, ...]] = set()
    for site in sites:
        if not (site.get("country") or site.get("city")):
            continue  # a lone line with no place is not a site we can vouch for
        key = (site.get("facility"), site.get("city"), site.get("country"))
        if key in seen:
            continue
        seen.add(key)
        out.append(site)
    return out


_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE_RE = re.compile(r"^\+?[\d][\d\s().-]{5,}\d(?:\s*(?:ext\.?|x)\s*\d+)?$", re.IGNORECASE)
_ROLE_RE = re.compile(
    r"^(?:primary|backup|principal investigator|study director|study chair|sub-?investigator|"
    r"contact for (?:public|scientific) queries|public|scientific|central contact|primary contact)$",
    re.IGNORECASE,
)
_FIELD_RE = re.compile(r"^(name|e-?mail|phone|telephone|tel|role|type|contact role)\s*[:：]\s*(.*)$", re.IGNORECASE)
_NAME_RE = re.compile(r"^(?:(?:Dr|Prof|Mr|Mrs|Ms)\.?\s+)?[A-Z][\w'.-]*(?:\s+[A-Z][\w'.-]*){1,4}(?:,\s*[A-Za-z.]{2,10})*$")


def _person_like(line: str) -> bool:
    """A country ("The Netherlands") or a heading the lexicon knows ("Removed Location Countries")
    is no person's name."""
    bare = line.removeprefix("The ").strip()
    return bare not in COUNTRIES and bare.split(",")[0] not in COUNTRIES and lookup(line) is None and not _HEADING_WORD_RE.search(line)


# Words of page headings, not of people's names ("Administrative Information").
_HEADING_WORD_RE = re.compile(r"\b(?:Countries|Locations?|Contacts?|Details|Criteria|Outcomes?|"
                              r"Sponsors?|Status|Eligibility|Description|Design|Results|Enquiries|Queries)\b")


def parse_contacts(lines: list[str]) -> list[dict[str, str | None]]:
    """Contacts from a contacts block: role, name, email and phone lines (or labelled ones)."""
    contacts: list[dict[str, str | None]] = []
    current: dict[str, str | None] = {}

    def put(slot: str, value: str) -> None:
        nonlocal current
        if current.get(slot) or (slot == "role" and current.get("name")):
            contacts.append(current)
            current = {}
        current[slot] = value

    for line in lines:
        line = line.strip()
        labelled = _FIELD_RE.match(line)
        if labelled:
            slot = labelled.group(1).lower()
            value = labelled.group(2).strip()
            if not value:
                continue
            slot = {"e-mail": "email", "mail": "email", "telephone": "phone", "tel": "phone",
                    "type": "role", "contact role": "role"}.get(slot, slot)
            put(slot, value)
        elif _EMAIL_RE.fullmatch(line):
            put("email", line)
        elif _PHONE_RE.match(line):
            put("phone", line)
        elif _ROLE_RE.match(line):
            put("role", line)
        elif _NAME_RE.match(line) and len(line) <= 60 and _person_like(line):
            put("name", line)
    if current:
        contacts.append(current)
    return [c for c in contacts if c.get("name") or c.get("email")]
