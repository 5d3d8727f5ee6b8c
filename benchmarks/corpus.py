"""Benchmark corpus: 5-10 KB registry-like pages in three layouts.

Pages are rendered from the real ClinicalTrials.gov records in `../shared/ctgov` (parsed with the
project's own importers, never copied into the repo), so field density, wording and list lengths
are realistic. Without `../shared` a small bundled template record is varied per page instead, so
the smoke test and a user's clone still run. Three layouts stress different extractor paths:
"label" (`Label: value` lines), "heading" (a heading line, then the value) and "aggregator" (bare
values under section headings, like third-party trial sites).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

LAYOUTS = ("label", "heading", "aggregator")
MIN_BYTES = 5_000
MAX_BYTES = 10_000
SHARED_CTGOV = Path(__file__).resolve().parent.parent.parent / "shared" / "ctgov"

# Page chrome found on real registry and aggregator pages; used to pad short records to 5 KB.
_BOILERPLATE = [
    "Study Results\nThe study team has not published outcome measurements, participant flow, or safety data for this trial yet. Check back later for updates.",
    "Disclaimer\nListing a study does not mean it has been evaluated by the U.S. Federal Government. Know the risks and potential benefits of clinical studies and talk to your health care provider before participating.",
    "How to read a study record\nThe record below is supplied by the study sponsor or investigator. The sponsor is responsible for the safety, science, and accuracy of the study information.",
    "About this page\nSections of this page summarize the protocol: eligibility, design, arms and interventions, outcome measures and contacts. Dates are shown as reported by the sponsor.",
    "Related Clinical Trials\nExplore similar clinical trials based on study characteristics and research focus. Related listings are chosen automatically and are not endorsements.",
    "Share this page\nEmail, print or save this study record. Subscribe to receive updates when the sponsor changes the record, adds locations or posts results.",
]

_TEMPLATE: dict[str, Any] = {
    "brief_title": "Study of Agent {n} in Adults With Moderate Persistent Asthma",
    "official_title": "A Randomized, Double-Blind, Placebo-Controlled Phase {phase} Study of the Efficacy and Safety of Agent {n} in Adults With Moderate Persistent Asthma",
    "acronym": "AGENT{n}",
    "overall_status": "Recruiting",
    "study_type": "Interventional",
    "allocation": "Randomized",
    "intervention_model": "Parallel Assignment",
    "primary_purpose": "Treatment",
    "masking": "Double",
    "enrollment_type": "Anticipated",
    "sex": "All",
    "minimum_age": "18 Years",
    "maximum_age": "75 Years",
    "healthy_volunteers": False,
    "conditions": ["Asthma", "Airway Inflammation"],
    "keywords": ["inhaled therapy", "lung function", "exacerbation"],
    "brief_summary": "This study will test whether Agent {n}, given once daily for 24 weeks, improves lung function compared with placebo in adults whose asthma is not controlled on inhaled corticosteroids.",
    "detailed_description": "Participants will be screened for up to 4 weeks, randomized 1:1 to Agent {n} or placebo, treated for 24 weeks and followed for 8 weeks after the last dose. Spirometry, symptom diaries and rescue medication use are recorded at every visit.",
    "arms": [
        {"label": "Agent {n}", "type": "Experimental", "description": "Agent {n} 10 mg inhaled once daily", "intervention_names": ["Drug: Agent {n}"]},
        {"label": "Placebo", "type": "Placebo Comparator", "description": "Matching placebo inhaled once daily", "intervention_names": ["Drug: Placebo"]},
    ],
    "interventions": [
        {"type": "Drug", "name": "Agent {n}", "description": "10 mg dry powder inhaler, once daily"},
        {"type": "Drug", "name": "Placebo", "description": "Matching dry powder inhaler, once daily"},
    ],
    "primary_outcomes": [{"measure": "Change from baseline in pre-bronchodilator FEV1", "time_frame": "Baseline and week 24", "description": None}],
    "secondary_outcomes": [
        {"measure": "Annualized rate of severe asthma exacerbations", "time_frame": "Up to week 24", "description": None},
        {"measure": "Change from baseline in Asthma Control Questionnaire score", "time_frame": "Baseline and week 24", "description": None},
    ],
    "inclusion_criteria": [
        "Age 18 to 75 years at screening",
        "Physician-diagnosed asthma for at least 12 months",
        "Pre-bronchodilator FEV1 between 40% and 85% of predicted",
        "Stable dose of inhaled corticosteroid for at least 3 months",
        "Able to perform reproducible spirometry",
    ],
    "exclusion_criteria": [
        "Current smoker or former smoker with more than 10 pack-years",
        "Asthma exacerbation requiring systemic corticosteroids within 4 weeks of screening",
        "Clinically significant lung disease other than asthma",
        "Pregnant or breastfeeding",
    ],
    "lead_sponsor": "Example Respiratory Research Institute",
    "collaborators": ["Example University Hospital"],
    "responsible_party": "Example Respiratory Research Institute",
    "locations": [
        {"facility": "Example University Hospital", "city": "Boston", "state": "Massachusetts", "country": "United States"},
        {"facility": "Lakeside Clinical Research Center", "city": "Chicago", "state": "Illinois", "country": "United States"},
    ],
    "contacts": [{"name": "Study Coordinator", "role": "Contact", "email": "trials@example.org", "phone": "555-0100"}],
}


def _fill(value: Any, **subs: Any) -> Any:
    if isinstance(value, str):
        return value.format(**subs)
    if isinstance(value, list):
        return [_fill(v, **subs) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, **subs) for k, v in value.items()}
    return value


def template_record(n: int) -> dict[str, Any]:
    """The bundled template varied by `n` (ids, dates, enrollment, phase), for when ../shared is absent."""
    rng = random.Random(n)
    rec = _fill(_TEMPLATE, n=n, phase=rng.choice(["2", "3"]))
    rec.update(
        nct_id=f"NCT{90000000 + n:08d}",
        secondary_ids=[f"ERRI-{2020 + n % 5}-{n:04d}"],
        phases=[f"Phase {rec['official_title'].split('Phase ')[1][0]}"],
        enrollment=rng.randrange(40, 900),
        start_date=f"{2019 + n % 6}-{1 + n % 12:02d}-{1 + n % 28:02d}",
        primary_completion_date=f"{2026 + n % 3}-{1 + (n * 5) % 12:02d}",
        completion_date=f"{2027 + n % 3}-{1 + (n * 7) % 12:02d}",
        first_posted_date=f"{2019 + n % 6}-{1 + (n * 3) % 12:02d}-15",
        last_update_date="2025-01-08",
    )
    return rec


def shared_records(folder: Path = SHARED_CTGOV) -> list[dict[str, Any]]:
    """Record dicts parsed from the CT.gov XML / JSON files in `folder` (empty when it is absent)."""
    if not folder.is_dir():
        return []
    from extractor.importers import parse_ctgov_study, parse_ctgov_xml, studies_of

    records: list[dict[str, Any]] = []
    for path in sorted(folder.iterdir()):
        try:
            if path.suffix == ".xml":
                records.append(parse_ctgov_xml(path.read_text(encoding="utf-8")))
            elif path.suffix == ".json":
                records.extend(parse_ctgov_study(s) for s in studies_of(json.loads(path.read_text(encoding="utf-8"))))
        except Exception:  # a record the importer rejects is simply not part of the corpus
            continue
    return records


# -- rendering ------------------------------------------------------------------------------
def _s(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "value"):
        value = value.value
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value).strip()


def _cut(text: Any, limit: int) -> str:
    text = _s(text)
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def _items(rec: dict[str, Any], key: str, limit: int) -> list[Any]:
    return list(rec.get(key) or [])[:limit]


def _sections(rec: dict[str, Any], budget: int) -> list[tuple[str, list[str]]]:
    """(heading, lines) pairs, with long texts and lists trimmed by `budget` (a size knob)."""
    text_cut, n_list = budget, max(2, budget // 150)
    arms = [
        [f"{_s(a.get('label'))} ({_s(a.get('type'))})".replace(" ()", ""), _cut(a.get("description"), text_cut // 3)]
        for a in _items(rec, "arms", n_list)
    ]
    ivs = [[f"{_s(i.get('type'))}: {_s(i.get('name'))}".lstrip(": "), _cut(i.get("description"), text_cut // 3)] for i in _items(rec, "interventions", n_list)]
    outs = lambda key: [f"{_cut(o.get('measure'), 200)} [Time Frame: {_s(o.get('time_frame'))}]" for o in _items(rec, key, n_list)]  # noqa: E731
    locs = [", ".join(_s(loc.get(k)) for k in ("facility", "city", "state", "country") if loc.get(k)) for loc in _items(rec, "locations", n_list)]
    contacts = [" | ".join(_s(c.get(k)) for k in ("name", "phone", "email") if c.get(k)) for c in _items(rec, "contacts", 3)]
    return [
        ("Brief Summary", [_cut(rec.get("brief_summary"), text_cut)]),
        ("Detailed Description", [_cut(rec.get("detailed_description"), text_cut)]),
        ("Conditions", [_s(c) for c in _items(rec, "conditions", n_list)]),
        ("Keywords", [_s(k) for k in _items(rec, "keywords", n_list)]),
        ("Arms", [line for arm in arms for line in arm if line]),
        ("Interventions", [line for iv in ivs for line in iv if line]),
        ("Primary Outcome Measures", outs("primary_outcomes")),
        ("Secondary Outcome Measures", outs("secondary_outcomes")),
        ("Inclusion Criteria", [f"{i}. {_cut(c, 300)}" for i, c in enumerate(_items(rec, "inclusion_criteria", n_list), 1)]),
        ("Exclusion Criteria", [f"{i}. {_cut(c, 300)}" for i, c in enumerate(_items(rec, "exclusion_criteria", n_list), 1)]),
        ("Collaborators", [_s(c) for c in _items(rec, "collaborators", n_list)]),
        ("Locations", locs),
        ("Central Contacts", contacts),
    ]


_LABELS = [
    ("NCT Number", "nct_id"), ("Other Study ID Numbers", "secondary_ids"), ("Brief Title", "brief_title"),
    ("Official Title", "official_title"), ("Acronym", "acronym"), ("Overall Status", "overall_status"),
    ("Why Stopped", "why_stopped"), ("Study Start", "start_date"), ("Primary Completion", "primary_completion_date"),
    ("Study Completion", "completion_date"), ("First Posted", "first_posted_date"), ("Last Update Posted", "last_update_date"),
    ("Study Type", "study_type"), ("Phase", "phases"), ("Allocation", "allocation"), ("Intervention Model", "intervention_model"),
    ("Primary Purpose", "primary_purpose"), ("Masking", "masking"), ("Enrollment", "enrollment"), ("Sex", "sex"),
    ("Minimum Age", "minimum_age"), ("Maximum Age", "maximum_age"), ("Accepts Healthy Volunteers", "healthy_volunteers"),
    ("Sponsor", "lead_sponsor"), ("Responsible Party", "responsible_party"),
]


def _value(rec: dict[str, Any], key: str) -> str:
    value = rec.get(key)
    if isinstance(value, list):
        return ", ".join(_s(v) for v in value)
    text = _s(value)
    if key == "enrollment" and text and rec.get("enrollment_type"):
        text += f" ({_s(rec['enrollment_type']).title()})"
    if key.endswith("_date") and text and rec.get(f"{key}_type"):
        text += f" ({_s(rec[f'{key}_type']).title()})"
    return text


def _render(rec: dict[str, Any], layout: str, budget: int) -> str:
    title = _s(rec.get("brief_title")) or _s(rec.get("official_title")) or "Untitled study"
    out: list[str] = []
    if layout == "label":
        out += [title, ""]
        out += [f"{label}: {v}" for label, key in _LABELS if (v := _value(rec, key))]
        for heading, lines in _sections(rec, budget):
            if any(lines):
                out += ["", f"{heading}:"] + [f"  {x}" for x in lines if x]
    elif layout == "heading":
        out += [title, ""]
        for label, key in _LABELS:
            if v := _value(rec, key):
                out += [label, v, ""]
        for heading, lines in _sections(rec, budget):
            if any(lines):
                out += [heading.upper()] + [x for x in lines if x] + [""]
    else:  # aggregator: bare values, the reader must infer what each one is
        out += [title, f"NCT ID: {_s(rec.get('nct_id'))}", f"Last Updated: {_s(rec.get('last_update_date'))}", _BOILERPLATE[0], "Basic Information"]
        out += [v for key in ("overall_status", "phases", "enrollment", "study_type", "start_date", "completion_date") if (v := _value(rec, key))]
        if rec.get("enrollment") is not None:
            out = [f"{rec['enrollment']} participants" if x.startswith(f"{rec['enrollment']}") else x for x in out]
        out += ["Study Design"] + [v for key in ("allocation", "intervention_model", "primary_purpose", "masking") if (v := _value(rec, key))]
        for heading, lines in _sections(rec, budget):
            if any(lines):
                out += [heading] + [x for x in lines if x]
        out += ["Eligibility"] + [v for key in ("minimum_age", "maximum_age", "sex", "healthy_volunteers") if (v := _value(rec, key))]
        out += ["Sponsors", _s(rec.get("lead_sponsor"))]
    return "\n".join(out).strip() + "\n"


def render_page(rec: dict[str, Any], layout: str, seed: int = 0) -> str:
    """One page of 5-10 KB (UTF-8): trimmed when the record is long, padded with page chrome when short."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; known: {LAYOUTS}")
    budget = 4000
    page = _render(rec, layout, budget)
    while len(page.encode("utf-8")) > MAX_BYTES and budget > 200:
        budget = int(budget * 0.7)
        page = _render(rec, layout, budget)
    if len(page.encode("utf-8")) > MAX_BYTES:  # still too long: hard cut at a line boundary
        page = page.encode("utf-8")[: MAX_BYTES - 2].decode("utf-8", "ignore").rsplit("\n", 1)[0] + "\n"
    i = seed
    while len(page.encode("utf-8")) < MIN_BYTES:
        page += "\n" + _BOILERPLATE[i % len(_BOILERPLATE)] + "\n"
        i += 1
    return page


def base_records(use_shared: bool = True) -> tuple[list[dict[str, Any]], str]:
    """The records pages are made from, and where they came from ("shared/ctgov" or "template")."""
    records = shared_records() if use_shared else []
    if records:
        return records, f"shared/ctgov ({len(records)} records)"
    return [template_record(n) for n in range(24)], "bundled template (24 variants)"


def iter_pages(n: int, use_shared: bool = True) -> Iterator[tuple[str, str]]:
    """`n` (doc_id, text) pairs cycling over records x layouts; lazy, so 10,000 pages cost no memory."""
    records, _ = base_records(use_shared)
    cache: dict[tuple[int, str], str] = {}
    for i in range(n):
        r, layout = (i // len(LAYOUTS)) % len(records), LAYOUTS[i % len(LAYOUTS)]
        key = (r, layout)
        if key not in cache and len(cache) < 1000:
            cache[key] = render_page(records[r], layout, seed=r)
        text = cache.get(key) or render_page(records[r], layout, seed=r)
        yield f"bench-{i:05d}-{layout}", text


def pages(n: int, use_shared: bool = True) -> list[tuple[str, str]]:
    return list(iter_pages(n, use_shared))
