"""The rules on real registry HTML: precision and recall of filled header fields, and overall.

`python -m benchmarks.rules_realpages [GOLD_DIR]` (default gold/realpages) renders each
`sources/<id>.html` (the one text rendering, `extractor.html_render`), reads it with the rules, and
scores each field against `records/<id>.json` with the eval scorer. A field counts where either side
fills it; its score (0..1, lists graded) is credit. Precision: credit over the fields the rules
filled; recall: credit over the fields gold fills. Header fields are the trial's identity and
status block (ids, titles, status, dates, type, phase, enrollment, sponsor, conditions); overall is
every field, as `trialx eval` counts it. Every wrong or extra header value is listed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from evals.scoring import field_specs, is_empty, record_dict, score_value
from extractor.inputs import Source, read_source
from extractor.rules import extract_rules
from extractor.schema import TrialRecord

HEADER = ("nct_id", "secondary_ids", "brief_title", "official_title", "acronym", "overall_status", "why_stopped",
          "start_date", "primary_completion_date", "completion_date", "first_posted_date", "last_update_date",
          "study_type", "phases", "enrollment", "lead_sponsor", "collaborators", "conditions", "keywords")
DEFAULT = Path(__file__).resolve().parent.parent / "gold" / "realpages"


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else DEFAULT
    specs = {s.name: s for s in field_specs()}
    tally = {"header": [0.0, 0, 0.0, 0], "all": [0.0, 0, 0.0, 0]}  # credit/filled (precision), credit/gold (recall)
    problems: list[str] = []
    for path in sorted((root / "records").glob("*.json")):
        gold = record_dict(TrialRecord.model_validate(json.loads(path.read_text(encoding="utf-8"))))
        doc = read_source(Source(path.stem, str(root / "sources" / f"{path.stem}.html")))
        if doc.error is not None or doc.text is None:
            raise SystemExit(f"{path.stem}: {doc.error}")
        pred = record_dict(extract_rules(doc.text))
        for name, spec in specs.items():
            score = score_value(spec, gold.get(name), pred.get(name))
            if score is None:
                continue
            for group in ("all", "header") if name in HEADER else ("all",):
                t = tally[group]
                if not is_empty(pred.get(name)):
                    t[0] += score.score
                    t[1] += 1
                if not is_empty(gold.get(name)):
                    t[2] += score.score
                    t[3] += 1
            if name in HEADER and score.score < 1.0 and not is_empty(pred.get(name)):
                problems.append(f"{path.stem}: {name} {score.status}: {score.reason}")
            elif name in HEADER and score.score < 1.0:
                problems.append(f"{path.stem}: {name} missing: gold {str(gold.get(name))[:70]!r}")
    for group, (pc, pn, rc, rn) in tally.items():
        print(f"{group:6s} precision {pc / pn if pn else 0:.3f} ({pc:.1f}/{pn} filled)   "
              f"recall {rc / rn if rn else 0:.3f} ({rc:.1f}/{rn} in gold)")
    print("header fields not fully right:")
    for line in problems:
        print("  " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
