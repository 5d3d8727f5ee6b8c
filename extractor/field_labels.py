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

from extractor.result import Evidence, MatchStatus

__all__ = ["LABEL_ONLY", "LABEL_WINDOW", "fold", "labelled", "located", "occurrences"]

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
    "primary_purpose": ("purpose", "study type", "type of study", "design", "classification"),
    # sex: its label or a sex word on the value's own line or the line above ("Sex: All", "Open to:
    # All genders", "Gender" over "Both"), not "if all of the following apply"
    "sex": (r"sex(?:es)?\b", r"genders?\b", r"(?:fe)?males?\b", r"(?:wo)?men\b", r"boys\b", r"girls\b"),
    "primary_outcomes": ("outcome", "endpoint", "end point", "end-point", "measure"),
    "secondary_outcomes": ("outcome", "endpoint", "end point", "end-point", "measure"),
}
LABEL_WINDOW = 400
# How far a label reaches where it heads a list of long items (ten outcome measures under one heading).
_LIST_WINDOW = 3000
_WINDOWS = {"primary_outcomes": _LIST_WINDOW, "secondary_outcomes": _LIST_WINDOW}
# Fields whose label stands with the value: on its line or the line above, nowhere else.
_ON_THE_LINE = frozenset({"sex"})
# The leaf of a list item that carries its label (an outcome's time frame sits under a label of its own).
_LABELLED_LEAF = {"primary_outcomes": ".measure", "secondary_outcomes": ".measure"}
_CUES = {name: re.compile(r"(?<![^\W_])(?:" + "|".join(cues) + ")") for name, cues in LABEL_ONLY.items()}
# A line that starts with another label ("Conditions:") ends the reach of the one above it; an
# item's own sub-labels ("Time frame:", "Description:") do not.
_LABEL_LINE = re.compile(r"\n[ \t]*([^\W\d][^\n:]{0,40}):")
_SUB_LABEL = re.compile(r"time ?frames?|time ?points?|timepoint\(s\)|descriptions?|assessed|measured", re.IGNORECASE)


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
    assert ev.start is not None and ev.end is not None
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
    window_size = _WINDOWS.get(name, LABEL_WINDOW)

    def named_before(at: int, size: int) -> bool:
        if name in _ON_THE_LINE:
            start = folded.rfind("\n", 0, max(0, folded.rfind("\n", 0, at)))  # the line above's start
            end = folded.find("\n", at + size)
            return cues.search(folded, start + 1, len(folded) if end == -1 else end) is not None
        lo = max(0, at - window_size)
        window = folded[lo:at]
        last = max((m.start() for m in cues.finditer(window)), default=-1)
        return last != -1 and not any(not _SUB_LABEL.fullmatch(m[1].strip()) for m in _LABEL_LINE.finditer(window, last))

    leaf = _LABELLED_LEAF.get(name)
    for path in paths:
        if leaf is not None and not path.endswith(leaf):
            continue
        ev = evidence[path]
        if located(ev) and not any(named_before(at, size) for at, size in occurrences(ev, folded)):
            return False
    return True
