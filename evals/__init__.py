"""trialx's eval harness: field-aware scoring, saved runs, paired statistics and reports.

Generation (`generate_run`) and scoring (`score_run`) are separate: runs are saved, then scored
and compared offline (`compare_runs`) against hand-labelled gold (`load_gold`).
"""

from evals.agreement import agreement
from evals.compare import compare_runs, has_failed, load_run
from evals.runs import IDS_FILE, Gold, batch_cost_usd, ScoredRun, generate_run, load_gold, load_prices, new_run_dir, score_run
from evals.scoring import ScoringConfig, field_specs, record_dict, score_document

__all__ = [
    "IDS_FILE",
    "batch_cost_usd",
    "Gold",
    "ScoredRun",
    "ScoringConfig",
    "agreement",
    "compare_runs",
    "field_specs",
    "generate_run",
    "has_failed",
    "load_gold",
    "load_prices",
    "load_run",
    "new_run_dir",
    "record_dict",
    "score_document",
    "score_run",
]
