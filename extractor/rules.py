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

from extractor.criteria import split_criteria, split_items
from extractor.lexicon import CLASS_TAGS, SUBLABELS, flag, lookup
from extractor.parsers import (
    COUNTRIES,
    bare_age,
    page_date_order,
    parse_period,
    parse_sex,
    parse_status,
    bare_count,
    bare_enum,
    is_bare_date,
    parse_age,
    parse_age_range,
    parse_contacts,
    parse_count,
    parse_date,
    parse_design,
    parse_enum,
    parse_ids,
    parse_locations,
    parse_phases,
    parse_qualifier,
    split_values,
)
from extractor.schema import (
    Allocation,
    InterventionModel,
    Masking,
    OverallStatus,
    PrimaryPurpose,
    Sex,
    StudyType,
    TrialRecord,
)
from extractor.lexicon import Kind
from extractor.sections import Line, Page, Section, segment, strip_marker
from extractor.tables import arms_and_interventions, outcomes

__all__ = ["extract_rules", "extract_values"]

# A registry's own name printed above the record ("... Clinical Trials Registry", "Search Portal").
_BANNER_RE = re.compile(r"\bclinical trials? regist(?:ry|er)\b|\bsearch portal\b|\bregistry platform\b",
                        re.IGNORECASE)
_NAME_CELL_RE = re.compile(r"^Name\s*(?:\t|[:：])\s*(\S.*)$", re.IGNORECASE)
_NAV_SEPS = (" > ", " | ", " / ", " » ", " › ")
# Words that make a design phrase about some other trial ("a previous randomized trial").
_OTHER_TRIAL_RE = re.compile(r"\b(?:previous|prior|earlier|published|other|meta-?analys\w*|several|many|large)\b",
                             re.IGNORECASE)
_HEADING_WORD_RE = re.compile(r"inclusion|exclusion", re.IGNORECASE)
_BOLD_RE = re.compile(r"\*\*|__")
# Registry numbers whose form names them; read from the page's header lines only.
_REGISTRY_ID_RE = re.compile(
    r"\b(?:ISRCTN\d{8}|ACTRN\d{14}|ChiCTR[-\w]{6,20}|CTRI/\d{4}/\d{2,3}/\d{4,6}|\d{4}-\d{6}-\d{2}(?:-\d{2})?|"
    r"DRKS\d{8}|IRCT\d{6,}N\d+|JPRN-\w+|KCT\d{7}|TCTR\d{11}|PACTR\d{15}|NL-OMON\d+|EUCTR[-\w]+)\b"
)
_REGISTERED_RE = re.compile(r"[\[(]\s*Registered on\s*[:：]?\s*([^\])]+?)\s*[\])]", re.IGNORECASE)
_SPACED_ID_RE = re.compile(r"^(.{2,40}?)\s*[:：]?\s+([A-Za-z]*\d[\w/.-]{3,40})$")
_NCT_RE = re.compile(r"\bNCT\d{8}\b", re.IGNORECASE)
_URL_NCT_RE = re.compile(r"clinicaltrials\.gov/(?:study|ct2/show)/(NCT\d{8})", re.IGNORECASE)
_NOT_STATED_RE = re.compile(r"^(?:not available|n/?a|none|nil|not applicable|not provided|not stated|-+)\.?$",
                            re.IGNORECASE)
# Sections whose lines may hold bare values (enums, dates, counts): headers and design blocks.
_BARE_KEYS = frozenset({"", "status_block", "design", "eligibility"})
_DESIGN_SUBLABEL_RE = re.compile(
    r"\b(allocation|intervention model|assignment|masking|blinding|primary purpose|purpose)\s*[:：]\s*",
    re.IGNORECASE,
)
_DESIGN_FIELD = {"allocation": "allocation", "intervention model": "intervention_model",
                 "assignment": "intervention_model", "masking": "masking", "blinding": "masking",
                 "primary purpose": "primary_purpose", "purpose": "primary_purpose"}
_ENUMS: dict[str, Any] = {"allocation": Allocation, "intervention_model": InterventionModel,
                          "masking": Masking, "primary_purpose": PrimaryPurpose}
_RP_TYPES = re.compile(r"^(?:sponsor|principal investigator|sponsor-investigator|investigator)$", re.IGNORECASE)
_YES_NO = {"yes": "Yes", "no": "No"}
# Requirement-vs-reason cue for unlabelled lists: an item that opens with a reason to be left out.
_EXCLUSION_CUE_RE = re.compile(
    r"^(?:history of|known\b|pregnan|breast-?feeding|lactating|allerg|hypersensitiv|received (?:other|prior|any)|"
    r"prior (?:treatment|therapy)|previous (?:treatment|therapy)|contraindicat|participation in (?:another|other)|"
    r"currently (?:participating|enrolled)|concurrent|uncontrolled|active (?:infection|bleeding))",
    re.IGNORECASE,
)


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
    _titles(page, out)
    _status_and_dates(page, out)
    _design(page, out)
    _lists_and_texts(page, out)
    _eligibility(page, out)
    _parties(page, out)
    arms, interventions = arms_and_interventions(page)
    out["arms"], out["interventions"] = arms, interventions
    out["primary_outcomes"] = outcomes(page, "primary_outcomes")
    out["secondary_outcomes"] = outcomes(page, "secondary_outcomes")
    out["locations"] = [site for s in page.all("locations") for site in parse_locations(_bare_lines(s.lines))]
    out["contacts"] = [c for s in page.all("contacts") for c in parse_contacts(_bare_lines(s.lines))]
    return out


def _bare_lines(lines: list[Line]) -> list[str]:
    return [strip_marker(line.text) for line in lines]


def _value(page: Page, key: str) -> tuple[str | None, Section | None]:
    for section in page.all(key):
        value = section.value
        if value and not _NOT_STATED_RE.match(value):
            return value, section
    return None, None


def _set(out: dict[str, Any], field: str, value: Any) -> None:
    if value not in (None, [], "") and out.get(field) in (None, [], ""):
        out[field] = value


# ---------------------------------------------------------------- header fields


def _identifiers(page: Page, out: dict[str, Any]) -> None:
    secondary: list[str] = []
    for key in ("nct_id", "registry_id", "secondary_ids"):
        for section in page.all(key):
            lines = _bare_lines(section.lines[:1] if key != "secondary_ids" else section.lines)
            for ident in parse_ids(lines):
                if _NCT_RE.fullmatch(ident):
                    if key != "secondary_ids" or "nct_id" not in out:
                        _set(out, "nct_id", ident.upper())
                    if ident.upper() == out.get("nct_id"):
                        continue
                if key != "nct_id" and ident not in secondary:
                    secondary.append(ident)
    for line in page.sections[0].lines:
        labelled = _SPACED_ID_RE.match(line.text)  # "ClinicalTrials.gov ID NCT01234567"
        found = lookup(labelled.group(1)) if labelled else None
        if labelled and found and found[0] in ("nct_id", "registry_id"):
            ident = labelled.group(2)
            if _NCT_RE.fullmatch(ident):
                _set(out, "nct_id", ident.upper())
            elif ident not in secondary:
                secondary.append(ident)
        for ident in _REGISTRY_ID_RE.findall(line.text):
            if ident not in secondary:
                secondary.append(ident)
    for section in page.all("registry_id"):  # "CTRI/2099/01/1 [Registered on: 19/08/2099]"
        registered = _REGISTERED_RE.search(section.value or "")
        if registered:
            _set(out, "first_posted_date", parse_date(registered.group(1), _date_order(page, registered.group(1)))[0])
    if "nct_id" not in out:
        m = _URL_NCT_RE.search(page.text)
        if m:
            out["nct_id"] = m.group(1).upper()
    out["secondary_ids"] = [s for s in secondary if s.upper() != out.get("nct_id")]


def _titles(page: Page, out: dict[str, Any]) -> None:
    for key in ("brief_title", "official_title", "acronym"):
        _set(out, key, _value(page, key)[0])
    if "brief_title" in out:
        return
    for line in _preamble(page):
        text = strip_marker(line.text).lstrip("# ").strip()
        if len(text.split()) < 4 or len(text) > 400 or "://" in text or any(sep in text for sep in _NAV_SEPS):
            continue
        if "  " in text and len(_MENU_RE.split(text)) >= 3:  # "Find Studies  About Studies  Resources"
            continue
        if _BANNER_RE.search(text):
            continue
        if bare_enum(text) or is_bare_date(text) or bare_count(text) is not None:
            continue
        out["brief_title"] = text
        return


_MENU_RE = re.compile(r"\s{2,}")


def _preamble(page: Page) -> list[Line]:
    """The unlabelled lines above the record's first block: the preamble, and what trails the
    one-line fields printed there ("DOI: https://…" then the heading)."""
    lines = list(page.sections[0].lines)
    for section in page.sections[1:]:
        if not section.inline:
            break
        lines.extend(section.lines[1:])
    return lines


def _status_and_dates(page: Page, out: dict[str, Any]) -> None:
    for key in ("overall_status", "recruitment_status"):
        for section in page.all(key):
            _set(out, "overall_status", parse_status(section.value))
    _set(out, "why_stopped", _value(page, "why_stopped")[0])
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
                _set(out, f"{key}_type", qualifier)
    if period_end is not None and "completion_date" not in out:
        out["completion_date"] = period_end[0]
        _set(out, "completion_date_type", period_end[1])
    if "start_date" not in out and "completion_date" not in out:
        dates = [line.text for s in _bare_sections(page) for line in s.lines if is_bare_date(line.text)]
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


def _enrollment(page: Page) -> tuple[str | None, Section | None]:
    """The enrollment value; when labels disagree (per-group sizes) only a stated total counts."""
    found = [(s.value, s) for s in page.all("enrollment") if parse_count(s.value) is not None]
    if not found:
        return None, None
    totals = [f for f in found if "total" in f[1].label.lower()]
    if len({parse_count(v) for v, _ in found}) == 1:
        return found[0]
    return totals[0] if totals else (None, None)


def _bare_sections(page: Page) -> list[Section]:
    return [s for s in page.sections if s.key in _BARE_KEYS]


def _design(page: Page, out: dict[str, Any]) -> None:
    study_type, _ = _value(page, "study_type")
    _set(out, "study_type", parse_enum(StudyType, study_type))
    for section in page.all("study_type"):  # ISRCTN "Study type(s)  Treatment" states the purpose
        if parse_enum(StudyType, section.value) is None:
            _set(out, "primary_purpose", parse_enum(PrimaryPurpose, section.value))
    for section in page.all("phases"):
        phases: list[str] = []
        for line in section.lines:  # "Phase 2" and "Phase 3" on lines of their own
            text = strip_marker(line.text)
            found = parse_phases(text)
            named = _PHASE_PAREN_RE.search(text) if not found else None
            if named:  # "Therapeutic confirmatory (Phase III)"
                found = parse_phases(named.group(1))
            if not found:
                break
            phases.extend(found)
        _set(out, "phases", phases)
    for field, enum_cls in _ENUMS.items():
        _set(out, field, parse_enum(enum_cls, _value(page, field)[0]))
    for section in page.all("design"):
        for line in section.lines:
            text = strip_marker(line.text)
            parts = _DESIGN_SUBLABEL_RE.split(text)
            if len(parts) > 1:  # "Allocation: Randomized Masking: Open ..." on one line
                for label, value in zip(parts[1::2], parts[2::2]):
                    field = _DESIGN_FIELD[label.lower()]
                    value = _SENTENCE_END_RE.split(value, maxsplit=1)[0]  # "Parallel. Study design purpose"
                    _set(out, field, parse_enum(_ENUMS[field], value.strip(" ,;.")))
            elif len(text) <= 150 and not bare_enum(text, design=True):
                for field, value in parse_design(text).items():
                    _set(out, field, value)
            if "intervention_model" not in out and len(text) <= 300:
                model = _MODEL_WORD_RE.search(text)  # "two-arm parallel-group randomized trial"
                if model:
                    _set(out, "intervention_model", _MODEL_WORDS[model.group(1).lower().replace(" ", "-")])
    for section in _bare_sections(page):
        design = section.key == "design"
        for line in section.lines:
            text = strip_marker(line.text)
            token = bare_enum(text, design=design)
            if token is not None:
                field, value = token
                if field == "phases":
                    out["phases"] = sorted(set(out.get("phases", [])) | set(parse_phases(value)))
                elif field != "sex":
                    _set(out, field, value)
                continue
            count = bare_count(text)
            if count is not None:
                _set(out, "enrollment", count)
    _flags(page, out)
    enrollment, source = _enrollment(page)
    count = parse_count(enrollment)
    if count is not None and "enrollment" not in out and source is not None:
        out["enrollment"] = count
        _set(out, "enrollment_type", source.qualifier or parse_qualifier(enrollment or ""))
    _stated_design(page, out)


_PHASE_PAREN_RE = re.compile(r"\((phase\s*[\dIV/ ]+)\)\s*$", re.IGNORECASE)
# "Asthma, Eosinophilic Asthma": a comma list of capitalised names (a lower-case word after a comma
# means the commas are inside one condition: "Early breast cancer, hormone receptor positive").
_TITLE_LIST_RE = re.compile(r"^[A-Z][\w'-]*(?: [\w'-]+){0,4}(?:, [A-Z][\w'-]*(?: [\w'-]+){0,4})+$")
_SENTENCE_END_RE = re.compile(r"\.\s+")
_MODEL_WORD_RE = re.compile(r"\b(parallel[- ]group|parallel[- ]arm|cross-?over|factorial|single[- ]arm|"
                            r"single[- ]group)\b", re.IGNORECASE)
_MODEL_WORDS = {"parallel-group": "Parallel", "parallel-arm": "Parallel", "crossover": "Crossover",
                "cross-over": "Crossover", "factorial": "Factorial", "single-arm": "Single Group",
                "single-group": "Single Group"}


def _flags(page: Page, out: dict[str, Any]) -> None:
    """Yes rows of a registry's design/population flags ("Double blind  Yes", "Female  Yes")."""
    said: dict[str, list[str]] = {}
    for section in page.all("flag"):
        found = flag(section.label)
        if found is not None and (section.value or "").strip().rstrip(".").lower() == "yes":
            said.setdefault(found[0], []).append(found[1])
    for field, values in said.items():
        if field == "phases":
            _set(out, "phases", sorted({p for v in values for p in parse_phases(v)}))
        elif field == "sex":
            _set(out, "sex", "ALL" if len(set(values)) == 2 else values[0])
        elif len(set(values)) == 1:
            _set(out, field, values[0])


_NONRANDOM_RE = re.compile(r"\bnon-?\s?randomi[sz]ed\b", re.IGNORECASE)
_RANDOM_RE = re.compile(r"\b(?<!non-)(?<!non)(?<!non )randomi[sz]ed\b", re.IGNORECASE)
_MASK_RE = re.compile(r"\b(open)[- ]label\b|\b(single|double|triple|quadruple)[- ]blind", re.IGNORECASE)
# "participants are randomized 1:1", "will be randomly assigned": the trial's own allocation
_ASSIGNED_RE = re.compile(r"\b(?:are|is|will be|were|be)\s+(?:randomi[sz]ed\s+(?:in\s+a\s+)?\d+:\d+|"
                          r"randomly\s+(?:assigned|allocated))", re.IGNORECASE)
_SELF_RE = re.compile(r"\b(?:this|the|a|an)\s+(?:[\w-]+,?\s+){0,5}?(?:non-?\s?)?randomi[sz]ed\b", re.IGNORECASE)


def _stated_design(page: Page, out: dict[str, Any]) -> None:
    """Allocation and masking the title or summary state about this trial ("a randomized, ...")."""
    texts = [out.get("brief_title") or "", out.get("official_title") or ""]
    for key in ("brief_summary", "detailed_description"):
        section = page.first(key)
        if section is not None:
            texts.append(" ".join(section.texts()))
    titles = " ".join(texts[:2])
    body = " ".join(texts[2:])
    text = titles + " " + body
    folded = text.lower()
    if "allocation" not in out and "randomi" in folded:
        said = {"non" if _NONRANDOM_RE.search(m.group()[-20:]) else "yes"
                for m in _SELF_RE.finditer(text) if _about_this_trial(text, m.start(), m.group())}
        if _RANDOM_RE.search(titles) and not _NONRANDOM_RE.search(titles):
            said.add("yes")
        said |= {"yes" for m in _ASSIGNED_RE.finditer(body) if _about_this_trial(body, m.start(), m.group())}
        if said == {"non"}:
            out["allocation"] = "Non-Randomized"
        elif said == {"yes"}:
            out["allocation"] = "Randomized"
    if "masking" not in out and ("blind" in folded or "label" in folded):
        found = {"NONE" if m.group(1) else m.group(2).upper() for m in _MASK_RE.finditer(text)
                 if _about_this_trial(text, m.start(), m.group())}
        if len(found) == 1:
            out["masking"] = found.pop()


def _about_this_trial(text: str, start: int, phrase: str) -> bool:
    """No word in the phrase or just before it (same sentence) points at another trial."""
    before = text[max(0, start - 60): start]
    before = before[before.rfind(".") + 1:]
    return not _OTHER_TRIAL_RE.search(before + " " + phrase)


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
                    _set(out, "phases", [p for cell in table["phases"] for p in parse_phases(cell)])
            elif section.inline and len(section.lines) == 1 and _TITLE_LIST_RE.match(section.lines[0].text):
                lines = [v.strip() for v in section.lines[0].text.split(",")]  # "Condition: Asthma, Eosinophilic Asthma"
            else:
                lines = _bare_lines(section.lines)
            values.extend(v for v in split_values(lines) if len(v) <= 200 and not _NOT_STATED_RE.match(v)
                          and v not in values)
        out[key] = values
    for key in ("brief_summary", "detailed_description"):
        block = next((s for s in page.all(key) if s.lines), None)
        if block is None:
            continue
        text = _BOLD_RE.sub("", _raw(page, block.lines)).strip()
        if not _NOT_STATED_RE.match(text):
            out[key] = text


# ---------------------------------------------------------------- eligibility


def _is_bare_elig(text: str) -> bool:
    return bare_age(text) or text in ("ALL", "MALE", "FEMALE") or text.lower() in _YES_NO


def _eligibility(page: Page, out: dict[str, Any]) -> None:
    sex, _ = _value(page, "sex")
    _set(out, "sex", parse_sex(sex))
    _set(out, "minimum_age", parse_age(_value(page, "minimum_age")[0]))
    _set(out, "maximum_age", parse_age(_value(page, "maximum_age")[0]))
    low, high = parse_age_range(_value(page, "age_range")[0])
    _set(out, "minimum_age", low)
    _set(out, "maximum_age", high)
    healthy, _ = _value(page, "healthy_volunteers")
    _set(out, "healthy_volunteers", healthy)
    labelled_ages = "minimum_age" in out or "maximum_age" in out

    inclusion: list[str] = []
    exclusion: list[str] = []
    for index, section in enumerate(page.sections):
        if section.key in ("inclusion", "exclusion"):
            lines = _take_bare_values(_criteria_lines(page, index), out)
            (inclusion if section.key == "inclusion" else exclusion).extend(_items(page, lines))
    if not inclusion and not exclusion:
        for section in page.all("eligibility"):
            index = page.sections.index(section)
            lines = _take_bare_values(page.stray(index), out)
            start = next((i for i, line in enumerate(lines) if line.bulleted), None)
            if start is None:
                continue
            raw = _raw(page, lines[start:])
            inc, exc = split_criteria(raw) if _HEADING_WORD_RE.search(raw) else (split_items(raw), [])
            if not exc:
                inc, exc = _split_unlabelled(inc)
            inclusion.extend(inc)
            exclusion.extend(exc)
            if inclusion:
                break
    out["inclusion_criteria"], out["exclusion_criteria"] = inclusion, exclusion
    if not labelled_ages and "minimum_age" not in out:
        for item in inclusion:
            if re.match(r"^(?:aged?\b|\d{1,3}\s*(?:-|–|~|to)\s*\d{1,3}\s*years?\b)", item, re.IGNORECASE):
                low, high = parse_age_range(item)
                if low:
                    out["minimum_age"] = low
                    _set(out, "maximum_age", high)
                    break


def _criteria_lines(page: Page, index: int) -> list[Line]:
    """A criteria heading's lines, and the lines trailing the fields printed under it when they
    carry on the list (bulleted); unbulleted text after another field's value is no criterion."""
    out = [line for line in page.sections[index].lines if line.text.lower() not in SUBLABELS]
    for section in page.sections[index + 1:]:
        if section.container != index:
            break
        if section.kind is Kind.SCALAR and len(section.lines) > 1:
            tail = [line for line in section.lines[1:] if line.text.lower() not in SUBLABELS]
            if tail and (tail[0].bulleted or not out):
                out.extend(tail)
    return out


def _take_bare_values(lines: list[Line], out: dict[str, Any]) -> list[Line]:
    """Strip the trailing run of bare age/sex/yes-no values off a criteria block and read them."""
    end = len(lines)
    while end > 0 and _is_bare_elig(strip_marker(lines[end - 1].text)):
        end -= 1
    tail = [strip_marker(line.text) for line in lines[end:]]
    ages = [t for t in tail if bare_age(t)]
    if len(ages) == 2:
        _set(out, "minimum_age", ages[0])
        _set(out, "maximum_age", ages[1])
    for i, text in enumerate(tail):
        if text in ("ALL", "MALE", "FEMALE"):
            _set(out, "sex", text)
        elif text.lower() in _YES_NO and i > 0 and _is_bare_elig(tail[i - 1]) and text.lower() not in (
                t.lower() for t in tail[:i]):
            _set(out, "healthy_volunteers", _YES_NO[text.lower()])
    return lines[:end]


def _raw(page: Page, lines: list[Line]) -> str:
    """The page text under these lines, indentation and blank lines kept (the splitter reads them)."""
    if not lines:
        return ""
    last = lines[-1]
    return page.text[lines[0].start: last.start + len(last.text)]


def _items(page: Page, lines: list[Line]) -> list[str]:
    return split_items(_raw(page, lines)) if lines else []


def _split_unlabelled(items: list[str]) -> tuple[list[str], list[str]]:
    """An unlabelled list turns from requirements to reasons at the first reason item, when the
    reasons that follow are plainly reasons (at least two cue items, none before the turn)."""
    cues = [i for i, item in enumerate(items) if _EXCLUSION_CUE_RE.match(item)]
    if len(cues) < 2 or cues[0] == 0:
        return items, []
    turn = cues[0]
    tail = len(items) - turn
    if len(cues) * 3 < tail:
        return items, []
    return items[:turn], items[turn:]


# ---------------------------------------------------------------- sponsors and parties


def _org(text: str) -> str | None:
    text = strip_marker(text).strip()
    if not text or text in CLASS_TAGS or len(text) > 200 or _NOT_STATED_RE.match(text) or text.lower() in SUBLABELS:
        return None
    if not _LETTER_RE.search(text) or ":" in text or "\t" in text:
        return None  # "1", "Study Director: …", table rows are no organization names
    return text


_LETTER_RE = re.compile(r"[^\W\d_]{2}")
# Address-like lines: a sponsor block holding them is one sponsor's details, not a list of sponsors.
_ADDRESS_RE = re.compile(r"\d|\bdetails\b", re.IGNORECASE)
# "Jane R. Holloway, University of Pittsburgh": a person's name, then the affiliation.
_PERSON_AFFIL_RE = re.compile(r"^((?:(?:Dr|Prof)\.?\s+)?[A-Z][a-z'-]+(?:\s+[A-Z]\.)?(?:\s+[A-Z][a-z'-]+){1,2}),\s+"
                              r"(?=.*\b(?:University|Universit\w+|Hospital|Institute|Center|Centre|College|"
                              r"Clinic|School|Foundation|Inc|Ltd|GmbH)\b)")


def _parties(page: Page, out: dict[str, Any]) -> None:
    for section in page.all("lead_sponsor"):  # "B.Sponsor: 1" then "Name of Sponsor  Acme": the first name
        _set(out, "lead_sponsor", _org(section.value or ""))
    collaborators: list[str] = []
    for section in page.all("collaborators"):
        for value in split_values(_bare_lines(section.lines)):
            org = _org(value)
            if org and org not in collaborators:
                collaborators.append(org)
    if "lead_sponsor" not in out:
        for section in page.all("sponsor_type"):  # "Primary sponsor type  University" / "Name  Monash …"
            named = _NAME_CELL_RE.match(section.lines[1].text) if len(section.lines) > 1 else None
            if named:
                _set(out, "lead_sponsor", _org(named.group(1)))
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
    party, _ = _value(page, "responsible_party")
    party = re.sub(r"\s*\(Responsible Party\)$", "", party or "", flags=re.IGNORECASE)
    person = _PERSON_AFFIL_RE.match(party)
    if person:
        party = person.group(1)
    if party and not _RP_TYPES.match(party):
        out["responsible_party"] = party
