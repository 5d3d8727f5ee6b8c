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
    "condition_name",
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
    "is_identifier",
    "parse_phases",
    "parse_qualifier",
    "parse_period",
    "parse_sex",
    "parse_status",
    "page_date_order",
    "split_values",
]

_E = type[Enum]

# ---------------------------------------------------------------- enums


def parse_enum(enum_cls: _E, text: str | None) -> str | None:
    """The display text when `enum_cls` can read it, else None (the schema normalizes it again)."""
    if not text:
        return None
    text = text.strip()
    if _reads_as(enum_cls, text):
        return text
    if " / " in text:  # bilingual value "Terminado / Terminated": the one side that reads, if they agree
        parts = [part.strip() for part in text.split(" / ") if _reads_as(enum_cls, part.strip())]
        if parts and len({normalize_enum(enum_cls, part) for part in parts}) == 1:
            return parts[-1]
    return None


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
                   "open to recruitment": "Recruiting", "closed to recruitment": "Active, not recruiting",
                   "open public recruiting": "Recruiting", "open, recruiting": "Recruiting",
                   "authorised, recruitment pending": "Not yet recruiting",
                   "authorized, recruitment pending": "Not yet recruiting",
                   "stopped": "Terminated"}
_BOTH_SEXES_RE = re.compile(r"^(?:both,?\s+)?(?:males?|men)\s*(?:,|and|or|&|/)\s*(?:females?|women)$"
                            r"|^(?:females?|women)\s*(?:,|and|or|&|/)\s*(?:males?|men)$", re.IGNORECASE)


def parse_status(text: str | None) -> str | None:
    """An overall status from a status value, registry wordings ("No longer recruiting") included."""
    if not text:
        return None
    found = parse_enum(OverallStatus, text) or _STATUS_PHRASES.get(text.strip().rstrip(".").lower())
    if found is None and " / " in text:  # "Reclutando / Open public recruiting"
        read = {_STATUS_PHRASES.get(part.strip().rstrip(".").lower()) for part in text.split(" / ")} - {None}
        found = read.pop() if len(read) == 1 else None
    return found


def parse_sex(text: str | None) -> str | None:
    """A sex value; "Male or Female" and "Both, male and female" are ALL."""
    if not text:
        return None
    if _BOTH_SEXES_RE.match(text.strip()):
        return "ALL"
    letter = _SEX_LETTERS.get(text.strip().rstrip(".").upper())  # "F" under a sex label
    return letter or parse_enum(Sex, text)


_SEX_LETTERS = {"F": "FEMALE", "M": "MALE", "F/M": "ALL", "M/F": "ALL", "M+F": "ALL", "F+M": "ALL"}


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
    stated = _FORMAT_HINT_RE.search(text)  # "03/14/2024 (mm/dd/yyyy)": the page names its own order
    if stated:
        order = "MDY" if stated.group(1).lower().startswith("m") else "DMY"
        text = text[: stated.start()].strip()
    words = _YMD_WORDS_RE.match(text)  # UMIN "2024 Year 01 Month 22 Day", one cell per part
    if words:
        text = "-".join(f"{int(part):02d}" if len(part) < 4 else part for part in words.groups() if part)
    iso = _ISO_FIRST_RE.match(text)  # "2023-01-18, 1401/10/28": the same date in a second calendar
    if iso:
        text = iso.group(1)
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


_FORMAT_HINT_RE = re.compile(r"\s*\(\s*((?:mm|dd)[/.-](?:dd|mm)[/.-]yyyy)\s*\)\s*$", re.IGNORECASE)
_YMD_WORDS_RE = re.compile(r"^(\d{4})\s*Year\s*(\d{1,2})\s*Month(?:\s*(\d{1,2})\s*Day)?$", re.IGNORECASE)
_ISO_FIRST_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*[,;]\s*\S.*$")


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
_LEAD_COUNT_RE = re.compile(r"^(?:approximately|approx\.?|about|~|n\s*=\s*)?\s*(\d{1,3}(?:,\d{3})+|\d+)(?![\d.])",
                            re.IGNORECASE)
_NUMBER_RANGE_RE = re.compile(r"\d\s*[-–]\s*\d")
_BARE_COUNT_RE = re.compile(r"^(\d{1,3}(?:,\d{3})+|\d+)\s+(?:participants?|patients|subjects|people|volunteers)$",
                            re.IGNORECASE)


def parse_count(text: str | None) -> int | None:
    """An enrollment count: the number a value starts with, a stated total, or its only number."""
    if not text:
        return None
    text = text.strip()
    m = _LEAD_COUNT_RE.match(text)
    if m:
        return int(m.group(1).replace(",", ""))
    m = _TOTAL_RE.search(text)
    if m:
        return int(m.group(1).replace(",", ""))
    numbers = _COUNT_RE.findall(text)
    if len(numbers) == 1 and not _NUMBER_RANGE_RE.search(text):
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
    text = _INCLUSIVE_TAIL_RE.sub(r"\1", " ".join(text.split()))  # UMIN "65 years-old <=": 65 counts
    if _NO_LIMIT_RE.match(text):
        return None
    m = _AGE_RE.fullmatch(text.rstrip(". "))
    if not m:
        m = _AGE_FORM_RE.fullmatch(text.rstrip(". "))  # ">= 20age old", "20 years old or more", "18 Y"
        if m:
            unit = {"y": "years", "yr": "years", "yrs": "years", "age": "years"}.get((m.group(2) or "").lower(),
                                                                                     m.group(2) or "years")
            return f"{m.group(1)} {unit.lower()}"
    if not m:
        m = re.fullmatch(r"(?:[≥>]=?|≤|<=)?\s*" + _AGE_RE.pattern + r"(?:\s+(?:old|of age))?", text, re.IGNORECASE)
        if not m or text.startswith((">", "<")):
            return None
    unit = (m.group(2) or "years").lower()
    unit = {"yr": "years", "yrs": "years"}.get(unit, unit)
    return f"{m.group(1)} {unit}"


_INCLUSIVE_TAIL_RE = re.compile(r"(?<=\d)(\s*(?:years?|months?|weeks?|days?))-?old\s*(?:<=|>=|≤|≥)?$"
                                r"|(?<=[a-z])-?old\s*(?:<=|>=|≤|≥)$", re.IGNORECASE)


# An age with its bound written out: "≥ 20", ">= 20age old", "20 years old or more", "18 Y" (an
# inclusive bound only: "> 20" would be 21 and is left alone).
_AGE_FORM_RE = re.compile(
    r"(?:≥|>=|≤|<=)?\s*(\d{1,3})\s*(years?|yrs?|y|months?|weeks?|days?|age)?(?:\(s\))?"
    r"(?:\s*(?:old|of age))?(?:\s+(?:or|and)\s+(?:more|over|older|above|less|under|younger|below))?",
    re.IGNORECASE,
)
_RANGE_RE = re.compile(
    r"^(?:(?:aged?\s*)?(?:between|from|of|:)?\s*)?(\d{1,3})\s*(years?|yrs?|months?)?\s*(?:-|–|~|to|and)\s*"
    r"(\d{1,3})\s*(years?|yrs?|months?)?(?:\s*old)?\b",
    re.IGNORECASE,
)
_MIN_ONLY_RE = re.compile(
    r"^(?:aged?\s*(?:≥|>=|at\s+least|of)?\s*)?(\d{1,3})\s*(years?|yrs?)\s*(?:old\s*)?(?:and|or)\s+(?:older|over|above)"
    r"|^aged?\s*(?:≥|>=|at\s+least)\s*(\d{1,3})(?!\d)(?!\s*(?:weeks?|wks?|days?|months?|mos?|hours?)\b)"
    r"\s*(years?|yrs?)?",
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
    if text.startswith("(") and text.endswith(")"):  # "(1 year to 21 years)" under an age-group cell
        text = text[1:-1].strip()
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
_ID_SPLIT_RE = re.compile(r"\s*[;,\t]\s*")
_ID_TYPE_RE = re.compile(r"^(?:[A-Za-z .]{2,40}:\s*)+")
_ID_TAIL_RE = re.compile(r"\s+[\[(].*$")
_ID_BRACKET_RE = re.compile(r"\s*[\[(][^\])]*[\])]?$")


def parse_ids(lines: list[str]) -> list[str]:
    """Identifiers as written: one per line or separated by ';' / ','; type labels dropped."""
    out: list[str] = []
    for line in lines:
        for piece in _ID_SPLIT_RE.split(line):
            piece = _ID_TYPE_RE.sub("", piece).strip()  # "Name:IND Number:127845"
            piece = _ID_TAIL_RE.sub("", piece)  # "CTRI/2099/03/1 [Registered on: …] Registered …"
            piece = _ID_BRACKET_RE.sub("", piece)
            if is_identifier(piece) and piece not in out:
                out.append(piece)
    return out


# "GHS-ERC 014/05/21": an issuer's code, one space, then the number.
_SPACED_ISSUER_ID_RE = re.compile(r"^[A-Z][A-Z-]{1,11} \d[\d/.-]{3,20}$")
# Date shapes in any calendar ("1401/09/29", "29.09.1401"): a date, not an identifier.
_DATE_SHAPE_RE = re.compile(r"^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}$")


def is_identifier(piece: str) -> bool:
    """An identifier's form: letters/digits with a digit, five characters at least, not a date."""
    if len(piece) < 5 or _DATE_SHAPE_RE.match(piece) or is_bare_date(piece):
        return False
    return bool(_ID_RE.match(piece) or _SPACED_ISSUER_ID_RE.match(piece))


def split_values(lines: list[str]) -> list[str]:
    """List values as written: one per line, or ';'-separated on one line."""
    out: list[str] = []
    for line in lines:
        for piece in line.split(";"):
            piece = piece.strip()
            if piece and piece not in out:
                out.append(piece)
    return out


# A disease code before a condition's name: "ICD10: M54.5 - Low back pain", "(I69.3) Sequelae of
# cerebral infarction", "A010||Typhoid fever". A bare code needs brackets or a separator after it,
# so "B12 deficiency" keeps its vitamin.
_CODE = r"[A-Z]\d{2,3}(?:\.[0-9A-Z]{1,4})*"
_CODED_RE = re.compile(rf"^(?:(?:ICD[- ]?\d{{0,2}}(?: code)?|MeSH)\s*:?\s*(?:{_CODE}|\({_CODE}\))\s*(?:[-–:]|\|\|?)?\s*"
                       rf"|\({_CODE}\)\s*(?:[-–:]|\|\|?)?\s*|{_CODE}\s*(?:[-–:]|\|\|?)\s*)(?=[A-Za-z])")
_CODE_ONLY_RE = re.compile(rf"^(?:(?:ICD[- ]?\d{{0,2}}(?: code)?|MeSH)\s*:?\s*)?\(?{_CODE}\)?$")
_FREE_TEXT_RE = re.compile(r"^free text\s*:\s*", re.I)


def condition_name(value: str) -> str | None:
    """A condition as named, without its disease code; None for a line that is only a code."""
    value = _FREE_TEXT_RE.sub("", value.strip())
    if _CODE_ONLY_RE.match(value):
        return None
    return _CODED_RE.sub("", value, count=1).strip() or None

