"""Value parsers: turn the text a label owns into display values the schema can normalize.

Each parser returns None (or an empty list) when the text cannot be read without guessing:
the rules check the LLM later, so a value given here must be right.
"""

from __future__ import annotations

import re
from functools import lru_cache
from enum import Enum

from extractor.schema import (
    Allocation,
    InterventionModel,
    Masking,
    OverallStatus,
    Phase,
    PrimaryPurpose,
    Sex,
    StudyType,
    normalize_enum,
    normalize_partial_date,
    normalize_phases,
)

__all__ = [
    "bare_enum",
    "bare_age",
    "bare_count",
    "is_bare_date",
    "parse_age",
    "parse_age_range",
    "parse_count",
    "parse_date",
    "parse_design",
    "parse_enum",
    "parse_ids",
    "parse_phases",
    "parse_qualifier",
    "parse_period",
    "parse_sex",
    "parse_status",
    "page_date_order",
    "split_values",
    "parse_contacts",
    "parse_locations",
]

_E = type[Enum]

# ---------------------------------------------------------------- enums


def parse_enum(enum_cls: _E, text: str | None) -> str | None:
    """The display text when `enum_cls` can read it, else None (the schema normalizes it again)."""
    if not text:
        return None
    text = text.strip()
    return text if _reads_as(enum_cls, text) else None


@lru_cache(maxsize=2048)
def _reads_as(enum_cls: _E, text: str) -> bool:
    """Memoized: the same few enum phrases recur on every page."""
    try:
        normalize_enum(enum_cls, text)
    except ValueError:
        return False
    return True


# Registry status wordings that no enum synonym covers, read as the CT.gov status they state.
_STATUS_PHRASES = {"no longer recruiting": "Active, not recruiting", "ongoing, recruiting": "Recruiting",
                   "ongoing, not yet recruiting": "Not yet recruiting",
                   "ongoing, recruitment ended": "Active, not recruiting",
                   "open to recruitment": "Recruiting", "closed to recruitment": "Active, not recruiting"}
_BOTH_SEXES_RE = re.compile(r"^(?:both,?\s+)?(?:males?|men)\s*(?:,|and|or|&|/)\s*(?:females?|women)$"
                            r"|^(?:females?|women)\s*(?:,|and|or|&|/)\s*(?:males?|men)$", re.IGNORECASE)


def parse_status(text: str | None) -> str | None:
    """An overall status from a status value, registry wordings ("No longer recruiting") included."""
    if not text:
        return None
    return parse_enum(OverallStatus, text) or _STATUS_PHRASES.get(text.strip().rstrip(".").lower())


def parse_sex(text: str | None) -> str | None:
    """A sex value; "Male or Female" and "Both, male and female" are ALL."""
    if not text:
        return None
    if _BOTH_SEXES_RE.match(text.strip()):
        return "ALL"
    return parse_enum(Sex, text)


def parse_phases(text: str | None) -> list[str]:
    if not text:
        return []
    try:
        return [p.value for p in normalize_phases(text.strip())]
    except ValueError:
        return []


# Bare API v2 tokens ("RECRUITING", "PHASE2") that belong to exactly one field.
_TOKEN_FIELDS: dict[str, list[str]] = {}
for _field, _cls in (("overall_status", OverallStatus), ("phases", Phase), ("study_type", StudyType),
                     ("allocation", Allocation), ("intervention_model", InterventionModel),
                     ("primary_purpose", PrimaryPurpose), ("masking", Masking), ("sex", Sex)):
    for _member in _cls:  # type: ignore[attr-defined]
        _TOKEN_FIELDS.setdefault(_member.value, []).append(_field)
# Tokens that are one field's only in a block that announces that field.
_CONTEXT_TOKENS = {"NONE": "masking", "ALL": "sex", "MALE": "sex", "FEMALE": "sex"}
_TOKENS = {tok: fields[0] for tok, fields in _TOKEN_FIELDS.items()
           if len(fields) == 1 and tok not in _CONTEXT_TOKENS and tok not in ("NA", "OTHER", "UNKNOWN", "AVAILABLE")}
_STATUS_WORDS = {m.value.lower().replace("_", " ") for m in OverallStatus} - {"unknown", "available"}
_STATUS_WORDS |= {"active, not recruiting"}
_PHASE_LINE_RE = re.compile(
    r"^(?:early\s+)?phase\s*(?:[0-4]|i{1,3}|iv)[ab]?(?:\s*[/,&-]\s*(?:phase\s*)?(?:[0-4]|i{1,3}|iv)[ab]?)*$",
    re.IGNORECASE,
)


def bare_enum(line: str, design: bool = False, eligibility: bool = False) -> tuple[str, str] | None:
    """(field, value) for a line that is nothing but one field's enum value, else None."""
    text = line.strip()
    if text in _TOKENS:
        return _TOKENS[text], text
    if text in _CONTEXT_TOKENS:
        field = _CONTEXT_TOKENS[text]
        if (field == "masking" and design) or (field == "sex" and eligibility):
            return field, text
        return None
    if _PHASE_LINE_RE.match(text):
        return ("phases", text) if parse_phases(text) else None
    if text.lower() in _STATUS_WORDS:
        return "overall_status", text
    return None


_DESIGN_SPLIT_RE = re.compile(r"\s*[,;/|]\s*|\s+-\s+|\n")
_DESIGN_FIELDS: tuple[tuple[str, _E], ...] = (
    ("allocation", Allocation), ("intervention_model", InterventionModel),
    ("masking", Masking), ("primary_purpose", PrimaryPurpose),
)


def parse_design(text: str) -> dict[str, str]:
    """Design words in a free-text design value ("Randomised, parallel, double blind")."""
    found: dict[str, str] = {}
    for piece in _DESIGN_SPLIT_RE.split(text):
        piece = piece.strip().rstrip(".")
        if not piece or len(piece) > 40 or piece.upper() in {"NA", "N/A", "OTHER", "NONE"}:
            continue
        fields = [f for f, cls in _DESIGN_FIELDS if parse_enum(cls, piece) is not None]
        if len(fields) == 1 and fields[0] not in found:
            found[fields[0]] = piece
    return found


# ---------------------------------------------------------------- dates, counts, ages

_DATE_QUAL_RE = re.compile(r"\(?\b(actual|anticipated|estimated?|expected|planned)\b\)?", re.IGNORECASE)
_QUALS = {"actual": "ACTUAL", "anticipated": "ESTIMATED", "estimated": "ESTIMATED", "estimate": "ESTIMATED",
          "expected": "ESTIMATED", "planned": "ESTIMATED"}
_BARE_DATE_RE = re.compile(
    r"^(?:\d{4}-\d{2}(?:-\d{2})?|\d{4}/\d{1,2}/\d{1,2}|"
    r"(?:\d{1,2}\s+)?[A-Z][a-z]{2,8}\.?\s+(?:\d{1,2},?\s+)?\d{4}|\d{1,2}/\d{1,2}/\d{4})$"
)


_CLOCK_RE = re.compile(r"(?<=\d)[ T]\d{1,2}:\d{2}(?::\d{2})?$")
_NUMERIC_RE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_PAGE_NUMERIC_RE = re.compile(r"(?<![\d/.-])(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?![\d/.-])")


def page_date_order(text: str) -> str | None:
    """"DMY" or "MDY" when the page's unambiguous numeric dates (a part above 12) all agree.

    A registry prints every date one way, so "14/02/2022" elsewhere on the page settles "03/10/2024"."""
    orders = set()
    for a, b, _ in _PAGE_NUMERIC_RE.findall(text):
        if int(a) > 12 >= int(b):
            orders.add("DMY")
        elif int(b) > 12 >= int(a):
            orders.add("MDY")
    return orders.pop() if len(orders) == 1 else None


@lru_cache(maxsize=4096)
def parse_date(text: str | None, order: str | None = None) -> tuple[str | None, str | None]:
    """(date, qualifier) from "March 2020 (Actual)", "2025-04-01", "Anticipated: 2024-05".

    `order` ("DMY"/"MDY", from `page_date_order`) reads numeric dates whose day and month could
    be swapped. Memoized: a pure function of the text, and registries print the same dates again."""
    if not text:
        return None, None
    qualifier = None
    m = _DATE_QUAL_RE.search(text)
    if m:
        qualifier = _QUALS[m.group(1).lower()]
        text = (text[: m.start()] + text[m.end():]).strip(" :,;")
    text = _CLOCK_RE.sub("", text.strip())  # "2024-02-26 09:41:17": the time of day is no part of it
    numeric = _NUMERIC_RE.match(text) if order else None
    if numeric:
        a, b, year = numeric.groups()
        day, month = (a, b) if order == "DMY" else (b, a)
        text = f"{year}-{int(month):02d}-{int(day):02d}"
    try:
        value = normalize_partial_date(text)
    except ValueError:
        return None, None
    return value, qualifier if value else None


_PERIOD_RE = re.compile(r"^(?:from\s+)?(.+?)\s+(?:to|until|till|-|–)\s+(.+)$", re.IGNORECASE)


def parse_period(text: str | None, order: str | None = None) -> tuple[str | None, str | None]:
    """(start, end) from "From 2023-06-01 To 2025-12-31"; both sides must read as dates."""
    m = _PERIOD_RE.match(text.strip()) if text else None
    if not m:
        return None, None
    start, end = parse_date(m.group(1), order)[0], parse_date(m.group(2), order)[0]
    return (start, end) if start and end else (None, None)


def parse_qualifier(text: str) -> str | None:
    """ACTUAL / ESTIMATED when a value says so ("300 (Estimated)", "Anticipated")."""
    m = _DATE_QUAL_RE.search(text)
    return _QUALS[m.group(1).lower()] if m else None


def is_bare_date(line: str) -> bool:
    if not _BARE_DATE_RE.match(line.strip()):
        return False
    return parse_date(line)[0] is not None


_COUNT_RE = re.compile(r"(?<![\d.])(\d{1,3}(?:,\d{3})+|\d+)(?![\d.]|\s*%)")
_TOTAL_RE = re.compile(r"\btotal[^\d\n]{0,30}?(\d{1,3}(?:,\d{3})+|\d+)", re.IGNORECASE)
_BARE_COUNT_RE = re.compile(r"^(\d{1,3}(?:,\d{3})+|\d+)\s+(?:participants?|patients|subjects|people|volunteers)$",
                            re.IGNORECASE)


def parse_count(text: str | None) -> int | None:
    """An enrollment count: the number a value starts with, a stated total, or its only number."""
    if not text:
        return None
    text = text.strip()
    m = re.match(r"^(?:approximately|approx\.?|about|~|n\s*=\s*)?\s*(\d{1,3}(?:,\d{3})+|\d+)(?![\d.])", text,
                 re.IGNORECASE)
    if m:
        return int(m.group(1).replace(",", ""))
    m = _TOTAL_RE.search(text)
    if m:
        return int(m.group(1).replace(",", ""))
    numbers = _COUNT_RE.findall(text)
    if len(numbers) == 1 and not re.search(r"\d\s*[-–]\s*\d", text):
        return int(numbers[0].replace(",", ""))
    return None


def bare_count(line: str) -> int | None:
    m = _BARE_COUNT_RE.match(line.strip())
    return int(m.group(1).replace(",", "")) if m else None


_AGE_RE = re.compile(r"(\d{1,3})(?:\.0+)?\s*(years?|yrs?|months?|weeks?|days?|hours?)?(?:\(s\))?", re.IGNORECASE)
_BARE_AGE_RE = re.compile(r"^\d{1,3} (?:Years?|Months?|Weeks?|Days?|Hours?|Minutes?)$")
_NO_LIMIT_RE = re.compile(r"^(?:no\s+limit|none|n/?a|not\s+(?:applicable|stated|specified)|no\s+max\w*|-)\b",
                          re.IGNORECASE)


def bare_age(line: str) -> bool:
    return bool(_BARE_AGE_RE.match(line.strip()))


def parse_age(text: str | None) -> str | None:
    """"18", "18.00 Year(s)", "18 Years" -> "18 Years" form; "No limit" and unreadable -> None."""
    if not text:
        return None
    text = text.strip()
    if _NO_LIMIT_RE.match(text):
        return None
    m = _AGE_RE.fullmatch(text.rstrip(". "))
    if not m:
        m = re.fullmatch(r"(?:[≥>]=?|≤|<=)?\s*" + _AGE_RE.pattern + r"(?:\s+(?:old|of age))?", text, re.IGNORECASE)
        if not m or text.startswith((">", "<")):
            return None
    unit = (m.group(2) or "years").lower()
    unit = {"yr": "years", "yrs": "years"}.get(unit, unit)
    return f"{m.group(1)} {unit}"


_RANGE_RE = re.compile(
    r"^(?:(?:aged?\s*)?(?:between|from|of|:)?\s*)?(\d{1,3})\s*(years?|yrs?|months?)?\s*(?:-|–|~|to|and)\s*"
    r"(\d{1,3})\s*(years?|yrs?|months?)?(?:\s*old)?\b",
    re.IGNORECASE,
)
_MIN_ONLY_RE = re.compile(
    r"^(?:aged?\s*(?:≥|>=|at\s+least|of)?\s*)?(\d{1,3})\s*(years?|yrs?)\s*(?:old\s*)?(?:and|or)\s+(?:older|over|above)"
    r"|^aged?\s*(?:≥|>=|at\s+least)\s*(\d{1,3})\s*(years?|yrs?)?",
    re.IGNORECASE,
)


_MORE_AGES_RE = re.compile(r"\d")
_OPEN_TOP_RE = re.compile(r"\d\s*(?:\+|years?\s+(?:and|or)\s+(?:over|older|above))", re.IGNORECASE)
_MIN_WORD_RE = re.compile(r"\bmin(?:imum)?\.?\s*age\s*[:：]?\s*(\d{1,3})\s*(years?|months?)?", re.IGNORECASE)
_MAX_WORD_RE = re.compile(r"\bmax(?:imum)?\.?\s*age\s*[:：]?\s*(\d{1,3})\s*(years?|months?)?", re.IGNORECASE)


def parse_age_range(text: str | None) -> tuple[str | None, str | None]:
    """("18 years", "75 years") from "18 Years to 75 Years (Adult)", "18-75", "Age ≥18 years old"."""
    if not text:
        return None, None
    text = text.strip()
    m = _RANGE_RE.match(text)
    if m and _MORE_AGES_RE.search(text, m.end()):
        # "65-84 years, 85+ years": age groups ticked, not limits; only an open top group keeps the floor
        return (parse_age(f"{m.group(1)} {(m.group(2) or m.group(4) or 'years')}")
                if _OPEN_TOP_RE.search(text, m.end()) else None), None
    if m:
        unit_max = (m.group(4) or m.group(2) or "years").lower()
        unit_min = (m.group(2) or unit_max).lower()
        return parse_age(f"{m.group(1)} {unit_min}"), parse_age(f"{m.group(3)} {unit_max}")
    m = _MIN_ONLY_RE.match(text)
    if m:
        number = m.group(1) or m.group(3)
        return parse_age(f"{number} {(m.group(2) or m.group(4) or 'years')}"), None
    m = re.match(r"^(?:up\s+to|≤|<=)\s*(\d{1,3})\s*(years?|months?)\b", text, re.IGNORECASE)
    if m:
        return None, parse_age(f"{m.group(1)} {m.group(2)}")
    low = _MIN_WORD_RE.search(text)
    high = _MAX_WORD_RE.search(text)
    if low or high:  # "Min age: 18 years, Max age: 75 years"
        return (parse_age(f"{low.group(1)} {low.group(2) or 'years'}") if low else None,
                parse_age(f"{high.group(1)} {high.group(2) or 'years'}") if high else None)
    return None, None


# ---------------------------------------------------------------- ids and lists

_ID_RE = re.compile(r"^(?=[^\s]*\d)[A-Za-z0-9][A-Za-z0-9._/:()\-]{2,40}$")
_NCT_RE = re.compile(r"\bNCT\d{8}\b", re.IGNORECASE)


def parse_ids(lines: list[str]) -> list[str]:
    """Identifiers as written: one per line or separated by ';' / ','; type labels dropped."""
    out: list[str] = []
    for line in lines:
        for piece in re.split(r"\s*[;,\t]\s*", line):
            piece = re.sub(r"^(?:[A-Za-z .]{2,40}:\s*)+", "", piece).strip()  # "Name:IND Number:127845"
            piece = re.sub(r"\s+[\[(].*$", "", piece)  # "CTRI/2099/03/1 [Registered on: …] Registered …"
            piece = re.sub(r"\s*[\[(][^\])]*[\])]?$", "", piece)
            if _ID_RE.match(piece) and piece not in out and not is_bare_date(piece):
                out.append(piece)
    return out


def split_values(lines: list[str]) -> list[str]:
    """List values as written: one per line, or ';'-separated on one line."""
    out: list[str] = []
    for line in lines:
        for piece in line.split(";"):
            piece = piece.strip()
            if piece and piece not in out:
                out.append(piece)
    return out


# ---------------------------------------------------------------- locations, contacts

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


def _place(line: str) -> tuple[str | None, str | None, str] | None:
    """(city, state, country) for "City, State, Country" / "City, Country" lines."""
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
        if line.upper() in _STATUS_TOKENS or line.lower() in _STATUS_WORDS:
            if current is not None:
                current["status"] = line
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
        elif _NAME_RE.match(line) and len(line) <= 60:
            put("name", line)
    if current:
        contacts.append(current)
    return [c for c in contacts if c.get("name") or c.get("email")]
