"""Merging the model's record with the rules', with per-field provenance and the text as referee.

Where both read a field and disagree, the rules' value stands and the disagreement is an
LLM_RULES_DISAGREE warning: always for lists and for RULES_FIRST fields (lead sponsor), and for
any other field unless only the model's value is in the text. So an ungrounded model value never
replaces a grounded rules value, and a tiny model's plausible but misplaced reads (the page's
title as a condition, the site's name as the sponsor) never undo what the rules got right. The
model fills what the rules left empty, value by value and item by item, only with what the text
supports; a model value (or list item) found nowhere in the text is dropped and flagged
UNGROUNDED_VALUE on its own path, and a model scalar read from the text the rules read as another
field (a purpose inferred from the description, the site's name glued to the title) is dropped and
flagged LLM_RULES_DISAGREE. Fields a page states only under their own label (field_labels:
sponsors, acronym, titles, keywords, why stopped, primary purpose, masking, sex, enrollment,
outcomes) are taken from the model only where the page names the field near the value; an
intervention or arm named by its type ("DRUG", "Other"), a site that is the sponsor (its contact
address) and a label the page answers "not applicable" are dropped.

When the model fails for good the rules' result stands, with an LLM_FAILED *warning*: the
record is complete and trustworthy as far as the rules go, only less of it is filled.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any

from pydantic import BaseModel

from extractor.checks import run_checks
from extractor.errors import TrialxError
from extractor.field_labels import answered_empty, fold, labelled, listed_as_site, located, occurrences
from extractor.grounding import filled_paths, ground
from extractor.result import Evidence, ExtractionResult, Issue, MatchStatus, Provenance, Severity, Source, Usage
from extractor.schema import Arm, ArmType, Intervention, InterventionType, Location, TrialRecord

__all__ = ["RELIABLE_FIELDS", "RULES_FIRST", "SILENCE_COUNTS", "merge", "llm_failed"]

# Fields the rules read reliably (ids, dates, enums, counts).
RELIABLE_FIELDS = frozenset({
    "nct_id", "secondary_ids", "overall_status",
    "start_date", "start_date_type", "primary_completion_date", "primary_completion_date_type",
    "completion_date", "completion_date_type", "first_posted_date", "last_update_date",
    "study_type", "phases", "allocation", "intervention_model", "primary_purpose", "masking",
    "enrollment", "enrollment_type", "sex", "minimum_age", "maximum_age", "healthy_volunteers",
})
# Where the rules read a page's layout (at least UNDERSTOOD_AT of the fields they read reliably),
# their silence on these fields means the page does not state them: a model value there is a
# guess from elsewhere on the page ("Hepatocellular Carcinoma" from a list of related studies as a
# condition, "treatment" in prose as the purpose), reported and not kept. On a page the rules
# could not read, the model fills them as any other field.
SILENCE_COUNTS = RELIABLE_FIELDS | {"conditions", "keywords"}
UNDERSTOOD_AT = 6

# Scalars whose rules value stands against the model's even when only the model's is in the text:
# a small model's grounded guess there is usually page chrome (a site's name as the sponsor).
RULES_FIRST = frozenset({"lead_sponsor"})


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == ""


def _norm(value: Any) -> Any:
    """Compare values the way a reader would: case, spacing and punctuation do not matter."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, str):
        return " ".join(re.findall(r"[^\W_]+", value.lower()))
    if isinstance(value, BaseModel):
        return {k: _norm(v) for k, v in value}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def _show(value: Any) -> str:
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, list):
        value = [v.value if isinstance(v, Enum) else v for v in value]
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _paths_of(evidence: dict[str, Evidence], name: str) -> list[str]:
    return [p for p in evidence if p.startswith(name) and (p == name or p[len(name)] in "[.")]


def _by_field(evidence: dict[str, Evidence]) -> dict[str, list[str]]:
    """`_paths_of` for every field at once (one pass over the paths, not one per field)."""
    out: dict[str, list[str]] = {}
    for path in evidence:
        out.setdefault(_field_of(path), []).append(path)
    return out


def _grounded(evidence: dict[str, Evidence], name: str, index: dict[str, list[str]] | None = None) -> bool:
    """Every filled leaf of the field has evidence in the text."""
    paths = _paths_of(evidence, name) if index is None else index.get(name, [])
    return bool(paths) and all(evidence[p].status != MatchStatus.NONE for p in paths)


def merge(llm: TrialRecord, rules: ExtractionResult, text: str) -> ExtractionResult:
    """One result from the model's record and the rules' result, refereed by the source text.

    Each value is grounded once: the rules' evidence comes with their result, a model field equal
    to the rules' shares it (same path, same value, same evidence), and only the model's other
    fields and the values the merge itself makes (merged lists) are grounded here.
    """
    rules_record = rules.record
    rules_ev, rules_gi = rules.evidence, [i for i in rules.issues if i.code == "UNGROUNDED_VALUE"]
    if not rules_ev or any(p not in rules_ev for p, _ in _filled(rules_record)):
        rules_ev, rules_gi = ground(rules_record, text)
    fields = list(TrialRecord.model_fields)
    same = {n for n in fields if getattr(llm, n) == getattr(rules_record, n)}
    own_ev, own_gi = _ground_fields(llm, [n for n in fields if n not in same], text)
    llm_ev = {**{p: e for p, e in rules_ev.items() if _field_of(p) in same}, **own_ev}
    rules_idx, llm_idx = _by_field(rules_ev), _by_field(llm_ev)
    spans = _spans(rules_ev)
    understood = sum(not _empty(getattr(rules_record, n)) for n in RELIABLE_FIELDS) >= UNDERSTOOD_AT

    values: dict[str, Any] = {}
    provenance: dict[str, Provenance] = {}
    issues: list[Issue] = []
    origin: dict[str, str] = {}  # field -> "llm" | "rules" | "merged": where its evidence is

    for name in fields:
        lv, rv = getattr(llm, name), getattr(rules_record, name)
        origin[name] = "llm"
        if _empty(lv) and _empty(rv):
            values[name], provenance[name] = lv, Provenance(source=Source.NONE)
            continue
        if name in same or _norm(lv) == _norm(rv):  # equal values (same field types) read the same
            values[name], provenance[name] = lv, Provenance(source=Source.BOTH, agreed=True)
            continue
        if _empty(lv):
            values[name], provenance[name], origin[name] = rv, Provenance(source=Source.RULES), "rules"
            continue
        l_ok, r_ok = _grounded(llm_ev, name, llm_idx), _grounded(rules_ev, name, rules_idx)
        if isinstance(lv, list) and not (_empty(rv) and understood and name in SILENCE_COUNTS):
            if _empty(rv):  # the model alone read this list: its items the text supports
                values[name], provenance[name] = _model_items(name, lv, llm_ev, issues, spans, text,
                                                                  _sponsors(values))
            else:  # the rules read it too: their list stands, the model's other items are reported
                values[name], provenance[name] = _keep_rules_list(name, lv, rv, llm_ev, issues)
            origin[name] = "merged"
        elif _empty(rv) and understood and name in SILENCE_COUNTS and (l_ok or isinstance(lv, list)):
            issues.append(Issue(code="LLM_RULES_DISAGREE", severity=Severity.WARNING, paths=[name],
                                message=f"{name}: model said {_show(lv)}; the rules read this page's layout and "
                                        f"found no {name} on it, so none is kept"))
            values[name], provenance[name] = (None if not isinstance(lv, list) else []), Provenance(source=Source.NONE)
        elif _empty(rv) and not isinstance(lv, list) and (other := _misplaced(name, llm_idx.get(name, []), llm_ev, spans, text)) is not None:
            issues.append(Issue(code="LLM_RULES_DISAGREE", severity=Severity.WARNING, paths=[name],
                                message=f"{name}: model said {_show(lv)}, read from the text the rules read as "
                                        f"{other}; the rules read no {name}, so none is kept"))
            values[name], provenance[name] = None, Provenance(source=Source.NONE)
        elif _empty(rv) and not isinstance(lv, list) and l_ok and answered_empty(llm_idx.get(name, []), llm_ev, text):
            issues.append(Issue(code="LLM_RULES_DISAGREE", severity=Severity.WARNING, paths=[name],
                                message=f"{name}: model said {_show(lv)}, a label the page answers 'not applicable'; "
                                        f"the rules read none, so none is kept"))
            values[name], provenance[name] = None, Provenance(source=Source.NONE)
        elif _empty(rv) and not isinstance(lv, list) and l_ok and not labelled(name, llm_idx.get(name, []), llm_ev, text):
            issues.append(Issue(code="LLM_RULES_DISAGREE", severity=Severity.WARNING, paths=[name],
                                message=f"{name}: model said {_show(lv)}, but the page names no {name} where it "
                                        f"stands and the rules read none, so none is kept"))
            values[name], provenance[name] = None, Provenance(source=Source.NONE)
        elif _empty(rv):
            values[name], provenance[name] = _model_alone(name, lv, l_ok, issues)
        else:
            values[name], provenance[name] = _merge_scalar(name, lv, rv, l_ok, r_ok, issues)
            origin[name] = "rules" if values[name] is rv else "llm"

    record = TrialRecord.model_validate(values)
    # where each kept value's evidence already is; anything new (or changed by validation) is grounded now
    sources = {"llm": (llm, llm_ev, own_gi + rules_gi), "rules": (rules_record, rules_ev, rules_gi)}
    found: dict[str, Evidence] = {}
    for name in [n for n in fields if origin[n] == "merged"]:
        mapped = _map_items(name, getattr(record, name), [(llm, llm_ev), (rules_record, rules_ev)])
        if mapped is not None:
            found.update(mapped)
            origin[name] = "mapped"
    fresh = [n for n in fields if origin[n] not in sources and origin[n] != "mapped"
             or origin[n] in sources and getattr(record, n) != getattr(sources[origin[n]][0], n)]
    new_ev, new_gi = _ground_fields(record, fresh, text)
    found.update(new_ev)
    gi_by_path = {i.paths[0]: i for i in new_gi}
    indexes = {"llm": llm_idx, "rules": rules_idx}
    gi_by_field: dict[str, dict[str, list[Issue]]] = {}
    for origin_name, (_, _, gi) in sources.items():
        grouped = gi_by_field.setdefault(origin_name, {})
        for i in gi:
            if i.paths:
                grouped.setdefault(_field_of(i.paths[0]), []).append(i)
    for name in fields:
        if name in fresh or origin[name] == "mapped":
            continue
        ev = sources[origin[name]][1]
        for path in indexes[origin[name]].get(name, []):
            found[path] = ev[path]
        gi_by_path.update({i.paths[0]: i for i in gi_by_field[origin[name]].get(name, [])})
    paths = [path for path, _ in filled_paths(record)]  # the order `ground` gives: record order
    missing = sorted({_field_of(p) for p in paths if p not in found})  # a safety net; none expected
    if missing:
        more_ev, more_gi = _ground_fields(record, missing, text)
        found.update(more_ev)
        gi_by_path.update({i.paths[0]: i for i in more_gi})
    evidence: dict[str, Evidence] = {}
    ground_issues: list[Issue] = []
    for path in paths:
        evidence[path] = found[path]
        if found[path].status == MatchStatus.NONE and path in gi_by_path:
            ground_issues.append(gi_by_path[path])
    return ExtractionResult(
        id=rules.id, source=rules.source, backend="llm", record=record, evidence=evidence,
        provenance=_leaf_provenance(record, rules_record, llm, provenance),
        issues=run_checks(record) + issues + ground_issues, usage=rules.usage.model_copy(),
    )


# Scalars that may sit inside another field's text on a correct page (an acronym in its title).
_MAY_NEST = frozenset({"acronym"})


def _spans(evidence: dict[str, Evidence]) -> list[tuple[str, int, int]]:
    """(field, start, end) of every value the rules found in the text."""
    return [(_field_of(p), e.start, e.end) for p, e in evidence.items()
            if e.status != MatchStatus.NONE and e.start is not None and e.end is not None and e.end > e.start]


def _misplaced(name: str, paths: list[str], llm_ev: dict[str, Evidence], spans: list[tuple[str, int, int]],
               text: str) -> str | None:
    """The rules' field whose text a model value was read from, when the rules read none for `name`:
    every place the text has it lies inside a span the rules read as another field (a coded value
    inferred from a description, "treatment" in prose as the primary purpose, an outcome made of
    words from the eligibility criteria), or it swallows such a span whole (the site's name glued to
    the title as the official title). For a list item (several paths), any such leaf. None when
    the value stands on text of its own somewhere."""
    if name in _MAY_NEST:
        return None
    folded = fold(text)
    others = [(f, a, b) for f, a, b in spans if f != name and f not in _MAY_NEST]
    for path in paths:
        ev = llm_ev[path]
        if ev.start is None or ev.end is None or not located(ev):
            continue
        for other, a, b in others:
            if ev.start <= a and b <= ev.end and (ev.start, ev.end) != (a, b):
                return other
        homes: list[str] = []
        for at, size in occurrences(ev, folded):
            home = next((f for f, a, b in others if a <= at and at + size <= b), None)
            if home is None:
                break  # found on text of its own
            homes.append(home)
        else:
            if homes:
                return homes[0]
    return None


# "Other", "Experimental", "DEVICE": a form's type word read as an arm's or intervention's name.
_ARM_TYPE_WORDS = frozenset(_norm(t.value) for t in ArmType)
_INTERVENTION_TYPE_WORDS = frozenset(_norm(t.value) for t in InterventionType)


def _not_an_item(item: Any, sponsors: set[str], facility: Evidence | None, text: str) -> str | None:
    """Why a model list item is no item of its list, or None: an intervention or arm named by a type
    word ("DRUG", "Other": a form's category read as the thing itself), or a site named as the trial's sponsor or a
    collaborator and found under no site heading (their contact address is not a site: GUIDELINES
    §8, only listed sites are locations; a hospital that sponsors and hosts the trial is listed)."""
    if isinstance(item, Intervention) and _norm(item.name) in _INTERVENTION_TYPE_WORDS:
        return "is named by an intervention type only"
    if isinstance(item, Arm) and _norm(item.label) in _ARM_TYPE_WORDS and not item.description:
        return "is named by an arm type only"
    if (isinstance(item, Location) and item.facility and _norm(item.facility) in sponsors
            and not (facility is not None and listed_as_site(facility, text))):
        return "names the sponsor or a collaborator and stands under no site heading: their address, not a site"
    return None


def _sponsors(values: dict[str, Any]) -> set[str]:
    """The merged lead sponsor's and collaborators' names (both come before `locations`), normalized."""
    names = [values.get("lead_sponsor")] + list(values.get("collaborators") or [])
    return {_norm(n) for n in names if isinstance(n, str) and n}


def _field_of(path: str) -> str:
    return re.split(r"[\[.]", path, maxsplit=1)[0]


def _map_items(name: str, items: list[Any], sources: list[tuple[TrialRecord, dict[str, Evidence]]]) -> dict[str, Evidence] | None:
    """Evidence for a merged list of scalars from its items' evidence where they came from (an item's
    evidence depends on its value alone); None when an item has none, so the field is grounded anew."""
    out: dict[str, Evidence] = {}
    for i, item in enumerate(items):
        ev = next((e[f"{name}[{j}]"] for record, e in sources for j, other in enumerate(getattr(record, name))
                   if other == item and f"{name}[{j}]" in e), None)
        if ev is None or ev.status == MatchStatus.NONE:
            return None
        out[f"{name}[{i}]"] = ev
    return out


def _ground_fields(record: TrialRecord, names: list[str], text: str) -> tuple[dict[str, Evidence], list[Issue]]:
    """`ground` for some fields of a record only (a field's evidence depends on that field alone)."""
    filled = {n: getattr(record, n) for n in names if not _empty(getattr(record, n))}
    if not filled:
        return {}, []
    return ground(TrialRecord.model_construct(**filled), text)


def _filled(record: TrialRecord) -> list[tuple[str, Any]]:
    return list(filled_paths(record))


def _leaf_provenance(record: TrialRecord, rules_record: TrialRecord, llm: TrialRecord,
                     fields: dict[str, Provenance]) -> dict[str, Provenance]:
    """Provenance per filled path (as the rules-only result has it); a list item both read is
    "both", agreed. Fields left empty keep their field-level entry when a source had a value."""
    out: dict[str, Provenance] = {}
    for path, _ in filled_paths(record):
        name = re.split(r"[\[.]", path, maxsplit=1)[0]
        field = fields[name]
        m = re.match(rf"{name}\[(\d+)\]", path)
        if m and field.agreed is False and field.source in (Source.BOTH, Source.RULES):
            item = getattr(record, name)[int(m[1])]
            other = llm if field.source == Source.RULES else rules_record
            if _norm(item) in _norm(getattr(other, name)):
                out[path] = Provenance(source=Source.BOTH, agreed=True)
            else:
                out[path] = Provenance(source=Source.RULES if field.source == Source.RULES else Source.LLM, agreed=False)
        else:
            out[path] = field
    for name, field in fields.items():
        if _empty(getattr(record, name)) and field.source == Source.NONE and not (
            _empty(getattr(rules_record, name))
        ):
            out[name] = field
    return out


def _model_alone(name: str, lv: Any, l_ok: bool, issues: list[Issue]) -> tuple[Any, Provenance]:
    """A scalar only the model read: kept when the text supports it, else dropped to null."""
    if l_ok:
        return lv, Provenance(source=Source.LLM)
    issues.append(Issue(code="UNGROUNDED_VALUE", severity=Severity.WARNING, paths=[name],
                        message=f"{name}: model value {_show(lv)} is not in the text and the rules read none; dropped to null"))
    return None, Provenance(source=Source.NONE)


def _merge_scalar(name: str, lv: Any, rv: Any, l_ok: bool, r_ok: bool, issues: list[Issue]) -> tuple[Any, Provenance]:
    """Both read the field and disagree: the rules' value stands unless only the model's is in the text
    (never for RULES_FIRST fields, where the model's grounded guess is as often page chrome)."""
    keep_rules = r_ok or not l_ok or name in RULES_FIRST
    kept = rv if keep_rules else lv
    if not keep_rules:
        why = "grounded in the text"
    elif r_ok:
        why = "the rules' read is grounded in the text"
    elif l_ok:
        why = f"{name} is read by the rules first"
    else:
        why = "neither is in the text; the rules' read is kept"
    issues.append(Issue(code="LLM_RULES_DISAGREE", severity=Severity.WARNING, paths=[name],
                        message=f"{name}: model said {_show(lv)}, rules read {_show(rv)}; kept {_show(kept)} ({why})"))
    if not l_ok:
        issues.append(Issue(code="UNGROUNDED_VALUE", severity=Severity.WARNING, paths=[name],
                            message=f"{name}: model value {_show(lv)} is not in the text; replaced by the rules' {_show(rv)}"))
    return kept, Provenance(source=Source.RULES if keep_rules else Source.LLM, agreed=False)


def _item_grounded(name: str, i: int, llm_ev: dict[str, Evidence]) -> bool:
    """Every filled leaf of the model's item `name[i]` is in the text (an item with none is kept)."""
    prefix = f"{name}[{i}]"
    paths = [p for p in llm_ev if p == prefix or p.startswith(prefix + ".") or p.startswith(prefix + "[")]
    return all(llm_ev[p].status != MatchStatus.NONE for p in paths)


def _model_items(name: str, lv: list[Any], llm_ev: dict[str, Evidence], issues: list[Issue],
                 spans: list[tuple[str, int, int]], text: str, sponsors: set[str]) -> tuple[list[Any], Provenance]:
    """A list only the model read: its items the text supports, in its order, unless read from the
    text the rules read as another field or not an item of this list at all; the others dropped."""
    kept: list[Any] = []
    for i, item in enumerate(lv):
        prefix = f"{name}[{i}]"
        leaves = [p for p in llm_ev if p == prefix or p.startswith(prefix + ".") or p.startswith(prefix + "[")]
        if not _item_grounded(name, i, llm_ev):
            issues.append(Issue(code="UNGROUNDED_VALUE", severity=Severity.WARNING, paths=[prefix],
                                message=f"{prefix}: model value {_show(item)} is not in the text; dropped"))
        elif (other := _misplaced(name, leaves, llm_ev, spans, text)) is not None:
            issues.append(Issue(code="LLM_RULES_DISAGREE", severity=Severity.WARNING, paths=[prefix],
                                message=f"{prefix}: model value {_show(item)} read from the text the rules read as "
                                        f"{other}; dropped"))
        elif answered_empty(leaves, llm_ev, text):
            issues.append(Issue(code="LLM_RULES_DISAGREE", severity=Severity.WARNING, paths=[prefix],
                                message=f"{prefix}: model value {_show(item)} is a label the page answers "
                                        f"'not applicable'; dropped"))
        elif (why := _not_an_item(item, sponsors, llm_ev.get(f"{prefix}.facility"), text)) is not None:
            issues.append(Issue(code="LLM_RULES_DISAGREE", severity=Severity.WARNING, paths=[prefix],
                                message=f"{prefix}: model value {_show(item)} {why}; dropped"))
        elif not labelled(name, leaves, llm_ev, text):
            issues.append(Issue(code="LLM_RULES_DISAGREE", severity=Severity.WARNING, paths=[prefix],
                                message=f"{prefix}: model value {_show(item)}, but the page names no {name} where it "
                                        f"stands and the rules read none; dropped"))
        else:
            kept.append(item)
    return kept, Provenance(source=Source.LLM) if kept else Provenance(source=Source.NONE)


def _keep_rules_list(name: str, lv: list[Any], rv: list[Any], llm_ev: dict[str, Evidence],
                     issues: list[Issue]) -> tuple[list[Any], Provenance]:
    """Both read the list and disagree: the rules' list stands; the model's items it lacks are named
    in an LLM_RULES_DISAGREE warning (and each one the text does not contain in an UNGROUNDED_VALUE)."""
    theirs = _norm(rv)
    others = [(i, item) for i, item in enumerate(lv) if _norm(item) not in theirs]
    for i, item in others:
        if not _item_grounded(name, i, llm_ev):
            issues.append(Issue(code="UNGROUNDED_VALUE", severity=Severity.WARNING, paths=[f"{name}[{i}]"],
                                message=f"{name}[{i}]: model value {_show(item)} is not in the text; dropped"))
    missed = [item for item in rv if _norm(item) not in _norm(lv)]
    parts = []
    if others:
        parts.append(f"model also said {_show([item for _, item in others])}")
    if missed:
        parts.append(f"model missed {len(missed)} of the rules' {len(rv)} item(s)")
    if not parts:
        parts.append("same items in another order")
    issues.append(Issue(code="LLM_RULES_DISAGREE", severity=Severity.WARNING, paths=[name],
                        message=f"{name}: {'; '.join(parts)}; kept the rules' {len(rv)} item(s)"))
    return list(rv), Provenance(source=Source.RULES, agreed=False)


def llm_failed(rules: ExtractionResult, exc: TrialxError, usage: Usage, *, checked: bool = True) -> ExtractionResult:
    """The rules' result, with an LLM_FAILED warning saying why the model path gave up.

    `checked=False`: the rules' result was made without its consistency checks (the LLM path
    leaves them to the merge); they are run here, first, as `extract_rules_result` orders them."""
    result = rules.model_copy(deep=True)
    if not checked:
        result.issues = run_checks(result.record) + result.issues
    result.backend = "rules"
    result.issues.append(Issue(code="LLM_FAILED", severity=Severity.WARNING, paths=[],
                               message=f"model path failed ({exc.code}): {exc.one_line()}; the rules' result is used"))
    result.usage = usage
    return result
