"""Consistency checks on a TrialRecord: contradictions a reviewer should see before trusting it.

Each check yields `Issue`s with a stable code (scripts filter on it), a severity (`error` for
values that contradict each other, `warning` for the implausible, `info` for the odd), the
field paths concerned and a one-line message. Checks never change the record.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

from extractor.result import Issue, Severity
from extractor.schema import (
    Allocation,
    DateType,
    EnrollmentType,
    InterventionModel,
    OverallStatus,
    Phase,
    StudyType,
    TrialRecord,
)

__all__ = ["CHECK_CODES", "age_in_days", "check_raw", "date_bounds", "run_checks"]

_NCT_RE = re.compile(r"^NCT\d{8}$")
_STOPPED = {OverallStatus.TERMINATED, OverallStatus.SUSPENDED, OverallStatus.WITHDRAWN}
_ENDED = {OverallStatus.COMPLETED, OverallStatus.TERMINATED}
_UNIT_DAYS = {"Year": 365.25, "Month": 30.4375, "Week": 7.0, "Day": 1.0, "Hour": 1 / 24, "Minute": 1 / 1440}
_DUPLICATE_THRESHOLD = 95.0


def _issue(code: str, severity: Severity, paths: list[str], message: str) -> Issue:
    return Issue(code=code, severity=severity, paths=paths, message=message)


def date_bounds(value: str) -> tuple[date, date]:
    """The earliest and latest day a partial date (YYYY, YYYY-MM, YYYY-MM-DD) can mean."""
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 3:
        day = date(parts[0], parts[1], parts[2])
        return day, day
    if len(parts) == 2:
        y, m = parts
        last = (date(y + (m == 12), m % 12 + 1, 1) - date(y, m, 1)).days
        return date(y, m, 1), date(y, m, last)
    return date(parts[0], 1, 1), date(parts[0], 12, 31)


def _after(a: str, b: str) -> bool:
    """True only when `a` is certainly later than `b`, whatever their precision."""
    return date_bounds(a)[0] > date_bounds(b)[1]


def age_in_days(age: str) -> float:
    number, unit = age.split(" ", 1)
    return int(number) * _UNIT_DAYS[unit.rstrip("s")]


def _fold(text: str) -> str:
    return " ".join(default_process(text).split())


# --- the checks ---------------------------------------------------------------------------

def _date_order(r: TrialRecord, today: date) -> Iterator[Issue]:
    pairs = [
        ("start_date", "primary_completion_date"),
        ("start_date", "completion_date"),
        ("primary_completion_date", "completion_date"),
        ("first_posted_date", "last_update_date"),
    ]
    for early, late in pairs:
        a, b = getattr(r, early), getattr(r, late)
        if a and b and _after(a, b):
            yield _issue("DATE_ORDER", Severity.ERROR, [early, late], f"{early} {a} is after {late} {b}")


def _actual_in_future(r: TrialRecord, today: date) -> Iterator[Issue]:
    if r.last_update_date:
        limit, what = date_bounds(r.last_update_date)[1], f"the last update {r.last_update_date}"
        severity = Severity.ERROR
    else:
        limit, what, severity = today, f"today {today.isoformat()}", Severity.WARNING
    for field in ("start_date", "primary_completion_date", "completion_date"):
        value, kind = getattr(r, field), getattr(r, f"{field}_type")
        if value and kind == DateType.ACTUAL and date_bounds(value)[0] > limit:
            yield _issue("ACTUAL_DATE_IN_FUTURE", severity, [field, f"{field}_type"],
                         f"{field} {value} is marked ACTUAL but lies after {what}")


def _estimated_on_completed(r: TrialRecord, today: date) -> Iterator[Issue]:
    if r.overall_status not in _ENDED:
        return
    for field in ("primary_completion_date", "completion_date"):
        if getattr(r, f"{field}_type") == DateType.ESTIMATED:
            yield _issue("ESTIMATED_ON_COMPLETED", Severity.WARNING, [f"{field}_type", "overall_status"],
                         f"{field} is ESTIMATED on a {r.overall_status.value} study")


def _enrollment_type_status(r: TrialRecord, today: date) -> Iterator[Issue]:
    if r.enrollment_type == EnrollmentType.ESTIMATED and r.overall_status in _ENDED:
        assert r.overall_status is not None
        yield _issue("ENROLLMENT_TYPE_STATUS", Severity.WARNING, ["enrollment_type", "overall_status"],
                     f"enrollment is ESTIMATED on a {r.overall_status.value} study")
    if r.enrollment_type == EnrollmentType.ACTUAL and r.overall_status == OverallStatus.NOT_YET_RECRUITING:
        yield _issue("ENROLLMENT_TYPE_STATUS", Severity.WARNING, ["enrollment_type", "overall_status"],
                     "enrollment is ACTUAL on a study not yet recruiting")


def _age_range(r: TrialRecord, today: date) -> Iterator[Issue]:
    if r.minimum_age and r.maximum_age and age_in_days(r.minimum_age) > age_in_days(r.maximum_age):
        yield _issue("AGE_RANGE", Severity.ERROR, ["minimum_age", "maximum_age"],
                     f"minimum age {r.minimum_age} is above maximum age {r.maximum_age}")


def _age_sane(r: TrialRecord, today: date) -> Iterator[Issue]:
    for field in ("minimum_age", "maximum_age"):
        value = getattr(r, field)
        if value and age_in_days(value) > 120 * _UNIT_DAYS["Year"]:
            yield _issue("AGE_SANE", Severity.WARNING, [field], f"{field} {value} is above 120 years")


def _arm_counts(r: TrialRecord, today: date) -> Iterator[Issue]:
    if r.allocation == Allocation.RANDOMIZED and len(r.arms) == 1:
        yield _issue("RANDOMIZED_ONE_ARM", Severity.WARNING, ["allocation", "arms"],
                     "a randomized study lists only one arm")
    if r.intervention_model == InterventionModel.SINGLE_GROUP and len(r.arms) > 1:
        yield _issue("SINGLE_GROUP_MULTI_ARM", Severity.WARNING, ["intervention_model", "arms"],
                     f"a single-group study lists {len(r.arms)} arms")


def _phase_on_observational(r: TrialRecord, today: date) -> Iterator[Issue]:
    if r.study_type == StudyType.OBSERVATIONAL:
        odd = [p.value for p in r.phases if p != Phase.NA]
        if odd:
            yield _issue("PHASE_ON_OBSERVATIONAL", Severity.WARNING, ["phases", "study_type"],
                         f"an observational study has phase {', '.join(odd)}")


def _key(text: str) -> str:
    return "".join(text.lower().split())


def _arm_links(r: TrialRecord, today: date) -> Iterator[Issue]:
    if r.interventions:
        names = {_key(i.name) for i in r.interventions}
        names |= {_key(o) for i in r.interventions for o in i.other_names}
        for a, arm in enumerate(r.arms):
            for n, name in enumerate(arm.intervention_names):
                if _key(name) not in names:
                    yield _issue("ARM_LINK_DANGLING", Severity.WARNING, [f"arms[{a}].intervention_names[{n}]"],
                                 f"arm {arm.label!r} names intervention {name!r}, which is not listed")
    if r.arms:
        labels = {_key(arm.label) for arm in r.arms}
        for i, intervention in enumerate(r.interventions):
            for n, label in enumerate(intervention.arm_labels):
                if _key(label) not in labels:
                    yield _issue("ARM_LINK_DANGLING", Severity.WARNING, [f"interventions[{i}].arm_labels[{n}]"],
                                 f"intervention {intervention.name!r} names arm {label!r}, which is not listed")


def _nct_in_secondary(r: TrialRecord, today: date) -> Iterator[Issue]:
    for n, value in enumerate(r.secondary_ids):
        compact = re.sub(r"[\s\-_]", "", value).upper()
        if compact.startswith("NCT") and not _NCT_RE.match(value):
            hint = f" (did you mean {compact}?)" if _NCT_RE.match(compact) else ""
            yield _issue("NCT_ID_FORM", Severity.WARNING, [f"secondary_ids[{n}]"],
                         f"secondary id {value!r} looks like a malformed NCT ID{hint}")


def _duplicate_criteria(r: TrialRecord, today: date) -> Iterator[Issue]:
    n_inc = len(r.inclusion_criteria)
    texts = [_fold(t) for t in r.inclusion_criteria] + [_fold(t) for t in r.exclusion_criteria]
    if len(texts) < 2:
        return

    def path(i: int) -> str:  # built only for the rare hit
        return f"inclusion_criteria[{i}]" if i < n_inc else f"exclusion_criteria[{i - n_inc}]"

    scores = process.cdist(texts, texts, scorer=fuzz.ratio, score_cutoff=_DUPLICATE_THRESHOLD, dtype=np.uint8)
    for x, y in zip(*np.nonzero(scores)):  # row-major, as the upper triangle was read before
        if y <= x or not texts[x] or not texts[y]:
            continue
        px, py = path(int(x)), path(int(y))
        both = px.split("[")[0] != py.split("[")[0]
        what = "stated as both inclusion and exclusion" if both else "stated twice"
        yield _issue("DUPLICATE_CRITERION", Severity.WARNING, [px, py], f"the same criterion is {what}")


def _enrollment_range(r: TrialRecord, today: date) -> Iterator[Issue]:
    if r.enrollment == 0 and r.overall_status not in (OverallStatus.WITHDRAWN, None):
        yield _issue("ENROLLMENT_RANGE", Severity.WARNING, ["enrollment", "overall_status"],
                     f"enrollment is 0 on a {r.overall_status.value} study")
    if r.enrollment is not None and r.enrollment > 1_000_000 and r.study_type == StudyType.INTERVENTIONAL:
        yield _issue("ENROLLMENT_RANGE", Severity.WARNING, ["enrollment"],
                     f"enrollment {r.enrollment:,} is implausibly large for an interventional study")


_CMP = r"\s*(?:[:=]\s*)?(?:[≥≤><]=?|=>|=<|>=|<=|(?:of\s+)?(?:at\s+least|at\s+most|more\s+than|less\s+than|above|below))?\s*"
_NUM = r"(\d+(?:[.,]\d+)?)"
_HB = re.compile(r"\b(?:ha?emoglobin|hgb|hb)\b" + _CMP + _NUM + r"\s*(g\s*/\s*dl|g\s*/\s*l)\b", re.I)
_PLT = re.compile(r"\b(?:platelets?(?:\s+counts?)?|plt)\b" + _CMP + _NUM + r"\s*(?:g\s*/\s*l|g\s*/\s*dl)\b", re.I)
_CRCL = re.compile(r"\b(?:creatinine\s+clearance|crcl|clcr)\b" + _CMP + _NUM + r"\s*mg\b", re.I)


_LAB_WORDS = ("hb", "hgb", "emoglobin", "plt", "platelet", "clearance", "crcl", "clcr")
_LAB_WORD_RE = re.compile("|".join(_LAB_WORDS))  # any of them, anywhere in the lower-cased text


def _lab_units(r: TrialRecord, today: date) -> Iterator[Issue]:
    lists = (("inclusion_criteria", r.inclusion_criteria), ("exclusion_criteria", r.exclusion_criteria))
    for field, items in lists:
        if _LAB_WORD_RE.search("\n".join(items).lower()) is None:
            continue  # one search for the whole list: most name no lab value at all
        for i, text in enumerate(items):
            if _LAB_WORD_RE.search(text.lower()) is None:
                continue  # the regexes below are dear; most criteria name no lab value
            path = f"{field}[{i}]"
            for m in _HB.finditer(text):
                value, unit = float(m[1].replace(",", ".")), re.sub(r"\s", "", m[2]).lower()
                if unit == "g/l" and value < 30:
                    yield _lab_issue(path, m[0], "hemoglobin below 30 g/L is not survivable; g/dL meant?")
                elif unit == "g/dl" and value > 25:
                    yield _lab_issue(path, m[0], "hemoglobin above 25 g/dL is implausible; g/L meant?")
            for m in _PLT.finditer(text):
                yield _lab_issue(path, m[0], "platelets are counted per volume (×10^9/L), not weighed in g/L")
            for m in _CRCL.finditer(text):
                yield _lab_issue(path, m[0], "creatinine clearance is a rate (mL/min), not mg")


def _lab_issue(path: str, quote: str, why: str) -> Issue:
    return _issue("IMPLAUSIBLE_LAB_UNIT", Severity.WARNING, [path], f"{' '.join(quote.split())!r}: {why}")


def _why_stopped(r: TrialRecord, today: date) -> Iterator[Issue]:
    if r.why_stopped and r.overall_status is not None and r.overall_status not in _STOPPED:
        yield _issue("WHY_STOPPED_STATUS", Severity.INFO, ["why_stopped", "overall_status"],
                     f"a reason for stopping is given on a {r.overall_status.value} study")


def _date_type_without_date(r: TrialRecord, today: date) -> Iterator[Issue]:
    for field in ("start_date", "primary_completion_date", "completion_date"):
        if getattr(r, f"{field}_type") is not None and getattr(r, field) is None:
            yield _issue("DATE_TYPE_WITHOUT_DATE", Severity.WARNING, [f"{field}_type", field],
                         f"{field}_type is set but {field} is missing")
    if r.enrollment_type is not None and r.enrollment is None:
        yield _issue("DATE_TYPE_WITHOUT_DATE", Severity.WARNING, ["enrollment_type", "enrollment"],
                     "enrollment_type is set but enrollment is missing")


_CHECKS: list[Callable[[TrialRecord, date], Iterator[Issue]]] = [
    _date_order, _actual_in_future, _estimated_on_completed, _enrollment_type_status, _age_range,
    _age_sane, _arm_counts, _phase_on_observational, _arm_links, _nct_in_secondary,
    _duplicate_criteria, _enrollment_range, _lab_units, _why_stopped, _date_type_without_date,
]

CHECK_CODES = (
    "DATE_ORDER", "ACTUAL_DATE_IN_FUTURE", "ESTIMATED_ON_COMPLETED", "ENROLLMENT_TYPE_STATUS",
    "AGE_RANGE", "AGE_SANE", "RANDOMIZED_ONE_ARM", "SINGLE_GROUP_MULTI_ARM", "PHASE_ON_OBSERVATIONAL",
    "ARM_LINK_DANGLING", "NCT_ID_FORM", "DUPLICATE_CRITERION", "ENROLLMENT_RANGE",
    "IMPLAUSIBLE_LAB_UNIT", "WHY_STOPPED_STATUS", "DATE_TYPE_WITHOUT_DATE",
)


def run_checks(record: TrialRecord, *, today: date | None = None) -> list[Issue]:
    """Every consistency finding on `record`; `today` anchors ACTUAL dates when there is no last update."""
    day = today or date.today()
    return [issue for check in _CHECKS for issue in check(record, day)]


def check_raw(data: dict[str, Any]) -> list[Issue]:
    """Checks on a record as a caller passes it, before validation rejects or rewrites it."""
    issues: list[Issue] = []
    raw = data.get("nct_id")
    if raw is not None:
        text = raw if isinstance(raw, str) else str(raw)
        if not _NCT_RE.match(text):
            compact = re.sub(r"[\s\-_]", "", text).upper()
            hint = f" (did you mean {compact}?)" if _NCT_RE.match(compact) else ""
            issues.append(_issue("NCT_ID_FORM", Severity.ERROR, ["nct_id"],
                                 f"nct_id {text!r} is not NCT followed by 8 digits{hint}"))
    ids = data.get("secondary_ids")
    if isinstance(ids, list):
        for n, value in enumerate(ids):
            if isinstance(value, str):
                compact = re.sub(r"[\s\-_]", "", value).upper()
                if compact.startswith("NCT") and not _NCT_RE.match(value.strip()):
                    issues.append(_issue("NCT_ID_FORM", Severity.WARNING, [f"secondary_ids[{n}]"],
                                         f"secondary id {value!r} looks like a malformed NCT ID"))
    return issues
