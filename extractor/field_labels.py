"""Where a page names a field: the labels a model value must stand under before the merge takes it.

gold/GUIDELINES.md says some fields are stated only under their own label ("No sponsor label ->
lead_sponsor null", an acronym or official title "only when labelled", an enum word counts "under
'Study Design'", sex "in the eligibility block", outcomes from outcome rows). A small model fills
them anyway from prose or page chrome: the charity's name as the sponsor, "treatment" in the
summary as the primary purpose, "all of the following apply" as sex ALL, a lay page's aims as
outcome measures. The rules read these labels on any layout, so where they read none and the
model's value stands under no such label, the value is a guess, and the merge drops it.

The cues are the labels' words as regular expressions matched at a word start; matching works on
the text lower-cased with its offsets kept, so evidence spans index it directly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from extractor.result import Evidence, MatchStatus

__all__ = ["LABEL_ONLY", "LABEL_WINDOW", "answered_empty", "fold", "labelled", "listed_as_site", "located", "occurrences"]

# field -> its labels' words. A value's leaf is labelled when a cue stands before it within the
# field's window, with no other label line between (see `labelled`).
LABEL_ONLY: dict[str, tuple[str, ...]] = {
    "keywords": ("keyword", "key word"),
    "collaborators": ("collaborat", "secondary sponsor", "co-sponsor", "sponsors"),
    "responsible_party": ("responsible", "information provided by"),
    "lead_sponsor": ("sponsor", "leads", "lead organi"),
    "acronym": ("acronym", "short title", "abbreviated title"),
    "official_title": ("official title", "scientific title", "full title", "official scientific title"),
    "why_stopped": ("why stop", "reason", "stopped", "terminat", "suspen", "withdr", "abandon"),
    # an enum word counts under its label or a design block, not in prose ("before you start treatment")
    "primary_purpose": ("purpose", "study type", "trial type", "type of study", "classification", "scope"),
    # sex: a sex word on the value's line or the line above ("Sex: All", "Open to: All genders", "Gender"
    # over "Both"), or a bare value under the eligibility block; not "if all of the following apply"
    "sex": (r"sex(?:es|o)?\b", r"g[eé]neros?\b", r"genders?\b", r"(?:fe)?males?\b", r"(?:wo)?men\b",
            r"boys\b", r"girls\b"),
    "primary_outcomes": ("outcome", "endpoint", "end point", "end-point", "measure"),
    "secondary_outcomes": ("outcome", "endpoint", "end point", "end-point", "measure"),
    # a count is the enrollment only where the page says what it counts ("Enrollment: 276", "Target
    # 150 participants", "The team need 436 people"), not a "1" in "(1 year to 21 years)"
    "enrollment": ("enrol", "participants?", "patients", "subjects", "people", "volunteers", "individuals",
                   "sample size", "study size", "recruit", "target", "number of", "size"),
    # masking: "Masking: None (Open Label)", "double-blind"; not "an open clinical trial"
    "masking": ("mask", "blind", "open[- ]label", "unblind"),
}
LABEL_WINDOW = 400
# A label heading a list of long items reaches far (47 outcome measures under one heading); the next
# section's label still ends it.
_WINDOWS = {"primary_outcomes": 20_000, "secondary_outcomes": 20_000}
# Fields whose label stands with the value (on its line or the line above), or whose bare value
# stands alone on a line under its block's heading; enrollment: a cue on its line or up to 3 above.
_BARE_UNDER = {"sex": re.compile(r"eligib"), "masking": re.compile(r"design"), "primary_purpose": re.compile(r"design")}
# A number followed by a unit counts something else ("1 year to 21 years", "40 mg").
_UNIT_AFTER = re.compile(r"\s*(?:years?|months?|weeks?|days?|hours?|minutes?|mg|g|kg|ml|mm|cm|%|units?)\b")
# The leaf of a list item that carries its label (an outcome's time frame sits under a label of its own).
_LABELLED_LEAF = {"primary_outcomes": ".measure", "secondary_outcomes": ".measure"}
_CUES = {name: re.compile(r"(?<![^\W_])(?:" + "|".join(cues) + ")") for name, cues in LABEL_ONLY.items()}
# A line that starts with another label ("Conditions:") ends the reach of the one above it, except
# the labels that belong to the field's block (an outcome's "Time frame:", "Primary:").
_LABEL_LINE = re.compile(r"\n[ \t]*([^\W\d][^\n:\[]{0,40}):")
_OUTCOME_ROWS = r"time ?frames?|time ?points?|timepoint\(s\).*|descriptions?|assessed|measured|primary|secondary|outcomes?.*"
_BLOCK_LABELS = {
    "primary_outcomes": re.compile(_OUTCOME_ROWS),
    "secondary_outcomes": re.compile(_OUTCOME_ROWS),
}
# In a long list an item may hold a colon ("Quality of life: EQ-5D at 12 months"): there only a
# label naming another section ends the reach.
_LIST_FIELDS = frozenset({"primary_outcomes", "secondary_outcomes"})
_SECTION = re.compile(r"condition|eligib|inclusion|exclusion|criteria|intervention|arms?\b|sponsor|fund|location|"
                      r"sites?\b|contact|enrol|sample size|recruit|phase|status|keyword|ethic|publication|"
                      r"results?\b|sex|gender|ages?\b|date")
# A site is where the page lists sites: used to tell a sponsor that is also a site from its address.
_SITE_CUES = re.compile(r"(?<![^\W_])(?:location|site|cent(?:re|er)|recruiting|institution|hospital|participating|"
                        r"where th|facilit)")
# A label's answer that states nothing (GUIDELINES §9: "Not available"/"N/A" as content -> null).
_EMPTY_ANSWER = re.compile(r"[\s:\-–|]*(?:not applicable|n/?a|none|nil|not available|not stated|not specified|-)?[\s.]*")


@lru_cache(maxsize=8)
def fold(text: str) -> str:
    """The text lower-cased with its offsets kept (a character whose lower case is longer, as "İ", stays)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(low if len(low := c.lower()) == 1 else c for c in text)


def located(ev: Evidence) -> bool:
    """The evidence points at a non-empty span of the text."""
    return ev.status != MatchStatus.NONE and ev.start is not None and ev.end is not None and ev.end > ev.start


def occurrences(ev: Evidence, folded: str) -> Iterator[tuple[int, int]]:
    """(start, length) of every place the (case-folded) text has the evidence's quote, in order."""
    assert ev.start is not None and ev.end is not None and ev.end > ev.start, "a located evidence"
    quote = folded[ev.start:ev.end]
    # a quote that starts (ends) with a letter or digit is not found inside a word ("all" in "small")
    head, tail = _word(quote[0]), _word(quote[-1])
    at = folded.find(quote)
    while at != -1:
        end = at + len(quote)
        if not (head and at > 0 and _word(folded[at - 1]) or tail and end < len(folded) and _word(folded[end])):
            yield at, len(quote)
        at = folded.find(quote, at + 1)


def _word(char: str) -> bool:
    return char.isalnum()


def labelled(name: str, paths: list[str], evidence: dict[str, Evidence], text: str) -> bool:
    """For a LABEL_ONLY field: some place the text has each of the value's (labelled) leaves stands
    under a name of the field. Other fields: always True."""
    cues = _CUES.get(name)
    if cues is None:
        return True
    folded = fold(text)
    leaf = _LABELLED_LEAF.get(name)
    for path in paths:
        if leaf is not None and not path.endswith(leaf):
            continue
        ev = evidence[path]
        if located(ev) and not any(_named(name, cues, folded, at, size) for at, size in occurrences(ev, folded)):
            return False
    return True


def listed_as_site(ev: Evidence, text: str) -> bool:
    """Some place the text has the value stands under a site heading ("Locations", "Institution
    hospital:", "Participating centres") within LABEL_WINDOW characters: a sponsor that is also a site."""
    folded = fold(text)
    return located(ev) and any(_SITE_CUES.search(folded[max(0, at - LABEL_WINDOW):at]) is not None
                               for at, _ in occurrences(ev, folded))


def _named(name: str, cues: re.Pattern[str], folded: str, at: int, size: int) -> bool:
    """The value at `at` stands under one of the field's cues: before it within the field's window
    and with no label line of another block between; sex, masking and purpose on its line or the
    line above, or bare under their block's heading; enrollment near its line, not before a unit."""
    if name in _BARE_UNDER:
        return _line_named(cues, folded, at, size) or _bare_under(_BARE_UNDER[name], folded, at, size)
    if name == "enrollment":
        return _line_named(cues, folded, at, size, lines_above=3) and _UNIT_AFTER.match(folded, at + size) is None
    window = folded[max(0, at - _WINDOWS.get(name, LABEL_WINDOW)):at]
    last = max((m.start() for m in cues.finditer(window)), default=-1)
    if last == -1:
        return False
    block = _BLOCK_LABELS.get(name)
    for m in _LABEL_LINE.finditer(window, last):
        label = m[1].strip()
        if block is not None and block.fullmatch(label):
            continue
        if name not in _LIST_FIELDS or _SECTION.search(label):
            return False
    return True


def _line_named(cues: re.Pattern[str], folded: str, at: int, size: int, *, lines_above: int = 1) -> bool:
    """A cue on the value's line (the value itself included) or on one of the nearest non-blank lines
    above (EU CTR: "F.4 Planned number of subjects" over "F.4.2.2 In the whole clinical trial 120")."""
    line, above = _line_and_above(folded, at, size)
    return any(cues.search(ln) for ln in [line, *above[-lines_above:]])


def _bare_under(heading: re.Pattern[str], folded: str, at: int, size: int) -> bool:
    """The value alone on its line, within four non-blank lines under its block's heading
    (GUIDELINES §2: "ALL in the eligibility block", "TREATMENT under 'Study Design'")."""
    line, above = _line_and_above(folded, at, size)
    return len(line.strip(" \t-•*:")) <= size + 1 and any(heading.search(ln) for ln in above[-4:])


def _line_and_above(folded: str, at: int, size: int) -> tuple[str, list[str]]:
    """The line holding the value at `at`, and the non-blank lines within LABEL_WINDOW above it."""
    start = folded.rfind("\n", 0, at) + 1
    end = folded.find("\n", at + size)
    line = folded[start:len(folded) if end == -1 else end]
    return line, [ln for ln in folded[max(0, start - LABEL_WINDOW):start].split("\n") if ln.strip()]


def answered_empty(paths: list[str], evidence: dict[str, Evidence], text: str) -> bool:
    """Some leaf of the value is a label the page answers with nothing ("Comparator / control
    treatment" then "Not applicable"): every place the text has it, the rest of its line, or else the
    next non-blank line, says "not applicable", "N/A", "none" and no more. A model copying a form's
    row headings takes such a label for the value."""
    folded = fold(text)
    for path in paths:
        ev = evidence[path]
        if not located(ev):
            continue
        places = list(occurrences(ev, folded))
        if places and all(_answer_is_empty(folded, at + size) for at, size in places):
            return True
    return False


def _answer_is_empty(folded: str, end: int) -> bool:
    """The rest of the line after a label ends at `end`, or else the next non-blank line, says nothing."""
    line_end = folded.find("\n", end)
    rest = folded[end:len(folded) if line_end == -1 else line_end]
    if rest.strip(" \t:|-–"):
        return _says_nothing(rest)
    following = next((ln for ln in folded[line_end + 1:].split("\n", 3)[:3] if ln.strip()), "") if line_end != -1 else ""
    return _says_nothing(following)


def _says_nothing(answer: str) -> bool:
    """ "Not applicable", "N/A", "none" and the like, and not blank (a blank answer is no answer)."""
    return bool(answer.strip(" \t:|-–.")) and _EMPTY_ANSWER.fullmatch(answer) is not None
