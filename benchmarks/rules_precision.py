"""Precision of the rules extractor on pages rendered from real CT.gov records.

Each corpus record is rendered in every layout, extracted with `extract_rules`, and compared with
the importer's record of the same study. A rendered page need not show every field, so only the
values the rules *filled* are judged: a value is wrong when it disagrees with the importer's, extra
when the importer has none. Values the page cut short ("…") are skipped: the page, not the rules,
made them differ. Unit of counting: one scalar, one list item, or one object (an object aligned to
a gold object counts its filled sub-fields instead).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from benchmarks.corpus import LAYOUTS, base_records, render_page
from evals.scoring import FieldSpec, ScoringConfig, object_key, align, field_specs, is_empty, record_dict, score_value
from extractor.importers import record_from_fields
from extractor.rules import extract_rules

CUT = "…"


def _cut(value: Any) -> bool:
    return isinstance(value, str) and value.rstrip().endswith(CUT)


class Tally:
    """Filled and wrong-or-extra counts, per field path ("arms.description")."""

    def __init__(self) -> None:
        self.filled: Counter[str] = Counter()
        self.bad: Counter[str] = Counter()

    def check(self, spec: FieldSpec, gold: Any, pred: Any, cfg: ScoringConfig, prefix: str = "") -> None:
        name = prefix + spec.name
        if is_empty(pred) or _cut(pred):
            return
        if spec.kind in ("text_list", "exact_list", "objects"):
            self._items(spec, name, gold if isinstance(gold, list) else [], pred, cfg)
            return
        self.filled[name] += 1
        s = score_value(spec, gold, pred, cfg)
        if s is not None and s.status not in ("correct", "missing"):
            self.bad[name] += 1

    def _items(self, spec: FieldSpec, name: str, gold: list[Any], pred: list[Any], cfg: ScoringConfig) -> None:
        if spec.kind == "exact_list":
            wanted = {str(g) for g in gold}
            for x in pred:
                self.filled[name] += 1
                self.bad[name] += str(x) not in wanted
            return
        if spec.kind == "text_list":
            pairs = align([str(g) for g in gold], [str(p) for p in pred], cfg.text_threshold)
            used = {j for _, j, _ in pairs}
            for j, x in enumerate(pred):
                if not _cut(x):
                    self.filled[name] += 1
                    self.bad[name] += j not in used
            return
        key = spec.key or ""
        pairs = align([object_key(o, key) for o in gold], [object_key(o, key) for o in pred], cfg.text_threshold)
        matched = {j: i for i, j, _ in pairs}
        for j, obj in enumerate(pred):
            if j in matched:
                for sub in spec.sub:
                    self.check(sub, gold[matched[j]].get(sub.name), obj.get(sub.name), cfg, name + ".")
            elif not _cut(object_key(obj, key)):
                self.filled[name] += 1
                self.bad[name] += 1


def measure(use_shared: bool = True, limit: int | None = None) -> dict[str, Any]:
    """Wrong-or-extra values of the rules over `limit` records (all when None) x every layout."""
    records, source = base_records(use_shared)
    records = records[:limit] if limit else records
    cfg, specs, tally = ScoringConfig(), field_specs(), Tally()
    for r, raw in enumerate(records):
        gold = record_dict(record_from_fields(json.loads(json.dumps(raw))))  # it edits its input
        for layout in LAYOUTS:
            pred = record_dict(extract_rules(render_page(raw, layout, seed=r)))
            for spec in specs:
                tally.check(spec, gold.get(spec.name), pred.get(spec.name), cfg)
    filled, bad = sum(tally.filled.values()), sum(tally.bad.values())
    return {
        "corpus": source,
        "pages": len(records) * len(LAYOUTS),
        "filled_values": filled,
        "wrong_or_extra": bad,
        "by_field": {k: v for k, v in tally.bad.most_common() if v},
        "precision": round(1 - bad / filled, 4) if filled else None,
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
