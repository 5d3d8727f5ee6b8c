"""Grounding: for each filled field, the quote in the source it rests on and its character span.

Matching goes from cheap to dear: the exact value; then a folded form (case, whitespace,
punctuation and markdown escapes folded away) of the value and of its display forms (PHASE2 is
"Phase II", 2025-02-28 is "Feb 28, 2025", False is "No"); then, for long text only and with a
capped budget, a fuzzy alignment. A value found nowhere gets evidence `none` and an
UNGROUNDED_VALUE warning. The folded index is built once per document and only when needed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from collections.abc import Iterator
from enum import Enum
from typing import Any

import numpy as np
from pydantic import BaseModel
from rapidfuzz import fuzz

from extractor.cells import find_cell
from extractor.result import Evidence, Issue, MatchStatus, Severity
from extractor.schema import Phase, TrialRecord, normalize_phases
from extractor.value_forms import display_forms

__all__ = ["display_forms", "filled_paths", "ground", "Grounder"]

FUZZY_THRESHOLD = 90.0
FUZZY_MIN_LEN = 20  # shorter values are too ambiguous to align fuzzily
FUZZY_MAX_CALLS = 12  # per document: the fuzzy budget
FUZZY_WINDOW = 4000  # characters of source searched around an anchor

_TOKEN_RE = re.compile(r"[^\W_]+")


_ASCII_LOWER = np.array([ord(chr(c).lower()) for c in range(128)], dtype=np.uint32)
_ASCII_ALNUM = np.array([chr(c).isalnum() for c in range(128)], dtype=bool)


def _lowered_codes(text: str) -> tuple[np.ndarray[Any, np.dtype[np.uint32]], np.ndarray[Any, np.dtype[np.bool_]]]:
    """Per character of `text`: its lower case as a code point (the character itself when its lower
    case is longer, as for "İ", so offsets never move) and whether that is a letter or digit.
    ASCII through tables; the few distinct other characters of a page one by one."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    ascii_codes = np.minimum(codes, 127)
    lowered, token = _ASCII_LOWER[ascii_codes], _ASCII_ALNUM[ascii_codes]
    other = np.flatnonzero(codes > 127)
    if len(other):
        distinct, where = np.unique(codes[other], return_inverse=True)
        lows = [low if len(low := chr(c).lower()) == 1 else chr(c) for c in distinct.tolist()]
        lowered[other] = np.array([ord(c) for c in lows], dtype=np.uint32)[where]
        token[other] = np.array([c.isalnum() for c in lows], dtype=bool)[where]
    return lowered, token


_PHASE_RE = re.compile(
    r"\b(?:early\s+phase\s*(?:1|i)\b|phase\s*[0-4iv]+[abc]?\b(?:\s*(?:/|,|-|–|&|and|or)\s*(?:phase\s*)?[0-4iv]+[abc]?\b)*"
    r"|phase[0-4]\b|early_phase1\b)",
    re.I,
)


def filled_paths(record: BaseModel, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every filled leaf of `record` as (path, value): `enrollment`, `arms[1].label`, `phases[0]`."""
    out: list[tuple[str, Any]] = []
    _leaves(record, prefix, out)
    return iter(out)


def _leaves(record: BaseModel, prefix: str, out: list[tuple[str, Any]]) -> None:
    values = record.__dict__
    for name in _field_names(type(record)):
        value = values[name]
        if value is None or value == "":
            continue
        path = prefix + name
        if isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    _leaves(item, f"{path}[{i}].", out)
                elif item is not None and item != "":
                    out.append((f"{path}[{i}]", item))
        elif isinstance(value, BaseModel):
            _leaves(value, path + ".", out)
        else:
            out.append((path, value))


@lru_cache(maxsize=None)
def _field_names(cls: type[BaseModel]) -> tuple[str, ...]:
    return tuple(cls.model_fields)


@lru_cache(maxsize=4096)
def _fold(text: str) -> str:
    return " ".join(t.lower() for t in _TOKEN_RE.findall(text))


@lru_cache(maxsize=1024)
def _phases_in(expr: str) -> tuple[Phase, ...]:
    """The phases a phase expression names (none when the schema cannot read it)."""
    try:
        return tuple(normalize_phases(expr))
    except ValueError:
        return ()


# Labels that introduce a top-level field on registry pages: its value is looked for just after
# one of them first, so "Sex: All" wins over an "all" in the summary.
_LABELS: dict[str, tuple[str, ...]] = {
    "overall_status": ("overall status", "recruitment status", "status"),
    "why_stopped": ("why stopped", "reason"),
    "start_date": ("study start", "start date", "start"),
    "primary_completion_date": ("primary completion",),
    "completion_date": ("study completion", "completion date", "completion"),
    "first_posted_date": ("first posted", "first submitted", "registration date", "registered"),
    "last_update_date": ("last update", "last updated"),
    "study_type": ("study type",),
    "allocation": ("allocation",),
    "intervention_model": ("intervention model", "model"),
    "primary_purpose": ("primary purpose", "purpose"),
    "masking": ("masking", "blinding"),
    "enrollment": ("enrollment", "target recruitment", "sample size"),
    "sex": ("sexes eligible", "sex", "gender"),
    "minimum_age": ("ages eligible", "age"),
    "maximum_age": ("ages eligible", "age"),
    "healthy_volunteers": ("healthy volunteers",),
    "lead_sponsor": ("sponsor",),
    "responsible_party": ("responsible party",),
}
_LABEL_WINDOW = 300
# Evidence(**fields) through its validator directly: the same validation, without the keyword
# wrapper (about a third of the cost, paid ~70 times a page).
_evidence = Evidence.__pydantic_validator__.validate_python


_SIBLING_BEFORE, _SIBLING_AFTER = 200, 1500
Span = tuple[int, int]


@lru_cache(maxsize=4096)
def _label_key(path: str) -> str:
    key = path.split("[")[0].split(".")[0]
    return key[: -len("_type")] if key.endswith("_date_type") or key == "enrollment_type" else key


def _glue_ok(value: str) -> bool:
    """Long, multi-word values may sit glued to a neighbour; short ones must stand alone."""
    return len(value) >= 12 and " " in value


class Grounder:
    """One document's source text with its lazily built folded index."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._folded: str | None = None
        self._padded = ""
        self._lowered: str | None = None
        self._lower_codes: np.ndarray[Any, np.dtype[np.uint32]] = np.zeros(0, dtype=np.uint32)
        self._window: tuple[int, int | None, int, int] = (-1, -1, 0, 0)  # last (lo, hi) -> folded bounds
        self._map: np.ndarray[Any, np.dtype[np.intp]] = np.zeros(0, dtype=np.intp)  # folded -> original offset
        self._labels: dict[tuple[str, ...], list[int]] = {}
        self.fuzzy_calls = 0

    # The folded index: lower-case alphanumeric tokens joined by single spaces, with `_map`
    # giving each folded character's offset in the original. Built with C-level passes only.
    def _index(self) -> str:
        if self._folded is None:
            lowered, token = _lowered_codes(self.text)
            self._lower_codes = lowered
            keep = token.copy()
            keep[1:] |= ~token[1:] & token[:-1]  # the first space after a token separates tokens
            self._map = np.flatnonzero(keep)
            self._folded = np.where(token, lowered, np.uint32(32))[keep].tobytes().decode("utf-32-le")
            self._padded = f" {self._folded} "  # " needle " found here is a whole-token hit
        return self._folded

    def _lower(self) -> str | None:
        """The text lower-cased character by character (offsets kept: "İ" stays), or None when a
        case-insensitive regex could match more than that shows ("ſ" matches "s") or it is costly."""
        if self._lowered is None:
            text = self.text
            if text.isascii():
                self._lowered = text.lower()
            elif "ſ" in text:
                self._lowered = ""
            else:  # str.lower is slow on non-ASCII text and may lengthen it; the index's codes are neither
                self._index()
                self._lowered = self._lower_codes.tobytes().decode("utf-32-le")
        return self._lowered or None

    def _nearest(self, hits: list[Span], near: int) -> Span | None:
        """The hit nearest `near`, preferring hits on the same line (the first of equals)."""
        if len(hits) < 2:
            return hits[0] if hits else None
        text = self.text

        def key(span: Span) -> tuple[bool, int]:
            a, b = (span[0], near) if span[0] <= near else (near, span[0])
            return text.find("\n", a, b) >= 0, abs(span[0] - near)

        return min(hits, key=key)

    def find_exact(self, value: str, lo: int = 0, hi: int | None = None, near: int | None = None) -> Span | None:
        """An occurrence of `value` not glued to a neighbouring letter or digit (first, or nearest `near`)."""
        text = self.text
        size = len(text)
        if hi is None:
            hi = size
        if lo < 0:
            lo = 0
        at = text.find(value, lo, hi)
        if at < 0:
            return None
        first, last, n = value[0], value[-1], len(value)
        first_alpha, first_digit = first.isalpha(), first.isdigit()
        last_alpha, last_digit = last.isalpha(), last.isdigit()
        glued_at = at
        # nearest `near`: a hit on near's line beats one across a line break, then the closer
        # one, then the earlier one; `line_start`/`line_end` bound near's line
        line_start = line_end = 0
        if near is not None:
            line_start = text.rfind("\n", 0, near) + 1
            line_end = text.find("\n", near)
            if line_end < 0:
                line_end = size
        best: Span | None = None
        best_key = (True, 0)
        while at >= 0:
            end = at + n
            if at > 0 and (first_alpha or first_digit):
                c = text[at - 1]
                if (first_alpha and c.isalpha()) or (first_digit and c.isdigit()):
                    at = text.find(value, at + 1, hi)
                    continue
            if end < size and (last_alpha or last_digit):
                c = text[end]
                if (last_alpha and c.isalpha()) or (last_digit and c.isdigit()):
                    at = text.find(value, at + 1, hi)
                    continue
            if near is None:
                return at, end
            key = (not line_start <= at <= line_end, at - near if at >= near else near - at)
            if best is None or key < best_key:
                best, best_key = (at, end), key
            if at >= near:
                break  # hits further right are farther and no nearer to near's line
            at = text.find(value, at + 1, hi)
        if best is not None:
            return best
        if _glue_ok(value):
            return glued_at, glued_at + n  # pages glue cells together ("SorafenibSorafenib (Nexavar)")
        return None

    def find_folded(self, form: str, lo: int = 0, hi: int | None = None, near: int | None = None) -> Span | None:
        """`form` (folded) as whole tokens of the folded text, mapped back to original offsets."""
        needle = _fold(form)
        if not needle:
            return None
        folded = self._index()
        fmap = self._map
        window = self._window
        if window[0] == lo and window[1] == hi:  # the forms of one value search one window in turn
            flo, fhi = window[2], window[3]
        else:
            flo = int(fmap.searchsorted(lo)) if lo > 0 else 0
            fhi = len(folded) if hi is None else int(fmap.searchsorted(hi))
            self._window = (lo, hi, flo, fhi)
        hits: list[Span] = []
        padded, wanted, n = self._padded, f" {needle} ", len(needle)
        at = padded.find(wanted, flo, fhi + 2)  # `at` is where the needle starts in the folded text
        while at >= 0:
            if near is None:
                return int(fmap[at]), int(fmap[at + n - 1]) + 1
            hits.append((int(fmap[at]), int(fmap[at + n - 1]) + 1))
            at = padded.find(wanted, at + 1, fhi + 2)
        if hits and near is not None:  # hits are only collected when there is a `near`
            return self._nearest(hits, near)
        if _glue_ok(needle) and (at := folded.find(needle, flo, fhi)) >= 0:
            return int(fmap[at]), int(fmap[at + n - 1]) + 1
        return None

    def label_positions(self, key: str) -> list[int]:
        """Where the labels of a top-level field end (the value follows), in text order."""
        labels = _LABELS.get(key, ())
        found = self._labels.get(labels)  # keyed by the labels: minimum_age and maximum_age share theirs
        if found is None:
            found = []
            if labels:
                self._index()
                padded, fmap = self._padded, self._map
                for label in labels:
                    needle, n = f" {label} ", len(label)
                    at = padded.find(needle)
                    while at >= 0 and len(found) < 4:  # `at` is where the label starts in the folded text
                        found.append(int(fmap[at + n - 1]) + 1)
                        at = padded.find(needle, at + 1)
                    if found:
                        break
                found.sort()
            self._labels[labels] = found
        return found

    def find_fuzzy(self, value: str) -> tuple[int, int, float] | None:
        """Align a long text value fuzzily, within a capped budget per document."""
        if len(value) < FUZZY_MIN_LEN or self.fuzzy_calls >= FUZZY_MAX_CALLS:
            return None
        self.fuzzy_calls += 1
        hay_start, hay = 0, self.text
        if len(hay) > FUZZY_WINDOW:
            # anchor on the value's first or last words to keep the alignment local and cheap
            words = value.split()
            anchor = None
            for probe in (" ".join(words[:4]), " ".join(words[-4:])):
                anchor = self.find_folded(probe)
                if anchor:
                    break
            if anchor is None:
                return None
            hay_start = max(0, anchor[0] - len(value) - 200)
            hay = self.text[hay_start: anchor[1] + len(value) + 200]
        needle = value if len(value) <= 1000 else value[:1000]
        res = fuzz.partial_ratio_alignment(needle, hay, processor=str.lower, score_cutoff=FUZZY_THRESHOLD)
        if res is None:
            return None
        start, end = hay_start + res.dest_start, hay_start + res.dest_end
        if len(value) > len(needle):  # extend over the rest of a very long value
            end = min(len(self.text), start + len(value))
        return start, end, round(res.score, 1)

    def find_phase(self, value: Phase, lo: int = 0, hi: int | None = None) -> Span | None:
        """A phase expression ("Phase 2/3", "Phase I/II", "PHASE2") whose phases include `value`."""
        hi = len(self.text) if hi is None else hi
        lower = self._lower()
        if lower is not None:  # skip to the first "phase"/"early": the regex is slow to scan for itself
            lo = max(lo, 0)
            starts = [at for at in (lower.find("phase", lo, hi), lower.find("early", lo, hi)) if at >= 0]
            if not starts:
                return None
            lo = min(starts)
        for m in _PHASE_RE.finditer(self.text, lo, hi):
            if value in _phases_in(m[0]):
                return m.span()
        return None

    def _locate(self, value: Any, lo: int, hi: int | None, near: int | None,
                local: bool = True) -> tuple[Span, MatchStatus] | None:
        if isinstance(value, Enum):
            if isinstance(value, Phase) and value != Phase.NA:
                if span := self.find_phase(value, lo, hi):
                    return span, MatchStatus.NORMALIZED
            if span := self.find_exact(value.value, lo, hi, near):
                return span, MatchStatus.EXACT
        elif isinstance(value, str):
            if span := self.find_exact(value, lo, hi, near):
                return span, MatchStatus.EXACT
        elif isinstance(value, int) and not isinstance(value, bool):
            if span := self.find_exact(str(value), lo, hi, near):
                return span, MatchStatus.EXACT
        for form in display_forms(value):
            if len(form) == 1 and not local:
                continue  # a lone "f" or "y" means something only right after its label
            if span := self.find_folded(form, lo, hi, near):
                return span, MatchStatus.NORMALIZED
        return None

    def evidence(self, value: Any, *, labels: list[int] = (), sibling: int | None = None) -> Evidence:  # type: ignore[assignment]
        """Where `value` is stated: after its field's label, near its object's siblings, else anywhere."""
        if isinstance(value, bool):
            return self._yes_no(value, labels)
        found = None
        for end in labels:
            if found := self._locate(value, end, end + _LABEL_WINDOW, None):
                break
        if found is None and sibling is not None:
            found = self._locate(value, sibling - _SIBLING_BEFORE, sibling + _SIBLING_AFTER, sibling)
        if found is None:
            found = self._locate(value, 0, None, None, local=False)
        if found is not None:
            (start, end), status = found
            return _evidence({"quote": self.text[start:end], "start": start, "end": end, "status": status})
        if isinstance(value, str):
            fuzzy = self.find_fuzzy(value)
            if fuzzy:
                start, end, score = fuzzy
                return Evidence(quote=self.text[start:end], start=start, end=end, status=MatchStatus.FUZZY, score=score)
        return Evidence(status=MatchStatus.NONE)

    def _yes_no(self, value: bool, labels: list[int]) -> Evidence:
        """A yes/no is evidence only where it answers its label: the word nearest after the label, on
        its line or the next (so "Healthy Volunteers: f" is not grounded on a "no" further on), else a long form anywhere
        ("accepts healthy volunteers"), else a short one standing alone on its line (a label-less cell)."""
        forms = display_forms(value)
        span: Span | None = None
        for end in labels:
            line_end = self.text.find("\n", end)  # the answer sits on the label's line or the next one
            nxt = self.text.find("\n", line_end + 1) if line_end >= 0 else -1
            hi = len(self.text) if line_end < 0 or nxt < 0 else nxt
            hits = [hit for form in forms if (hit := self.find_folded(form, end, min(hi, end + _LABEL_WINDOW)))]
            if hits:
                span = min(hits)
                break
        if span is None:
            span = next((hit for form in forms if len(form) > 5 and (hit := self.find_folded(form))), None)
        if span is None:
            short = "|".join(re.escape(form) for form in forms if len(form) <= 5)
            if m := re.search(rf"(?im)^[ \t]*({short})[ \t]*$", self.text):
                span = m.span(1)
        if span is None:
            return Evidence(status=MatchStatus.NONE)
        return _evidence({"quote": self.text[span[0]:span[1]], "start": span[0], "end": span[1],
                          "status": MatchStatus.NORMALIZED})


def _first_clean(text: str, value: str) -> Span | None:
    """`find_exact(value)` when the first occurrence stands alone (the common case), else None."""
    at = text.find(value)
    if at < 0:
        return None
    end = at + len(value)
    first, last = value[0], value[-1]
    if at > 0 and ((first.isalpha() and text[at - 1].isalpha()) or (first.isdigit() and text[at - 1].isdigit())):
        return None
    if end < len(text) and ((last.isalpha() and text[end].isalpha()) or (last.isdigit() and text[end].isdigit())):
        return None
    return at, end


def ground(record: TrialRecord, text: str) -> tuple[dict[str, Evidence], list[Issue]]:
    """Evidence for every filled field path, and an UNGROUNDED_VALUE warning for each found nowhere."""
    grounder = Grounder(text)
    evidence: dict[str, Evidence] = {}
    issues: list[Issue] = []
    anchors: dict[str, int] = {}  # object path ("locations[0]") -> where its first grounded field sits
    exact, find_exact = MatchStatus.EXACT, grounder.find_exact
    for path, value in filled_paths(record):
        dot = path.rfind(".")
        if dot < 0:
            labels = grounder.label_positions(_label_key(path))
            if not labels and type(value) is str:  # the common case (criteria, conditions): first exact hit
                span = _first_clean(text, value) or find_exact(value)
                ev = (_evidence({"quote": text[span[0]:span[1]], "start": span[0], "end": span[1], "status": exact})
                      if span else grounder.evidence(value))
            else:
                ev = grounder.evidence(value, labels=labels)
        else:
            owner = path[:dot]
            near = anchors.get(owner)
            span = None
            if type(value) is str:  # first step of `evidence` for text: exact, nearest the siblings, a
                # cell of its own first (an arm's label in the arms table, not in the title)
                lo, hi = (0, None) if near is None else (near - _SIBLING_BEFORE, near + _SIBLING_AFTER)
                span = find_cell(text, value, lo, hi, near) or find_exact(value, lo, hi, near)
            if span is not None:
                ev = _evidence({"quote": text[span[0]:span[1]], "start": span[0], "end": span[1], "status": exact})
            else:
                ev = grounder.evidence(value, sibling=near)
            if ev.start is not None and near is None:
                anchors[owner] = ev.start
        evidence[path] = ev
        if ev.status == MatchStatus.NONE:
            shown = value.value if isinstance(value, Enum) else value
            short = str(shown) if len(str(shown)) <= 60 else str(shown)[:57] + "..."
            issues.append(Issue(code="UNGROUNDED_VALUE", severity=Severity.WARNING, paths=[path],
                                message=f"{path} = {short!r} is not found in the source text"))
    return evidence, issues
