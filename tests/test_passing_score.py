"""QB passing score: aggregation vs a plain Python group-by, the 50–99 mapping, bootstrap, ranks."""

import collections

import numpy as np
import pytest
from scipy import stats

from sbp_jax.evaluate import passing_score as ps


def _season(n=3000, n_passers=7, seed=0):
    rng = np.random.default_rng(seed)
    passer = rng.integers(0, n_passers, n)
    ttt = rng.uniform(1.0, 6.0, n)
    ttt[rng.random(n) < 0.05] = np.nan
    air = rng.normal(8.0, 10.0, n)
    air[rng.random(n) < 0.05] = np.nan
    plays = {
        "gameId": 2021091200 + rng.integers(0, 12, n),
        "week": rng.integers(1, 5, n),
        "passer_id": 1000 + passer,
        "passer_name": np.array([f"QB {p}" for p in passer], dtype=object),
        "team": np.array([f"T{p % 4}" for p in passer], dtype=object),
        "pressure": rng.random(n) < 0.3,
        "time_to_throw": ttt,
        "air_yards": air,
    }
    percentile = np.clip(rng.beta(2, 2, n) + 0.02 * passer / n_passers, 0, 1)
    return plays, percentile


def _python_labels(plays, i):
    """Labels of play i, written independently of split_labels."""
    ttt, air = plays["time_to_throw"][i], plays["air_yards"][i]
    out = [
        "season",
        "pressure" if plays["pressure"][i] else "clean",
        f"week={plays['week'][i]}",
        f"game={plays['gameId'][i]}",
    ]
    if not np.isnan(ttt):
        out.append("ttt<2.5s" if ttt < 2.5 else ("ttt>4s" if ttt > 4 else "ttt=2.5-4s"))
    if not np.isnan(air):
        out.append("deep" if air >= 20 else "short")
    return out


def test_aggregation_matches_python_groupby_and_formula():
    plays, pct = _season()
    scale = ps.ScoreScale(n_bootstrap=20, spread=0.03)
    board = ps.leaderboard(plays, pct, scale)
    groups = collections.defaultdict(list)
    for i in range(len(pct)):
        for label in _python_labels(plays, i):
            groups[(label, plays["passer_id"][i])].append(pct[i])
    league = collections.defaultdict(list)
    for (label, _), vals in groups.items():
        league[label].extend(vals)
    assert len(board["split"]) == len(groups)
    k, s = scale.prior_attempts, scale.spread
    for row in range(len(board["split"])):
        vals = groups[(board["split"][row], board["passer_id"][row])]
        mu = np.mean(league[board["split"][row]])
        assert board["attempts"][row] == len(vals)
        np.testing.assert_allclose(board["mean_percentile"][row], np.mean(vals), rtol=1e-12)
        shrunk = (len(vals) * np.mean(vals) + k * mu) / (len(vals) + k)
        expected = 50 + 49 * stats.logistic.cdf((shrunk - mu) / s)
        np.testing.assert_allclose(board["score"][row], expected, rtol=1e-9)
        assert board["passer_name"][row] == f"QB {board['passer_id'][row] - 1000}"


def test_score_is_monotone_and_bounded():
    m = np.linspace(0.0, 1.0, 2001)
    for n in (1, 30, 500, 10**6):
        score = ps.to_score(m, np.full_like(m, n), 0.5, prior_attempts=50, spread=0.025)
        assert np.all(np.diff(score) > 0)
        assert score.min() > 50.0 and score.max() < 99.0
    average = ps.to_score(np.array([0.5]), np.array([100]), 0.5, prior_attempts=50, spread=0.05)[0]
    assert average == pytest.approx(74.5)


def test_shrinkage_pulls_small_samples_toward_league():
    for m in (0.62, 0.40):
        few, many = ps.to_score(
            np.array([m, m]), np.array([20, 2000]), 0.5, prior_attempts=50, spread=0.04
        )
        # Same raw mean: the small sample's score sits closer to the league-average score 74.5.
        assert abs(few - 74.5) < abs(many - 74.5)
        shrunk = ps.shrink(np.array([m]), np.array([20]), 0.5, 50)[0]
        assert min(m, 0.5) < shrunk < max(m, 0.5)


def test_bootstrap_interval_contains_score_and_narrows_with_attempts():
    rng = np.random.default_rng(1)
    n_small, n_large = 40, 1500
    passer = np.r_[np.zeros(n_small, int), np.ones(n_large, int)]
    n = len(passer)
    plays = {
        "gameId": np.full(n, 1),
        "week": np.full(n, 1),
        "passer_id": passer,
        "passer_name": np.array(["a"] * n, object),
        "team": np.array(["t"] * n, object),
        "pressure": np.zeros(n, bool),
        "time_to_throw": np.full(n, 3.0),
        "air_yards": np.full(n, 5.0),
    }
    board = ps.leaderboard(plays, rng.uniform(0.2, 1.0, n), ps.ScoreScale(n_bootstrap=400))
    season = board["split"] == "season"
    lo, hi, score = board["score_low"][season], board["score_high"][season], board["score"][season]
    assert np.all(lo <= score) and np.all(score <= hi)
    width = dict(zip(board["passer_id"][season], hi - lo, strict=True))
    assert width[1] < 0.5 * width[0]


def test_bootstrap_means_match_sampling_theory():
    rng = np.random.default_rng(2)
    group = np.repeat(np.arange(3), [10, 100, 400])
    values = rng.normal(size=group.size)
    boot = ps.bootstrap_means(group, values, 3, n_bootstrap=4000, seed=0)
    for g in range(3):
        v = values[group == g]
        mc_error = v.std() / np.sqrt(v.size * 4000)
        assert boot[:, g].mean() == pytest.approx(v.mean(), abs=4 * mc_error)
        # Bootstrap s.d. of a mean is the plug-in s.d. / sqrt(n), within Monte-Carlo error.
        assert boot[:, g].std() == pytest.approx(v.std() / np.sqrt(v.size), rel=0.06)
        assert boot[:, g].min() >= v.min() and boot[:, g].max() <= v.max()


def test_ranks_follow_scores_among_qualified_passers():
    plays, pct = _season(n=2000, n_passers=9, seed=3)
    scale = ps.ScoreScale(n_bootstrap=10)
    board = ps.leaderboard(plays, pct, scale)
    for label in ("season", "pressure", "week=2", "deep"):
        rows = board["split"] == label
        family = board["family"][rows][0]
        eligible = board["attempts"][rows] >= scale.min_attempts[family]
        assert np.all((board["rank"][rows] == 0) == ~eligible)
        ranked_scores = board["score"][rows][eligible]
        ranks = board["rank"][rows][eligible]
        np.testing.assert_array_equal(np.sort(ranks), np.arange(1, eligible.sum() + 1))
        assert np.all(np.diff(ranked_scores[np.argsort(ranks)]) <= 0)


def test_adaptive_spread_is_sd_of_ranked_shrunk_season_means():
    plays, pct = _season(n=4000, n_passers=12, seed=4)
    extra = np.arange(30)  # a passer with too few attempts to be ranked: not in the spread
    plays = {k: np.r_[v, v[extra]] for k, v in plays.items()}
    plays["passer_id"][-30:] = 9999
    pct = np.r_[pct, np.ones(30)]
    scale = ps.ScoreScale(n_bootstrap=5)
    shrunk = []
    for p in np.unique(plays["passer_id"]):
        v = pct[plays["passer_id"] == p]
        if len(v) >= scale.min_attempts["season"]:
            shrunk.append((len(v) * v.mean() + 50 * pct.mean()) / (len(v) + 50))
    spread = ps.season_spread(plays["passer_id"], pct, scale)
    assert spread == pytest.approx(np.std(shrunk, ddof=1), rel=1e-10)
    board = ps.leaderboard(plays, pct, scale)
    season = board["split"] == "season"
    z = stats.logistic.ppf((board["score"][season] - 50) / 49)
    m, n = board["mean_percentile"][season], board["attempts"][season]
    np.testing.assert_allclose(
        z * spread, (n * m + 50 * pct.mean()) / (n + 50) - pct.mean(), atol=1e-9
    )
    few = ps.season_spread(plays["passer_id"][:300], pct[:300], scale)  # nobody has 100 attempts
    assert few == scale.fallback_spread
    assert ps.season_spread(plays["passer_id"], pct, ps.ScoreScale(spread=0.07)) == 0.07


def test_bad_inputs_are_rejected():
    plays, pct = _season(n=50)
    with pytest.raises(ValueError, match="49 percentiles for 50 plays"):
        ps.leaderboard(plays, pct[:-1])
    with pytest.raises(ValueError, match="spread"):
        ps.ScoreScale(spread=0.0)
    with pytest.raises(ValueError, match="min_attempts lacks"):
        ps.ScoreScale(min_attempts={"season": 10})


def test_tiny_and_empty_seasons():
    plays, pct = _season(n=1)
    board = ps.leaderboard(plays, pct)
    season = board["split"] == "season"
    assert board["attempts"][season].tolist() == [1]
    assert board["score"][season][0] == pytest.approx(74.5)  # the league itself: the middle
    assert board["rank"][season][0] == 0  # 1 attempt: not ranked
    empty = {k: v[:0] for k, v in plays.items()}
    with pytest.raises(ValueError, match="no plays"):
        ps.leaderboard(empty, pct[:0])
