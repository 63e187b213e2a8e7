"""The post-hoc recalibration map: its shape, its effect on a known miscalibrated forecast (checked
with scipy), what it does to percentiles, quantiles, NLL and CRPS, and that each model's map is
fitted on its validation games only."""

import numpy as np
import pytest
from normal_forecasts import normal_scores
from scipy import integrate, stats
from store_edits import rewrite_store
from tiny_store import make_tiny_store
from trained_fixtures import untrained

from sbp_jax.data.splits import config_split
from sbp_jax.evaluate import calibration, crossfit, metrics, scoring
from sbp_jax.evaluate.run import EvalOptions

# The model says N(0, 1); the yards come from N(0.6, 1.7): biased and too confident.
MODEL, TRUE = stats.norm(0.0, 1.0), stats.norm(0.6, 1.7)


def _continuous(n: int, seed: int):
    y = TRUE.rvs(size=n, random_state=seed)
    return MODEL.cdf(y), MODEL.cdf(y)


def test_the_map_is_strictly_increasing_from_0_to_1_and_invertible():
    rng = np.random.default_rng(0)
    lo = rng.beta(0.5, 2.0, 300)  # PIT values piled up near 0, with whole-yard widths
    g = calibration.fit(lo, np.minimum(lo + rng.uniform(0, 0.2, 300), 1.0))
    u = np.linspace(0, 1, 2001)
    assert g(0.0) == 0.0 and g(1.0) == 1.0 and np.all(np.diff(g(u)) > 0)
    np.testing.assert_allclose(g.inverse(g(u)), u, atol=1e-12)
    h = 1e-7  # slope against a finite difference, away from the knots
    mid = np.asarray([0.005, 0.07, 0.33, 0.77, 0.995])
    np.testing.assert_allclose(g.slope(mid), (g(mid + h) - g(mid - h)) / (2 * h), rtol=1e-5)
    back = calibration.Recalibration.from_dict(g.to_dict())
    assert np.array_equal(back.knots, g.knots) and np.array_equal(back.values, g.values)
    with pytest.raises(ValueError, match="strictly increasing"):
        calibration.Recalibration(np.asarray([0.0, 0.5, 1.0]), np.asarray([0.0, 0.6, 0.6]))


def _pit_cdf_loop(lo, hi, t):
    """P(U_i <= t) averaged over plays, case by case (U_i uniform on [lo_i, hi_i])."""
    p = []
    for a, b in zip(lo, hi, strict=True):
        if b == a:
            p.append(1.0 if t >= a else 0.0)
        else:
            p.append(min(max((t - a) / (b - a), 0.0), 1.0))
    return np.mean(p)


def test_the_randomized_pit_cdf_and_its_inverse_match_a_loop():
    rng = np.random.default_rng(1)
    lo = rng.uniform(0, 0.9, 50)
    hi = np.where(rng.random(50) < 0.2, lo, lo + rng.uniform(0, 0.1, 50))  # some zero-width
    t_R, h_R = calibration.pit_cdf_points(lo, hi)
    assert np.all(np.diff(t_R) >= 0) and np.all(np.diff(h_R) >= 0)
    t = rng.uniform(0, 1, 40)  # away from the corner points
    want = [_pit_cdf_loop(lo, hi, tj) for tj in t]
    np.testing.assert_allclose(np.interp(t, t_R, h_R), want, atol=1e-12)
    levels = np.asarray(calibration.KNOT_LEVELS)
    g = calibration.fit(lo, hi, shrink=False)
    inside = [p for p in levels if p in g.values[1:-1]]
    assert len(inside) >= len(levels) - 3  # only knots that tie on a step are merged
    for p in inside:  # g(t) = p at each knot t = H^-1(p)
        t_p = g.knots[list(g.values).index(p)]
        assert _pit_cdf_loop(lo, hi, t_p) >= p - 1e-9 and _pit_cdf_loop(lo, hi, t_p - 1e-9) <= p


def test_on_a_known_miscalibrated_forecast_it_recovers_the_true_cdf_and_lowers_the_ks():
    g = calibration.fit(*_continuous(4000, seed=1))  # validation draws
    lo, _ = _continuous(4000, seed=2)  # held-out draws
    before = stats.kstest(lo, "uniform").statistic
    after = stats.kstest(g(lo), "uniform").statistic
    assert before > 0.1 and after < 0.03 and after < before / 4
    x = np.asarray([-2.0, -0.5, 0.0, 0.7, 1.5, 3.0])
    np.testing.assert_allclose(g(MODEL.cdf(x)), TRUE.cdf(x), atol=0.03)


def test_whole_yards_randomized_pit_ks_falls_on_held_out_plays():
    rng = np.random.default_rng(3)

    def plays(n):
        y = np.round(TRUE.rvs(size=n, random_state=rng) * 4.0)  # whole yards
        return MODEL.cdf((y - 0.5) / 4.0), MODEL.cdf((y + 0.5) / 4.0)

    g = calibration.fit(*plays(5000))
    lo, hi = plays(5000)
    v = rng.uniform(size=len(lo))  # one randomization for both, drawn here (not metrics')
    before = stats.kstest(lo + v * (hi - lo), "uniform").statistic
    after = stats.kstest(g(lo) + v * (g(hi) - g(lo)), "uniform").statistic
    assert after < 0.03 < before
    assert metrics.ks_uniform(g(lo) + v * (g(hi) - g(lo))) == pytest.approx(after, abs=1e-12)


def test_shrinkage_keeps_a_calibrated_model_near_the_identity_and_counts_games():
    rng = np.random.default_rng(5)
    u = rng.uniform(size=600)  # a calibrated model's PIT values
    g = calibration.fit(u, u)
    grid = np.linspace(0, 1, 101)
    assert g.shrinkage < 0.5 and np.max(np.abs(g(grid) - grid)) < 0.02
    # 30 games of 20 plays: a mild real miscalibration plus a shared effect per game
    game = np.repeat(np.arange(30), 20)
    z = stats.norm.ppf(rng.uniform(size=600)) * 1.15 + np.repeat(rng.normal(0, 0.4, 30), 20)
    v = stats.norm.cdf(z)
    by_play, by_game = calibration.fit(v, v), calibration.fit(v, v, cluster_N=game)
    assert 0 <= by_game.shrinkage < by_play.shrinkage <= 1
    raw = calibration.fit(v, v, shrink=False)
    t, p = raw.knots[1:-1], raw.values[1:-1]
    noise = 0.0  # the definition, with loops: sum over knots of the game-clustered variance
    for tj in t:
        below = (v <= tj).astype(float)
        noise += sum((below[game == c] - below.mean()).sum() ** 2 for c in range(30)) / 600**2
    want = max(0.0, 1.0 - noise / np.sum((p - t) ** 2))
    assert by_game.shrinkage == pytest.approx(want, abs=1e-9)
    np.testing.assert_allclose(by_game.values[1:-1], t + want * (p - t), atol=1e-9)


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")  # roundoff, not accuracy
def test_recalibrated_quantiles_percentiles_nll_and_crps_are_those_of_g_of_f():
    g = calibration.fit(*_continuous(3000, seed=4))
    mu, sigma = np.asarray([0.0, 2.0, -1.0]), np.asarray([1.0, 3.0, 0.5])
    yards = np.asarray([1.0, -2.0, 0.0])
    levels = calibration.scorer_levels(g, scoring.LEVELS, 256)
    before, after = calibration.recalibrate(
        g, normal_scores(mu, sigma, yards, levels), scoring.LEVELS
    )
    assert before["quantiles"].shape == after["quantiles"].shape == (3, len(scoring.LEVELS))

    def big_g(x, i):  # the recalibrated CDF of play i
        return g(stats.norm.cdf(x, mu[i], sigma[i]))

    for i in range(3):
        np.testing.assert_allclose(big_g(after["quantiles"][i], i), scoring.LEVELS, atol=1e-9)
        assert big_g(after["median"][i], i) == pytest.approx(0.5, abs=1e-9)
        lo, hi = big_g(yards[i] - 0.5, i), big_g(yards[i] + 0.5, i)
        assert after["percentile"][i] == pytest.approx((lo + hi) / 2, abs=1e-12)
        mass_before = np.diff(stats.norm.cdf(yards[i] + np.asarray([-0.5, 0.5]), mu[i], sigma[i]))
        assert after["nll"][i] - before["nll"][i] == pytest.approx(
            -np.log((hi - lo) / mass_before[0]), abs=1e-9
        )
        crps, _ = integrate.quad(
            lambda x, i=i: (big_g(x, i) - (x >= yards[i])) ** 2,
            -40,
            40,
            points=[yards[i]],
            limit=400,
        )
        assert after["crps"][i] == pytest.approx(crps, rel=0.01)


def test_each_models_map_is_fitted_on_its_validation_games_only(tmp_path):
    store = make_tiny_store(tmp_path / "s", n_games=6, plays_per_game=12, max_len=16)
    trained = untrained(store)
    member = crossfit.Member("m", tmp_path, trained, None, config_split(store, trained.config.data))
    options = EvalOptions(progress=False)
    g = crossfit.fit_map(member, store, options)
    assert g.n_plays == len(member.splits["valid"])
    yards = store.yards.copy()
    yards[member.splits["test"]] += 7.0
    yards[member.splits["train"]] -= 3.0
    other_tests = rewrite_store(store, tmp_path / "t", yards_N=yards)
    assert np.array_equal(crossfit.fit_map(member, other_tests, options).values, g.values)
    yards[member.splits["valid"]] += 5.0
    other_valid = rewrite_store(store, tmp_path / "v", yards_N=yards)
    moved = crossfit.fit_map(member, other_valid, options)
    assert not np.array_equal(moved.values, g.values)
