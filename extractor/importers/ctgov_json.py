"""ClinicalTrials.gov API v2 study JSON (`protocolSection` ...) -> raw TrialRecord fields.

API v2 text is CommonMark: "\\<126 mg/dl" means "<126 mg/dl", so the backslash escapes are
undone before the text reaches the record. Arm intervention names are written "Drug: placebo"
in v2; the type prefix is dropped when the rest names an intervention of the study.
"""

from __future__ import annotations

import re
from typing import Any

from extractor.criteria import split_criteria
from extractor.errors import CTGovImportError

__all__ = ["parse_ctgov_study", "studies_of", "unescape_markdown"]

_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>~|=^&\"'$%/:;,@?])")


def unescape_markdown(text: Any) -> Any:
    """Undo CommonMark backslash escapes ("\\>=" -> ">="); other values pass through."""
    if not isinstance(text, str):
        return text
    return _ESCAPE_RE.sub(r"\1", text).strip() or None


def studies_of(obj: Any) -> list[dict[str, Any]]:
    """The study objects in an API v2 answer: one study, a bare protocolSection, or a page."""
    if isinstance(obj, list):
        return [s for item in obj for s in studies_of(item)]
    if not isinstance(obj, dict):
        raise CTGovImportError("not a ClinicalTrials.gov API v2 record: expected a JSON object")
    if "studies" in obj and isinstance(obj["studies"], list):
        return [s for item in obj["studies"] for s in studies_of(item)]
    if "protocolSection" in obj:
        return [obj]
    if "identificationModule" in obj:
        return [{"protocolSection": obj}]
    raise CTGovImportError(
        "not a ClinicalTrials.gov API v2 record: no protocolSection, identificationModule or studies"
    )


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _list(obj: Any, *path: str) -> list[Any]:
    value = _get(obj, *path)
    return value if isinstance(value, list) else []


def _date(status: Any, struct: str) -> tuple[Any, Any]:
    return _get(status, struct, "date"), _get(status, struct, "type")


def _phone(contact: dict[str, Any]) -> str | None:
    phone, ext = contact.get("phone"), contact.get("phoneExt")
    if phone and ext:
        return f"{phone} ext. {ext}"
    return phone


def _responsible_party(sponsors: Any) -> str | None:
    """The investigator named (PI, sponsor-investigator), else the lead sponsor when it is the sponsor."""
    party = _get(sponsors, "responsibleParty") or {}
    name = party.get("investigatorFullName") or party.get("oldNameTitle")
    if name:
        return str(name)
    kind = str(party.get("type") or "").upper()
    if kind in {"SPONSOR", "SPONSOR_INVESTIGATOR"}:
        lead = _get(sponsors, "leadSponsor", "name")
        return str(lead) if lead else None
    organization = party.get("oldOrganization")
    return str(organization) if organization else None


def _arm_intervention_name(name: str, interventions: list[dict[str, Any]]) -> str:
    """"Drug: placebo" -> "placebo" when "placebo" is an intervention of this study."""
    names = {str(i.get("name") or "").strip() for i in interventions}
    if name in names:
        return name
    head, sep, rest = name.partition(":")
    if sep and rest.strip() in names and re.fullmatch(r"[A-Za-z /]+", head):
        return rest.strip()
    return name


def parse_ctgov_study(study: dict[str, Any]) -> dict[str, Any]:
    """One API v2 study object -> raw TrialRecord fields."""
    protocol = study.get("protocolSection")
    if not isinstance(protocol, dict):
        raise CTGovImportError("not a ClinicalTrials.gov API v2 study: protocolSection is missing")
    ident = protocol.get("identificationModule") or {}
    status = protocol.get("statusModule") or {}
    sponsors = protocol.get("sponsorCollaboratorsModule") or {}
    description = protocol.get("descriptionModule") or {}
    design = protocol.get("designModule") or {}
    design_info = design.get("designInfo") or {}
    arms_module = protocol.get("armsInterventionsModule") or {}
    outcomes = protocol.get("outcomesModule") or {}
    eligibility = protocol.get("eligibilityModule") or {}
    places = protocol.get("contactsLocationsModule") or {}

    start, start_type = _date(status, "startDateStruct")
    primary, primary_type = _date(status, "primaryCompletionDateStruct")
    completion, completion_type = _date(status, "completionDateStruct")
    inclusion, exclusion = split_criteria(unescape_markdown(eligibility.get("eligibilityCriteria")))
    interventions_src = [i for i in arms_module.get("interventions") or [] if isinstance(i, dict)]

    def outcome_list(key: str) -> list[dict[str, Any]]:
        return [
            {
                "measure": unescape_markdown(o.get("measure")),
                "time_frame": unescape_markdown(o.get("timeFrame")),
                "description": unescape_markdown(o.get("description")),
            }
            for o in _list(outcomes, key)
        ]

    return {
        "nct_id": ident.get("nctId"),
        "secondary_ids": [v for v in [_get(ident, "orgStudyIdInfo", "id")] if v]
        + [s.get("id") for s in _list(ident, "secondaryIdInfos") if s.get("id")]
        + [a for a in _list(ident, "nctIdAliases") if a],
        "brief_title": ident.get("briefTitle"),
        "official_title": ident.get("officialTitle"),
        "acronym": ident.get("acronym"),
        "overall_status": status.get("overallStatus"),
        "why_stopped": unescape_markdown(status.get("whyStopped")),
        "start_date": start,
        "start_date_type": start_type,
        "primary_completion_date": primary,
        "primary_completion_date_type": primary_type,
        "completion_date": completion,
        "completion_date_type": completion_type,
        "first_posted_date": _get(status, "studyFirstPostDateStruct", "date"),
        "last_update_date": _get(status, "lastUpdatePostDateStruct", "date"),
        "study_type": design.get("studyType"),
        "phases": _list(design, "phases"),
        "allocation": design_info.get("allocation"),
        "intervention_model": design_info.get("interventionModel"),
        "primary_purpose": design_info.get("primaryPurpose"),
        "masking": _get(design_info, "maskingInfo", "masking"),
        "enrollment": _get(design, "enrollmentInfo", "count"),
        "enrollment_type": _get(design, "enrollmentInfo", "type"),
        "conditions": _list(protocol, "conditionsModule", "conditions"),
        "keywords": _list(protocol, "conditionsModule", "keywords"),
        "brief_summary": unescape_markdown(description.get("briefSummary")),
        "detailed_description": unescape_markdown(description.get("detailedDescription")),
        "arms": [
            {
                "label": a.get("label"),
                "type": a.get("type"),
                "description": unescape_markdown(a.get("description")),
                "intervention_names": [
                    _arm_intervention_name(n, interventions_src) for n in a.get("interventionNames") or []
                ],
            }
            for a in _list(arms_module, "armGroups")
        ],
        "interventions": [
            {
                "type": i.get("type"),
                "name": i.get("name"),
                "description": unescape_markdown(i.get("description")),
                "other_names": i.get("otherNames") or [],
                "arm_labels": i.get("armGroupLabels") or [],
            }
            for i in interventions_src
        ],
        "primary_outcomes": outcome_list("primaryOutcomes"),
        "secondary_outcomes": outcome_list("secondaryOutcomes"),
        "sex": eligibility.get("sex"),
        "minimum_age": eligibility.get("minimumAge"),
        "maximum_age": eligibility.get("maximumAge"),
        "healthy_volunteers": eligibility.get("healthyVolunteers"),
        "inclusion_criteria": inclusion,
        "exclusion_criteria": exclusion,
        "lead_sponsor": _get(sponsors, "leadSponsor", "name"),
        "collaborators": [c.get("name") for c in _list(sponsors, "collaborators") if c.get("name")],
        "responsible_party": _responsible_party(sponsors),
        "locations": [
            {
                "facility": loc.get("facility"),
                "city": loc.get("city"),
                "state": loc.get("state"),
                "country": loc.get("country"),
                "status": loc.get("status"),
            }
            for loc in _list(places, "locations")
        ],
        "contacts": [
            {"name": c.get("name"), "role": c.get("role"), "email": c.get("email"), "phone": _phone(c)}
            for c in _list(places, "centralContacts")
        ],
    }
