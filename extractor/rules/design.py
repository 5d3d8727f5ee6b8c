"""Design fields for the rules: study type, phases, allocation, model, purpose, masking, enrollment.

Read from labelled rows, a design block"s sub-labels, a registry"s Yes/No flag rows and bare
enum values; allocation and masking also from what the title or summary says about this trial.
"""

from __future__ import annotations

import re
from typing import Any

from extractor.rules.lexicon import flag
from extractor.rules.parsers import (
    bare_count,
    bare_enum,
    parse_count,
    parse_design,
    parse_enum,
    parse_phases,
    parse_qualifier,
)
from extractor.rules.section_values import bare_sections, first_value, put
from extractor.schema import Allocation, InterventionModel, Masking, PrimaryPurpose, StudyType
from extractor.rules.segment import Page, Section, strip_marker

__all__ = ["read_design"]

# Words that make a design phrase about some other trial ("a previous randomized trial").
_OTHER_TRIAL_RE = re.compile(r"\b(?:previous|prior|earlier|published|other|meta-?analys\w*|several|many|large)\b",
                             re.IGNORECASE)
_DESIGN_SUBLABEL_RE = re.compile(
    r"\b(allocation|intervention model|assignment|masking|blinding|primary purpose|purpose)\s*[:：]\s*",
    re.IGNORECASE,
)
_DESIGN_FIELD = {"allocation": "allocation", "intervention model": "intervention_model",
                 "assignment": "intervention_model", "masking": "masking", "blinding": "masking",
                 "primary purpose": "primary_purpose", "purpose": "primary_purpose"}
_ENUMS: dict[str, Any] = {"allocation": Allocation, "intervention_model": InterventionModel,
                          "masking": Masking, "primary_purpose": PrimaryPurpose}


def _enrollment(page: Page) -> tuple[str | None, Section | None]:
    """The enrollment value; when labels disagree (per-group sizes) only a stated total counts."""
    found = [(s.value, s) for s in page.all("enrollment") if parse_count(s.value) is not None]
    if not found:
        return None, None
    totals = [f for f in found if "total" in f[1].label.lower()]
    if len({parse_count(v) for v, _ in found}) == 1:
        return found[0]
    final = [f for f in found if _is_final(f[1]) and not _ORIGINAL_RE.search(f[1].label)]
    if len({parse_count(v) for v, _ in final}) == 1:  # "Target 240" then "Final 226": the final one
        return final[0]
    return totals[0] if totals else (None, None)


# "Final sample size", "Actual Enrollment": the count reached; "Original Estimated Enrollment" is not.
_FINAL_RE = re.compile(r"\b(?:final|achieved|reached|enrolled)\b", re.IGNORECASE)
_ORIGINAL_RE = re.compile(r"\b(?:original|initial|previous)\b", re.IGNORECASE)


def _is_final(section: Section) -> bool:
    return section.qualifier == "ACTUAL" or bool(_FINAL_RE.search(section.label))


def read_design(page: Page, out: dict[str, Any]) -> None:
    for section in page.all("study_type"):  # "Type of Study  Drug" (CTRI) names no study type: read on
        put(out, "study_type", parse_enum(StudyType, section.value))
    for section in page.all("study_type"):  # ISRCTN "Study type(s)  Treatment" states the purpose
        if parse_enum(StudyType, section.value) is None:
            put(out, "primary_purpose", parse_enum(PrimaryPurpose, section.value))
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
        put(out, "phases", phases)
    for field, enum_cls in _ENUMS.items():
        put(out, field, parse_enum(enum_cls, first_value(page, field)[0]))
    for section in page.all("design"):
        for line in section.lines:
            text = strip_marker(line.text)
            parts = _DESIGN_SUBLABEL_RE.split(text)
            if len(parts) > 1:  # "Allocation: Randomized Masking: Open ..." on one line
                for label, value in zip(parts[1::2], parts[2::2]):
                    field = _DESIGN_FIELD[label.lower()]
                    value = _SENTENCE_END_RE.split(value, maxsplit=1)[0]  # "Parallel. Study design purpose"
                    put(out, field, parse_enum(_ENUMS[field], value.strip(" ,;.")))
            elif len(text) <= 150 and not bare_enum(text, design=True):
                for field, value in parse_design(text).items():
                    put(out, field, value)
            if "intervention_model" not in out and len(text) <= 300:
                model = _MODEL_WORD_RE.search(text)  # "two-arm parallel-group randomized trial"
                if model:
                    put(out, "intervention_model", _MODEL_WORDS[model.group(1).lower().replace(" ", "-")])
    for section in bare_sections(page):
        design = section.key == "design"
        for line in section.lines:
            text = strip_marker(line.text)
            token = bare_enum(text, design=design)
            if token is not None:
                field, value = token
                if field == "phases":
                    out["phases"] = sorted(set(out.get("phases", [])) | set(parse_phases(value)))
                elif field != "sex":
                    put(out, field, value)
                continue
            count = bare_count(text)
            if count is not None:
                put(out, "enrollment", count)
    _flags(page, out)
    enrollment, source = _enrollment(page)
    count = parse_count(enrollment)
    if count is not None and "enrollment" not in out and source is not None:
        out["enrollment"] = count
        stated = source.qualifier or parse_qualifier(enrollment or "")
        put(out, "enrollment_type", stated or ("ACTUAL" if _FINAL_RE.search(source.label) else None))
    _stated_design(page, out)


_PHASE_PAREN_RE = re.compile(r"\((phase\s*[\dIV/ ]+)\)\s*$", re.IGNORECASE)
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
            put(out, "phases", sorted({p for v in values for p in parse_phases(v)}))
        elif field == "sex":
            put(out, "sex", "ALL" if len(set(values)) == 2 else values[0])
        elif len(set(values)) == 1:
            put(out, field, values[0])


_NONRANDOM_RE = re.compile(r"\bnon-?\s?randomi[sz]ed\b", re.IGNORECASE)
_RANDOM_RE = re.compile(r"\b(?<!non-)(?<!non)(?<!non )randomi[sz]ed\b", re.IGNORECASE)
_MASK_RE = re.compile(r"\b(open)[- ]label\b|\b(single|double|triple|quadruple)[- ]blind", re.IGNORECASE)
# "participants are randomized 1:1", "will be randomly assigned": the trial's own allocation
_ASSIGNED_RE = re.compile(r"\b(?:are|is|will be|were|be)\s+(?:randomi[sz]ed\s+(?:in\s+a\s+)?\d+:\d+|"
                          r"randomly\s+(?:assigned|allocated))", re.IGNORECASE)
_SELF_RE = re.compile(r"\b(?:this|the|a|an)\s+(?:[\w-]+,?\s+){0,5}?(?:non-?\s?)?randomi[sz]ed\b", re.IGNORECASE)


def _stated_design(page: Page, out: dict[str, Any]) -> None:
    """Allocation and masking the title or summary state about this trial ("a randomized, ...").
    An expanded-access programme has no design module, so its prose says nothing here."""
    if str(out.get("study_type") or "").lower().replace("_", " ") == "expanded access":
        return
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
