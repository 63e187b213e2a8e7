"""The comparison of heads across fold models and passers: a real difference (a deliberately broken
head or score) is flagged, identical models are not, and the numbers agree with independent
computations (NumPy and scipy)."""

import numpy as np
import pytest
from normal_forecasts import normal_scores
from scipy import stats

from sbp_jax.evaluate import comparison, scoring
from sbp_jax.evaluate.truth import ORACLE
from sbp_jax.evaluate.truth_comparison import SCORE, truth_comparison

K, PER_FOLD = 4, 400


@pytest.fixture(scope="module")
def plays():
    rng = np.random.default_rng(0)
    n = K * PER_FOLD
    mu = rng.normal(6.0, 3.0, n)
    yards = np.round(mu + rng.normal(0.0, 5.0, n))
    return mu, yards, np.repeat(np.arange(K), PER_FOLD)


def test_a_broken_head_is_flagged_and_an_identical_one_is_not(plays):
    mu, yards, group = plays
    good = normal_scores(mu, np.full_like(mu, 5.0), yards, scoring.LEVELS)
    broken = normal_scores(
        mu + 4.0, np.full_like(mu, 1.5), yards, scoring.LEVELS
    )  # biased and overconfident
    table = comparison.forecast_comparison(
        {"main": good, "same": dict(good), "broken": broken}, group, scoring.LEVELS
    )
    assert table["k"] == K and table["spread_reported"]
    for metric, row in table["models"]["same"].items():
        assert row["diff_mean"] == 0.0 and row["differs"] is False, metric
    for metric in ("nll", "crps", "mae_median", "pit_ks", "coverage_error_0.9"):
        row = table["models"]["broken"][metric]
        assert row["differs"] is True and row["diff_mean"] > 0, metric
    assert "diff_mean" not in table["models"]["main"]["nll"]
    # the pooled NLL and the fold spread, recomputed with NumPy from scipy's log density
    nll = -stats.norm.logpdf(yards, mu + 4.0, 1.5)
    per_fold = [nll[group == k].mean() for k in range(K)]
    row = table["models"]["broken"]["nll"]
    assert row["pooled"] == pytest.approx(nll.mean(), rel=1e-9)
    assert row["fold_mean"] == pytest.approx(np.mean(per_fold), rel=1e-9)
    assert row["fold_sd"] == pytest.approx(np.std(per_fold, ddof=1), rel=1e-9)
    good_fold = [-stats.norm.logpdf(yards, mu, 5.0)[group == k].mean() for k in range(K)]
    d = np.asarray(per_fold) - good_fold
    assert row["diff_mean"] == pytest.approx(d.mean(), rel=1e-9)
    assert row["diff_se"] == pytest.approx(d.std(ddof=1) / np.sqrt(K), rel=1e-9)


def test_the_paired_rule_and_its_minimum_number_of_folds():
    assert comparison.paired([1.0, 2.0, 3.0], [1.1, 2.1, 3.1])["differs"] is True  # constant shift
    noisy = comparison.paired([1.0, 2.0, 3.0, 4.0], [1.5, 1.5, 3.5, 3.5])  # mean 0, sd 0.58
    assert noisy["differs"] is False and noisy["diff_mean"] == pytest.approx(0.0)
    assert comparison.paired([1.0, 2.0], [5.0, 6.0]) == {
        "diff_mean": None,
        "diff_se": None,
        "differs": None,
    }
    assert comparison.spread([1.0, 2.0]) == (None, None)


def _league(seed=0, n_passers=24, per_passer=120):
    """Passers of known skill; each play's true percentile moves with its passer's skill."""
    rng = np.random.default_rng(seed)
    skill = rng.normal(size=n_passers)
    passer = np.repeat(np.arange(n_passers) + 1000, per_passer)
    true_pct = stats.norm.cdf(rng.normal(size=len(passer)) + 0.5 * np.repeat(skill, per_passer))
    plays = {
        "passer_id": passer,
        "pass_result": np.where(true_pct > 0.4, "C", "I").astype(object),
        "yards": np.round(20 * true_pct * (true_pct > 0.4)),
        "touchdown": np.zeros(len(passer), bool),
    }
    group = rng.integers(0, K, len(passer))
    return plays, true_pct, group, np.arange(n_passers) + 1000, skill


def test_truth_comparison_flags_a_score_that_ignores_the_passer(plays):
    data, true_pct, group, passer_U, skill = _league()
    noise = np.random.default_rng(1).uniform(size=len(true_pct))
    out = truth_comparison(
        data,
        {"good": true_pct, "same": true_pct.copy(), "random": noise},
        true_pct,
        group,
        passer_U,
        skill,
        prior_attempts=50.0,
        n_bootstrap=300,
    )
    rows = {(r["measure"], r["model"]): r for r in out["rows"]}
    assert out["reference"] == f"{SCORE} of good" and out["k"] == K
    same = rows[SCORE, "same"]
    assert same["diff"] == 0.0 and not same["differs_bootstrap"] and not same["differs_folds"]
    bad = rows[SCORE, "random"]
    assert bad["diff"] < 0 and bad["differs_bootstrap"] and bad["differs_folds"]
    # pooled Spearman against scipy on per-passer means (the score ranks like the mean here:
    # every passer has the same attempts)
    means = [true_pct[data["passer_id"] == p].mean() for p in passer_U]
    want = stats.spearmanr(means, skill).statistic
    assert rows[SCORE, "good"]["spearman"] == pytest.approx(want, abs=1e-12)
    assert rows[ORACLE, None]["spearman"] == pytest.approx(want, abs=1e-12)
    good = rows[SCORE, "good"]
    assert good["low"] <= good["spearman"] <= good["high"] and "diff" not in good
