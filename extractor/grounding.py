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

from extractor.result import Evidence, Issue, MatchStatus, Severity
from extractor.schema import SYNONYMS, Phase, TrialRecord, normalize_phases

__all__ = ["display_forms", "filled_paths", "ground", "Grounder"]

FUZZY_THRESHOLD = 90.0
FUZZY_MIN_LEN = 20  # shorter values are too ambiguous to align fuzzily
FUZZY_MAX_CALLS = 12  # per document: the fuzzy budget
FUZZY_WINDOW = 4000  # characters of source searched around an anchor

_TOKEN_RE = re.compile(r"[^\W_]+")
_ASCII_TOKEN = np.array([chr(c).isalnum() for c in range(128)], dtype=bool)
_MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december"]
_PHASE_RE = re.compile(
    r"\b(?:early\s+phase\s*(?:1|i)\b|phase\s*[0-4iv]+[abc]?\b(?:\s*(?:/|,|-|–|&|and|or)\s*(?:phase\s*)?[0-4iv]+[abc]?\b)*"
    r"|phase[0-4]\b|early_phase1\b)",
    re.I,
)
_PHASE_NA_FORMS = ["not applicable", "n a", "na"]


def filled_paths(record: BaseModel, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every filled leaf of `record` as (path, value): `enrollment`, `arms[1].label`, `phases[0]`."""
    for name in type(record).model_fields:
        value = getattr(record, name)
        path = f"{prefix}{name}"
        if isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from filled_paths(item, f"{path}[{i}].")
                elif item is not None and item != "":
                    yield f"{path}[{i}]", item
        elif isinstance(value, BaseModel):
            yield from filled_paths(value, f"{path}.")
        elif value is not None and value != "":
            yield path, value


@lru_cache(maxsize=4096)
def _fold(text: str) -> str:
    return " ".join(t.lower() for t in _TOKEN_RE.findall(text))


def display_forms(value: Any) -> tuple[str, ...]:
    """How a normalized value may be written on a registry page, most specific first."""
    return tuple(_display_forms(value))


@lru_cache(maxsize=8192, typed=True)
def _display_forms(value: Any) -> list[str]:
    if isinstance(value, bool):
        return (["yes", "accepts healthy volunteers", "true", "y", "t"] if value
                else ["no", "false", "does not accept healthy volunteers", "n", "f"])
    if isinstance(value, int):
        return [str(value), f"{value:,}"] if value >= 1000 else [str(value)]
    if isinstance(value, Phase):
        if value == Phase.NA:
            return _PHASE_NA_FORMS
        if value == Phase.EARLY_PHASE1:
            return ["early phase 1", "early phase i", "phase 0", "early_phase1"]
        digit = value.value[-1]
        roman = ["i", "ii", "iii", "iv"][int(digit) - 1]
        return [f"phase {digit}", f"phase {roman}", value.value.lower()]
    if isinstance(value, Enum):
        forms = [value.value.replace("_", " ").lower()]
        for key, target in SYNONYMS.get(type(value), {}).items():
            if target == value.value:
                forms.append(key.replace("_", " "))
        return forms
    if isinstance(value, str):
        if m := re.fullmatch(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", value):
            return _date_forms(int(m[1]), int(m[2]) if m[2] else None, int(m[3]) if m[3] else None)
        if m := re.fullmatch(r"(\d+) (Year|Month|Week|Day|Hour|Minute)s?", value):
            n, unit = m[1], m[2].lower()
            short = {"year": ["yrs", "yr", "y"], "month": ["mos", "mo", "m"], "week": ["wks", "wk", "w"],
                     "day": ["d"], "hour": ["hrs", "h"], "minute": ["mins", "min"]}[unit]
            return [f"{n} {unit}s", f"{n} {unit}"] + [f"{n} {s}" for s in short] + [n]
        return [value]
    return [str(value)]


def _date_forms(y: int, m: int | None, d: int | None) -> list[str]:
    if m is None:
        return [str(y)]
    full = _MONTH_NAMES[m - 1]
    names = [full] if len(full) <= 3 else [full, full[:3]] + (["sept"] if m == 9 else [])
    if d is None:
        return [f"{n} {y}" for n in names] + [f"{y} {m:02d}", f"{m:02d} {y}", f"{m} {y}"]
    sfx = "th" if 10 <= d % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")
    forms = []
    for n in names:
        forms += [f"{n} {d} {y}", f"{n} {d}{sfx} {y}", f"{d} {n} {y}", f"{d}{sfx} {n} {y}", f"{y} {n} {d}"]
        if d < 10:
            forms += [f"{n} {d:02d} {y}", f"{d:02d} {n} {y}"]
    forms += [f"{y} {m:02d} {d:02d}", f"{m:02d} {d:02d} {y}", f"{m} {d} {y}", f"{d:02d} {m:02d} {y}", f"{d} {m} {y}"]
    return forms


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
_SIBLING_BEFORE, _SIBLING_AFTER = 200, 1500
Span = tuple[int, int]


def _label_key(path: str) -> str:
    key = path.split("[")[0].split(".")[0]
    return key[: -len("_type")] if key.endswith("_date_type") or key == "enrollment_type" else key


def _same_class(a: str, b: str) -> bool:
    """Two letters or two digits side by side belong to one word ("Ulm|er", "12|763"); "survival|1" do not."""
    return (a.isalpha() and b.isalpha()) or (a.isdigit() and b.isdigit())


def _glue_ok(value: str) -> bool:
    """Long, multi-word values may sit glued to a neighbour; short ones must stand alone."""
    return len(value) >= 12 and " " in value


class Grounder:
    """One document's source text with its lazily built folded index."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._folded: str | None = None
        self._map: np.ndarray[Any, np.dtype[np.intp]] = np.zeros(0, dtype=np.intp)
        self._labels: dict[str, list[int]] = {}
        self.fuzzy_calls = 0

    # The folded index: lower-case alphanumeric tokens joined by single spaces, with `_map`
    # giving each folded character's offset in the original. Built with C-level passes only.
    def _index(self) -> str:
        if self._folded is None:
            lower = self.text.lower()
            if len(lower) != len(self.text):  # a rare character whose lower case is longer
                lower = "".join(c.lower() if len(c.lower()) == 1 else c for c in self.text)
            codes = np.frombuffer(lower.encode("utf-32-le"), dtype=np.uint32).copy()
            ascii_ = codes < 128
            token = np.zeros(len(codes), dtype=bool)
            token[ascii_] = _ASCII_TOKEN[codes[ascii_]]
            for i in np.flatnonzero(~ascii_):  # non-ASCII letters are rare: classify them one by one
                token[i] = lower[i].isalnum()
            codes[~token] = 32
            keep = token.copy()
            keep[1:] |= ~token[1:] & token[:-1]  # the first space after a token separates tokens
            self._map = np.flatnonzero(keep)
            self._folded = codes[keep].tobytes().decode("utf-32-le")
        return self._folded

    def _to_folded(self, offset: int) -> int:
        self._index()
        return int(np.searchsorted(self._map, offset))

    def _pick(self, hits: Iterator[Span], near: int | None) -> Span | None:
        """The first hit, or the one nearest `near`, preferring hits on the same line."""
        if near is None:
            return next(hits, None)
        text = self.text

        def key(span: Span) -> tuple[bool, int]:
            a, b = sorted((span[0], near))
            return "\n" in text[a:b], abs(span[0] - near)

        return min(hits, key=key, default=None)

    def find_exact(self, value: str, lo: int = 0, hi: int | None = None, near: int | None = None) -> Span | None:
        """An occurrence of `value` not glued to a neighbouring letter or digit (first, or nearest `near`)."""
        hi = len(self.text) if hi is None else hi
        found = self._pick(self._exact_hits(value, lo, hi), near)
        if found is None and _glue_ok(value) and (at := self.text.find(value, max(0, lo), hi)) >= 0:
            found = at, at + len(value)  # pages glue cells together ("SorafenibSorafenib (Nexavar)")
        return found

    def _exact_hits(self, value: str, lo: int, hi: int) -> Iterator[Span]:
        text, start = self.text, max(0, lo)
        while (at := text.find(value, start, hi)) >= 0:
            end = at + len(value)
            if not (at > 0 and _same_class(value[0], text[at - 1])) and not (
                end < len(text) and _same_class(value[-1], text[end])
            ):
                yield at, end
            start = at + 1

    def find_folded(self, form: str, lo: int = 0, hi: int | None = None, near: int | None = None) -> Span | None:
        """`form` (folded) as whole tokens of the folded text, mapped back to original offsets."""
        needle = _fold(form)
        if not needle:
            return None
        folded = self._index()
        flo = self._to_folded(lo) if lo > 0 else 0
        fhi = len(folded) if hi is None else self._to_folded(hi)
        found = self._pick(self._folded_hits(needle, folded, flo, fhi), near)
        if found is None and _glue_ok(needle) and (at := folded.find(needle, flo, fhi)) >= 0:
            found = int(self._map[at]), int(self._map[at + len(needle) - 1]) + 1
        return found

    def _folded_hits(self, needle: str, folded: str, lo: int, hi: int) -> Iterator[Span]:
        start = lo
        while (at := folded.find(needle, start, hi)) >= 0:
            end = at + len(needle)
            if (at == 0 or folded[at - 1] == " ") and (end == len(folded) or folded[end] == " "):
                yield int(self._map[at]), int(self._map[end - 1]) + 1
            start = at + 1

    def label_positions(self, key: str) -> list[int]:
        """Where the labels of a top-level field end (the value follows), in text order."""
        if key not in self._labels:
            found: list[int] = []
            for label in _LABELS.get(key, ()):
                found += [end for _, end in self._folded_hits(label, self._index(), 0, len(self._index()))][:4]
                if found:
                    break
            self._labels[key] = sorted(found)
        return self._labels[key]

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
        for m in _PHASE_RE.finditer(self.text, lo, len(self.text) if hi is None else hi):
            try:
                if value in normalize_phases(m[0]):
                    return m.span()
            except ValueError:
                continue
        return None

    def _locate(self, value: Any, lo: int, hi: int | None, near: int | None,
                local: bool = True) -> tuple[Span, MatchStatus] | None:
        if isinstance(value, str) and not isinstance(value, Enum):
            if span := self.find_exact(value, lo, hi, near):
                return span, MatchStatus.EXACT
        if isinstance(value, Phase) and value != Phase.NA:
            if span := self.find_phase(value, lo, hi):
                return span, MatchStatus.NORMALIZED
        if isinstance(value, int) and not isinstance(value, bool):
            if span := self.find_exact(str(value), lo, hi, near):
                return span, MatchStatus.EXACT
        if isinstance(value, Enum):
            if span := self.find_exact(value.value, lo, hi, near):
                return span, MatchStatus.EXACT
        for form in display_forms(value):
            if len(form) == 1 and not local:
                continue  # a lone "f" or "y" means something only right after its label
            if span := self.find_folded(form, lo, hi, near):
                return span, MatchStatus.NORMALIZED
        return None

    def evidence(self, value: Any, *, labels: list[int] = (), sibling: int | None = None) -> Evidence:  # type: ignore[assignment]
        """Where `value` is stated: after its field's label, near its object's siblings, else anywhere."""
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
            return Evidence(quote=self.text[start:end], start=start, end=end, status=status)
        if isinstance(value, str):
            fuzzy = self.find_fuzzy(value)
            if fuzzy:
                start, end, score = fuzzy
                return Evidence(quote=self.text[start:end], start=start, end=end, status=MatchStatus.FUZZY, score=score)
        return Evidence(status=MatchStatus.NONE)


def ground(record: TrialRecord, text: str) -> tuple[dict[str, Evidence], list[Issue]]:
    """Evidence for every filled field path, and an UNGROUNDED_VALUE warning for each found nowhere."""
    grounder = Grounder(text)
    evidence: dict[str, Evidence] = {}
    issues: list[Issue] = []
    anchors: dict[str, int] = {}  # object path ("locations[0]") -> where its first grounded field sits
    for path, value in filled_paths(record):
        owner = path.rsplit(".", 1)[0] if "." in path else None
        if owner is None:
            ev = grounder.evidence(value, labels=grounder.label_positions(_label_key(path)))
        else:
            ev = grounder.evidence(value, sibling=anchors.get(owner))
            if ev.start is not None:
                anchors.setdefault(owner, ev.start)
        evidence[path] = ev
        if ev.status == MatchStatus.NONE:
            shown = value.value if isinstance(value, Enum) else value
            short = str(shown) if len(str(shown)) <= 60 else str(shown)[:57] + "..."
            issues.append(Issue(code="UNGROUNDED_VALUE", severity=Severity.WARNING, paths=[path],
                                message=f"{path} = {short!r} is not found in the source text"))
    return evidence, issues
