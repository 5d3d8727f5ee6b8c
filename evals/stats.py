"""Aggregation and statistics: field summaries, bootstrap intervals, paired tests, corrections.

Kept apart from the scorers: these functions see only numbers per document. Every random
procedure takes a seed, so a rerun of `score` or `compare` prints the same intervals.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from evals.scoring import STATUSES, DocumentScore

N_RESAMPLES = 2000
SEED = 20250101
EXACT_SIGN_FLIP_MAX = 16  # at most 2**16 sign patterns are enumerated exactly


def bootstrap_ci(
    values: Sequence[float] | np.ndarray,
    *,
    n_resamples: int = N_RESAMPLES,
    seed: int = SEED,
    level: float = 0.95,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the mean over documents (resampling documents).

    Vectorized: one (n_resamples, n) index matrix from `numpy.random.default_rng(seed)`;
    the bounds are `numpy.percentile` (linear) of the resampled means. None when no values.
    """
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return None
    if np.all(x == x[0]):
        return (float(x[0]), float(x[0]))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, x.size, size=(n_resamples, x.size))
    means = x[idx].mean(axis=1)
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(means, [tail, 100 - tail])
    return (float(lo), float(hi))


def mcnemar_exact(a_only: int, b_only: int) -> float:
    """Exact two-sided McNemar: a binomial test on the discordant pairs (1.0 when none)."""
    n = a_only + b_only
    if n == 0:
        return 1.0
    from scipy.stats import binomtest  # imported here: scipy costs ~1 s at start-up of every command

    return float(binomtest(min(a_only, b_only), n, 0.5, alternative="two-sided").pvalue)


def sign_flip_test(diffs: Sequence[float] | np.ndarray, *, n_resamples: int = 10000, seed: int = SEED) -> float:
    """Two-sided paired permutation test of mean(diffs) == 0 by flipping signs.

    Exact (every sign pattern) with at most EXACT_SIGN_FLIP_MAX non-zero pairs, else seeded
    Monte Carlo with the (count + 1) / (n + 1) estimate. Zero differences cannot flip.
    """
    d = np.asarray(diffs, dtype=float)
    d = d[d != 0]
    if d.size == 0:
        return 1.0
    observed = abs(d.sum())
    tol = 1e-12 * max(1.0, observed)
    if d.size <= EXACT_SIGN_FLIP_MAX:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=d.size)))
        sums = np.abs(signs @ d)
        return float(np.mean(sums >= observed - tol))
    rng = np.random.default_rng(seed)
    signs = rng.choice((1.0, -1.0), size=(n_resamples, d.size))
    sums = np.abs(signs @ d)
    return float((np.sum(sums >= observed - tol) + 1) / (n_resamples + 1))


def is_binary(*arrays: Iterable[float]) -> bool:
    return all(v in (0.0, 1.0) for arr in arrays for v in arr)


def paired_test(a: Sequence[float], b: Sequence[float], *, seed: int = SEED) -> tuple[float, str]:
    """p-value and test name: exact McNemar for right/wrong scores, sign-flip for graded ones."""
    if is_binary(a, b):
        a_only = sum(1 for x, y in zip(a, b) if x == 1.0 and y == 0.0)
        b_only = sum(1 for x, y in zip(a, b) if x == 0.0 and y == 1.0)
        return mcnemar_exact(a_only, b_only), "mcnemar-exact"
    diffs = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    return sign_flip_test(diffs, seed=seed), "sign-flip"


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values (family-wise error), in the input order."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def benjamini_hochberg(pvalues: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (false discovery rate), in the input order."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i], reverse=True)
    adjusted = [0.0] * m
    running = 1.0
    for k, i in enumerate(order):
        rank = m - k
        running = min(running, pvalues[i] * m / rank)
        adjusted[i] = min(1.0, running)
    return adjusted


@dataclass(frozen=True)
class PairedDelta:
    a: float
    b: float
    delta: float
    ci: tuple[float, float] | None
    p_value: float
    test: str
    n: int


def paired_delta(a: Sequence[float], b: Sequence[float], *, seed: int = SEED) -> PairedDelta:
    """Mean of A and of B over the same documents, B - A with a paired bootstrap CI, and a test."""
    xa, xb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if xa.size == 0:
        return PairedDelta(float("nan"), float("nan"), 0.0, None, 1.0, "none", 0)
    p, test = paired_test(list(xa), list(xb), seed=seed)
    return PairedDelta(
        float(xa.mean()), float(xb.mean()), float((xb - xa).mean()),
        bootstrap_ci(xb - xa, seed=seed), p, test, int(xa.size),
    )


def summarize(docs: Sequence[DocumentScore], field_names: Sequence[str], *, seed: int = SEED) -> dict[str, Any]:
    """The "overall", "fields" and "documents" parts of scores.json (see evals.scoring for counts)."""
    fields: dict[str, Any] = {}
    cells: list[float] = []
    for name in field_names:
        values = [d.fields[name].score for d in docs if name in d.fields]
        counts = Counter(d.fields[name].status for d in docs if name in d.fields)
        ci = bootstrap_ci(values, seed=seed)
        fields[name] = {
            "score": float(np.mean(values)) if values else None,
            "n": len(values),
            **{s: counts.get(s, 0) for s in STATUSES},
            "ci": list(ci) if ci else None,
        }
        cells.extend(values)
    totals: dict[str, int] = {s: sum(f[s] for f in fields.values()) for s in STATUSES}
    doc_scores = [d.score for d in docs if d.score is not None]
    ci = bootstrap_ci(doc_scores, seed=seed)
    field_means = [f["score"] for f in fields.values() if f["score"] is not None]
    overall: dict[str, Any] = {
        "score": float(np.mean(cells)) if cells else None,
        "macro_field_score": float(np.mean(field_means)) if field_means else None,
        "document_mean": float(np.mean(doc_scores)) if doc_scores else None,
        "ci": list(ci) if ci else None,
        "n": len(cells),
        **totals,
        "documents": len(docs),
        "failed_documents": sum(1 for d in docs if d.error),
    }
    documents = {
        d.id: {
            "score": d.score,
            "error": d.error,
            "fields": {n: s.score for n, s in d.fields.items()},
            "status": {n: s.status for n, s in d.fields.items()},
            "reasons": {n: s.reason for n, s in d.fields.items() if s.status != "correct"},
        }
        for d in docs
    }
    return {"overall": overall, "fields": fields, "documents": documents}

