"""The TrialRecord: ClinicalTrials.gov API v2 aligned, normalizing registry display text itself.

Both the rules and the LLM hand this model what they read ("Phase 2/Phase 3", "Active, not
recruiting", "None (Open Label)", "August 24, 1981"); the validators turn it into the API v2
values, and reject what cannot be read without guessing, naming the allowed values so the LLM
path can feed the error back to the model. This module imports nothing internal.
"""

from __future__ import annotations

import json
import re
from datetime import date
from importlib import resources
from enum import Enum
from functools import lru_cache
from typing import Annotated, Any, Callable, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

__all__ = [
    "Age", "Allocation", "Arm", "ArmType", "Contact", "DateType", "EnrollmentType",
    "Intervention", "InterventionModel", "InterventionType", "Location", "Masking", "Outcome",
    "OverallStatus", "PartialDate", "Phase", "PrimaryPurpose", "Sex", "StudyType",
    "TrialRecord", "clean_text", "normalize_age", "normalize_bool", "normalize_enum",
    "normalize_partial_date", "normalize_phases",
]


class OverallStatus(str, Enum):
    NOT_YET_RECRUITING = "NOT_YET_RECRUITING"
    RECRUITING = "RECRUITING"
    ENROLLING_BY_INVITATION = "ENROLLING_BY_INVITATION"
    ACTIVE_NOT_RECRUITING = "ACTIVE_NOT_RECRUITING"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"
    COMPLETED = "COMPLETED"
    WITHDRAWN = "WITHDRAWN"
    UNKNOWN = "UNKNOWN"
    AVAILABLE = "AVAILABLE"
    NO_LONGER_AVAILABLE = "NO_LONGER_AVAILABLE"
    TEMPORARILY_NOT_AVAILABLE = "TEMPORARILY_NOT_AVAILABLE"
    APPROVED_FOR_MARKETING = "APPROVED_FOR_MARKETING"
    WITHHELD = "WITHHELD"


class DateType(str, Enum):
    ACTUAL = "ACTUAL"
    ESTIMATED = "ESTIMATED"


class StudyType(str, Enum):
    INTERVENTIONAL = "INTERVENTIONAL"
    OBSERVATIONAL = "OBSERVATIONAL"
    EXPANDED_ACCESS = "EXPANDED_ACCESS"


class Phase(str, Enum):
    EARLY_PHASE1 = "EARLY_PHASE1"
    PHASE1 = "PHASE1"
    PHASE2 = "PHASE2"
    PHASE3 = "PHASE3"
    PHASE4 = "PHASE4"
    NA = "NA"


class Allocation(str, Enum):
    RANDOMIZED = "RANDOMIZED"
    NON_RANDOMIZED = "NON_RANDOMIZED"
    NA = "NA"


class InterventionModel(str, Enum):
    SINGLE_GROUP = "SINGLE_GROUP"
    PARALLEL = "PARALLEL"
    CROSSOVER = "CROSSOVER"
    FACTORIAL = "FACTORIAL"
    SEQUENTIAL = "SEQUENTIAL"


class PrimaryPurpose(str, Enum):
    TREATMENT = "TREATMENT"
    PREVENTION = "PREVENTION"
    DIAGNOSTIC = "DIAGNOSTIC"
    ECT = "ECT"
    SUPPORTIVE_CARE = "SUPPORTIVE_CARE"
    SCREENING = "SCREENING"
    HEALTH_SERVICES_RESEARCH = "HEALTH_SERVICES_RESEARCH"
    BASIC_SCIENCE = "BASIC_SCIENCE"
    DEVICE_FEASIBILITY = "DEVICE_FEASIBILITY"
    OTHER = "OTHER"


class Masking(str, Enum):
    NONE = "NONE"
    SINGLE = "SINGLE"
    DOUBLE = "DOUBLE"
    TRIPLE = "TRIPLE"
    QUADRUPLE = "QUADRUPLE"


class EnrollmentType(str, Enum):
    ACTUAL = "ACTUAL"
    ESTIMATED = "ESTIMATED"


class Sex(str, Enum):
    ALL = "ALL"
    FEMALE = "FEMALE"
    MALE = "MALE"


class ArmType(str, Enum):
    EXPERIMENTAL = "EXPERIMENTAL"
    ACTIVE_COMPARATOR = "ACTIVE_COMPARATOR"
    PLACEBO_COMPARATOR = "PLACEBO_COMPARATOR"
    SHAM_COMPARATOR = "SHAM_COMPARATOR"
    NO_INTERVENTION = "NO_INTERVENTION"
    OTHER = "OTHER"


class InterventionType(str, Enum):
    DRUG = "DRUG"
    DEVICE = "DEVICE"
    BIOLOGICAL = "BIOLOGICAL"
    PROCEDURE = "PROCEDURE"
    RADIATION = "RADIATION"
    BEHAVIORAL = "BEHAVIORAL"
    GENETIC = "GENETIC"
    DIETARY_SUPPLEMENT = "DIETARY_SUPPLEMENT"
    COMBINATION_PRODUCT = "COMBINATION_PRODUCT"
    DIAGNOSTIC_TEST = "DIAGNOSTIC_TEST"
    OTHER = "OTHER"


def _load_synonyms() -> dict[type[Enum], dict[str, str]]:
    """Registry display text -> API v2 value, per enum: a data file, so the lexicon grows without code.

    Keys are folded by `_fold` (lower case, runs of non-alphanumerics -> one underscore), so
    "Active, not recruiting", "ACTIVE_NOT_RECRUITING" and "active not recruiting" meet one key.
    """
    raw = json.loads(resources.files("extractor").joinpath("display_forms.json").read_text(encoding="utf-8"))
    enums: dict[str, type[Enum]] = {cls.__name__: cls for cls in _ENUMS}
    table: dict[type[Enum], dict[str, str]] = {}
    for name, mapping in raw.items():
        if name.startswith("_"):
            continue
        cls = enums[name]
        for value in mapping.values():
            if value not in cls.__members__:
                raise RuntimeError(f"display_forms.json: {value!r} is not a {name} value")
        table[cls] = dict(mapping)
    return table


_ENUMS: tuple[type[Enum], ...] = (
    OverallStatus, DateType, StudyType, Phase, Allocation, InterventionModel, PrimaryPurpose,
    Masking, EnrollmentType, Sex, ArmType, InterventionType,
)
SYNONYMS = _load_synonyms()

E = TypeVar("E", bound=Enum)


_FOLD_RE = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=4096)
def _fold(text: str) -> str:
    """Memoized: the same enum words and display values recur on every page."""
    return _FOLD_RE.sub("_", text.lower()).strip("_")


def normalize_enum(enum_cls: type[E], value: Any) -> E:
    """Map an API value or a display text onto `enum_cls`, or raise naming the allowed values."""
    if isinstance(value, enum_cls):
        return value
    if isinstance(value, str):
        key = _fold(value)
        upper = key.upper()
        if upper in enum_cls.__members__:
            return enum_cls[upper]
        mapped = SYNONYMS.get(enum_cls, {}).get(key)
        if mapped is not None:
            return enum_cls[mapped]
        # "Single (Participant)", "Double (Participant, Investigator)": keep the head word.
        head = re.split(r"[\s(\[:;,]", value.strip(), maxsplit=1)[0]
        if head and head != value.strip() and enum_cls is Masking:
            return normalize_enum(enum_cls, head)
    allowed = ", ".join(m.value for m in enum_cls)  # type: ignore[attr-defined]
    raise ValueError(f"{value!r} is not a valid {enum_cls.__name__}; allowed values: {allowed}")


def _enum_validator(enum_cls: type[E]) -> Callable[[Any], Any]:
    def validate(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str) and _fold(value) in _NULL_WORDS and enum_cls not in (Allocation,):
            return None
        return normalize_enum(enum_cls, value)

    return validate


# Words that mean "not stated" wherever a value is expected.
_NULL_WORDS = {"", "n_a", "na", "none_given", "not_available", "not_provided", "not_specified",
               "not_stated", "unknown_value", "null", "nil"}
_BULLET_RE = re.compile(
    r"^\s*(?:[•⁃‣◦●○▪▫■□·∙*\-–—]|[\u2460-\u2473\u2776-\u277f]|\(?\d{1,3}[.)](?!\d)|\(\d{1,3}\))\s*"
)

# Every character `_BULLET_RE` can start with (str.isdigit covers the regex's \d).
_BULLET_FIRST = frozenset("•⁃‣◦●○▪▫■□·∙*-–—(" + "".join(map(chr, [*range(0x2460, 0x2474), *range(0x2776, 0x2780)])))
_PHONE_RE = re.compile(r"(?=(?:\D*\d){7})\+?[\d\s().\-/]{7,}(?:\s*(?:ext\.?|x)\s*\d+)?", re.I)


def clean_text(value: Any) -> Any:
    """Trim whitespace and strip a leading list bullet or numbering ("1.", "•", "⁃", "-", "①")."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text or (text[0] not in _BULLET_FIRST and not text[0].isdigit()):
        return text  # no line starts a marker with another character: skip the regex
    marker = _BULLET_RE.match(text)
    if marker is None or _PHONE_RE.fullmatch(text):
        return text  # no marker; or "(301) 496-6120": an area code, not list numbering
    return text[marker.end():].strip()


def _optional_text(value: Any) -> Any:
    text = clean_text(value)
    if isinstance(text, str) and text == "":
        return None
    return text


def _text_list(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if isinstance(value, (list, tuple)):
        out = []
        for item in value:
            text = clean_text(item)
            if isinstance(text, str) and text == "":
                continue
            out.append(text)
        return out
    return value


def _none_to_list(value: Any) -> Any:
    return [] if value is None else value


_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}
_MONTH_RE = r"(?P<mon>[A-Za-z]{3,9})\.?"
_DATE_QUALIFIER = re.compile(r"\s*\((?:actual|anticipated|estimated?|expected)\)\s*$", re.I)
_ORDINAL = re.compile(r"(\d)(st|nd|rd|th)\b")
_ISO_DAY = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_ISO_MONTH = re.compile(r"(\d{4})[-/.](\d{1,2})")
_YEAR = re.compile(r"(\d{4})")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_MON_D_Y = re.compile(rf"{_MONTH_RE}\s+(?P<d>\d{{1,2}}),?\s+(?P<y>\d{{4}})")
_D_MON_Y = re.compile(rf"(?P<d>\d{{1,2}})[\s\-/]+{_MONTH_RE}[\s,\-/]+(?P<y>\d{{4}})")
_MON_Y = re.compile(rf"{_MONTH_RE}[\s,\-/]+(?P<y>\d{{4}})")
_Y_MON_D = re.compile(rf"(?P<y>\d{{4}})[\s\-/]+{_MONTH_RE}(?:[\s\-/]+(?P<d>\d{{1,2}}))?")
_NUMERIC_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_NUMERIC_MY = re.compile(r"(\d{1,2})[/.\-](\d{4})")


def _valid_date(y: int, m: int | None = None, d: int | None = None) -> str:
    if not 1800 <= y <= 2200:
        raise ValueError(f"year {y} is out of range")
    if m is None:
        return f"{y:04d}"
    if not 1 <= m <= 12:
        raise ValueError(f"month {m} is out of range")
    if d is None:
        return f"{y:04d}-{m:02d}"
    date(y, m, d)  # raises ValueError on 2025-02-30
    return f"{y:04d}-{m:02d}-{d:02d}"


def _month(name: str) -> int:
    key = name.lower().rstrip(".")
    if key not in _MONTHS:
        raise ValueError(f"{name!r} is not a month")
    return _MONTHS[key]


def normalize_partial_date(value: Any) -> Any:
    """Read a date as precisely as it is written: YYYY, YYYY-MM or YYYY-MM-DD.

    Numeric day/month orders that could be read either way (01/02/2025) are rejected.
    """
    if value is None or isinstance(value, date):
        return value.isoformat() if isinstance(value, date) else None
    if not isinstance(value, str):
        raise ValueError(f"expected a date string, got {type(value).__name__}")
    text = _DATE_QUALIFIER.sub("", value.strip().rstrip("."))
    text = _ORDINAL.sub(r"\1", text)
    if _fold(text) in _NULL_WORDS:
        return None
    try:
        if m := _ISO_DAY.fullmatch(text):
            return _valid_date(int(m[1]), int(m[2]), int(m[3]))
        if m := _ISO_MONTH.fullmatch(text):
            return _valid_date(int(m[1]), int(m[2]))
        if m := _YEAR.fullmatch(text):
            return _valid_date(int(m[1]))
        if m := _COMPACT.fullmatch(text):
            return _valid_date(int(m[1]), int(m[2]), int(m[3]))
        if m := _MON_D_Y.fullmatch(text):
            return _valid_date(int(m["y"]), _month(m["mon"]), int(m["d"]))
        if m := _D_MON_Y.fullmatch(text):
            return _valid_date(int(m["y"]), _month(m["mon"]), int(m["d"]))
        if m := _MON_Y.fullmatch(text):
            return _valid_date(int(m["y"]), _month(m["mon"]))
        if m := _Y_MON_D.fullmatch(text):
            day = int(m["d"]) if m["d"] else None
            return _valid_date(int(m["y"]), _month(m["mon"]), day)
        if m := _NUMERIC_DMY.fullmatch(text):
            a, b, y = int(m[1]), int(m[2]), int(m[3])
            if a > 12 >= b:
                return _valid_date(y, b, a)
            if b > 12 >= a:
                return _valid_date(y, a, b)
            if a == b:
                return _valid_date(y, a, b)
            raise ValueError("day and month order is ambiguous; write it as YYYY-MM-DD")
        if m := _NUMERIC_MY.fullmatch(text):
            return _valid_date(int(m[2]), int(m[1]))
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid date: {exc}") from None
    raise ValueError(f"{value!r} is not a date; use YYYY, YYYY-MM or YYYY-MM-DD")


_AGE_UNITS = {
    "year": "Year", "years": "Year", "yr": "Year", "yrs": "Year", "y": "Year", "yo": "Year",
    "month": "Month", "months": "Month", "mo": "Month", "mos": "Month", "m": "Month",
    "week": "Week", "weeks": "Week", "wk": "Week", "wks": "Week", "w": "Week",
    "day": "Day", "days": "Day", "d": "Day",
    "hour": "Hour", "hours": "Hour", "hr": "Hour", "hrs": "Hour", "h": "Hour",
    "minute": "Minute", "minutes": "Minute", "min": "Minute", "mins": "Minute",
}
_NO_AGE_LIMIT = {"n_a", "na", "none", "no_limit", "no_limit_specified", "not_applicable",
                 "no_age_limit", "not_specified", "not_stated", "unlimited"}


def normalize_age(value: Any) -> Any:
    """CT.gov age form "<n> <Unit>": "18" -> "18 Years", "6 months" -> "6 Months", "N/A" -> null."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("an age must be a number with a unit, e.g. '18 Years'")
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"expected an age string, got {type(value).__name__}")
    text = value.strip()
    if _fold(text) in _NO_AGE_LIMIT or text == "":
        return None
    m = re.fullmatch(
        r"(?:[≥≤><]=?\s*)?(\d{1,3})(?:\.0+)?\s*([A-Za-z]+)?\.?(?:\s+(?:old|of\s+age|and\s+(?:older|over|above|younger|under)))?",
        text,
        flags=re.I,
    )
    if not m:
        raise ValueError(f"{value!r} is not an age; use '<integer> <Unit>', e.g. '18 Years'")
    number = int(m[1])
    unit_word = (m[2] or "years").lower()
    if unit_word not in _AGE_UNITS:
        raise ValueError(f"{value!r} has an unknown age unit; use Years, Months, Weeks, Days, Hours or Minutes")
    unit = _AGE_UNITS[unit_word]
    return f"{number} {unit}" if number == 1 else f"{number} {unit}s"


_TRUE = {"t", "true", "yes", "y", "1", "accepts_healthy_volunteers", "accepted"}
_FALSE = {"f", "false", "no", "n", "0", "does_not_accept_healthy_volunteers", "not_accepted"}


def normalize_bool(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        key = _fold(value)
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
        if key in _NULL_WORDS:
            return None
    raise ValueError(f"{value!r} is not a yes/no value; allowed: true, false, Yes, No, t, f")


_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "0": "0", "1": "1", "2": "2", "3": "3", "4": "4"}


def normalize_phases(value: Any) -> Any:
    """"Phase 2/Phase 3" -> [PHASE2, PHASE3]; "Phase I/II", "Early Phase 1", "N/A" likewise."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    phases: list[Phase] = []
    for item in items:
        for phase in _parse_phase_text(item):
            if phase not in phases:
                phases.append(phase)
    order = list(Phase)
    return sorted(phases, key=order.index)


def _parse_phase_text(item: Any) -> list[Phase]:
    if isinstance(item, Phase):
        return [item]
    if not isinstance(item, str):
        raise ValueError(f"expected a phase string, got {type(item).__name__}")
    key = _fold(item)
    if key.upper() in Phase.__members__:
        return [Phase[key.upper()]]
    if key in {"n_a", "na", "not_applicable", "no_phase", "not_applicable_phase"}:
        return [Phase.NA]
    if key in {"early_phase_1", "early_phase_i", "early_phase1", "phase_0", "phase0", "phase_zero"}:
        return [Phase.EARLY_PHASE1]
    body = re.sub(r"\b(?:phase|phases|ph)\b", " ", item, flags=re.I)
    parts = [p for p in re.split(r"[/|,&+\-–]|\band\b|\s+", body.strip(), flags=re.I) if p]
    found: list[Phase] = []
    for part in parts:
        token = part.lower().rstrip("abc") if re.fullmatch(r"(?:[0-4]|i{1,3}|iv)[abc]?", part.lower()) else part.lower()
        digit = _ROMAN.get(token)
        if digit is None:
            break
        found.append(Phase.EARLY_PHASE1 if digit == "0" else Phase[f"PHASE{digit}"])
    else:
        if found:
            return found
    allowed = ", ".join(p.value for p in Phase)
    raise ValueError(f"{item!r} is not a valid Phase; allowed values: {allowed}")


def _parse_count(value: Any) -> Any:
    """"276 participants", "1,200", "276.0" -> int."""
    if isinstance(value, bool):
        raise ValueError("enrollment must be a count")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if _fold(text) in _NULL_WORDS:
            return None
        m = re.match(r"^(?:approximately|approx\.?|about|~|n\s*=\s*)?\s*(\d{1,3}(?:[,\s]\d{3})+|\d+)(?:\.0+)?\b", text, flags=re.I)
        if not m:
            raise ValueError(f"{value!r} is not a count")
        return int(re.sub(r"[,\s]", "", m[1]))
    return value


def _nct(value: Any) -> Any:
    if isinstance(value, str):
        text = re.sub(r"\s+", "", value).upper()
        return text or None
    return value


def _ids(value: Any) -> Any:
    return _text_list(value)


def _enum(enum_cls: type[E]) -> Any:
    return BeforeValidator(_enum_validator(enum_cls))


Text = Annotated[str, BeforeValidator(clean_text), Field(min_length=1)]
OptText = Annotated[str | None, BeforeValidator(_optional_text)]
OptPlainText = Annotated[str | None, BeforeValidator(lambda v: (v.strip() or None) if isinstance(v, str) else v)]
TextList = Annotated[list[Text], BeforeValidator(_text_list)]
_DateStr = Annotated[
    str,
    Field(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$", description="YYYY, YYYY-MM or YYYY-MM-DD, as precise as the document"),
]
PartialDate = Annotated[_DateStr | None, BeforeValidator(normalize_partial_date)]
_AgeStr = Annotated[
    str,
    Field(
        pattern=r"^\d+ (Years?|Months?|Weeks?|Days?|Hours?|Minutes?)$",
        description="'<integer> <Unit>', e.g. '18 Years', '6 Months', '1 Year'",
    ),
]
Age = Annotated[_AgeStr | None, BeforeValidator(normalize_age)]
OptBool = Annotated[bool | None, BeforeValidator(normalize_bool)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False, validate_assignment=True)


class Arm(_Model):
    """A study arm or group; `intervention_names` link to `Intervention.name`."""

    label: Text
    type: Annotated[ArmType | None, _enum(ArmType)] = None
    description: OptText = None
    intervention_names: TextList = Field(default_factory=list)


class Intervention(_Model):
    """An intervention; `arm_labels` link back to `Arm.label`."""

    type: Annotated[InterventionType | None, _enum(InterventionType)] = None
    name: Text
    description: OptText = None
    other_names: TextList = Field(default_factory=list)
    arm_labels: TextList = Field(default_factory=list)


class Outcome(_Model):
    measure: Text
    time_frame: OptText = None
    description: OptText = None


class Location(_Model):
    facility: OptText = None
    city: OptText = None
    state: OptText = None
    country: OptText = None
    status: Annotated[OverallStatus | None, _enum(OverallStatus)] = None


class Contact(_Model):
    name: OptText = None
    role: OptText = None
    email: OptText = None
    phone: OptPlainText = None  # "(01) 319-0000 anexo 2371": a leading bracket is an area code, not numbering


class TrialRecord(_Model):
    """One registry document's trial, in ClinicalTrials.gov API v2 terms.

    A field the document does not state is null (scalars) or [] (lists); nothing is guessed.
    """

    nct_id: Annotated[Annotated[str, Field(pattern=r"^NCT\d{8}$")] | None, BeforeValidator(_nct)] = None
    secondary_ids: Annotated[list[Text], BeforeValidator(_ids)] = Field(default_factory=list)
    brief_title: OptText = None
    official_title: OptText = None
    acronym: OptText = None
    overall_status: Annotated[OverallStatus | None, _enum(OverallStatus)] = None
    why_stopped: OptText = None
    start_date: PartialDate = None
    start_date_type: Annotated[DateType | None, _enum(DateType)] = None
    primary_completion_date: PartialDate = None
    primary_completion_date_type: Annotated[DateType | None, _enum(DateType)] = None
    completion_date: PartialDate = None
    completion_date_type: Annotated[DateType | None, _enum(DateType)] = None
    first_posted_date: PartialDate = None
    last_update_date: PartialDate = None
    study_type: Annotated[StudyType | None, _enum(StudyType)] = None
    phases: Annotated[list[Phase], BeforeValidator(normalize_phases)] = Field(default_factory=list)
    allocation: Annotated[Allocation | None, _enum(Allocation)] = None
    intervention_model: Annotated[InterventionModel | None, _enum(InterventionModel)] = None
    primary_purpose: Annotated[PrimaryPurpose | None, _enum(PrimaryPurpose)] = None
    masking: Annotated[Masking | None, _enum(Masking)] = None
    enrollment: Annotated[Annotated[int, Field(ge=0)] | None, BeforeValidator(_parse_count)] = None
    enrollment_type: Annotated[EnrollmentType | None, _enum(EnrollmentType)] = None
    conditions: TextList = Field(default_factory=list)
    keywords: TextList = Field(default_factory=list)
    brief_summary: OptText = None
    detailed_description: OptText = None
    arms: Annotated[list[Arm], BeforeValidator(_none_to_list)] = Field(default_factory=list)
    interventions: Annotated[list[Intervention], BeforeValidator(_none_to_list)] = Field(default_factory=list)
    primary_outcomes: Annotated[list[Outcome], BeforeValidator(_none_to_list)] = Field(default_factory=list)
    secondary_outcomes: Annotated[list[Outcome], BeforeValidator(_none_to_list)] = Field(default_factory=list)
    sex: Annotated[Sex | None, _enum(Sex)] = None
    minimum_age: Age = None
    maximum_age: Age = None
    healthy_volunteers: OptBool = None
    inclusion_criteria: TextList = Field(default_factory=list)
    exclusion_criteria: TextList = Field(default_factory=list)
    lead_sponsor: OptText = None
    collaborators: TextList = Field(default_factory=list)
    responsible_party: OptText = None
    locations: Annotated[list[Location], BeforeValidator(_none_to_list)] = Field(default_factory=list)
    contacts: Annotated[list[Contact], BeforeValidator(_none_to_list)] = Field(default_factory=list)
