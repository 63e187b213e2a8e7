"""Forecast metrics against independent references: closed-form Normal CRPS, numerical integration,
scipy's KS statistic, and calibration checks on outcomes drawn from the predicted distribution."""

import jax
import numpy as np
import pytest
from scipy import stats

from sbp_jax.distributions import Normal, SplicedBinnedPareto
from sbp_jax.evaluate import metrics
from sbp_jax.evaluate.scoring import LEVELS, play_summary


def _sbp(batch=3, seed=0):
    rng = np.random.default_rng(seed)
    return SplicedBinnedPareto(
        rng.normal(size=(batch, 40)).astype(np.float32) + np.linspace(2, -2, 40, dtype=np.float32),
        np.full(batch, 0.2, np.float32),
        np.full(batch, 2.0, np.float32),
        np.full(batch, 0.3, np.float32),
        np.full(batch, 6.0, np.float32),
        low=-10.5,
        high=29.5,
    )


def test_crps_matches_closed_form_normal():
    loc, scale = np.array([0.0, 5.0, -3.0, 12.0]), np.array([1.0, 8.0, 2.5, 15.0])
    y = np.array([0.3, -4.0, 7.0, 12.0])
    got = np.asarray(metrics.crps(Normal(loc, scale), y, num_levels=4096))
    z = (y - loc) / scale
    want = scale * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))
    np.testing.assert_allclose(got, want, rtol=2e-3)


def test_crps_matches_numerical_integration_for_sbp():
    dist = _sbp()
    y = np.array([-14.0, 3.0, 41.0], np.float32)  # lower tail, body, upper tail
    got = np.asarray(metrics.crps(dist, y, num_levels=4096))
    x = np.linspace(-400.0, 1500.0, 200001)
    cdf = np.asarray(dist.cdf(x[:, None].astype(np.float32)))
    step = (x[:, None] >= y[None, :]).astype(np.float64)
    want = np.trapezoid((cdf.astype(np.float64) - step) ** 2, x, axis=0)
    np.testing.assert_allclose(got, want, rtol=5e-3)


def test_nll_is_negative_log_density():
    loc, scale, y = np.array([1.0, -2.0]), np.array([3.0, 0.5]), np.array([2.5, -2.2])
    got = np.asarray(metrics.nll(Normal(loc, scale), y))
    np.testing.assert_allclose(got, -stats.norm.logpdf(y, loc, scale), rtol=1e-5)


def test_ks_uniform_matches_scipy():
    u = np.random.default_rng(0).beta(1.3, 1.0, 500)
    assert metrics.ks_uniform(u) == pytest.approx(stats.kstest(u, "uniform").statistic, abs=1e-12)
    with pytest.raises(ValueError, match="at least one"):
        metrics.ks_uniform(np.array([]))


def _summary_for(dist, yards):
    out = jax.tree.map(np.asarray, play_summary(dist, yards, levels=LEVELS))
    return {**out, "yards": yards}


def test_calibrated_whole_yard_outcomes_give_uniform_pit_and_nominal_coverage():
    n = 6000
    rng = np.random.default_rng(1)
    logits = np.tile(np.linspace(2, -2, 40, dtype=np.float32), (n, 1)) + rng.normal(
        size=(n, 40)
    ).astype(np.float32)
    dist = SplicedBinnedPareto(
        logits,
        np.full(n, 0.2, np.float32),
        np.full(n, 2.0, np.float32),
        np.full(n, 0.3, np.float32),
        np.full(n, 6.0, np.float32),
        low=-10.5,
        high=29.5,
    )
    # Rounding a draw gives exactly the whole-yard outcome the model describes.
    yards = np.round(np.asarray(dist.sample(seed=jax.random.key(0)))).astype(np.float32)
    summary = metrics.summarize(_summary_for(dist, yards), LEVELS)
    assert summary["pit_ks"] < 1.63 / np.sqrt(n)  # 99% KS critical value
    for c, observed in summary["coverage"].items():
        assert observed == pytest.approx(float(c), abs=4 * np.sqrt(float(c) * (1 - float(c)) / n))
    for c, observed in summary["coverage_quantile_interval"].items():
        # Whole yards in a closed interval: at least nominal, and close to it.
        assert float(c) - 3 * np.sqrt(0.25 / n) < observed < float(c) + 0.06
    shifted = metrics.summarize(_summary_for(dist, yards + 4.0), LEVELS)
    assert shifted["pit_ks"] > 5 * summary["pit_ks"]


def test_continuous_coverage_is_nominal_and_median_mae():
    n = 8000
    rng = np.random.default_rng(2)
    loc, scale = rng.normal(5, 3, n).astype(np.float32), rng.uniform(2, 9, n).astype(np.float32)
    y = (loc + scale * rng.standard_normal(n)).astype(np.float32)
    summary = metrics.summarize(_summary_for(Normal(loc, scale), y), LEVELS)
    for key in ("coverage", "coverage_quantile_interval"):
        for c, observed in summary[key].items():
            tol = 4 * np.sqrt(float(c) * (1 - float(c)) / n)
            assert observed == pytest.approx(float(c), abs=tol)
    assert summary["mae_median"] == pytest.approx(np.mean(np.abs(y - loc)), rel=1e-5)


def test_coverage_needs_interval_levels():
    with pytest.raises(ValueError, match="0.01 and 0.99 must be among"):
        metrics.coverage_table(np.zeros((2, 2)), (0.25, 0.75), np.zeros(2), coverages=(0.98,))
