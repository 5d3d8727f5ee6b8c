"""Merging the model's record with the rules', refereed by the source text."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from extractor.errors import LLMTransportError
from extractor.merge import llm_failed, merge
from extractor.result import ExtractionResult, Usage
from extractor.schema import TrialRecord

TEXT = """Aspirin After Knee Surgery

NCT ID: NCT04000001
Other IDs: ASK-2019-01
Status: Recruiting
Enrollment: 120 (Estimated)
Target enrollment was first 300 patients.
Start Date: 2020-01-15
Lead Sponsor: University of Exampleton

Inclusion Criteria:
- Adults scheduled for total knee replacement
- Able to give consent
"""


def rules(**fields: Any) -> ExtractionResult:
    return ExtractionResult(id="d", source="d.txt", backend="rules", record=TrialRecord(**fields))


def issue_codes(result: ExtractionResult, path: str) -> set[str]:
    return {i.code for i in result.issues if path in i.paths}


def test_agreement_is_both_and_quiet() -> None:
    result = merge(TrialRecord(nct_id="NCT04000001", enrollment=120), rules(nct_id="NCT04000001", enrollment=120), TEXT)
    assert result.record.enrollment == 120 and result.backend == "llm"
    assert result.provenance["enrollment"].source.value == "both" and result.provenance["enrollment"].agreed is True
    assert not {"LLM_RULES_DISAGREE", "UNGROUNDED_VALUE"} & {i.code for i in result.issues}


def test_reliable_disagreement_ungrounded_llm_loses() -> None:
    result = merge(TrialRecord(enrollment=125), rules(enrollment=120), TEXT)
    assert result.record.enrollment == 120
    assert {"LLM_RULES_DISAGREE", "UNGROUNDED_VALUE"} <= issue_codes(result, "enrollment")
    assert result.provenance["enrollment"].source.value == "rules" and result.provenance["enrollment"].agreed is False


def test_reliable_disagreement_both_grounded_rules_win() -> None:
    result = merge(TrialRecord(enrollment=300), rules(enrollment=120), TEXT)
    assert result.record.enrollment == 120
    assert issue_codes(result, "enrollment") == {"LLM_RULES_DISAGREE"}


def test_reliable_disagreement_only_llm_grounded_llm_wins() -> None:
    result = merge(TrialRecord(start_date="2020-01-15"), rules(start_date="2020-01-16"), TEXT)
    assert result.record.start_date == "2020-01-15"
    assert "LLM_RULES_DISAGREE" in issue_codes(result, "start_date")
    assert result.provenance["start_date"].source.value == "llm"


def test_ungrounded_reliable_value_without_rules_is_dropped() -> None:
    result = merge(TrialRecord(overall_status="COMPLETED", start_date="2020-01-15"), rules(), TEXT)
    assert result.record.overall_status is None
    msg = next(i.message for i in result.issues if "overall_status" in i.paths)
    assert "dropped" in msg
    assert result.record.start_date == "2020-01-15" and result.provenance["start_date"].source.value == "llm"


def test_rules_fill_what_the_llm_missed() -> None:
    result = merge(TrialRecord(), rules(nct_id="NCT04000001"), TEXT)
    assert result.record.nct_id == "NCT04000001" and result.provenance["nct_id"].source.value == "rules"


def test_list_disagreement_keeps_the_rules_list_and_names_the_model_items() -> None:
    llm = TrialRecord(inclusion_criteria=["Adults scheduled for total knee replacement", "Body mass index below 35",
                                          "Able to give consent"])
    result = merge(llm, rules(inclusion_criteria=["Adults scheduled for total knee replacement"]), TEXT)
    assert result.record.inclusion_criteria == ["Adults scheduled for total knee replacement"]
    disagree = next(i for i in result.issues if i.code == "LLM_RULES_DISAGREE" and i.paths == ["inclusion_criteria"])
    assert "Body mass index below 35" in disagree.message and "Able to give consent" in disagree.message
    assert "UNGROUNDED_VALUE" in issue_codes(result, "inclusion_criteria[1]")  # the model's invented item
    assert "UNGROUNDED_VALUE" not in issue_codes(result, "inclusion_criteria[2]")  # in the text, only not kept
    assert result.provenance["inclusion_criteria[0]"].source.value == "both"


def test_list_only_the_model_read_keeps_its_grounded_items() -> None:
    llm = TrialRecord(inclusion_criteria=["Adults scheduled for total knee replacement", "Body mass index below 35",
                                          "Able to give consent"])
    result = merge(llm, rules(), TEXT)
    assert result.record.inclusion_criteria == ["Adults scheduled for total knee replacement", "Able to give consent"]
    assert "UNGROUNDED_VALUE" in issue_codes(result, "inclusion_criteria[1]")
    assert result.provenance["inclusion_criteria[0]"].source.value == "llm"
    assert all(e.status.value != "none" for p, e in result.evidence.items() if p.startswith("inclusion_criteria"))


def test_invented_sponsor_is_replaced_or_flagged() -> None:
    replaced = merge(TrialRecord(lead_sponsor="Globex Corporation"), rules(lead_sponsor="University of Exampleton"), TEXT)
    assert replaced.record.lead_sponsor == "University of Exampleton"
    assert "LLM_RULES_DISAGREE" in issue_codes(replaced, "lead_sponsor")
    flagged = merge(TrialRecord(lead_sponsor="Globex Corporation"), rules(), TEXT)
    assert "UNGROUNDED_VALUE" in issue_codes(flagged, "lead_sponsor")


def test_invented_secondary_id_is_dropped_and_rules_ids_kept() -> None:
    result = merge(TrialRecord(secondary_ids=["ZZZ-999"]), rules(secondary_ids=["ASK-2019-01"]), TEXT)
    assert result.record.secondary_ids == ["ASK-2019-01"]
    assert "UNGROUNDED_VALUE" in issue_codes(result, "secondary_ids[0]")


def test_llm_failed_keeps_the_rules_result() -> None:
    base = rules(nct_id="NCT04000001", enrollment=120)
    result = llm_failed(base, LLMTransportError("HTTP 503 from the model server after 4 requests"), Usage(requests=4))
    assert result.record == base.record and result.backend == "rules" and result.usage.requests == 4
    issue = next(i for i in result.issues if i.code == "LLM_FAILED")
    assert issue.severity.value == "warning" and "HTTP 503" in issue.message and "LLM_TRANSPORT" in issue.message
    assert not base.issues  # the input is not modified


# --- planted errors: how many unsupported model values are corrected or flagged ---------------

PAGES: list[tuple[str, dict[str, Any]]] = [
    (
        """A Randomized Trial of Vitamin D in Older Adults With Falls

ClinicalTrials.gov ID: NCT05111111
Sponsor: Northfield University Hospital
Collaborators: National Institute on Aging
Study Status: Recruiting
Study Type: Interventional
Phase: Phase 3
Allocation: Randomized
Masking: Double
Enrollment (Estimated): 450
Study Start (Actual): 2022-03-01
Primary Completion (Estimated): 2025-06-30

Conditions: Falls, Vitamin D Deficiency

Eligibility Criteria
Inclusion Criteria:
- Age 70 years or older
- Serum 25(OH)D below 30 ng/mL
Exclusion Criteria:
- Hypercalcemia
- Kidney stones within 5 years

Sex: All
Minimum Age: 70 Years
Accepts Healthy Volunteers: No
""",
        {"nct_id": "NCT05111111", "brief_title": "A Randomized Trial of Vitamin D in Older Adults With Falls",
         "lead_sponsor": "Northfield University Hospital", "collaborators": ["National Institute on Aging"],
         "overall_status": "RECRUITING", "study_type": "INTERVENTIONAL", "phases": ["PHASE3"],
         "allocation": "RANDOMIZED", "masking": "DOUBLE", "enrollment": 450, "enrollment_type": "ESTIMATED",
         "start_date": "2022-03-01", "start_date_type": "ACTUAL", "primary_completion_date": "2025-06-30",
         "primary_completion_date_type": "ESTIMATED", "conditions": ["Falls", "Vitamin D Deficiency"],
         "inclusion_criteria": ["Age 70 years or older", "Serum 25(OH)D below 30 ng/mL"],
         "exclusion_criteria": ["Hypercalcemia", "Kidney stones within 5 years"], "sex": "ALL",
         "minimum_age": "70 Years", "healthy_volunteers": False},
    ),
    (
        """Exercise Program for Cancer-Related Fatigue (MOVE-CRF)

Acronym: MOVE-CRF
NCT Number: NCT04222222
Other Study ID Numbers: CRF-2020-07
Overall Status: Completed
Study Type: Interventional
Phases: Not Applicable
Enrollment: 88 (Actual)
Start Date: June 2020
Completion Date: December 2022 (Actual)
Lead Sponsor: Riverside Cancer Centre

Eligibility
Sex: Female
Minimum Age: 18 Years
Maximum Age: 75 Years
Inclusion Criteria:
1. Breast cancer survivor
2. Fatigue score of 4 or more
Exclusion Criteria:
1. Unstable heart disease
""",
        {"nct_id": "NCT04222222", "brief_title": "Exercise Program for Cancer-Related Fatigue (MOVE-CRF)",
         "acronym": "MOVE-CRF", "secondary_ids": ["CRF-2020-07"], "overall_status": "COMPLETED",
         "study_type": "INTERVENTIONAL", "phases": ["NA"], "enrollment": 88, "enrollment_type": "ACTUAL",
         "start_date": "2020-06", "completion_date": "2022-12", "completion_date_type": "ACTUAL",
         "lead_sponsor": "Riverside Cancer Centre", "sex": "FEMALE", "minimum_age": "18 Years",
         "maximum_age": "75 Years", "inclusion_criteria": ["Breast cancer survivor", "Fatigue score of 4 or more"],
         "exclusion_criteria": ["Unstable heart disease"]},
    ),
    (
        """Registry of Pediatric Migraine Outcomes

Registration Number: NCT03333333
Status: Active, not recruiting
Study Type: Observational
Enrollment: 1,200 participants
Start Date: 2019-09
Lead Sponsor: Children's Headache Network

Eligibility
Sex: All
Minimum Age: 6 Years
Maximum Age: 17 Years
Healthy Volunteers: No
Inclusion Criteria:
- Diagnosis of migraine by a neurologist
Exclusion Criteria:
- Secondary headache disorder
""",
        {"nct_id": "NCT03333333", "brief_title": "Registry of Pediatric Migraine Outcomes",
         "overall_status": "ACTIVE_NOT_RECRUITING", "study_type": "OBSERVATIONAL", "enrollment": 1200,
         "start_date": "2019-09", "lead_sponsor": "Children's Headache Network", "sex": "ALL",
         "minimum_age": "6 Years", "maximum_age": "17 Years", "healthy_volunteers": False,
         "inclusion_criteria": ["Diagnosis of migraine by a neurologist"],
         "exclusion_criteria": ["Secondary headache disorder"]},
    ),
    (
        """Low-Dose Naltrexone for Fibromyalgia

NCT ID: NCT04444444
Recruitment Status: Terminated
Why Stopped: Slow accrual
Phase 2
Enrollment: 34 (Actual)
Study Start: 2018-02-01
Study Completion: 2019-11-30
Sponsor: Lakeside Pain Institute
Responsible Party: Dr. Maria Okafor

Inclusion Criteria
- Fibromyalgia by 2016 ACR criteria
- Average pain 4 or more of 10
Exclusion Criteria
- Current opioid use
Sex: All
Minimum Age: 18 Years
""",
        {"nct_id": "NCT04444444", "brief_title": "Low-Dose Naltrexone for Fibromyalgia",
         "overall_status": "TERMINATED", "why_stopped": "Slow accrual", "phases": ["PHASE2"], "enrollment": 34,
         "enrollment_type": "ACTUAL", "start_date": "2018-02-01", "completion_date": "2019-11-30",
         "lead_sponsor": "Lakeside Pain Institute", "responsible_party": "Dr. Maria Okafor", "sex": "ALL",
         "minimum_age": "18 Years",
         "inclusion_criteria": ["Fibromyalgia by 2016 ACR criteria", "Average pain 4 or more of 10"],
         "exclusion_criteria": ["Current opioid use"]},
    ),
]


def _plant_list(field: str, item: str) -> Callable[[dict[str, Any]], tuple[str, Any]]:
    def plant(d: dict[str, Any]) -> tuple[str, Any]:
        d[field] = list(d.get(field, [])) + [item]
        return f"{field}[{len(d[field]) - 1}]", item
    return plant


def _set(field: str, value: Any) -> Callable[[dict[str, Any]], tuple[str, Any]]:
    def plant(d: dict[str, Any]) -> tuple[str, Any]:
        d[field] = value
        return field, value
    return plant


# Plausible model mistakes, each unsupported by (or contradicting) the page it is planted in.
PLANTS: list[Callable[[dict[str, Any]], tuple[str, Any]]] = [
    lambda d: _set("enrollment", d["enrollment"] + 50)(d),
    _set("lead_sponsor", "Globex Pharmaceuticals"),
    _plant_list("inclusion_criteria", "Signed informed consent"),
    _plant_list("exclusion_criteria", "Pregnant or breastfeeding"),
    lambda d: _set("overall_status", "WITHDRAWN")(d),
    _set("start_date", "2017-05"),
    lambda d: _set("nct_id", d["nct_id"][:-1] + ("9" if d["nct_id"][-1] != "9" else "8"))(d),
    _set("minimum_age", "21 Years"),
    _set("phases", ["PHASE4"]),
    _plant_list("collaborators", "Initech Biologics"),
    _set("masking", "QUADRUPLE"),
    _set("completion_date", "2031-01-31"),
]


def _caught(result: ExtractionResult, path: str, planted: Any) -> bool:
    field = path.split("[")[0]
    flagged = any(p in (path, field) or p.startswith(path + ".") for i in result.issues for p in i.paths)
    final = result.record.model_dump(mode="json").get(field)
    if path != field:
        corrected = planted not in (final or [])
    else:
        corrected = final != TrialRecord.model_validate({field: planted}).model_dump(mode="json")[field]
    return flagged or corrected


def test_planted_errors_are_corrected_or_flagged() -> None:
    from extractor import extract_rules_result

    caught = total = 0
    missed: list[str] = []
    for n, (text, truth) in enumerate(PAGES):
        rules_result = extract_rules_result(f"p{n}", f"p{n}.txt", text)
        for plant in PLANTS:
            answer = {k: (list(v) if isinstance(v, list) else v) for k, v in truth.items()}
            path, planted = plant(answer)
            result = merge(TrialRecord.model_validate(answer), rules_result, text)
            total += 1
            if _caught(result, path, planted):
                caught += 1
            else:
                missed.append(f"page {n}: {path} = {planted!r}")
    rate = caught / total
    print(f"planted-error catch rate: {caught}/{total} = {rate:.1%}; missed: {missed}")
    assert rate >= 0.9, missed


def test_correct_answers_survive_the_merge_with_empty_rules() -> None:
    """With nothing from the rules, a correct answer is kept whole (no false drops)."""
    for n, (text, truth) in enumerate(PAGES):
        answer = TrialRecord.model_validate(truth)
        result = merge(answer, rules(), text)
        assert result.record == answer, n


def test_each_value_is_grounded_once_and_the_evidence_matches_a_full_grounding(monkeypatch: pytest.MonkeyPatch) -> None:
    """The merge reuses the rules' evidence for equal values and grounds only what differs, yet its
    evidence and grounding warnings are exactly what grounding the merged record afresh gives."""
    import extractor.merge as merge_module
    from extractor.grounding import ground
    from extractor import assess

    model = TrialRecord(nct_id="NCT04000001", secondary_ids=["ASK-2019-01", "XYZ-9"], enrollment=125,
                        overall_status="RECRUITING", start_date="2020-01-15", keywords=["invented"],
                        lead_sponsor="University of Exampleton",
                        inclusion_criteria=["Adults scheduled for total knee replacement", "Able to give consent"])
    rules_record = TrialRecord(nct_id="NCT04000001", secondary_ids=["ASK-2019-01"], enrollment=120,
                               start_date="2020-01-15", lead_sponsor="University of Exampleton")
    evidence, issues = assess(rules_record, TEXT)
    prior = ExtractionResult(id="d", source="d.txt", backend="rules", record=rules_record, evidence=evidence, issues=issues)

    grounded: list[set[str]] = []

    def counting(record: TrialRecord, text: str) -> Any:
        grounded.append({n for n in TrialRecord.model_fields if getattr(record, n) not in (None, [])})
        return ground(record, text)

    monkeypatch.setattr(merge_module, "ground", counting)
    result = merge(model, prior, TEXT)
    fresh_ev, fresh_issues = ground(result.record, TEXT)
    assert result.evidence == fresh_ev
    assert [i for i in result.issues if i.code == "UNGROUNDED_VALUE" and "not found" in i.message] == fresh_issues
    seen = [n for names in grounded for n in names]
    assert "nct_id" not in seen and "lead_sponsor" not in seen  # equal to the rules': their evidence is reused
    assert len(seen) == len(set(seen))  # no field grounded twice


def test_llm_failed_runs_the_checks_an_unchecked_rules_result_left_out() -> None:
    """The LLM path's rules pass skips the checks (the merge re-checks); the fallback adds them first."""
    from extractor.checks import run_checks

    base = rules(nct_id="NCT04000001", minimum_age="65 Years", maximum_age="18 Years")
    expected = run_checks(base.record)
    assert expected  # the record really trips a check
    result = llm_failed(base, LLMTransportError("HTTP 503"), Usage(), checked=False)
    assert result.issues[:len(expected)] == expected and result.issues[-1].code == "LLM_FAILED"
    assert [i.code for i in llm_failed(base, LLMTransportError("HTTP 503"), Usage()).issues] == ["LLM_FAILED"]


def test_paths_by_field_match_the_per_field_scan() -> None:
    """The merge's one-pass index gives each field the paths (in order) the per-field scan gives,
    names that are prefixes of others ("phase" / "phases") included."""
    from extractor.merge import _by_field, _paths_of
    from extractor.result import Evidence, MatchStatus

    ev = Evidence(status=MatchStatus.EXACT, quote="x")
    paths = ["phases[0]", "phase", "arms[0].label", "arms[1].description", "phases[1]", "arms_count", "sex"]
    evidence = dict.fromkeys(paths, ev)
    index = _by_field(evidence)
    for name in ("phases", "phase", "arms", "arms_count", "sex", "masking"):
        assert index.get(name, []) == _paths_of(evidence, name)


# --- a small model's plausible misreads: grounded, but not what the page says the field is ---------

CHROME_PAGE = """TrialPortal

Aspirin After Knee Surgery in Older Adults

Phase 3
Recruiting
Conditions
Osteoarthritis, Knee
Registration Number
NCT04000002
Lead Sponsor
University of Exampleton

Primary Outcome Measures
1. Venous thromboembolism [Time Frame: 90 days]

Locations
Exampleton General Hospital
Exampleton, United Kingdom
"""


def test_grounded_misreads_do_not_undo_what_the_rules_read() -> None:
    from extractor import extract_rules_result

    ruled = extract_rules_result("c", "c.txt", CHROME_PAGE)
    assert ruled.record.lead_sponsor == "University of Exampleton" and ruled.record.conditions
    assert ruled.record.primary_outcomes and ruled.record.locations
    misread = TrialRecord.model_validate({
        **ruled.record.model_dump(mode="json"),
        "lead_sponsor": "TrialPortal",  # the site's name: in the text, not the sponsor
        "conditions": ["Aspirin", "Older Adults"],  # words of the title
        "primary_outcomes": [{"measure": "Aspirin", "time_frame": "Knee Surgery in Older Adults"}],
        "locations": [{"facility": "Exampleton"}],
    })
    result = merge(misread, ruled, CHROME_PAGE)
    for name in ("lead_sponsor", "conditions", "primary_outcomes", "locations"):
        assert getattr(result.record, name) == getattr(ruled.record, name), name
        assert "LLM_RULES_DISAGREE" in issue_codes(result, name), name
        assert {v.source.value for k, v in result.provenance.items() if k.split("[")[0] == name} == {"rules"}, name
    assert result.record.nct_id == "NCT04000002" and result.provenance["nct_id"].source.value == "both"


def test_scalar_disagreement_keeps_a_grounded_rules_value_and_takes_a_grounded_model_one_only_over_an_ungrounded() -> None:
    kept = merge(TrialRecord(brief_title="Target enrollment was first 300 patients."),
                 rules(brief_title="Aspirin After Knee Surgery"), TEXT)
    assert kept.record.brief_title == "Aspirin After Knee Surgery"
    assert "LLM_RULES_DISAGREE" in issue_codes(kept, "brief_title")
    taken = merge(TrialRecord(brief_title="Aspirin After Knee Surgery"), rules(brief_title="Aspirin Before Hip Surgery"), TEXT)
    assert taken.record.brief_title == "Aspirin After Knee Surgery"
    assert taken.provenance["brief_title"].source.value == "llm"


def test_ungrounded_free_text_without_rules_is_dropped() -> None:
    result = merge(TrialRecord(why_stopped="Sponsor decision", brief_title="Aspirin After Knee Surgery"), rules(), TEXT)
    assert result.record.why_stopped is None and "UNGROUNDED_VALUE" in issue_codes(result, "why_stopped")
    assert result.record.brief_title == "Aspirin After Knee Surgery"
    assert result.provenance["brief_title"].source.value == "llm"


def test_a_value_read_from_another_fields_text_is_not_taken_where_the_rules_read_none() -> None:
    from extractor import extract_rules_result

    page = CHROME_PAGE + "\nBrief Summary\nAspirin is given as a treatment after surgery to prevent clots.\n"
    ruled = extract_rules_result("c", "c.txt", page)
    assert ruled.record.brief_summary and ruled.record.primary_purpose is None and ruled.record.official_title is None
    misread = TrialRecord.model_validate({
        **ruled.record.model_dump(mode="json"),
        "primary_purpose": "TREATMENT",  # the word "treatment" in the summary
        "official_title": "TrialPortal\n\nAspirin After Knee Surgery in Older Adults",  # chrome + the title
        "acronym": "Aspirin",  # an acronym may sit inside the title: not this guard's business
    })
    result = merge(misread, ruled, page)
    assert result.record.primary_purpose is None and result.record.official_title is None
    assert {"LLM_RULES_DISAGREE"} <= issue_codes(result, "primary_purpose") & issue_codes(result, "official_title")
    # the acronym is not dropped as misplaced (it may sit inside the title) but for want of its label
    assert result.record.acronym is None
    assert any("names no acronym" in i.message for i in result.issues if i.paths == ["acronym"])


def test_where_the_rules_read_the_layout_their_silence_counts_and_elsewhere_the_model_fills() -> None:
    from extractor import extract_rules_result

    text, truth = PAGES[0]
    ruled = extract_rules_result("p0", "p0.txt", text)
    guess = TrialRecord.model_validate({**ruled.record.model_dump(mode="json"), "keywords": ["Vitamin D"],
                                        "primary_purpose": "PREVENTION" if ruled.record.primary_purpose is None else None})
    result = merge(guess, ruled, text)
    assert result.record.keywords == [] and "LLM_RULES_DISAGREE" in issue_codes(result, "keywords")
    assert result.record.primary_purpose == ruled.record.primary_purpose
    # with nothing from the rules (a layout they cannot read) a grounded guess fills the field, except
    # where the field is one a page states only under its label and no such label is there
    alone = merge(TrialRecord(conditions=["Vitamin D Deficiency"], keywords=["Vitamin D"],
                              brief_title=truth["brief_title"]), rules(), text)
    assert alone.record.conditions == ["Vitamin D Deficiency"] and alone.record.keywords == []


LABELLED_PAGE = """Text Messages for Type 2 Diabetes

Who runs it: University of Exampleton, with the Northern Diabetes Network
Health topic: blood sugar control

Keywords: telehealth; self-management
Collaborators: Western Health Board
Responsible Party: Jane Roe, Principal Investigator
"""

UNLABELLED_PAGE = LABELLED_PAGE.split("\n\nKeywords")[0] + "\n"


def test_label_only_fields_are_kept_where_the_page_names_them_and_dropped_where_it_does_not() -> None:
    """Keywords, collaborators and the responsible party a page states only under their own label:
    the model's grounded value is kept under that label, and dropped (flagged) when it was read from
    prose or chrome with no such label near it."""
    answer = TrialRecord(keywords=["telehealth", "self-management"], collaborators=["Western Health Board"],
                         responsible_party="Jane Roe")
    kept = merge(answer, rules(), LABELLED_PAGE)
    assert kept.record.keywords == ["telehealth", "self-management"]
    assert kept.record.collaborators == ["Western Health Board"] and kept.record.responsible_party == "Jane Roe"

    guess = TrialRecord(keywords=["blood sugar control"], collaborators=["Northern Diabetes Network"],
                        responsible_party="University of Exampleton", brief_title="Text Messages for Type 2 Diabetes")
    dropped = merge(guess, rules(), UNLABELLED_PAGE)
    assert dropped.record.keywords == [] and dropped.record.collaborators == []
    assert dropped.record.responsible_party is None
    for path in ("keywords[0]", "collaborators[0]", "responsible_party"):
        assert "LLM_RULES_DISAGREE" in issue_codes(dropped, path), path
    assert dropped.record.brief_title == "Text Messages for Type 2 Diabetes"  # other fields untouched


@pytest.mark.parametrize("page, answer, kept", [
    # the label's reach ends at the next label line
    ("Keywords: telehealth\nConditions: Type 2 Diabetes\n", {"keywords": ["telehealth", "Type 2 Diabetes"]},
     {"keywords": ["telehealth"]}),
    # the lead sponsor's label is not a collaborators label
    ("Lead Sponsor: Acme University\nPhase: 2\n", {"collaborators": ["Acme University"]}, {"collaborators": []}),
    ("Secondary sponsor: Acme University\n", {"collaborators": ["Acme University"]},
     {"collaborators": ["Acme University"]}),
    # a label the rules' lexicon also reads as the responsible party
    ("Information provided by: Jane Roe, MD\n", {"responsible_party": "Jane Roe"}, {"responsible_party": "Jane Roe"}),
    # characters whose lower case is longer ("İ") before the label do not move the offsets
    ("İ" * 30 + "\nCollaborators: Western Health Board\n", {"collaborators": ["Western Health Board"]},
     {"collaborators": ["Western Health Board"]}),
])
def test_label_only_edges(page: str, answer: dict[str, Any], kept: dict[str, Any]) -> None:
    result = merge(TrialRecord(**answer), rules(), page)
    for name, value in kept.items():
        assert getattr(result.record, name) == value, (name, page)


def test_a_sponsor_or_acronym_without_its_label_is_not_taken_from_the_model() -> None:
    """gold/GUIDELINES.md: no sponsor label -> no lead sponsor; an acronym only when labelled. The
    registry's name in the page header is not the sponsor, a tag at the end of the title not an acronym."""
    page = "Registry of Example Trials\n\nExercise for Fatigue (MOVE-CRF)\nStatus: Completed\n"
    result = merge(TrialRecord(lead_sponsor="Registry of Example Trials", acronym="MOVE-CRF"), rules(), page)
    assert result.record.lead_sponsor is None and result.record.acronym is None
    labelled = page + "Sponsor: Registry of Example Trials\nAcronym: MOVE-CRF\n"
    kept = merge(TrialRecord(lead_sponsor="Registry of Example Trials", acronym="MOVE-CRF"), rules(), labelled)
    assert kept.record.lead_sponsor == "Registry of Example Trials" and kept.record.acronym == "MOVE-CRF"


def test_an_intervention_named_by_its_type_is_dropped() -> None:
    page = "Intervention type: Drug\nOther\nPlacebo tablets twice a day\n"
    answer = TrialRecord(interventions=[{"type": "DRUG", "name": "Drug"}, {"type": "OTHER", "name": "Placebo tablets"}, {"name": "DEVICE"}])
    result = merge(answer, rules(), page)
    assert [i.name for i in result.record.interventions] == ["Placebo tablets"]
    assert "LLM_RULES_DISAGREE" in issue_codes(result, "interventions[0]")


LAY_PAGE = """A trial of shorter radiotherapy for bladder cancer

The aims of this trial are to find out:
if shorter radiotherapy is as good as standard radiotherapy at stopping the cancer coming back
about the side effects

Who can enter
You may be able to join this trial if all of the following apply. You:
are at least 18 years old
have chosen radiotherapy to keep your bladder

Hospital visits
You see the doctor and have tests before you start treatment.
"""


def test_purpose_sex_and_outcomes_are_not_made_from_a_lay_pages_prose() -> None:
    """An enum word in prose ("before you start treatment"), "all of the following apply" and a lay
    page's aims are no primary purpose, sex or outcome measures (GUIDELINES §2, §7): dropped, flagged."""
    answer = TrialRecord(primary_purpose="TREATMENT", sex="ALL",
                         primary_outcomes=[{"measure": "about the side effects"}])
    result = merge(answer, rules(), LAY_PAGE)
    assert result.record.primary_purpose is None and result.record.sex is None
    assert result.record.primary_outcomes == []
    for path in ("primary_purpose", "sex", "primary_outcomes[0]"):
        assert "LLM_RULES_DISAGREE" in issue_codes(result, path), path


@pytest.mark.parametrize("page, answer", [
    ("Study design\nRandomised\nParallel\nTreatment\n", {"primary_purpose": "TREATMENT"}),
    ("Primary purpose: Treatment\n", {"primary_purpose": "TREATMENT"}),
    ("Sex: All\nAge: 18 years and over\n", {"sex": "ALL"}),
    ("Open to: All genders\n", {"sex": "ALL"}),
    ("Gender\nBoth\n", {"sex": "ALL"}),
    ("Healthy women aged 40 to 60 who have never smoked\n", {"sex": "FEMALE"}),
    # the outcome label reaches down a long list, past the items' own "Time frame:" rows
    ("Secondary outcome measures\n" + "".join(f"Score number {i} on the scale\nTime frame: week {i}\n" for i in range(1, 40)),
     {"secondary_outcomes": [{"measure": "Score number 39 on the scale", "time_frame": "week 39"}]}),
    ("Sex:\n\nAll\n", {"sex": "ALL"}),  # a blank line between label and value
    ("Eligibility\n18 Years\nALL\nNo\n", {"sex": "ALL"}),  # a bare value in the eligibility block (§2)
    ("Inclusion criteria: Male or female infants aged 28 days to 23 months\n", {"sex": "ALL"}),
    ("Study Design\nAllocation: Randomized\nMasking: None\nTreatment\n", {"primary_purpose": "TREATMENT"}),
    ("Trial type: Treatment\n", {"primary_purpose": "TREATMENT"}),
    # the standard CT.gov form, an item's own "Primary:" label and an item holding a colon
    ("Primary Outcome Measures:\nOverall survival [ Time Frame: 5 years ]\nProgression-free survival [ Time Frame: 3 years ]\n",
     {"primary_outcomes": [{"measure": "Progression-free survival", "time_frame": "3 years"}]}),
    ("Outcomes:\nPrimary: Overall survival at 5 years\nSecondary: Quality of life\n",
     {"secondary_outcomes": [{"measure": "Quality of life"}]}),
    ("Secondary outcome measures\nQuality of life: EQ-5D at 12 months\nPain: VAS at 6 months\n",
     {"secondary_outcomes": [{"measure": "Pain: VAS at 6 months"}]}),
    # only the measure carries the label: a time frame found under another label does not drop the item
    ("Primary outcome: Pain score\nConditions:\nKnee pain for 12 weeks\n",
     {"primary_outcomes": [{"measure": "Pain score", "time_frame": "12 weeks"}]}),
])
def test_purpose_sex_and_outcomes_under_their_labels_are_kept(page: str, answer: dict[str, Any]) -> None:
    result = merge(TrialRecord(**answer), rules(), page)
    for name in answer:
        assert getattr(result.record, name) == getattr(TrialRecord(**answer), name), (name, page)


@pytest.mark.parametrize("page, answer", [
    # "all" inside "smallpox" on the label's line is not the value; the "all" it is stands in prose
    ("Sex: see the smallpox notes\nVisits\nTests\nYou may join if all of the following apply\n", {"sex": "ALL"}),
    ("Primary outcome: Pain at 12 weeks\nConditions: Knee pain\nSwelling of the knee\n",
     {"primary_outcomes": [{"measure": "Swelling of the knee"}]}),  # past the next label line
])
def test_purpose_sex_and_outcomes_elsewhere_are_dropped(page: str, answer: dict[str, Any]) -> None:
    result = merge(TrialRecord(**answer), rules(), page)
    for name in answer:
        assert getattr(result.record, name) in (None, []), (name, page)


def test_the_sponsors_address_is_not_a_site() -> None:
    """A sponsor's contact block reads like a site (organisation, street, town, country); only
    listed sites are locations (GUIDELINES §8)."""
    page = ("Name of Sponsor: Vireon Therapeutics GmbH\nContact point: Vireon Therapeutics GmbH\n"
            "Street Address: Am Klopferspitz 19\nTown/city: Martinsried\nCountry: Germany\n\n"
            "Trial sites\nCity Hospital Munich, Munich, Germany\n")
    answer = TrialRecord(lead_sponsor="Vireon Therapeutics GmbH", locations=[
        {"facility": "Vireon Therapeutics GmbH", "city": "Martinsried", "country": "Germany"},
        {"facility": "City Hospital Munich", "city": "Munich", "country": "Germany"}])
    result = merge(answer, rules(lead_sponsor="Vireon Therapeutics GmbH"), page)
    assert [loc.facility for loc in result.record.locations] == ["City Hospital Munich"]
    assert "LLM_RULES_DISAGREE" in issue_codes(result, "locations[0]")


def test_a_sponsor_that_is_also_a_listed_site_keeps_its_site() -> None:
    """A hospital that sponsors and hosts its trial (ChiCTR: "Primary sponsor" and "Institution
    hospital" name the same hospital) is a site where it stands under a site heading."""
    page = ("Primary sponsor: Xinhua Hospital\nAddress: 1665 Kongjiang Road, Shanghai\n\n"
            "Countries of recruitment and research settings:\nInstitution hospital: Xinhua Hospital\n")
    answer = TrialRecord(locations=[{"facility": "Xinhua Hospital"}])
    result = merge(answer, rules(lead_sponsor="Xinhua Hospital"), page)
    assert [loc.facility for loc in result.record.locations] == ["Xinhua Hospital"]


@pytest.mark.parametrize("page, answer, kept", [
    # a form's row heading answered "Not applicable" is no intervention (ANZCTR-style rows)
    ("Intervention code:\nNot applicable\nComparator / control treatment\nNot applicable\nControl group\nUncontrolled\n",
     {"interventions": [{"name": "Comparator / control treatment", "description": "Control group"}]}, {"interventions": []}),
    ("Plain language summary\nNot applicable\n", {"brief_summary": "Plain language summary"}, {"brief_summary": None}),
    # a real value followed by its own answer stays
    ("Comparator / control treatment\nPlacebo tablets\n", {"interventions": [{"name": "Placebo tablets"}]},
     {"interventions": [{"name": "Placebo tablets"}]}),
])
def test_a_label_the_page_answers_not_applicable_is_no_value(page: str, answer: dict[str, Any], kept: dict[str, Any]) -> None:
    result = merge(TrialRecord(**answer), rules(), page)
    for name, value in kept.items():
        assert getattr(result.record, name) == getattr(TrialRecord(**kept), name), (name, page)


@pytest.mark.parametrize("page, answer, kept", [
    # a bare number is no enrollment; a count the page says it counts is
    ("Age group: Children and young adults (1 year to 21 years)\n", {"enrollment": 1}, None),
    ("Study size: Target 150 participants\n", {"enrollment": 150}, 150),
    ("This is a phase 3 trial. The team need 436 people to join.\n", {"enrollment": 436}, 436),
    ("F.4 Planned number of subjects to be included\nF.4.1 In the member state 40\nF.4.2.2 In the whole clinical trial 120\n",
     {"enrollment": 120}, 120),
    # "open" in prose is no masking; under its label or the design block it is
    ("You cannot join if you are in an open clinical trial of another drug\n", {"masking": "NONE"}, None),
    ("Masking: None (Open Label)\n", {"masking": "NONE"}, "NONE"),
    ("Study design\nRandomised\nDouble blind\n", {"masking": "DOUBLE"}, "DOUBLE"),
])
def test_enrollment_and_masking_stand_with_their_labels(page: str, answer: dict[str, Any], kept: Any) -> None:
    (name, _), = answer.items()
    value = getattr(merge(TrialRecord(**answer), rules(), page).record, name)
    assert (value.value if hasattr(value, "value") else value) == kept, page


def test_an_arm_named_by_an_arm_type_word_is_dropped() -> None:
    page = "Treatment\nDrug: DFMO-2\nOther names: eflornithine\nArm A: DFMO-2 twice daily\n"
    answer = TrialRecord(arms=[{"label": "Other"}, {"label": "Arm A", "description": "DFMO-2 twice daily"}])
    result = merge(answer, rules(), page)
    assert [a.label for a in result.record.arms] == ["Arm A"]


@pytest.mark.parametrize("page, answer, kept", [
    # "Trial design" over prose: "a treatment group" is no primary purpose
    ("Trial design\nIt is a randomised trial. You are put into a treatment group by a computer.\n",
     {"primary_purpose": "TREATMENT"}, None),
    ("Study Design\nAllocation: Randomized\nMasking: None\nTreatment\n", {"primary_purpose": "TREATMENT"}, "TREATMENT"),
    ("Participants\nAge group: Children and young adults (1 year to 21 years)\n", {"enrollment": 1}, None),
])
def test_bare_values_count_under_their_block_and_counts_before_a_unit_do_not(page: str, answer: dict[str, Any], kept: Any) -> None:
    (name, _), = answer.items()
    value = getattr(merge(TrialRecord(**answer), rules(), page).record, name)
    assert (value.value if hasattr(value, "value") else value) == kept, page
