"""How a normalized value may be written on a registry page: the display forms grounding looks for.

PHASE2 is "Phase II", 2025-02-28 is "Feb 28, 2025" or "2025年02月28日", False is "No", an enum value
any of its registry synonyms (`display_forms.json`). Pure functions of the value, cached.
"""

from __future__ import annotations

import re
from enum import Enum
from functools import lru_cache
from typing import Any

from extractor.schema import SYNONYMS, Phase

__all__ = ["display_forms"]

_MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december"]
_PHASE_NA_FORMS = ["not applicable", "n a", "na"]


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
        # the synonyms longest first: "male or female" is found before a "both" in any sentence
        synonyms = [key.replace("_", " ") for key, target in SYNONYMS.get(type(value), {}).items() if target == value.value]
        return [value.value.replace("_", " ").lower(), *sorted(synonyms, key=len, reverse=True)]
    if isinstance(value, str):
        if (m := re.fullmatch(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", value)) and 1 <= int(m[2] or 1) <= 12 \
                and 1 <= int(m[3] or 1) <= 31:  # "2019-13" (an identifier, a model's bad date) is text, not a date
            return _date_forms(int(m[1]), int(m[2]) if m[2] else None, int(m[3]) if m[3] else None)
        if m := re.fullmatch(r"(\d+) (Year|Month|Week|Day|Hour|Minute)s?", value):
            n, unit = m[1], m[2].lower()
            short = {"year": ["yrs", "yr", "y"], "month": ["mos", "mo", "m"], "week": ["wks", "wk", "w"],
                     "day": ["d"], "hour": ["hrs", "h"], "minute": ["mins", "min"]}[unit]
            return [f"{n} {unit}s", f"{n} {unit}"] + [f"{n} {s}" for s in short] + [n]
        return [value]
    return [str(value)]


_ERAS = (("昭和", (1926, 12, 25), (1989, 1, 7)), ("平成", (1989, 1, 8), (2019, 4, 30)), ("令和", (2019, 5, 1), (9999, 12, 31)))


def _date_forms(y: int, m: int | None, d: int | None) -> list[str]:
    if m is None:
        return [str(y)]
    full = _MONTH_NAMES[m - 1]
    names = [full] if len(full) <= 3 else [full, full[:3]] + (["sept"] if m == 9 else [])
    # CJK registries (jRCT, ChiCTR): "2017年09月15日"; folding keeps the ideographs, so they are forms too
    if d is None:
        return [f"{n} {y}" for n in names] + [f"{y} {m:02d}", f"{m:02d} {y}", f"{m} {y}", f"{y}年{m:02d}月", f"{y}年{m}月"]
    sfx = "th" if 10 <= d % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")
    forms = []
    for n in names:
        forms += [f"{n} {d} {y}", f"{n} {d}{sfx} {y}", f"{d} {n} {y}", f"{d}{sfx} {n} {y}", f"{y} {n} {d}"]
        if d < 10:
            forms += [f"{n} {d:02d} {y}", f"{d:02d} {n} {y}"]
    forms += [f"{y} {m:02d} {d:02d}", f"{m:02d} {d:02d} {y}", f"{m} {d} {y}", f"{d:02d} {m:02d} {y}", f"{d} {m} {y}",
              f"{y}年{m:02d}月{d:02d}日", f"{y}年{m}月{d}日"]
    # Japanese era years (jRCT, UMIN, JapicCTI print "平成31年3月26日"); the era's first year is 元年
    for era, first, last in _ERAS:
        if first <= (y, m, d) <= last:
            year = y - first[0] + 1
            forms += [f"{era}{year}年{m}月{d}日", f"{era}{year}年{m:02d}月{d:02d}日"]
            forms += [f"{era}元年{m}月{d}日"] if year == 1 else []
    return forms
