"""Statistics checked against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from evals.stats import (
    benjamini_hochberg,
    bootstrap_ci,
    holm,
    mcnemar_exact,
    paired_delta,
    paired_test,
    sign_flip_test,
)


def test_mcnemar_five_discordant_all_one_way() -> None:
    # two-sided exact: 2 * 0.5**5 = 0.0625
    assert mcnemar_exact(5, 0) == pytest.approx(0.0625)
    assert mcnemar_exact(0, 5) == pytest.approx(0.0625)
    assert mcnemar_exact(0, 0) == 1.0
    # 3 vs 1: 2 * P(X <= 1 | n=4) = 2 * 5/16
    assert mcnemar_exact(3, 1) == pytest.approx(0.625)


def test_paired_test_picks_mcnemar_for_right_wrong_scores() -> None:
    a = [1.0] * 10
    b = [0.0] * 5 + [1.0] * 5
    p, test = paired_test(a, b)
    assert test == "mcnemar-exact" and p == pytest.approx(0.0625)


def test_sign_flip_exact_by_hand() -> None:
    # three equal positive diffs: of 8 sign patterns, |sum| = 3 for +++ and --- -> 2/8
    assert sign_flip_test([0.5, 0.5, 0.5, 0.0]) == pytest.approx(0.25)
    # diffs 1 and -1: every pattern has |sum| >= 0 -> 1.0
    assert sign_flip_test([1.0, -1.0]) == 1.0
    # 1, 2, 3: |sum| >= 6 only for +++ and --- -> 2/8
    assert sign_flip_test([1.0, 2.0, 3.0]) == pytest.approx(0.25)
    assert sign_flip_test([0.0, 0.0]) == 1.0


def test_sign_flip_monte_carlo_is_seeded_and_small_for_a_clear_shift() -> None:
    diffs = [0.5] * 30  # exact p would be 2 / 2**30
    p1 = sign_flip_test(diffs, n_resamples=2000, seed=3)
    assert p1 == sign_flip_test(diffs, n_resamples=2000, seed=3)
    assert p1 == pytest.approx(1 / 2001)


def test_paired_test_picks_sign_flip_for_graded_scores() -> None:
    p, test = paired_test([0.5, 0.5, 0.5], [1.0, 1.0, 1.0])
    assert test == "sign-flip" and p == pytest.approx(0.25)


def test_bootstrap_matches_a_by_hand_percentile_computation() -> None:
    values = np.array([0.0, 1.0, 1.0, 0.5, 1.0, 0.0, 0.25])
    seed, b = 7, 500
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(values), size=(b, len(values)))
    means = sorted(float(np.mean([values[j] for j in row])) for row in idx)

    def percentile(q: float) -> float:  # numpy's default "linear" method, by hand
        pos = q / 100 * (b - 1)
        lo = int(np.floor(pos))
        return means[lo] + (means[min(lo + 1, b - 1)] - means[lo]) * (pos - lo)

    ci = bootstrap_ci(values, n_resamples=b, seed=seed)
    assert ci is not None
    assert ci[0] == pytest.approx(percentile(2.5)) and ci[1] == pytest.approx(percentile(97.5))
    assert ci[0] < values.mean() < ci[1]


def test_bootstrap_degenerate_cases() -> None:
    assert bootstrap_ci([1.0, 1.0, 1.0]) == (1.0, 1.0)
    assert bootstrap_ci([]) is None


def test_paired_delta() -> None:
    a = [1.0] * 10
    b = [0.0] * 5 + [1.0] * 5
    d = paired_delta(a, b)
    assert (d.a, d.b, d.delta, d.n) == (1.0, 0.5, -0.5, 10)
    assert d.ci is not None and d.ci[0] <= -0.5 <= d.ci[1] and d.ci[1] < 0
    assert d.p_value == pytest.approx(0.0625)


def test_holm_by_hand() -> None:
    # sorted 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 -> max(0.06, 0.04) = 0.06
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def test_benjamini_hochberg_by_hand() -> None:
    # 0.04*3/3 = 0.04; 0.03*3/2 = 0.045 -> 0.04; 0.01*3/1 = 0.03
    assert benjamini_hochberg([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.04, 0.04])
