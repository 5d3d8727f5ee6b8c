"""Label and heading synonyms across registries, folded onto one set of field keys.

Registries name the same thing differently ("Target sample size", "Target Recruitment",
"Expected number of subjects"); the segmenter looks every candidate label up here, so a new
registry layout mostly needs new synonyms, never new code. Keys are the rules' own vocabulary
(mostly `TrialRecord` field names, plus container headings such as "eligibility").
"""

from __future__ import annotations

import re
from enum import Enum
from functools import lru_cache

__all__ = [
    "Kind",
    "SUBLABELS",
    "LABELS",
    "KINDS",
    "CLASS_TAGS",
    "fold_label",
    "lookup",
    "is_blurb",
    "is_chrome",
    "flag",
    "FLAGS",
    "NUMBERED_CODE_RE",
]


class Kind(str, Enum):
    """How much text a label owns: one value line, or everything up to the next label."""

    SCALAR = "scalar"  # one value (inline or on the next line); more lines overflow to the container
    BLOCK = "block"  # every following line until the next label (lists, long texts, headings)


# key -> (kind, synonyms as written on registry pages). Qualifier words (actual, estimated,
# anticipated, expected) are removed before lookup and reported separately.
_TABLE: dict[str, tuple[Kind, tuple[str, ...]]] = {
    "nct_id": (Kind.SCALAR, ("Clinical Study Identifier", "NCT ID", "NCT Number", "NCT No",
                             "ClinicalTrials.gov Identifier",
                             "ClinicalTrials.gov ID", "ClinicalTrials.gov Identifier (NCT Number)")),
    "registry_id": (Kind.SCALAR, ("EU CT number", "Trial registration", "Registration Number",
                                  "Registration No", "Main ID", "Trial ID",
                                  "ACTRN", "ISRCTN", "ISRCTN Number", "EudraCT Number", "EudraCT",
                                  "CTRI Number", "CTRI No", "Registration number", "Trial registration number",
                                  "Registry ID", "EU CT Number", "EU Trial Number", "Study ID", "Trial Number",
                                  "UTN", "Universal Trial Number", "Registration number of the trial",
                                  "Registry number", "Register number", "Trial registration ID",
                                  "Registration ID", "Registry identifier", "UTN code", "UTN number",
                                  "EudraCT-Number", "Unique Protocol ID")),
    "secondary_ids": (Kind.BLOCK, ("Secondary ID(s)", "Secondary IDs if Any", "Also known as",
                                   "Sponsor protocol code", "Study subject ID", "IND Number",
                                   "Additional registries", "Other Study IDs", "Other Study ID Numbers", "Other Trial IDs",
                                   "Secondary ID", "Secondary IDs",
                                   "Secondary Identifiers", "Other Identifiers", "Other IDs",
                                   "Secondary identifying numbers", "Org Study ID", "Protocol Number",
                                   "Protocol ID", "Sponsor Protocol Number", "Sponsor's protocol code number",
                                   "Other ID", "Secondary Identifying Numbers", "Protocol/serial number")),
    "brief_title": (Kind.SCALAR, ("Title of the trial for lay people", "Brief Title", "Public title",
                                  "Public Title", "Title", "Study Title",
                                  "Trial Title", "Title of the trial", "Brief title", "Public Title of Study",
                                  "Public/Brief Title", "Brief/Public Title", "Lay title", "Short scientific title")),
    "official_title": (Kind.SCALAR, ("Official Title", "Scientific title", "Full title", "Scientific Title",
                                     "Full title of the trial", "Official title", "Scientific Title of Study",
                                     "Official scientific title", "Scientific title of the study")),
    "acronym": (Kind.SCALAR, ("Scientific title acronym", "Short title/acronym", "Short title",
                              "Study acronym", "Name or abbreviated title of the trial where available",
                              "Name or abbreviated title", "English Acronym", "Public title acronym",
                              "Acronym", "Study Acronym", "Trial acronym", "Scientific acronym",
                              "Public acronym", "Abbreviated title")),
    "overall_status": (Kind.SCALAR, ("Overall Status", "Overall study status", "Trial status", "Status",
                                     "Study Status", "Overall Recruitment Status", "Trial Status",
                                     "End of Trial Status")),
    "recruitment_status": (Kind.SCALAR, ("Recruitment status", "Recruiting status", "Recruitment Status",
                                         "Recruitment Status in India", "Status of recruitment",
                                         "Recruitment Status of Trial (India)",
                                         "Recruitment Status of Trial (Global)", "Recruitment Status of Trial")),
    "why_stopped": (Kind.SCALAR, ("Why Stopped", "Reason for early termination", "Reason stopped",
                                  "Reason for termination", "Reason for stopping",
                                  "Reason abandoned", "Reason abandoned (if study stopped)",
                                  "Reason for suspension", "Reason trial stopped",
                                  "Reason study stopped")),
    "start_date": (Kind.SCALAR, ("Overall study start date", "Date of first participant enrolment",
                                 "Recruitment start date in EEA", "Study execute time", "Study execution time",
                                 "Date of first participant enrollment", "Study Start", "Study Start Date",
                                 "Start Date", "Date of first enrolment",
                                 "Date of first enrollment", "Date of First Enrollment (India)",
                                 "Date of First Enrollment (Global)", "Date of first participant enrolment",
                                 "Overall trial start date", "Trial start date", "Study start date",
                                 "Recruitment start date", "First enrolment date")),
    "primary_completion_date": (Kind.SCALAR, ("Primary Completion", "Primary Completion Date")),
    "completion_date": (Kind.SCALAR, ("Date of the global end of the trial", "Global end of trial date",
                                      "End of trial date", "Date of last data collection",
                                      "Overall study end date", "Overall trial end date", "Study end",
                                      "Study Completion", "Study Completion Date", "Completion Date",
                                      "Overall trial end date", "Trial end date", "End Date",
                                      "Date of study completion", "Study end date")),
    # When recruitment closes, not when the study completes: read by nothing, so it ends the field before.
    "recruitment_end": (Kind.SCALAR, ("Date of last participant enrolment", "Recruitment end date",
                                      "Date of last enrollment", "Date last enrollment", "Date last enrolment")),
    "first_posted_date": (Kind.SCALAR, ("Date on which this record was first entered in the EudraCT database",
                                        "First Posted on", "Registered on", "First Posted", "First posted",
                                        "First Posted Date",
                                        "Date of registration", "Registration date", "Date registered",
                                        "Date Registered", "First Received", "First Submitted",
                                        "Date of Registration", "Date of registration in primary registry",
                                        "Date of disclosure of the study information", "Date of disclosure",
                                        "Date of first registration", "Registration date of the trial",
                                        "Date of publication", "Publication date")),
    "last_update_date": (Kind.SCALAR, ("Last refreshed on", "Date of Last Refreshed on", "Last Modified on",
                                       "Last update date", "Record last updated", "Date last modified",
                                       "Last Update Posted", "Last Updated", "Last update posted",
                                       "Last Update", "Last updated", "Last Modified",
                                       "Last Modified On", "Date last updated", "Last edited",
                                       "Date of last update", "Last update on", "Date of last modification",
                                       "Last revision date", "Date of last revision")),
    "study_type": (Kind.SCALAR, ("Primary study design", "Type of study design", "Study Type", "Type of Trial",
                                 "Study type", "Trial type",
                                 "Type of study")),  # CTRI "Type of Study  Drug" parses as none: read on
    "phases": (Kind.SCALAR, ("Study phase", "Phase", "Phases", "Study Phase", "Phase of Trial", "Trial phase",
                             "Phase of study", "Clinical phase")),
    "allocation": (Kind.SCALAR, ("Allocation", "Randomization", "Randomisation", "Allocation to intervention")),
    "intervention_model": (Kind.SCALAR, ("Intervention Model", "Assignment", "Intervention Assignment",
                                         "Interventional Model")),
    "masking": (Kind.SCALAR, ("Masking", "Blinding", "Masking/Blinding", "Blinding/Masking",
                              "Masking / blinding")),
    "primary_purpose": (Kind.SCALAR, ("Primary Purpose", "Purpose", "Study Purpose", "Purpose of the study")),
    "design": (Kind.BLOCK, ("Study Design", "Study design", "Design", "Trial design", "Study Design Info",
                            "Design Details")),
    "enrollment": (Kind.SCALAR, ("Planned number of participants",
                                 "Overall trial: Planned number of participants",
                                 "Total number of participants", "Total sample size", "Enrollment",
                                 "Enrolment", "Target Recruitment", "Target sample size",
                                 "Target Sample Size", "Sample size", "Number of subjects",
                                 "Number of participants", "Target number of participants",
                                 "Total final enrolment", "Final Enrollment", "Planned sample size",
                                 "In the whole clinical trial",
                                 "Anticipated sample size", "Expected number of subjects",
                                 "Number of Participants", "Total Sample Size",
                                 "Final sample size", "Actual sample size", "Target number of participant",
                                 "Target sample size number of participants",
                                 "Sample size number of participants", "Final enrollment number",
                                 "Number of participants enrolled", "Total enrollment")),
    "conditions": (Kind.BLOCK, ("Medical condition(s)", "Condition(s)",
                                "Health condition(s) or problem(s) studied", "Conditions", "Condition",
                                "Health condition(s) or problem(s) studied",
                                "Health condition", "Target disease", "Disease", "Study Indication",
                                "Medical condition", "Medical condition(s) being investigated",
                                "Condition or disease", "Health Condition or Problem Studied",
                                "Conditions studied", "Disease or condition", "Health Condition / Problems Studied",
                                "Condition(s)/Problem(s)", "Disease(s) or condition(s) being studied",
                                "Sub-Disease(s) or condition(s) being studied",
                                "Description of health condition studied", "Health Category")),
    "keywords": (Kind.BLOCK, ("Keywords", "Keyword", "Key words")),
    "brief_summary": (Kind.BLOCK, ("Plain English summary of protocol", "Overview", "Brief Summary", "Summary", "Plain English summary", "Brief summary",
                                   "Lay summary", "Study Summary", "Plain language summary")),
    "detailed_description": (Kind.BLOCK, ("Description", "Detailed Description", "Detailed description",
                                          "Scientific summary", "Study Description")),
    "arms": (Kind.BLOCK, ("Arms", "Arm Groups", "Arm Group", "Study Groups", "Study Arms", "Treatments",
                          "Study Arms and Interventions", "Arms and Interventions", "Groups",
                          "Participant Group/Arm", "Arm/Group", "Groups/Cohorts", "Arms/Groups",
                          "Interventions, Observational Groups", "Interventions/Observational Groups")),
    "interventions": (Kind.BLOCK, ("Intervention / Treatment", "Interventions", "Intervention",
                                   "Intervention(s)",
                                   "Intervention/treatment", "Intervention / treatment",
                                   "Study Interventions", "Investigational product")),
    "arm_table": (Kind.BLOCK, ("Arm && Interventions", "Arm & Interventions", "Arm and Interventions")),
    "primary_outcomes": (Kind.BLOCK, ("Primary Outcome Measures", "Primary Outcome Measure", "Primary outcome",
                                      "Primary outcome measure", "Primary outcome(s)", "Primary Outcome",
                                      "Primary Outcomes", "Primary endpoint", "Primary endpoints",
                                      "Primary end point(s)", "Primary outcome measures")),
    "secondary_outcomes": (Kind.BLOCK, ("Secondary Outcome Measures", "Secondary Outcome Measure",
                                        "Secondary outcome", "Secondary outcome measure", "Secondary outcome(s)",
                                        "Secondary Outcome", "Secondary Outcomes", "Secondary endpoint",
                                        "Secondary endpoints", "Secondary end point(s)",
                                        "Secondary outcome measures")),
    "timepoint": (Kind.SCALAR, ("Timepoint(s) of evaluation of this end point",
                                "Time point(s) of evaluation of this end point",
                                "Measure time point of outcome", "Timepoint", "Time Frame", "Time point",
                                "Timeframe")),
    "sex": (Kind.SCALAR, ("Sex", "Gender", "Sexes Eligible for Study", "Sexes Eligible", "Inclusion gender",
                          "Sex/Gender", "Eligible Sex", "Gender Eligible", "Participant gender")),
    "minimum_age": (Kind.SCALAR, ("Minimum Age", "Inclusion agemin", "Age From", "Lower age limit",
                                  "Min age", "Minimum age", "Age minimum", "Age-lower limit")),
    "maximum_age": (Kind.SCALAR, ("Maximum Age", "Inclusion agemax", "Age To", "Upper age limit",
                                  "Max age", "Maximum age", "Age maximum", "Age-upper limit")),
    "age_range": (Kind.SCALAR, ("Ages Eligible for Study", "Age range", "Ages", "Age", "Age Range",
                                "Ages Eligible", "Age limits", "Age group")),
    "healthy_volunteers": (Kind.SCALAR, ("Healthy Volunteers", "Accepts Healthy Volunteers",
                                         "Can healthy volunteers participate", "Accepts healthy volunteers",
                                         "Healthy volunteers allowed", "Healthy Volunteer")),
    "inclusion": (Kind.BLOCK, ("Inclusion Criteria", "Key inclusion criteria", "Participant inclusion criteria",
                               "Inclusion criteria", "Inclusion", "Main inclusion criteria",
                               "Principal inclusion criteria", "List inclusion criteria",
                               "Additional Inclusion Criteria")),
    "exclusion": (Kind.BLOCK, ("Exclusion Criteria", "Key exclusion criteria", "Participant exclusion criteria",
                               "Exclusion criteria", "Exclusion", "Main exclusion criteria",
                               "Principal exclusion criteria", "List exclusion criteria",
                               "Additional Exclusion Criteria")),
    "eligibility": (Kind.BLOCK, ("Eligibility", "Eligibility Criteria", "Criteria", "Participation Requirements",
                                 "Recruitment & Eligibility", "Key inclusion & exclusion criteria",
                                 "Inclusion & exclusion criteria", "Inclusion and exclusion criteria",
                                 "Eligibility criteria", "Participants", "Who can participate",
                                 "Eligibility and Recruitment", "Participant information",
                                 "Participation Criteria")),
    "lead_sponsor": (Kind.SCALAR, ("Name of Sponsor", "Sponsor Name", "Lead Sponsor", "Sponsor",
                                   "Primary sponsor", "Name of Sponsor",
                                   "Primary Sponsor", "Leads", "Lead", "Sponsor name", "Primary sponsor name",
                                   "Sponsor organisation", "Sponsor organization", "Lead Organization")),
    "collaborators": (Kind.BLOCK, ("Secondary Sponsor(s)", "Details of Secondary Sponsor", "Collaborators",
                                   "Collaborator", "Secondary sponsor", "Secondary sponsors",
                                   "Secondary Sponsor", "Secondary sponsor name", "Co-sponsor",
                                   "Collaborating organisations")),
    "sponsor_type": (Kind.SCALAR, ("Primary sponsor type", "Sponsor type", "Type of Sponsor")),
    "sponsors": (Kind.BLOCK, ("Sponsors", "Sponsor/Collaborators", "Sponsors and Collaborators",
                              "Sponsor Information", "Sponsors/Collaborators",
                              "Collaborators and Investigators")),
    "responsible_party": (Kind.SCALAR, ("Responsible Party", "Information provided by (Responsible Party)",
                                        "Information provided by", "Responsible party")),
    "locations": (Kind.BLOCK, ("Study participating centre", "Participating centre", "Sites of Study",
                               "Locations", "Location", "Trial Locations", "Study Locations",
                               "Other Locations",
                               "Sites", "Study Sites", "Trial Sites", "Participating centres",
                               "Trial participating centre", "Locations of the study", "Site(s) of Study",
                               "Recruitment hospital", "Study Locations and Contacts", "Site(s)", "Recruitment Site",
                               "Recruitment Sites", "Recruitment centres", "Recruitment centers")),
    "countries": (Kind.BLOCK, ("Countries of recruitment", "Countries", "Countries of Recruitment",
                               "Country", "Recruitment countries", "Location Countries")),
    "contacts": (Kind.BLOCK, ("Contact the study team", "Study Contact Backup", "Contacts",
                              "Contact Information", "Central Contacts", "Central Contact",
                              "Contact", "Contact for public queries", "Contact for scientific queries",
                              "Study Contact", "Study Contacts", "Trial contacts")),
    "status_block": (Kind.BLOCK, ("Basic Information", "Timeline", "Study Status Info",
                                  "Recruitment", "Trial Details", "Study Details", "Study Overview",
                                  "Key Information", "Dates", "Study Dates", "Status and Dates",
                                  "Recruitment Information", "Study & Design", "Trial information",
                                  "Study Overview", "Study Plan", "Study Registration Dates",
                                  "Study Record Updates")),
    "flag": (Kind.SCALAR, ()),  # a Yes/No design flag row (see FLAGS); its label says which field
    # Sections the rules read nothing from; they stop the previous section.
    "ignore": (Kind.BLOCK, ("Investigators", "CAS number", "MedDRA Classification", "EV Substance Code", "Compound", "Generic Name", "Trade Name", "Additional relevant MeSH terms", "Therapeutic area", "Main objective", "Funding source category",
                            "Source(s) of Monetary Support", "Source of Monetary or Material Support",
                            "Sponsor details", "Ethics review", "Ethics approval(s)", "Study hypothesis",
                            "Secondary study design", "Study setting(s)", "Trial category", "Subjects",
                            "About the sponsor", "Share this trial", "Want to take part",
                            "Target disease code", "Objectives of Study", "Registration Status",
                            "Submission date", "Date submitted", "First Submitted that Met QC Criteria",
                            "Last Update Submitted that met QC Criteria", "Recruiting time",
                            "Level of the institution", "Condition category", "Alternative name(s)",
                            "Funding Body Type", "Intention to publish date", "Study Results",
                            "Related Clinical Trials", "More Related Trials", "Share this page", "Disclaimer",
                            "How to read a study record", "About this page",
                            "Related Therapeutic Areas", "Facility Contacts", "Related Trials",
                            "Similar Trials", "Publications", "References", "Results", "Ethics approval",
                            "Ethics Approval", "Funding source", "Source(s) of Monetary or Material Support",
                            "Intervention Type", "Identifier Type", "Identifier Source",
                            "Primary sponsor type", "Primary sponsor address", "Secondary sponsor type",
                            "Results Information", "Documents", "Plan to share IPD",
                            "IPD sharing statement", "Study Documents", "Sponsor type",
                            "Trial website", "Study Record Dates", "More Information", "Condition category",
                            "Condition code", "ICD-10 code", "ICD-10 code description", "Objectives", "Study Objectives", "Other Names",
                            "Intervention code", "Comparator / control treatment", "Control treatment",
                            "Study Description", "Contacts and Locations", "Method of Generating Random Sequence",
                            "Method of Concealment", "Type of endpoint/s", "Type of Sponsor",
                            "Primary sponsor country", "Ethics application status", "Post Graduate Thesis",
                            "Study information", "Participant type(s)", "Participant type", "Age group",
                            "Submission date", "DOI", "Funders", "Funder", "Funder type", "Funder name")),
}

_QUALIFIERS = {"actual": "ACTUAL", "estimated": "ESTIMATED", "estimate": "ESTIMATED",
               "anticipated": "ESTIMATED", "expected": "ESTIMATED", "planned": "ESTIMATED"}
_FOLD_RE = re.compile(r"[^a-z0-9\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+")  # CJK words are words too
_SECTION_CODE_RE = re.compile(r"^[A-P](?:(?:\.\d{1,2})+\.?|\.)\s+|^[A-P]\.(?=[A-Z][a-z])")
# A numbered label's code ("E.5.1.1", "B.1.1"): such a line is a label even when its words are unknown.
NUMBERED_CODE_RE = re.compile(r"^[A-P](?:\.\d{1,2})+\.?(?:\s+and\s+[A-P](?:\.\d{1,2})+\.?)?\s+|^[A-P]\.\t?(?=[A-Z][a-z])")
_BRACKET_NUM_RE = re.compile(r"\s*[\[(]\s*\d{1,3}\s*[\])]\s*")
# Label dressing that names no field: a language tag "Brief Title (English)", the registry the date
# belongs to "Date of registration in DRKS", a label-set tag cell "First Posted Date  ICMJE".
_DRESSING_CASED_RE = re.compile(r"\s+in\s+(?:the\s+)?(?:[A-Z][A-Za-z]*[A-Z]\w*\s*){1,3}$|\s{2,}[A-Z]{3,8}$")
_LANGUAGE_TAG_RE = re.compile(r"\s*[\[(](?:english|eng?|in english|en-?us|en-?gb)[\])]\s*$", re.IGNORECASE)


def fold_label(label: str) -> tuple[str, str | None]:
    """Fold a label for lookup: lower case, '&&' -> 'and', numbering '[1]' and qualifiers removed.

    Returns the folded key and the date/enrollment qualifier the label carried (ACTUAL/ESTIMATED).
    """
    label = _undress(label)
    label = _SECTION_CODE_RE.sub("", label)  # EU CTR numbers its labels: "A.3 Full title of the trial"
    if "(s)" in label or "(S)" in label:  # "Secondary ID(s)": the optional plural is no part of the name
        label = label.replace("(s)", "").replace("(S)", "")
    text = _BRACKET_NUM_RE.sub(" ", label.replace("&&", " and ").replace("&", " and ")).lower()
    words = _FOLD_RE.sub(" ", text).split()
    qualifier = None
    kept = []
    for word in words:
        if word in _QUALIFIERS:
            qualifier = _QUALIFIERS[word]
        else:
            kept.append(word)
    return " ".join(kept), qualifier


def _undress(label: str) -> str:
    """The label without a language tag, a trailing registry acronym or a tag cell (case-sensitive
    for the acronym: "Date of registration in DRKS", not "Registration in progress")."""
    if "(" in label or "[" in label:
        label = _LANGUAGE_TAG_RE.sub("", label)
    if " in " in label or "  " in label:
        label = _DRESSING_CASED_RE.sub("", label)
    return label


LABELS: dict[str, str] = {}
KINDS: dict[str, Kind] = {}
for _key, (_kind, _names) in _TABLE.items():
    KINDS[_key] = _kind
    for _name in _names:
        LABELS.setdefault(fold_label(_name)[0], _key)
_FIRST_WORDS = frozenset({key.split()[0] for key in LABELS if key} | set(_QUALIFIERS))


_FIRST_RE = re.compile(r"[a-z0-9]+")
_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])")


@lru_cache(maxsize=4096)
def lookup(label: str) -> tuple[str, str | None] | None:
    """(key, qualifier) for a label as written, or None when it is not a known label.

    Memoized: the same labels recur on every page, and the segmenter asks for each line."""
    if len(label) > 70:
        return None
    if label[:1] in "ABCDEFGHIJKLMNOP" and label[1:2] == ".":
        label = _SECTION_CODE_RE.sub("", label)
    if " " not in label and "-" not in label and len(label) > 7:  # "ExclusionCriteria": words glued when the page was flattened
        label = _CAMEL_RE.sub(" ", label)
    first = _FIRST_RE.search(label[:24].lower())
    if first is None or first.group() not in _FIRST_WORDS:
        return _registry_label(label)  # cheap reject: most lines start with no label's first word
    folded, qualifier = fold_label(label)
    key = LABELS.get(folded)
    if key is None and " provided by " in folded:  # "Keywords provided by Jane Roe, University of …"
        key = LABELS.get(folded.split(" provided by ", 1)[0])
    if key is None and label.endswith(")") and " (" in label:  # "UTN (Universal Trial Number)"
        return lookup(label[: label.index(" (")])
    if key is None:
        return _registry_label(label)
    if qualifier is not None and key not in _QUALIFIED:
        # "Expected Outcomes", "Actual Status": a qualifier only belongs on dates and enrollment.
        return None
    return key, qualifier


# "jRCT ID", "DRKS-ID", "CRIS Registration Number": a registry's acronym naming its own number.
# Ethics boards' numbers (IRB, REC, METC ...) are no trial registrations.
_REGISTRY_LABEL_RE = re.compile(
    r"^(?!(?:IRB|IEC|IRC|REC|ERC|EC|METC|MREC|HREC|NHREC|CEP|IND|IDE|FDA|NIH|ORG|ORCID|DOI|PMID|PMCID|ISBN|ISSN|SCOPUS)\b)(?=[a-z]?[A-Z]{2})[A-Za-z]{2,10}"
    r"(?:-ID|\s+(?:[Rr]egistration\s+)?(?:[Nn]umber|[Nn]o\.?|ID|I[Dd]entifier))$"
    # a sponsor's or site's own number: "Takeda Trial ID", "Clinical Study ID"
    r"|^(?!(?:IRB|IEC|IRC|REC|ERC|EC|METC|MREC|HREC|IND|IDE|FDA|NIH|Ethics|Grant)\b)[A-Z][A-Za-z]{1,15}\s+(?:Trial|Study)\s+ID$"
)


def _registry_label(label: str) -> tuple[str, str | None] | None:
    if len(label) > 40 or not _REGISTRY_LABEL_RE.match(label.strip()):
        return None
    return "registry_id", None


# Yes/No flags that registries print as one row per design choice ("Double blind  Yes",
# "Parallel group  Yes", "Female  Yes"): a "Yes" states the value, a "No" states nothing.
_FLAG_TABLE: dict[str, tuple[str, str]] = {
    "Randomised": ("allocation", "Randomized"), "Randomized": ("allocation", "Randomized"),
    "Open": ("masking", "None (Open Label)"), "Single blind": ("masking", "Single"),
    "Double blind": ("masking", "Double"), "Parallel group": ("intervention_model", "Parallel"),
    "Cross over": ("intervention_model", "Crossover"), "Crossover": ("intervention_model", "Crossover"),
    "Female": ("sex", "FEMALE"), "Male": ("sex", "MALE"),
    "Human pharmacology (Phase I)": ("phases", "Phase 1"), "Therapeutic exploratory (Phase II)": ("phases", "Phase 2"),
    "Therapeutic confirmatory (Phase III)": ("phases", "Phase 3"), "Therapeutic use (Phase IV)": ("phases", "Phase 4"),
}
FLAGS: dict[str, tuple[str, str]] = {fold_label(k)[0]: v for k, v in _FLAG_TABLE.items()}


def flag(label: str) -> tuple[str, str] | None:
    """(field, value) a Yes on this label states, or None when it is no design flag."""
    if len(label) > 50:
        return None
    return FLAGS.get(fold_label(label)[0])


_QUALIFIED = {"start_date", "primary_completion_date", "completion_date", "enrollment", "first_posted_date",
              "last_update_date", "recruitment_end"}

# Sub-labels that registries print inside a field's block ("Primary Sponsor" / "Name" / value).
SUBLABELS = frozenset({"name", "details", "address", "identifier", "description", "type", "name of organization",
                       "organisation", "organization", "free text"})

# Sponsor class tags printed beside organization names (CT.gov agency classes).
CLASS_TAGS = frozenset({"OTHER", "INDUSTRY", "NIH", "FED", "OTHER_GOV", "INDIV", "NETWORK", "UNKNOWN",
                        "AMBIG", "U.S. FED", "Industry", "Other"})

# Page chrome: copyright lines, source notes, widget words.
_CHROME_RE = re.compile(
    r"^(?:(?:This )?(?:content|data|information) (?:was |is )?(?:sourced|obtained|retrieved) from\b.*"
    r"|View:?$|Show (?:more|less)$|Back to top$|Skip to (?:main )?content$|(?:Sign|Log) ?in$|Menu$|Go to$)",
    re.IGNORECASE,
)


# The one-sentence blurb some aggregators print right under a heading ("Review each arm ...").
_BLURB_RE = re.compile(
    r"^(?=(?:\S+\s+){7})(?:Review|Explore|Learn|Check|See|Get|Meet|Identify|Find|Understand|Dive|Reach out|"
    r"Discover|Browse|Additional clinical trials)\b[^.\d]{20,400}\.?$",
    re.IGNORECASE,
)


_RIGHTS_RE = re.compile(r"all rights reserved|\(c\) ?\d{4}", re.IGNORECASE)


def is_chrome(line: str) -> bool:
    """A line that belongs to the site, not to the trial (copyright, source notes, widget words)."""
    return len(line) <= 200 and _is_chrome(line)


@lru_cache(maxsize=8192)
def _is_chrome(line: str) -> bool:
    """Memoized: a pure function of one short line, and site lines recur on every page of a site."""
    if "©" in line:
        return True
    if ("eserved" in line or "(c)" in line or "(C)" in line) and _RIGHTS_RE.search(line):
        return True
    # each alternative but the source note is at most 20 characters (21 with a newline), and the note says "from"
    return line[0] in "TtCcDdIiVvSsBbLlMmGg" and (len(line) <= 21 or "from" in line.lower()) \
        and bool(_CHROME_RE.match(line))


def is_blurb(line: str) -> bool:
    """The site's description of a section, printed as the first line under its heading."""
    return len(line) >= 23 and bool(_BLURB_RE.match(line))  # a 3-letter verb and 20 more at least
