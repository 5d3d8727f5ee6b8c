"""ClinicalTrials.gov records (API v2 JSON or legacy XML) -> TrialRecords, for gold sets.

The format parsers (`ctgov_json`, `ctgov_xml`) return the values as the source states them; this
module links arms and interventions both ways (the XML gives only intervention -> arm, v2 gives
both but may omit one side), drops empty entries and lets `TrialRecord` normalize the rest, so a
value the schema cannot read fails loudly (CTGovImportError) instead of being guessed.

Decisions: `secondary_ids` holds the org study ID, then the secondary IDs, then NCT aliases, as
written. `responsible_party` is the investigator's full name when one is given, the lead sponsor
when the party type is Sponsor (or Sponsor-Investigator without a name), else null. Central
contacts (XML overall_contact and overall_contact_backup) get role "CONTACT", the role API v2
gives them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from extractor.importers.ctgov_json import parse_ctgov_study, studies_of
from extractor.importers.ctgov_xml import parse_ctgov_xml
from extractor.errors import CTGovImportError
from extractor.links import link_arms_interventions
from extractor.schema import TrialRecord

__all__ = [
    "import_ctgov_file",
    "import_ctgov_json",
    "import_ctgov_json_all",
    "import_ctgov_text",
    "import_ctgov_xml",
    "link_arms_interventions",
    "load_ctgov_file",
    "record_from_fields",
]


def _has_any(entry: dict[str, Any]) -> bool:
    return any(v not in (None, "", []) for v in entry.values())


def record_from_fields(fields: dict[str, Any]) -> TrialRecord:
    """A TrialRecord from an importer's field dict: empty list entries dropped, arms and interventions linked (edits `fields`)."""
    fields["arms"] = [a for a in fields.get("arms", []) if a.get("label")]
    fields["interventions"] = [i for i in fields.get("interventions", []) if i.get("name")]
    for key in ("primary_outcomes", "secondary_outcomes"):
        fields[key] = [o for o in fields.get(key, []) if o.get("measure")]
    fields["locations"] = [loc for loc in fields.get("locations", []) if _has_any(loc)]
    fields["contacts"] = [c for c in fields.get("contacts", []) if _has_any({**c, "role": None})]
    link_arms_interventions(fields["arms"], fields["interventions"])
    try:
        return TrialRecord.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CTGovImportError(
            f"{fields.get('nct_id') or 'record'}: field {where}: {first['msg']}", nct_id=fields.get("nct_id")
        ) from None


def import_ctgov_xml(text: str) -> TrialRecord:
    """One legacy `<clinical_study>` XML document -> TrialRecord."""
    return record_from_fields(parse_ctgov_xml(text))


def import_ctgov_json_all(obj: Any) -> list[TrialRecord]:
    """Every study in an API v2 answer (a study, a bare protocolSection or a `{"studies": [...]}` page)."""
    return [record_from_fields(parse_ctgov_study(study)) for study in studies_of(obj)]


def import_ctgov_json(obj: Any) -> TrialRecord:
    """One API v2 study -> TrialRecord; a page must hold exactly one study (else use `_all`)."""
    records = import_ctgov_json_all(obj)
    if len(records) != 1:
        raise CTGovImportError(f"expected one study, found {len(records)}; use import_ctgov_json_all")
    return records[0]


def import_ctgov_text(text: str) -> list[TrialRecord]:
    """A file's text, XML or JSON by its first character -> its records."""
    body = text.lstrip("\ufeff \t\r\n")
    if body.startswith("<"):
        return [import_ctgov_xml(body)]
    if body.startswith(("{", "[")):
        try:
            obj = json.loads(body)
        except json.JSONDecodeError as exc:
            raise CTGovImportError(f"not valid JSON: {exc}") from None
        return import_ctgov_json_all(obj)
    raise CTGovImportError("not a ClinicalTrials.gov record: expected API v2 JSON or <clinical_study> XML")


def load_ctgov_file(path: str | Path) -> list[TrialRecord]:
    """Every study record in one file (a v2 page can hold several)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CTGovImportError(f"{file.name}: not UTF-8 text") from None
    except OSError as exc:
        raise CTGovImportError(f"{file.name}: cannot read: {exc.strerror or exc}") from None
    records = import_ctgov_text(text)
    if not records:
        raise CTGovImportError(f"{file.name}: no study in the file")
    return records


def import_ctgov_file(path: str | Path) -> TrialRecord:
    """The one study in a CT.gov file (XML or v2 JSON); several studies raise CTGovImportError."""
    records = load_ctgov_file(path)
    if len(records) != 1:
        raise CTGovImportError(f"{Path(path).name}: holds {len(records)} studies; use load_ctgov_file")
    return records[0]
