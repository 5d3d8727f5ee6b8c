"""Inter-annotator agreement: two labellings of the same pages, scored field by field.

Agreement is the eval scorer applied symmetrically: each labelling is scored against the other
(the field comparators are the same as in `trialx eval`), and a field agrees exactly when the
two normalized values are identical. Reporting both tells a reader how much of the disagreement is
wording (graded agreement) and how much is substance (exact agreement).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.scoring import field_specs, is_empty, record_dict, score_document
from extractor.errors import GoldError
from extractor.schema import TrialRecord


@dataclass
class FieldAgreement:
    compared: int = 0  # documents where either labelling fills the field
    identical: int = 0
    graded: float = 0.0  # sum of the mean of the two directed scores
    differences: list[str] = field(default_factory=list)


def _load_dir(path: Path) -> dict[str, dict[str, Any]]:
    if not path.is_dir():
        raise GoldError(f"{path} is not a directory of <id>.json records")
    records: dict[str, dict[str, Any]] = {}
    for file in sorted(path.glob("*.json")):
        try:
            records[file.stem] = record_dict(TrialRecord.model_validate(json.loads(file.read_text(encoding="utf-8"))))
        except (ValueError, OSError) as exc:
            raise GoldError(f"{file}: not a valid TrialRecord ({' '.join(str(exc).split())[:200]})") from None
    if not records:
        raise GoldError(f"{path} holds no <id>.json records")
    return records


def agreement(dir_a: Path, dir_b: Path) -> dict[str, Any]:
    """Field-by-field agreement over the ids both directories hold."""
    a, b = _load_dir(dir_a), _load_dir(dir_b)
    ids = sorted(set(a) & set(b))
    if not ids:
        raise GoldError(f"{dir_a} and {dir_b} share no record ids")
    per_field: dict[str, FieldAgreement] = {spec.name: FieldAgreement() for spec in field_specs()}
    for doc_id in ids:
        forward = score_document(doc_id, a[doc_id], b[doc_id])
        backward = score_document(doc_id, b[doc_id], a[doc_id])
        for name, stats in per_field.items():
            va, vb = a[doc_id].get(name), b[doc_id].get(name)
            if is_empty(va) and is_empty(vb):
                continue
            stats.compared += 1
            stats.identical += va == vb
            scores = [s.score for s in (forward.fields.get(name), backward.fields.get(name)) if s is not None]
            stats.graded += sum(scores) / len(scores) if scores else 0.0
            if va != vb:
                stats.differences.append(doc_id)
    compared = sum(s.compared for s in per_field.values())
    return {
        "documents": ids,
        "only_in_a": sorted(set(a) - set(b)),
        "only_in_b": sorted(set(b) - set(a)),
        "overall": {
            "compared": compared,
            "identical": sum(s.identical for s in per_field.values()),
            "exact": sum(s.identical for s in per_field.values()) / compared if compared else None,
            "graded": sum(s.graded for s in per_field.values()) / compared if compared else None,
        },
        "fields": {
            name: {
                "compared": s.compared,
                "identical": s.identical,
                "exact": s.identical / s.compared,
                "graded": s.graded / s.compared,
                "differ_in": s.differences,
            }
            for name, s in per_field.items()
            if s.compared
        },
    }
