"""Scoring throughput: 1,000 predicted records against their gold, in records per second.

Synthetic records of realistic shape (15+12 criteria, 3 arms, 3 interventions, 4 outcomes,
5 locations, summaries of ~120 words), predictions perturbed the way extractors err (a dropped
criterion, reworded text, a wrong arm type, a shifted count). Run: .venv/bin/python benchmarks/bench_scoring.py
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evals.scoring import field_specs, score_document  # noqa: E402
from evals.stats import summarize  # noqa: E402

WORDS = ("patients adults dose tumor response survival placebo weeks treatment study safety months "
         "randomized cohort baseline grade therapy infusion oral daily assessment").split()


def text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize()


def gold_record(rng: random.Random, i: int) -> dict[str, object]:
    arms = [{"label": f"Arm {c}: {text(rng, 3)}", "type": rng.choice(["EXPERIMENTAL", "PLACEBO_COMPARATOR"]),
             "description": text(rng, 20), "intervention_names": [f"Drug {c}"]} for c in "ABC"]
    return {
        "nct_id": f"NCT{i:08d}", "brief_title": text(rng, 10), "official_title": text(rng, 20),
        "overall_status": "RECRUITING", "start_date": "2024-03-15", "completion_date": "2026-01",
        "study_type": "INTERVENTIONAL", "phases": ["PHASE2", "PHASE3"], "allocation": "RANDOMIZED",
        "masking": "DOUBLE", "enrollment": rng.randint(10, 2000), "enrollment_type": "ESTIMATED",
        "conditions": [text(rng, 2) for _ in range(3)], "keywords": [text(rng, 1) for _ in range(4)],
        "brief_summary": text(rng, 120), "detailed_description": text(rng, 200), "arms": arms,
        "interventions": [{"type": "DRUG", "name": f"Drug {c}", "description": text(rng, 15), "other_names": [],
                           "arm_labels": [arms[k]["label"]]} for k, c in enumerate("ABC")],
        "primary_outcomes": [{"measure": text(rng, 6), "time_frame": "12 weeks", "description": text(rng, 15)}
                             for _ in range(2)],
        "secondary_outcomes": [{"measure": text(rng, 6), "time_frame": "24 weeks", "description": None}
                               for _ in range(2)],
        "sex": "ALL", "minimum_age": "18 Years", "healthy_volunteers": False,
        "inclusion_criteria": [text(rng, 12) for _ in range(15)],
        "exclusion_criteria": [text(rng, 12) for _ in range(12)],
        "lead_sponsor": text(rng, 3), "collaborators": [text(rng, 2)],
        "locations": [{"facility": text(rng, 4), "city": "Boston", "state": "MA", "country": "United States",
                       "status": "RECRUITING"} for _ in range(5)],
        "contacts": [{"name": "Jane Doe", "role": "CONTACT", "email": "jd@example.org", "phone": None}],
    }


def perturb(rng: random.Random, gold: dict[str, object]) -> dict[str, object]:
    pred = dict(gold)
    pred["inclusion_criteria"] = list(gold["inclusion_criteria"])[1:]  # type: ignore[call-overload]
    pred["exclusion_criteria"] = [c.lower() + "." for c in gold["exclusion_criteria"]][::-1]  # type: ignore[attr-defined]
    pred["brief_summary"] = str(gold["brief_summary"]) + " " + text(rng, 10)
    arms = [dict(a) for a in gold["arms"]]  # type: ignore[attr-defined]
    arms[1]["type"] = "OTHER"
    pred["arms"] = arms[::-1]
    if rng.random() < 0.3:
        pred["enrollment"] = int(gold["enrollment"]) + 1  # type: ignore[call-overload]
    pred["locations"] = list(gold["locations"])[:4]  # type: ignore[call-overload]
    return pred


def main(n: int = 1000) -> None:
    rng = random.Random(0)
    golds = [gold_record(rng, i) for i in range(n)]
    preds = [perturb(rng, g) for g in golds]
    specs = field_specs()
    t0 = time.perf_counter()
    docs = [score_document(f"d{i}", g, p, specs=specs) for i, (g, p) in enumerate(zip(golds, preds))]
    t1 = time.perf_counter()
    summary = summarize(docs, [s.name for s in specs])
    t2 = time.perf_counter()
    print(f"scored {n} records in {t1 - t0:.3f} s: {n / (t1 - t0):,.0f} records/s "
          f"(+ {t2 - t1:.3f} s for summaries with bootstrap CIs); overall {summary['overall']['score']:.3f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
