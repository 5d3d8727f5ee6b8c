"""Field-path differences between two records (gold vs prediction, or run A vs run B).

Shown path by path (`arms[1].type: gold EXPERIMENTAL, predicted OTHER`), never as two whole
objects: lists are first aligned the way the scorer aligns them (by key field or text
similarity), then each aligned pair of objects or scalars is compared with deepdiff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, Mapping

from deepdiff import DeepDiff
from deepdiff.helper import notpresent

from evals.scoring import FieldSpec, ScoringConfig, object_key, align, field_specs, is_empty

Kind = Literal["changed", "missing", "extra"]


@dataclass(frozen=True)
class Difference:
    path: str
    left: Any  # gold (or run A)
    right: Any  # predicted (or run B)
    kind: Kind

    def describe(self, left: str = "gold", right: str = "predicted") -> str:
        return f"{self.path}: {left} {_fmt(self.left)}, {right} {_fmt(self.right)}"


def _fmt(value: Any) -> str:
    if value is None or value is notpresent:
        return "(none)"
    if isinstance(value, str):
        return value if len(value) <= 120 else value[:117] + "..."
    return repr(value)


_KEY = re.compile(r"\['([^']*)'\]")


def _path(prefix: str, deep_path: str) -> str:
    rest = deep_path[4:] if deep_path.startswith("root") else deep_path
    return prefix + _KEY.sub(r".\1", rest)


def _deep(prefix: str, left: Any, right: Any) -> list[Difference]:
    if left == right:
        return []
    if not isinstance(left, (dict, list)) or not isinstance(right, (dict, list)):
        kind: Kind = "missing" if is_empty(right) else "extra" if is_empty(left) else "changed"
        return [Difference(prefix, left, right, kind)]
    out: list[Difference] = []
    tree = DeepDiff(left, right, ignore_order=True, view="tree", verbose_level=2)
    for report_type, levels in tree.items():
        for level in levels:
            t1 = None if level.t1 is notpresent else level.t1
            t2 = None if level.t2 is notpresent else level.t2
            kind = "missing" if report_type.endswith("removed") or is_empty(t2) else (
                "extra" if report_type.endswith("added") or is_empty(t1) else "changed")
            out.append(Difference(_path(prefix, level.path()), t1, t2, kind))
    return sorted(out, key=lambda d: d.path)


def field_differences(
    spec: FieldSpec, left: Any, right: Any, cfg: ScoringConfig | None = None
) -> list[Difference]:
    """The differences inside one field, paths rooted at the field name."""
    cfg = cfg or ScoringConfig()
    name = spec.name
    if is_empty(left) and is_empty(right):
        return []
    if spec.kind not in ("text_list", "objects") or not isinstance(left, list) or not isinstance(right, list):
        return _deep(name, left, right)
    if spec.kind == "objects":
        key = spec.key or ""
        pairs = align([object_key(o, key) for o in left], [object_key(o, key) for o in right], cfg.text_threshold)
    else:
        pairs = align([str(x) for x in left], [str(x) for x in right], cfg.text_threshold)
    out: list[Difference] = []
    matched_l = {i for i, _, _ in pairs}
    matched_r = {j for _, j, _ in pairs}
    for i, j, _ in pairs:
        out.extend(_deep(f"{name}[{i}]", left[i], right[j]))
    out.extend(Difference(f"{name}[{i}]", left[i], None, "missing") for i in range(len(left)) if i not in matched_l)
    out.extend(Difference(f"{name}[+{j}]", None, right[j], "extra") for j in range(len(right)) if j not in matched_r)
    return out


def record_differences(
    left: Mapping[str, Any], right: Mapping[str, Any] | None, cfg: ScoringConfig | None = None
) -> dict[str, list[Difference]]:
    """field -> its differences (fields without differences left out). `right` None: all missing."""
    out: dict[str, list[Difference]] = {}
    for spec in field_specs():
        diffs = field_differences(spec, left.get(spec.name), (right or {}).get(spec.name), cfg)
        if diffs:
            out[spec.name] = diffs
    return out
