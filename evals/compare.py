"""Compare two scored runs on the same gold: per-field deltas, paired tests, regressions.

Reads only files (scores.json, predictions.jsonl, the gold records named in the run info); never
calls a model. Pairing: a field is compared over the documents present in both runs in which at
least one run scored it; a run that did not score the field there (both it and gold empty)
counts as 1.0, since leaving the field empty agreed with gold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.diffs import field_differences
from evals.runs import Gold, load_gold, prediction_record, read_predictions, read_run_info, read_scores
from evals.scoring import field_specs
from evals.stats import SEED, benjamini_hochberg, holm, paired_delta
from extractor.errors import TrialxError

EPS = 1e-9


@dataclass
class LoadedRun:
    dir: Path
    info: dict[str, Any]
    scores: dict[str, Any]
    records: dict[str, dict[str, Any] | None]  # id -> predicted record (None: extraction failed)


def load_run(run_dir: str | Path) -> LoadedRun:
    run_dir = Path(run_dir)
    scores = read_scores(run_dir)
    predictions = read_predictions(run_dir)
    info = scores.get("run") or read_run_info(run_dir)
    records = {i: prediction_record(line)[0] for i, line in predictions.items()}
    return LoadedRun(run_dir, dict(info), scores, records)


def _gold_of(a: LoadedRun, b: LoadedRun, gold_dir: str | Path | None) -> Gold | None:
    """The gold the user names (an error if it cannot be read), else the one either run recorded."""
    if gold_dir:
        return load_gold(gold_dir)
    for candidate in (a.info.get("gold"), b.info.get("gold")):
        if candidate:
            try:
                return load_gold(candidate)
            except TrialxError:
                continue
    return None


def _run_summary(run: LoadedRun) -> dict[str, Any]:
    overall = run.scores.get("overall", {})
    keys = ("label", "backend", "model", "prompt_version", "prompt_hash", "schema_hash", "git_commit",
            "tokens", "cost_usd", "cache_hits", "started", "duration_s", "gold")
    return {"dir": str(run.dir), "score": overall.get("score"), **{k: run.info.get(k) for k in keys}}


def compare_runs(
    a: LoadedRun,
    b: LoadedRun,
    *,
    alpha: float = 0.05,
    correction: str = "holm",
    gold_dir: str | Path | None = None,
    seed: int = SEED,
) -> dict[str, Any]:
    """The `trialx compare --json` document (spec/cli.md), plus the test used per field."""
    docs_a: Mapping[str, Any] = a.scores.get("documents", {})
    docs_b: Mapping[str, Any] = b.scores.get("documents", {})
    ids = [i for i in docs_a if i in docs_b]
    gold = _gold_of(a, b, gold_dir)
    specs = {s.name: s for s in field_specs()}
    field_names = list(dict.fromkeys([*a.scores.get("fields", {}), *b.scores.get("fields", {})]))

    fields: dict[str, Any] = {}
    regressions: list[dict[str, Any]] = []
    improvements: list[dict[str, Any]] = []
    for name in field_names:
        va: list[float] = []
        vb: list[float] = []
        for doc_id in ids:
            sa = docs_a[doc_id].get("fields", {}).get(name)
            sb = docs_b[doc_id].get("fields", {}).get(name)
            if sa is None and sb is None:
                continue
            sa = 1.0 if sa is None else float(sa)
            sb = 1.0 if sb is None else float(sb)
            va.append(sa)
            vb.append(sb)
            if abs(sa - sb) <= EPS:
                continue
            gold_value = gold.records.get(doc_id, {}).get(name) if gold else None
            rec_a, rec_b = a.records.get(doc_id), b.records.get(doc_id)
            val_a = rec_a.get(name) if rec_a else None
            val_b = rec_b.get(name) if rec_b else None
            entry = {
                "id": doc_id, "field": name, "gold": gold_value, "a": val_a, "b": val_b,
                "a_score": sa, "b_score": sb,
                "differences": [d.describe("A", "B") for d in field_differences(specs[name], val_a, val_b)]
                if name in specs else [],
            }
            (regressions if sb < sa else improvements).append(entry)
        if not va:
            continue
        pd = paired_delta(va, vb, seed=seed)
        fields[name] = {
            "a": pd.a, "b": pd.b, "delta": pd.delta, "ci": list(pd.ci) if pd.ci else None,
            "p_value": pd.p_value, "test": pd.test, "n": pd.n,
        }
    adjust = benjamini_hochberg if correction == "bh" else holm
    names = list(fields)
    for name, p_adj in zip(names, adjust([fields[n]["p_value"] for n in names])):
        fields[name]["p_adjusted"] = p_adj
        fields[name]["significant"] = p_adj < alpha
    overall_a = [float(docs_a[i]["score"]) for i in ids if docs_a[i].get("score") is not None and docs_b[i].get("score") is not None]
    overall_b = [float(docs_b[i]["score"]) for i in ids if docs_a[i].get("score") is not None and docs_b[i].get("score") is not None]
    od = paired_delta(overall_a, overall_b, seed=seed)
    worse = [n for n, f in fields.items() if f["significant"] and f["delta"] < 0]
    return {
        "a": _run_summary(a),
        "b": _run_summary(b),
        "overall": {"a": od.a if od.n else None, "b": od.b if od.n else None, "delta": od.delta,
                    "ci": list(od.ci) if od.ci else None, "p_value": od.p_value, "test": od.test, "n": od.n},
        "correction": correction,
        "alpha": alpha,
        "documents": {"paired": len(ids), "only_a": sorted(set(docs_a) - set(docs_b)),
                      "only_b": sorted(set(docs_b) - set(docs_a))},
        "fields": fields,
        "significantly_worse": worse,
        "regressions": regressions,
        "improvements": improvements,
    }


def has_failed(comparison: Mapping[str, Any]) -> bool:
    """--fail-on-regression: a field significantly worse, or any document regressed."""
    return bool(comparison.get("significantly_worse")) or bool(comparison.get("regressions"))
