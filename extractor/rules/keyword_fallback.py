"""Keyword fallback for labels the lexicon does not know, guarded by strict value parsing.

The lexicon names each label exactly, so a registry layout nobody has seen loses its header
fields ("Overall trial status", "Target number/sample size", "Age-lower limit"). Here an unknown
label is folded to words and matched against one keyword pattern per field; the value it owns is
kept only when that field's strict parser reads it (a status that normalizes, a date that parses,
a clean count, an age, a sex, an organization name). The fallback only fills fields the exact
readers left empty, and never reads a label the lexicon knows (its own fields and its ignored ones).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable

from extractor.rules.lexicon import fold_label, lookup
from extractor.rules.parsers import page_date_order, parse_age, parse_date, parse_enum, parse_phases, parse_sex, parse_status
from extractor.rules.parties import org_name
from extractor.rules.section_values import NOT_STATED_RE, put
from extractor.schema import Allocation, InterventionModel, Masking, PrimaryPurpose, StudyType
from extractor.rules.segment import Page

__all__ = ["guess_field", "read_fallback", "fallback_value"]

# field -> (words the folded label must hold, words that make it some other field's label).
# Order matters: the first field whose pattern matches owns the label.
_PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("healthy_volunteers", r"\bhealthy\b", r"$^"),
    ("minimum_age", r"\bage\b.*\b(?:min|minimum|lower|from|low)\b|\b(?:min|minimum|lower|from|low)\b.*\bage\b",
     r"\bgroup\b|\bmax|\bupper\b"),
    ("maximum_age", r"\bage\b.*\b(?:max|maximum|upper|to|high)\b|\b(?:max|maximum|upper|high)\b.*\bage\b",
     r"\bgroup\b|\bmin|\blower\b"),
    ("sex", r"\b(?:gender|genders|sex|sexes)\b", r"\bratio\b|\bdistribution\b|\bspecific\b|\bbased\b"),
    ("start_date", r"\bstart|\bcommence|\bbegin|\bfirst (?:participant |patient |subject )?(?:enrol|recruit|inclusion)",
     r"\bend\b|complet|\blast\b|regist|submi|post|update|approv|ethic|public|result|eea\b|country|national"),
    ("completion_date", r"complet|\bend of (?:the )?(?:study|trial)\b|\b(?:study|trial) end\b|\bend date\b"
     r"|\bclos(?:e|ing|ure) date\b", r"\bprimary\b|\bstart|enrol|recruit|regist|submi|post|update|ethic|result"),
    ("overall_status", r"\bstatus\b|\brecruitment\b|\brecruiting\b",
     r"ethic|approv|regist|applic|public|result|review|submi|document|verif|\bipd\b|shar|\bdate\b|\bby\b|"
     r"\bsponsor|fund|\bage\b|\btarget\b|\bsize\b|\bnumber\b|\bcountr|\bsite|\bcent|\bplace|\bperiod\b|\btime\b|"
     r"\bmethod|\bprocedure|\bvital\b|\bmarital\b|\bperformance\b|\bhealth\b|\bstart|\bend\b"),
    ("enrollment", r"\bsample size\b|\bparticipants\b|\benrol?l?ment\b|\bsubjects\b|\bpatients\b|\bcases\b"
     r"|\btarget (?:number|size|recruitment)\b|\bnumber of (?:participants|subjects|patients|cases)\b",
     r"\bdate\b|\bage\b|\btype|criteri|inclusion|exclusion|\bper\b|\barm\b|\bgroup|\bsite|\bcent|\bcountr|\beea\b|"
     r"national|\blocal\b|\bstatus\b|\bfirst\b|\blast\b|\bfinal\b|\bhealthy\b|\bwithdraw|\bdrop|\bcontact|\bstart|"
     r"\bend\b|\bprocedure|\bmethod|\binformation\b|\bsheet\b|\bso far\b|\bto date\b|\bcurrent|\bprogress"),
    ("lead_sponsor", r"\bsponsors?\b|\bpromot(?:e|o)r\b",
     r"second|fund|\btype\b|address|countr|contact|protocol|\bcode\b|categor|\bclass\b|detail|mail|phone|\bcity\b|"
     r"\brole\b|\bnumber\b|\bid\b|\bno\b|\breference\b|\bstatus\b|\bco\b|\bcollaborat|\blegal\b|\bsite"),
    ("phases", r"\bphases?\b|\bfase\b", r"\bdate\b|\bduration\b|\bstart|\bend\b|\btime\b"),
    ("study_type", r"\b(?:study|trial) type\b|\btype of (?:the )?(?:study|trial)\b|\bnature of (?:the )?(?:study|trial)\b",
     r"\bdesign\b|\bsecondary\b|\bsub\b"),
    ("allocation", r"\ballocation\b|\brandomi[sz]ation\b|\brandomi[sz]ed\b",
     r"conceal|\bunit\b|\bratio\b|\bmethod|\bsequence\b|\bprocedure\b|\bdynamic\b|\bstratif"),
    ("masking", r"\bmasking\b|\bblinding\b|\bblinded\b|\bmasked\b", r"\bwho\b|\bdescription\b|\bmethod"),
    ("intervention_model", r"\bassignment\b|\bintervention model\b|\bbasic design\b|\bmodel\b", r"\bdescription\b"),
    ("primary_purpose", r"\bpurpose\b", r"\bdescription\b|\bsecondary\b"),
)
_COMPILED = tuple((field, re.compile(want), re.compile(avoid)) for field, want, avoid in _PATTERNS)
# Words that date a label to an earlier version of the record ("Original Estimated Enrollment").
_SUPERSEDED_RE = re.compile(r"\b(?:original|previous|prior|former|history|changed?|amended|old)\b")
_NUMBERING_RE = re.compile(r"^\(?\d{1,3}[.)]\s*|^[A-P](?:\.\d{1,2})+\.?\s+")
_LABEL_SHAPE_RE = re.compile(r"^[A-Z][^.!?;]{1,58}$")
_HAS_WORD_RE = re.compile(r"[a-z]{2}")


@lru_cache(maxsize=8192)
def guess_field(label: str) -> tuple[str, str | None] | None:
    """(field, qualifier) a label the lexicon does not know names by its words, else None.

    A label the lexicon knows is never guessed: its exact key (a field, or one it ignores) stands.
    A bilingual label ("Tipo de estudio / Study type") is read by the exact lexicon half first."""
    label = _NUMBERING_RE.sub("", label.strip().rstrip(":： ").strip())
    if not label or len(label) > 70 or lookup(label) is not None:
        return None
    if " / " in label:
        for part in label.split(" / "):
            known = lookup(part.strip())
            if known is not None:
                return (known[0], known[1]) if known[0] in _PARSERS else None
    folded, qualifier = fold_label(label)
    if not _HAS_WORD_RE.search(folded) or _SUPERSEDED_RE.search(folded):
        return None
    for field, want, avoid in _COMPILED:
        if want.search(folded) and not avoid.search(folded):
            return field, qualifier
    return None


def _count(text: str) -> int | None:
    m = _CLEAN_COUNT_RE.match(text)
    return int(m.group(1).replace(",", "")) if m else None


_CLEAN_COUNT_RE = re.compile(r"^(?:n\s*=\s*)?(\d{1,3}(?:,\d{3})+|\d{1,6})(?:\s+(?:participants?|patients|subjects|people|"
                             r"volunteers|cases))?\.?$", re.IGNORECASE)
_YES_NO = {"yes": "Yes", "no": "No", "true": "Yes", "false": "No", "accepted": "Yes", "accepts": "Yes"}


def _sponsor(text: str) -> str | None:
    name = org_name(text)
    if name is None or len(name) > 150 or name.endswith(".") and not name.endswith((" Inc.", " Ltd.", " Co.")):
        return None
    return name if name[:1].isupper() or name[:1].isdigit() else None


_PARSERS: dict[str, Callable[[str], Any]] = {
    "overall_status": parse_status,
    "enrollment": _count,
    "lead_sponsor": _sponsor,
    "minimum_age": parse_age,
    "maximum_age": parse_age,
    "sex": parse_sex,
    "healthy_volunteers": lambda v: _YES_NO.get(v.strip().rstrip(".").lower()),
    "phases": lambda v: parse_phases(v) or None,
    "study_type": lambda v: parse_enum(StudyType, v),
    "allocation": lambda v: parse_enum(Allocation, v),
    "masking": lambda v: parse_enum(Masking, v),
    "intervention_model": lambda v: parse_enum(InterventionModel, v),
    "primary_purpose": lambda v: parse_enum(PrimaryPurpose, v),
    "start_date": lambda v: v,  # dates are parsed in `fallback_value` with the page's day/month order
    "completion_date": lambda v: v,
}
_DATE_FIELDS = frozenset({"start_date", "completion_date"})
_AMBIGUOUS_RE = re.compile(r"\b(?:0?[1-9]|1[0-2])[/.-](?:0?[1-9]|1[0-2])[/.-]\d{4}\b")


def fallback_value(field: str, value: str, page_text: str = "") -> tuple[Any, str | None] | None:
    """(value, qualifier) when `field`'s strict parser reads `value`, else None. A bilingual value
    ("Intervencional / Interventional") is read half by half."""
    value = value.strip()
    if not value or len(value) > 200 or NOT_STATED_RE.match(value):
        return None
    candidates = [value] + ([p.strip() for p in value.split(" / ")] if " / " in value else [])
    for candidate in candidates:
        if field in _DATE_FIELDS:
            order = page_date_order(page_text) if page_text and _AMBIGUOUS_RE.search(candidate) else None
            date, qualifier = parse_date(candidate, order)
            if date is not None and len(date) == 10:
                return date, qualifier
            continue
        read = _PARSERS[field](candidate)
        if read is not None:
            return read, None
    return None


_PROSE_KEYS = frozenset({"brief_summary", "detailed_description", "primary_outcomes", "secondary_outcomes",
                         "arms", "interventions"})
_TYPE_FIELDS = {"start_date": "start_date_type", "completion_date": "completion_date_type",
                "enrollment": "enrollment_type"}


def read_fallback(page: Page, out: dict[str, Any]) -> None:
    """Fill the header fields the exact readers left empty from rows under unknown labels:
    "Label<TAB>value", "Label: value", tab rows of label/value pairs, and a label line over its value."""
    if all(out.get(field) not in (None, [], "") for field in _PARSERS):
        return  # the exact readers found every field the fallback could offer
    found: dict[str, tuple[Any, str | None]] = {}
    for section in page.sections:
        prose = section.key in _PROSE_KEYS  # only tab rows there: "Time frame: …" is the outcome's own text
        if section.key == "ignore" and section.lines:  # an unknown "Label<TAB>value" row the segmenter cut
            _offer(section.label, section.lines[0].text, page, found, out)
        lines = section.lines
        for i, line in enumerate(lines):
            text = line.text
            if line.bulleted and not text[:1].isdigit():
                continue  # "- Age: 18-65" in a list is an item, not a field row
            tab = text.find("\t", 0, 90)
            colon = -1 if prose else _colon(text)
            if tab >= 0 and text.count("\t") >= 3:  # "Submission date<TAB>…<TAB>Recruitment status<TAB>…"
                cells = text.split("\t")
                for j in range(0, len(cells) - 1, 2):
                    _offer(cells[j].strip().rstrip(":："), cells[j + 1].strip(), page, found, out)
            elif tab >= 0 or colon >= 0:
                cut = min(c for c in (tab, colon) if c >= 0)
                _offer(text[:cut].strip(), text[cut + 1:].strip(" \t:："), page, found, out)
            elif not prose and i + 1 < len(lines) and len(text) < 60 and text[0].isupper() \
                    and _LABEL_SHAPE_RE.match(text):
                _offer(text, lines[i + 1].text, page, found, out)
    for field, (value, qualifier) in found.items():
        if out.get(field) in (None, [], ""):
            out[field] = value
            if field in _TYPE_FIELDS and qualifier is not None:
                put(out, _TYPE_FIELDS[field], qualifier)


def _colon(text: str) -> int:
    """Where a "Label: value" colon is (followed by a space), or -1: ": ", else "： ", else "："."""
    at = text.find(": ", 0, 90)
    if at >= 0:
        return at
    wide = text.find("：", 0, 90)  # every "： " starts at or after the first "："
    if wide < 0:
        return -1
    at = text.find("： ", wide, 90)
    return at if at >= 0 else wide


def _offer(label: str, value: str, page: Page, found: dict[str, tuple[Any, str | None]],
           out: dict[str, Any]) -> None:
    """Keep the first strictly parsed value per field (page order) for fields still empty."""
    if len(label) > 72 or not value:
        return
    guess = guess_field(label)
    if guess is None or guess[0] in found or out.get(guess[0]) not in (None, [], ""):
        return
    field, label_qualifier = guess
    read = fallback_value(field, value, page.text)
    if read is not None:
        found[field] = (read[0], label_qualifier or read[1])
