"""The legacy ClinicalTrials.gov XML (`<clinical_study>`, public.xsd) -> raw TrialRecord fields.

Returns plain values as the XML states them ("Phase 1/Phase 2", "None (Open Label)", "18 Years");
`extractor.importers.ctgov` links arms and interventions and lets the schema normalize. Both the 2017+
element names (study_first_posted, last_update_posted, study_design_info) and the older ones
(firstreceived_date, lastchanged_date, a free-text study_design) are read.
"""

from __future__ import annotations

import re
import textwrap
import xml.etree.ElementTree as ET
from typing import Any

from extractor.criteria import split_criteria
from extractor.errors import CTGovImportError

__all__ = ["parse_ctgov_xml", "unwrap_textblock"]

_LIST_LINE = re.compile(r"^(?:[-*•⁃o]\s|\(?\d{1,3}[.)]\s|\([a-z]\)\s|[a-z][.)]\s)")


def unwrap_textblock(text: str | None) -> str | None:
    """Dedent a CT.gov textblock and undo its hard wraps: paragraphs and list items stay apart."""
    if text is None:
        return None
    body = textwrap.dedent(text.replace("\r\n", "\n").expandtabs(4)).strip("\n")
    paragraphs: list[str] = []
    for block in re.split(r"\n[ \t]*\n", body):
        lines = [line.rstrip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        out: list[str] = []
        prev_indent = -1
        prev_list = False
        for line in lines:
            stripped = line.lstrip()
            indent = len(line) - len(stripped)
            is_list = bool(_LIST_LINE.match(stripped))
            new_line = not out or (is_list and (indent != prev_indent or prev_list or out[-1].endswith(":")))
            if new_line:
                out.append(stripped)
                prev_list = is_list
                prev_indent = indent
            else:
                out[-1] = f"{out[-1]} {stripped}"
        paragraphs.append("\n".join(out))
    result = "\n\n".join(paragraphs).strip()
    return result or None


def _text(node: ET.Element | None, path: str) -> str | None:
    if node is None:
        return None
    found = node.find(path)
    if found is None or found.text is None:
        return None
    value = " ".join(found.text.split())
    return value or None


def _texts(node: ET.Element | None, path: str) -> list[str]:
    if node is None:
        return []
    return [" ".join(e.text.split()) for e in node.findall(path) if e.text and e.text.strip()]


def _block(node: ET.Element, path: str) -> str | None:
    found = node.find(path)
    if found is None:
        return None
    inner = found.find("textblock")
    return unwrap_textblock((inner if inner is not None else found).text)


def _date(root: ET.Element, *names: str) -> tuple[str | None, str | None]:
    """The first of `names` present: (date text, its type attribute)."""
    for name in names:
        node = root.find(name)
        if node is not None and node.text and node.text.strip():
            return node.text.strip(), node.get("type")
    return None, None


def _person(node: ET.Element) -> str | None:
    parts = [_text(node, tag) for tag in ("first_name", "middle_name", "last_name")]
    name = " ".join(p for p in parts if p)
    degrees = _text(node, "degrees")
    if name and degrees:
        name = f"{name}, {degrees}"
    return name or None


def _phone(node: ET.Element) -> str | None:
    phone = _text(node, "phone")
    ext = _text(node, "phone_ext")
    if phone and ext:
        return f"{phone} ext. {ext}"
    return phone


_DESIGN_KEYS = {
    "allocation": "allocation",
    "intervention model": "intervention_model",
    "masking": "masking",
    "primary purpose": "primary_purpose",
}


def _old_design(text: str | None) -> dict[str, str]:
    """Pre-2017 `<study_design>`: "Allocation: Randomized, Masking: Double Blind (Subject), ..."."""
    found: dict[str, str] = {}
    if not text:
        return found
    for key, field in _DESIGN_KEYS.items():
        m = re.search(rf"\b{key}:\s*(.+?)(?=,\s*[A-Z][A-Za-z ]+:|$)", text, flags=re.I)
        if m:
            found[field] = m[1].strip()
    return found


def _responsible_party(root: ET.Element, lead_sponsor: str | None) -> str | None:
    """The person named, else the lead sponsor when the sponsor (or sponsor-investigator) is it."""
    node = root.find("responsible_party")
    if node is None:
        return None
    name = _text(node, "investigator_full_name") or _text(node, "name_title")
    if name:
        return name
    kind = (_text(node, "responsible_party_type") or "").lower()
    if kind in {"sponsor", "sponsor-investigator"}:
        return lead_sponsor
    return _text(node, "organization")


def parse_ctgov_xml(text: str) -> dict[str, Any]:
    """One `<clinical_study>` document -> raw TrialRecord fields (plus `_arm_links`)."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise CTGovImportError(f"not well-formed XML: {exc}") from None
    if root.tag != "clinical_study":
        raise CTGovImportError(f"not a ClinicalTrials.gov record: root element is <{root.tag}>, expected <clinical_study>")
    ids = root.find("id_info")
    design = root.find("study_design_info")
    design_fields = {
        "allocation": _text(design, "allocation"),
        "intervention_model": _text(design, "intervention_model"),
        "primary_purpose": _text(design, "primary_purpose"),
        "masking": _text(design, "masking"),
    }
    for field, value in _old_design(_text(root, "study_design")).items():
        design_fields[field] = design_fields[field] or value
    start, start_type = _date(root, "start_date")
    primary, primary_type = _date(root, "primary_completion_date")
    completion, completion_type = _date(root, "completion_date")
    first_posted, _ = _date(root, "study_first_posted", "firstreceived_date")
    last_update, _ = _date(root, "last_update_posted", "lastchanged_date")
    enrollment = root.find("enrollment")
    eligibility = root.find("eligibility")
    criteria_text = _block(eligibility, "criteria") if eligibility is not None else None
    inclusion, exclusion = split_criteria(criteria_text)
    lead_sponsor = _text(root, "sponsors/lead_sponsor/agency")
    phase = _text(root, "phase")

    arms: list[dict[str, Any]] = [
        {
            "label": _text(node, "arm_group_label"),
            "type": _text(node, "arm_group_type"),
            "description": _block(node, "description"),
            "intervention_names": [],
        }
        for node in root.findall("arm_group")
    ]
    interventions = [
        {
            "type": _text(node, "intervention_type"),
            "name": _text(node, "intervention_name"),
            "description": _block(node, "description"),
            "other_names": _texts(node, "other_name"),
            "arm_labels": _texts(node, "arm_group_label"),
        }
        for node in root.findall("intervention")
    ]
    outcomes = {
        kind: [
            {
                "measure": _text(node, "measure"),
                "time_frame": _text(node, "time_frame"),
                "description": _block(node, "description"),
            }
            for node in root.findall(f"{kind}_outcome")
        ]
        for kind in ("primary", "secondary")
    }
    locations = [
        {
            "facility": _text(node, "facility/name"),
            "city": _text(node, "facility/address/city"),
            "state": _text(node, "facility/address/state"),
            "country": _text(node, "facility/address/country"),
            "status": _text(node, "status"),
        }
        for node in root.findall("location")
    ]
    contacts = [
        {"name": _person(node), "role": "CONTACT", "email": _text(node, "email"), "phone": _phone(node)}
        for tag in ("overall_contact", "overall_contact_backup")
        for node in root.findall(tag)
    ]
    return {
        "nct_id": _text(ids, "nct_id"),
        "secondary_ids": _texts(ids, "org_study_id") + _texts(ids, "secondary_id") + _texts(ids, "nct_alias"),
        "brief_title": _text(root, "brief_title"),
        "official_title": _text(root, "official_title"),
        "acronym": _text(root, "acronym"),
        "overall_status": _text(root, "overall_status"),
        "why_stopped": _block(root, "why_stopped"),
        "start_date": start,
        "start_date_type": start_type,
        "primary_completion_date": primary,
        "primary_completion_date_type": primary_type,
        "completion_date": completion,
        "completion_date_type": completion_type,
        "first_posted_date": first_posted,
        "last_update_date": last_update,
        "study_type": _text(root, "study_type"),
        "phases": [phase] if phase else [],
        **design_fields,
        "enrollment": _text(root, "enrollment"),
        "enrollment_type": enrollment.get("type") if enrollment is not None else None,
        "conditions": _texts(root, "condition"),
        "keywords": _texts(root, "keyword"),
        "brief_summary": _block(root, "brief_summary"),
        "detailed_description": _block(root, "detailed_description"),
        "arms": arms,
        "interventions": interventions,
        "primary_outcomes": outcomes["primary"],
        "secondary_outcomes": outcomes["secondary"],
        "sex": _text(eligibility, "gender"),
        "minimum_age": _text(eligibility, "minimum_age"),
        "maximum_age": _text(eligibility, "maximum_age"),
        "healthy_volunteers": _text(eligibility, "healthy_volunteers"),
        "inclusion_criteria": inclusion,
        "exclusion_criteria": exclusion,
        "lead_sponsor": lead_sponsor,
        "collaborators": _texts(root, "sponsors/collaborator/agency"),
        "responsible_party": _responsible_party(root, lead_sponsor),
        "locations": locations,
        "contacts": contacts,
    }
