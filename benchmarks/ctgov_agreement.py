"""Field-by-field agreement of the CT.gov importer with the source records.

Independent of the importer on purpose: every expected value is read from the source with its
own plain path (XPath for the legacy XML, a dotted path for API v2 JSON) and its own small
display-text -> API-value tables, then compared with what `import_ctgov_file` produced. One
comparison per record and field of record.md; list-of-object fields agree only when every
entry does. Criteria agree when every item is a verbatim piece of the source text, the items
cover its words, no bullet was merged away, and inclusion/exclusion sit on the right side of
the heading.

Usage: python -m benchmarks.ctgov_agreement [DIR] [--split even|odd|all] [--show N]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from extractor.importers import import_ctgov_file  # noqa: E402

DEFAULT_DIR = ROOT.parent / "shared" / "ctgov"

FIELDS = [
    "nct_id", "secondary_ids", "brief_title", "official_title", "acronym", "overall_status",
    "why_stopped", "start_date", "start_date_type", "primary_completion_date",
    "primary_completion_date_type", "completion_date", "completion_date_type", "first_posted_date",
    "last_update_date", "study_type", "phases", "allocation", "intervention_model",
    "primary_purpose", "masking", "enrollment", "enrollment_type", "conditions", "keywords",
    "brief_summary", "detailed_description", "arms", "interventions", "primary_outcomes",
    "secondary_outcomes", "sex", "minimum_age", "maximum_age", "healthy_volunteers",
    "inclusion_criteria", "exclusion_criteria", "lead_sponsor", "collaborators",
    "responsible_party", "locations", "contacts",
]


# ---------- the checker's own normalizations ----------

def ws(text: Any) -> Any:
    """Whitespace collapsed, v2 markdown escapes undone, one leading bullet/numbering removed (record.md)."""
    if not isinstance(text, str):
        return text
    text = re.sub(r"\\(?=[^\w\s])", "", text)
    text = " ".join(text.split())
    if not re.fullmatch(r"\(\d{3}\) [\d -]+", text):  # a phone's area code is no numbering
        text = re.sub(r"^(?:[-*•⁃–—①-⑳]|\(?\d{1,3}[.)](?!\d)|\(\d{1,3}\))\s*", "", text)
    return text or None


def api(text: Any, table: dict[str, str] | None = None) -> Any:
    """Display text -> API v2 constant: "Active, not recruiting" -> ACTIVE_NOT_RECRUITING."""
    if text is None:
        return None
    key = re.sub(r"[^A-Z0-9]+", "_", str(text).upper()).strip("_")
    return (table or {}).get(key, key)


STATUS = {"UNKNOWN_STATUS": "UNKNOWN", "AVAILABLE_FOR_EXPANDED_ACCESS": "AVAILABLE"}
DATE_TYPE = {"ANTICIPATED": "ESTIMATED", "ESTIMATE": "ESTIMATED"}
STUDY_TYPE = {"OBSERVATIONAL_PATIENT_REGISTRY": "OBSERVATIONAL"}
MODEL = {"SINGLE_GROUP_ASSIGNMENT": "SINGLE_GROUP", "PARALLEL_ASSIGNMENT": "PARALLEL",
         "CROSSOVER_ASSIGNMENT": "CROSSOVER", "FACTORIAL_ASSIGNMENT": "FACTORIAL",
         "SEQUENTIAL_ASSIGNMENT": "SEQUENTIAL"}
PURPOSE = {"EDUCATIONAL_COUNSELING_TRAINING": "ECT"}
ALLOCATION = {"N_A": "NA"}
SEX = {"BOTH": "ALL"}
ITYPE = {"BIOLOGICAL_VACCINE": "BIOLOGICAL", "PROCEDURE_SURGERY": "PROCEDURE", "GENE_TRANSFER": "GENETIC"}


def masking(text: Any) -> Any:
    if text is None:
        return None
    word = str(text).split()[0].split("(")[0].upper().strip(",")
    return {"OPEN": "NONE", "NONE": "NONE", "NO": "NONE"}.get(word, word)


def phases(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        for part in ["N/A"] if api(value) == "N_A" else str(value).split("/"):
            key = api(part)
            out.append({"N_A": "NA", "EARLY_PHASE_1": "EARLY_PHASE1"}.get(key, key.replace("PHASE_", "PHASE")))
    return sorted(set(out))


def date(text: Any) -> Any:
    if text is None:
        return None
    for fmt, out in (("%Y-%m-%d", "%Y-%m-%d"), ("%Y-%m", "%Y-%m"), ("%B %d, %Y", "%Y-%m-%d"), ("%B %Y", "%Y-%m")):
        try:
            return datetime.strptime(text.strip(), fmt).strftime(out)
        except ValueError:
            pass
    return f"UNPARSED:{text}"


def age(text: Any) -> Any:
    if text is None or str(text).strip().upper() in {"N/A", "NA", ""}:
        return None
    n, unit = str(text).split()
    unit = unit.capitalize().rstrip("s")
    return f"{int(n)} {unit}" if int(n) == 1 else f"{int(n)} {unit}s"


def healthy(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    return {"ACCEPTS_HEALTHY_VOLUNTEERS": True, "YES": True, "NO": False}.get(api(value))


# ---------- source lookups ----------

class Source:
    """A parsed source record with a `get(path)` / `all(path)` lookup in its own format."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.is_xml = path.suffix == ".xml"
        if self.is_xml:
            self.root: Any = ET.parse(path).getroot()
        else:
            obj = json.loads(path.read_text(encoding="utf-8"))
            self.root = obj["studies"][0] if "studies" in obj else obj
            self.root = self.root.get("protocolSection", self.root)

    @staticmethod
    def _json_all(node: Any, path: str) -> list[Any]:
        nodes = [node]
        for step in path.split("."):
            many = step.endswith("[]")
            step = step.rstrip("[]")
            nxt: list[Any] = []
            for n in nodes:
                v = n.get(step) if isinstance(n, dict) else None
                if v is None:
                    continue
                nxt.extend(v if many and isinstance(v, list) else [v])
            nodes = nxt
        return nodes

    def all(self, path: str, node: Any = None) -> list[Any]:
        node = self.root if node is None else node
        if self.is_xml:
            out = []
            for e in node.findall(path):
                text = "".join(e.itertext()) if e.find("textblock") is not None else e.text
                out.append(text)
            return [t for t in out if t is not None and t.strip()]
        return [v for v in self._json_all(node, path) if v not in (None, "")]

    def get(self, path: str, node: Any = None) -> Any:
        found = self.all(path, node)
        return found[0] if found else None

    def attr(self, path: str, name: str) -> Any:
        e = self.root.find(path)
        return e.get(name) if e is not None else None

    def nodes(self, path: str) -> list[Any]:
        return self.root.findall(path) if self.is_xml else self._json_all(self.root, path)


def expected(src: Source, field: str) -> Any:
    x = src.is_xml
    g = src.get
    if field == "nct_id":
        return g("id_info/nct_id" if x else "identificationModule.nctId")
    if field == "secondary_ids":
        if x:
            return sorted(src.all("id_info/org_study_id") + src.all("id_info/secondary_id") + src.all("id_info/nct_alias"))
        return sorted(src.all("identificationModule.orgStudyIdInfo.id") + src.all("identificationModule.secondaryIdInfos[].id")
                      + src.all("identificationModule.nctIdAliases[]"))
    simple_text = {
        "brief_title": ("brief_title", "identificationModule.briefTitle"),
        "official_title": ("official_title", "identificationModule.officialTitle"),
        "acronym": ("acronym", "identificationModule.acronym"),
        "why_stopped": ("why_stopped", "statusModule.whyStopped"),
        "lead_sponsor": ("sponsors/lead_sponsor/agency", "sponsorCollaboratorsModule.leadSponsor.name"),
        "brief_summary": ("brief_summary", "descriptionModule.briefSummary"),
        "detailed_description": ("detailed_description", "descriptionModule.detailedDescription"),
    }
    if field in simple_text:
        return ws(g(simple_text[field][0 if x else 1]))
    lists = {
        "conditions": ("condition", "conditionsModule.conditions[]"),
        "keywords": ("keyword", "conditionsModule.keywords[]"),
        "collaborators": ("sponsors/collaborator/agency", "sponsorCollaboratorsModule.collaborators[].name"),
    }
    if field in lists:
        return [ws(v) for v in src.all(lists[field][0 if x else 1])]
    if field == "overall_status":
        return api(g("overall_status" if x else "statusModule.overallStatus"), STATUS)
    dates = {"start_date": ("start_date", "startDateStruct"),
             "primary_completion_date": ("primary_completion_date", "primaryCompletionDateStruct"),
             "completion_date": ("completion_date", "completionDateStruct")}
    for name, (xp, jp) in dates.items():
        if field == name:
            return date(g(xp) if x else g(f"statusModule.{jp}.date"))
        if field == f"{name}_type":
            return api(src.attr(xp, "type") if x else g(f"statusModule.{jp}.type"), DATE_TYPE)
    if field == "first_posted_date":
        return date(g("study_first_posted") or g("firstreceived_date") if x else g("statusModule.studyFirstPostDateStruct.date"))
    if field == "last_update_date":
        return date(g("last_update_posted") or g("lastchanged_date") if x else g("statusModule.lastUpdatePostDateStruct.date"))
    if field == "study_type":
        return api(g("study_type" if x else "designModule.studyType"), STUDY_TYPE)
    if field == "phases":
        return phases(src.all("phase") if x else src.all("designModule.phases[]"))
    design = {"allocation": ("allocation", "allocation", ALLOCATION),
              "intervention_model": ("intervention_model", "interventionModel", MODEL),
              "primary_purpose": ("primary_purpose", "primaryPurpose", PURPOSE)}
    if field in design:
        xp, jp, table = design[field]
        return api(g(f"study_design_info/{xp}") if x else g(f"designModule.designInfo.{jp}"), table)
    if field == "masking":
        return masking(g("study_design_info/masking") if x else g("designModule.designInfo.maskingInfo.masking"))
    if field == "enrollment":
        value = g("enrollment") if x else g("designModule.enrollmentInfo.count")
        return int(value) if value is not None else None
    if field == "enrollment_type":
        return api(src.attr("enrollment", "type") if x else g("designModule.enrollmentInfo.type"), DATE_TYPE)
    if field == "sex":
        return api(g("eligibility/gender" if x else "eligibilityModule.sex"), SEX)
    if field in ("minimum_age", "maximum_age"):
        return age(g(f"eligibility/{field}") if x else g("eligibilityModule." + ("minimumAge" if field == "minimum_age" else "maximumAge")))
    if field == "healthy_volunteers":
        return healthy(g("eligibility/healthy_volunteers" if x else "eligibilityModule.healthyVolunteers"))
    if field == "responsible_party":
        if x:
            # investigator_full_name (2017+) or name_title (the older responsible_party form)
            name = g("responsible_party/investigator_full_name") or g("responsible_party/name_title")
            kind = g("responsible_party/responsible_party_type")
            lead = g("sponsors/lead_sponsor/agency")
        else:
            name = g("sponsorCollaboratorsModule.responsibleParty.investigatorFullName")
            kind = g("sponsorCollaboratorsModule.responsibleParty.type")
            lead = g("sponsorCollaboratorsModule.leadSponsor.name")
        if name:
            return ws(name)
        return ws(lead) if api(kind) in {"SPONSOR", "SPONSOR_INVESTIGATOR"} else None
    if field in ("primary_outcomes", "secondary_outcomes"):
        kind = field.split("_")[0]
        path = f"{kind}_outcome" if x else f"outcomesModule.{kind}Outcomes[]"
        return [(ws(g("measure", n)), ws(g("time_frame" if x else "timeFrame", n)), ws(g("description", n)))
                for n in src.nodes(path)]
    if field == "locations":
        if x:
            return [(ws(g("facility/name", n)), ws(g("facility/address/city", n)), ws(g("facility/address/state", n)),
                     ws(g("facility/address/country", n)), api(g("status", n), STATUS)) for n in src.nodes("location")]
        return [(ws(g("facility", n)), ws(g("city", n)), ws(g("state", n)), ws(g("country", n)), api(g("status", n), STATUS))
                for n in src.nodes("contactsLocationsModule.locations[]")]
    if field == "contacts":
        nodes = (src.nodes("overall_contact") + src.nodes("overall_contact_backup")) if x else src.nodes("contactsLocationsModule.centralContacts[]")
        out = []
        for n in nodes:
            name = " ".join(v for v in (g("first_name", n), g("middle_name", n), g("last_name", n)) if v) if x else g("name", n)
            phone, ext = g("phone", n), g("phone_ext" if x else "phoneExt", n)
            out.append((ws(name) or None, ws(g("email", n)), f"{phone} ext. {ext}" if phone and ext else ws(phone)))
        return out
    if field in ("arms", "interventions"):
        return _arms_interventions(src)[field]
    raise KeyError(field)


def _arms_interventions(src: Source) -> dict[str, Any]:
    x, g = src.is_xml, src.get
    inodes = src.nodes("intervention" if x else "armsInterventionsModule.interventions[]")
    anodes = src.nodes("arm_group" if x else "armsInterventionsModule.armGroups[]")
    links: set[tuple[str, str]] = set()  # (arm label, intervention name)
    interventions = []
    for n in inodes:
        name = ws(g("intervention_name" if x else "name", n))
        labels = [ws(v) for v in src.all("arm_group_label" if x else "armGroupLabels[]", n)]
        links.update((label, name) for label in labels)
        interventions.append([api(g("intervention_type" if x else "type", n), ITYPE), name,
                              ws(g("description", n)), [ws(v) for v in src.all("other_name" if x else "otherNames[]", n)]])
    # The XML links by intervention (kept per intervention: two may share a name); v2 also by arm.
    own = [sorted({lab for lab in src.all("arm_group_label" if x else "armGroupLabels[]", n)}) for n in inodes]
    own = [sorted({ws(lab) for lab in labels}) for labels in own]
    names = {i[1] for i in interventions}
    arms = []
    for n in anodes:
        label = ws(g("arm_group_label" if x else "label", n))
        for raw in ([] if x else src.all("interventionNames[]", n)):
            raw = ws(raw)
            links.add((label, raw if raw in names else raw.split(": ", 1)[-1]))
        arms.append([label, api(g("arm_group_type" if x else "type", n)), ws(g("description", n))])
    return {
        "arms": [(*a, sorted({i for lab, i in links if lab == a[0]})) for a in arms],
        "interventions": [(*i[:3], i[3], own[k] if x else sorted({lab for lab, name in links if name == i[1]}))
                          for k, i in enumerate(interventions)],
    }


def actual(record: dict[str, Any], field: str) -> Any:
    v = record[field]
    if field == "secondary_ids":
        return sorted(v)
    if field == "phases":
        return sorted(v)
    if field in ("primary_outcomes", "secondary_outcomes"):
        return [(ws(o["measure"]), ws(o["time_frame"]), ws(o["description"])) for o in v]
    if field == "locations":
        return [(loc["facility"], loc["city"], loc["state"], loc["country"], loc["status"]) for loc in v]
    if field == "contacts":
        return [(c["name"], c["email"], c["phone"]) for c in v]
    if field == "arms":
        return [(a["label"], a["type"], ws(a["description"]), sorted(a["intervention_names"])) for a in v]
    if field == "interventions":
        return [(i["type"], i["name"], ws(i["description"]), i["other_names"], sorted(i["arm_labels"])) for i in v]
    if isinstance(v, str):
        return ws(v)
    if isinstance(v, list):
        return [ws(s) for s in v]
    return v


def criteria_agree(src: Source, record: dict[str, Any]) -> bool:
    text = src.get("eligibility/criteria" if src.is_xml else "eligibilityModule.eligibilityCriteria") or ""
    flat = ws(text) or ""
    inc, exc = record["inclusion_criteria"], record["exclusion_criteria"]
    heading = re.search(r"exclusion criteria\s*:?|\bexclusion\s*:", flat, re.I)
    cut = heading.start() if heading else len(flat)
    positions = []
    for side, items in (("inc", inc), ("exc", exc)):
        start = 0
        for n, item in enumerate(items):
            # a heading naming its group ("Transplant Exclusion:") may be kept as the first item
            named_heading = side == "exc" and n == 0 and item.endswith(":") and "exclusion" in item.lower()
            at = flat.find(ws(item), start if side == "inc" or named_heading else max(start, cut))
            if at < 0 or (side == "inc" and at >= cut):
                return False
            positions.append(at)
            start = at + 1
    heading_words = re.compile(r"^(?:key|inclusion|exclusion|criteria|criterion|eligibility|and|:)$", re.I)
    words = Counter(w.lstrip("•⁃") for w in re.findall(r"[^\s]+", re.sub(r"(?m)^\s*(?:[-*•⁃]|\(?\d{1,3}[.)])\s+", " ", re.sub(r"\\(?=[^\w\s])", "", text)))
                    if not heading_words.match(w.rstrip(":")))
    got = Counter(w for item in inc + exc for w in item.split())
    covered = sum(min(n, got[w]) for w, n in words.items())
    if words and covered / sum(words.values()) < 0.97:
        return False
    bullets = [ln for ln in text.splitlines() if re.match(r"^\s*(?:[-*•]\s|\d{1,3}[.)]\s)", ln)
               and not re.search(r"(?:inclusion|exclusion) criteria\s*:?\s*$", ln, re.I)]
    return len(inc) + len(exc) >= len(bullets)


def compare(path: Path) -> dict[str, bool]:
    """field -> agrees, for one source file (import errors count as disagreement everywhere)."""
    src = Source(path)
    try:
        record = import_ctgov_file(path).model_dump(mode="json")
    except Exception:  # noqa: BLE001 - a failed import disagrees on every field
        return {f: False for f in FIELDS}
    result: dict[str, bool] = {}
    for field in FIELDS:
        if field == "inclusion_criteria":
            result[field] = result["exclusion_criteria"] = criteria_agree(src, record)
        elif field == "exclusion_criteria":
            continue
        elif field in ("brief_summary", "detailed_description") and src.is_xml:
            want = expected(src, field)
            got = record[field]
            raw = src.get(field) or ""
            paragraphs = len([b for b in re.split(r"\n\s*\n", raw.strip()) if b.strip()])
            result[field] = ws(got) == want and (got is None or got.count("\n\n") == paragraphs - 1)
        else:
            result[field] = expected(src, field) == actual(record, field)
    return result


def files(directory: Path, split: str) -> list[Path]:
    found = sorted(p for p in directory.iterdir() if p.name.startswith("NCT") and p.suffix in (".xml", ".json"))
    if split == "even":
        return found[::2]
    if split == "odd":
        return found[1::2]
    return found


def agreement(paths: list[Path]) -> tuple[float, dict[str, list[str]]]:
    """(share of agreeing record-field pairs, field -> the files that disagree)."""
    agree = total = 0
    misses: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        for field, ok in compare(path).items():
            total += 1
            agree += ok
            if not ok:
                misses[field].append(path.name)
    return (agree / total if total else 0.0), dict(misses)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--split", choices=["even", "odd", "all"], default="all")
    parser.add_argument("--show", type=int, default=0, help="print the values of N disagreements per field")
    args = parser.parse_args(argv)
    paths = files(args.dir, args.split)
    score, misses = agreement(paths)
    print(f"{args.split}: {len(paths)} records, {len(paths) * len(FIELDS)} field comparisons, agreement {score:.2%}")
    for field, names in sorted(misses.items(), key=lambda kv: -len(kv[1])):
        print(f"  {field:30} {len(names):3} disagree: {', '.join(names[:6])}")
        for name in names[: args.show]:
            src = Source(args.dir / name)
            try:
                record = import_ctgov_file(args.dir / name).model_dump(mode="json")
            except Exception as exc:  # noqa: BLE001
                print(f"      {name} import failed: {exc}")
                continue
            if field not in ("inclusion_criteria", "exclusion_criteria"):
                print(f"      {name} want={expected(src, field)!r:.300}\n      {'':{len(name)}} got ={actual(record, field)!r:.300}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
