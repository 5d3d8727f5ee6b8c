"""A TrialRecord as a ClinicalTrials.gov API v2 study object (`{"protocolSection": {...}}`).

Module by module, as the API writes them: enum values in the API's upper-case form, dates as
`PartialDateStruct`s (`{"date": "2024-01", "type": "ACTUAL"}`), arm/intervention links both ways
(an arm's `interventionNames` as "Drug: Velmarstat", an intervention's `armGroupLabels`), the
markdown fields (summaries, descriptions, outcomes, eligibility) with backslashes escaped, since
the API's text is CommonMark. Absent values are left out, as the API leaves them out.

What the v2 model cannot carry from a record (see `trialx extract --help` and the README): a
contact role that is none of the API's `ContactRole` values is written `CONTACT`; the secondary
IDs are all `secondaryIdInfos` (the record does not say which one is the sponsor's own).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any, TextIO

from extractor.links import link_arms_interventions
from extractor.schema import TrialRecord

__all__ = ["CONTACT_ROLES", "CtgovWriter", "contact_role", "criteria_text", "to_ctgov_study"]

# ContactRole in the API v2 data model.
CONTACT_ROLES = ("STUDY_CHAIR", "STUDY_DIRECTOR", "PRINCIPAL_INVESTIGATOR", "SUB_INVESTIGATOR", "CONTACT")
_EUDRACT_RE = re.compile(r"\d{4}-\d{6}-\d{2}")
_CTIS_RE = re.compile(r"\d{4}-5\d{5}-\d{2}-\d{2}")


def _markdown(text: Any) -> Any:
    """CommonMark-safe: a backslash the record holds is written as an escaped backslash."""
    return text.replace("\\", "\\\\") if isinstance(text, str) else text


def _clean(obj: Any) -> Any:
    """Drop None, empty lists and empty objects, recursively: the API leaves absent values out."""
    if isinstance(obj, dict):
        out = {k: _clean(v) for k, v in obj.items()}
        return {k: v for k, v in out.items() if v not in (None, [], {})}
    if isinstance(obj, list):
        return [c for c in (_clean(v) for v in obj) if c not in (None, [], {})]
    return obj


def _date(value: Any, kind: Any = None) -> dict[str, Any] | None:
    if value is None and kind is None:
        return None
    return {"date": value, "type": kind}


def contact_role(role: str | None) -> str | None:
    """The API's ContactRole for a role text: "Principal Investigator" -> PRINCIPAL_INVESTIGATOR, else CONTACT."""
    if role is None:
        return None
    key = re.sub(r"[^A-Z0-9]+", "_", role.upper()).strip("_")
    key = {"PI": "PRINCIPAL_INVESTIGATOR", "SUB_I": "SUB_INVESTIGATOR", "SUBINVESTIGATOR": "SUB_INVESTIGATOR"}.get(key, key)
    return key if key in CONTACT_ROLES else "CONTACT"


def _id_info(value: str) -> dict[str, Any]:
    if _CTIS_RE.fullmatch(value):
        return {"id": value, "type": "CTIS"}
    if _EUDRACT_RE.fullmatch(value):
        return {"id": value, "type": "EUDRACT_NUMBER"}
    return {"id": value}


def criteria_text(inclusion: list[str], exclusion: list[str]) -> str | None:
    """The API's eligibilityCriteria markdown: headed "Inclusion Criteria:" / "Exclusion Criteria:" bullet lists."""
    blocks = []
    for heading, items in (("Inclusion Criteria:", inclusion), ("Exclusion Criteria:", exclusion)):
        if items:
            bullets = "\n".join("* " + _markdown(item).replace("\n", "\n  ") for item in items)
            blocks.append(f"{heading}\n\n{bullets}")
    return "\n\n".join(blocks) or None


def _type_word(kind: str | None) -> str | None:
    """DIETARY_SUPPLEMENT -> "Dietary Supplement": the prefix the API writes in an arm's interventionNames."""
    return kind.replace("_", " ").title() if kind else None


def _responsible_party(record: Mapping[str, Any]) -> dict[str, Any] | None:
    party = record.get("responsible_party")
    if not party:
        return None
    if party == record.get("lead_sponsor"):
        return {"type": "SPONSOR"}
    return {"investigatorFullName": party}


def to_ctgov_study(record: TrialRecord | Mapping[str, Any]) -> dict[str, Any]:
    """One record (a TrialRecord or its JSON form) -> an API v2 study object."""
    r: dict[str, Any] = record.model_dump(mode="json") if isinstance(record, TrialRecord) else copy.deepcopy(dict(record))
    arms = [dict(a, intervention_names=list(a.get("intervention_names") or [])) for a in r.get("arms") or []]
    interventions = [dict(i, arm_labels=list(i.get("arm_labels") or [])) for i in r.get("interventions") or []]
    link_arms_interventions(arms, interventions)
    types: dict[str, str | None] = {}
    for i in interventions:
        types.setdefault(i["name"], i.get("type"))

    def arm_intervention(name: str) -> str:
        word = _type_word(types.get(name))
        return f"{word}: {name}" if word else name

    def outcomes(key: str) -> list[dict[str, Any]]:
        return [{"measure": _markdown(o.get("measure")), "description": _markdown(o.get("description")),
                 "timeFrame": _markdown(o.get("time_frame"))} for o in r.get(key) or []]

    protocol = {
        "identificationModule": {
            "nctId": r.get("nct_id"),
            "secondaryIdInfos": [_id_info(v) for v in r.get("secondary_ids") or []],
            "briefTitle": r.get("brief_title"),
            "officialTitle": r.get("official_title"),
            "acronym": r.get("acronym"),
        },
        "statusModule": {
            "overallStatus": r.get("overall_status"),
            "whyStopped": _markdown(r.get("why_stopped")),
            "startDateStruct": _date(r.get("start_date"), r.get("start_date_type")),
            "primaryCompletionDateStruct": _date(r.get("primary_completion_date"), r.get("primary_completion_date_type")),
            "completionDateStruct": _date(r.get("completion_date"), r.get("completion_date_type")),
            "studyFirstPostDateStruct": _date(r.get("first_posted_date")),
            "lastUpdatePostDateStruct": _date(r.get("last_update_date")),
        },
        "sponsorCollaboratorsModule": {
            "responsibleParty": _responsible_party(r),
            "leadSponsor": {"name": r.get("lead_sponsor")} if r.get("lead_sponsor") else None,
            "collaborators": [{"name": c} for c in r.get("collaborators") or []],
        },
        "descriptionModule": {
            "briefSummary": _markdown(r.get("brief_summary")),
            "detailedDescription": _markdown(r.get("detailed_description")),
        },
        "conditionsModule": {"conditions": r.get("conditions"), "keywords": r.get("keywords")},
        "designModule": {
            "studyType": r.get("study_type"),
            "phases": r.get("phases"),
            "designInfo": {
                "allocation": r.get("allocation"),
                "interventionModel": r.get("intervention_model"),
                "primaryPurpose": r.get("primary_purpose"),
                "maskingInfo": {"masking": r.get("masking")},
            },
            "enrollmentInfo": {"count": r.get("enrollment"), "type": r.get("enrollment_type")},
        },
        "armsInterventionsModule": {
            "armGroups": [{"label": a["label"], "type": a.get("type"), "description": _markdown(a.get("description")),
                           "interventionNames": [arm_intervention(n) for n in a["intervention_names"]]} for a in arms],
            "interventions": [{"type": i.get("type"), "name": i["name"], "description": _markdown(i.get("description")),
                               "armGroupLabels": i["arm_labels"], "otherNames": i.get("other_names")}
                              for i in interventions],
        },
        "outcomesModule": {"primaryOutcomes": outcomes("primary_outcomes"),
                           "secondaryOutcomes": outcomes("secondary_outcomes")},
        "eligibilityModule": {
            "eligibilityCriteria": criteria_text(r.get("inclusion_criteria") or [], r.get("exclusion_criteria") or []),
            "healthyVolunteers": r.get("healthy_volunteers"),
            "sex": r.get("sex"),
            "minimumAge": r.get("minimum_age"),
            "maximumAge": r.get("maximum_age"),
        },
        "contactsLocationsModule": {
            "centralContacts": [{"name": c.get("name"), "role": contact_role(c.get("role")), "phone": c.get("phone"),
                                 "email": c.get("email")} for c in r.get("contacts") or []],
            "locations": [{"facility": loc.get("facility"), "status": loc.get("status"), "city": loc.get("city"),
                           "state": loc.get("state"), "country": loc.get("country")} for loc in r.get("locations") or []],
        },
    }
    return {"protocolSection": _clean(protocol)}


class CtgovWriter:
    """A CT.gov API v2 page, streamed: `{"studies": [` one study per line `]}`; error lines are left out."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.count = 0
        self.skipped = 0
        self.out.write('{"studies": [\n')

    def write(self, line: Mapping[str, Any]) -> None:
        if "record" not in line:
            self.skipped += 1
            return
        study = json.dumps(to_ctgov_study(line["record"]), ensure_ascii=False)
        self.out.write((",\n" if self.count else "") + study)
        self.count += 1

    def close(self) -> None:
        self.out.write("\n]}\n" if self.count else "]}\n")
        self.out.flush()
