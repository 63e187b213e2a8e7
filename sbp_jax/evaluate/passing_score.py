"""QB passing score: play percentiles aggregated by passer and split, mapped to the 50–99 scale.

All aggregation is by group sums (`np.bincount`) over integer group codes; nothing loops over plays.
The mapping (see docs/passing_score.md):

    shrunk = (n·m + k·μ) / (n + k)        m: passer's mean play percentile, n: attempts,
                                          μ: league mean of the split, k: prior strength (attempts)
    score  = 50 + 49 · σ((shrunk − μ) / s)    σ: logistic function, s: spread (mean percentile)

The spread s is, unless fixed in `ScoreScale.spread`, the standard deviation of the shrunk season
mean percentiles of the ranked passers, the same for every split: a passer one spread above the
league scores 85.8, two spreads 93.2.

So the score is strictly increasing in m for a fixed n (the logistic tail keeps it strict in float64
even at m = 0 or 1), lies in (50, 99), and a small sample is pulled toward the league. A bootstrap
over each passer's plays gives an interval; passers with at least the split's minimum attempts are
ranked.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

SCORE_LOW, SCORE_HIGH = 50.0, 99.0
DEEP_AIR_YARDS = 20.0
TTT_EDGES_S = (2.5, 4.0)

# Split families in leaderboard order; each play falls in at most one label of each family.
FAMILIES = ("season", "pressure", "time_to_throw", "depth", "week", "game")


@dataclasses.dataclass(frozen=True)
class ScoreScale:
    """Parameters of the 50–99 mapping, the bootstrap and the ranking rule."""

    prior_attempts: float = 50.0
    spread: float | None = None  # None: from the season's ranked passers (see season_spread)
    fallback_spread: float = 0.04  # when fewer than `min_spread_passers` passers are ranked
    min_spread_passers: int = 5
    min_attempts: Mapping[str, int] = dataclasses.field(
        default_factory=lambda: {
            "season": 100,
            "pressure": 20,
            "time_to_throw": 20,
            "depth": 20,
            "week": 10,
            "game": 10,
        }
    )
    n_bootstrap: int = 500
    interval: float = 0.9
    seed: int = 0

    def __post_init__(self):
        if (
            self.prior_attempts < 0
            or (self.spread is not None and self.spread <= 0)
            or self.fallback_spread <= 0
        ):
            raise ValueError(
                f"ScoreScale: prior_attempts must be >= 0 and spread > 0, got "
                f"{self.prior_attempts}, {self.spread}, {self.fallback_spread}"
            )
        if not 0 < self.interval < 1 or self.n_bootstrap < 1:
            raise ValueError(
                f"ScoreScale: interval must be in (0, 1) and n_bootstrap >= 1, got "
                f"{self.interval}, {self.n_bootstrap}"
            )
        missing = set(FAMILIES) - set(self.min_attempts)
        if missing:
            raise ValueError(f"ScoreScale.min_attempts lacks split families {sorted(missing)}")


def shrink(
    mean_percentile: np.ndarray,
    attempts: np.ndarray,
    league_mean: np.ndarray | float,
    prior_attempts: float,
) -> np.ndarray:
    """Posterior-mean style shrinkage of a passer's mean percentile toward the league mean."""
    n = np.asarray(attempts, np.float64)
    return (n * mean_percentile + prior_attempts * league_mean) / (n + prior_attempts)


def to_score(
    mean_percentile: np.ndarray,
    attempts: np.ndarray,
    league_mean: np.ndarray | float,
    *,
    prior_attempts: float,
    spread: float,
) -> np.ndarray:
    """Map mean play percentiles (with their attempt counts) to the 50–99 passing score."""
    shrunk = shrink(mean_percentile, attempts, league_mean, prior_attempts)
    z = (shrunk - league_mean) / spread
    return SCORE_LOW + (SCORE_HIGH - SCORE_LOW) / (1.0 + np.exp(-z))


def season_spread(passer_N: np.ndarray, percentile_N: np.ndarray, scale: ScoreScale) -> float:
    """The score's spread: `scale.spread` if fixed, else the s.d. of the shrunk season means of
    passers with the season's minimum attempts (`fallback_spread` if too few of them)."""
    if scale.spread is not None:
        return float(scale.spread)
    _, code_N = np.unique(np.asarray(passer_N), return_inverse=True)
    attempts_U = np.bincount(code_N)
    mean_U = np.bincount(code_N, weights=percentile_N) / attempts_U
    shrunk_U = shrink(mean_U, attempts_U, float(np.mean(percentile_N)), scale.prior_attempts)
    ranked_U = attempts_U >= scale.min_attempts["season"]
    if ranked_U.sum() < max(scale.min_spread_passers, 2):
        return float(scale.fallback_spread)
    spread = float(np.std(shrunk_U[ranked_U], ddof=1))
    return spread if spread > 0 else float(scale.fallback_spread)


def split_labels(plays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Label of every play in every split family ('' where the play is in none of its labels).

    Needs `week`, `gameId`, `pressure`, `time_to_throw` and `air_yards`; a missing time to throw or
    air yards (NaN) leaves the play out of that family only.
    """
    n = len(plays["gameId"])
    ttt_N = np.asarray(plays["time_to_throw"], np.float64)
    air_N = np.asarray(plays["air_yards"], np.float64)
    lo, hi = TTT_EDGES_S
    ttt = np.full(n, "", dtype=object)
    ttt[ttt_N < lo] = f"ttt<{lo:g}s"
    ttt[(ttt_N >= lo) & (ttt_N <= hi)] = f"ttt={lo:g}-{hi:g}s"
    ttt[ttt_N > hi] = f"ttt>{hi:g}s"
    depth = np.full(n, "", dtype=object)
    depth[air_N >= DEEP_AIR_YARDS] = "deep"
    depth[air_N < DEEP_AIR_YARDS] = "short"
    pressure_N = np.asarray(plays["pressure"]).astype(bool)
    return {
        "season": np.full(n, "season", dtype=object),
        "pressure": np.where(pressure_N, "pressure", "clean").astype(object),
        "time_to_throw": ttt,
        "depth": depth,
        "week": np.char.add("week=", np.asarray(plays["week"]).astype(np.int64).astype(str)).astype(
            object
        ),
        "game": np.char.add(
            "game=", np.asarray(plays["gameId"]).astype(np.int64).astype(str)
        ).astype(object),
    }


@dataclasses.dataclass(frozen=True)
class Groups:
    """Plays grouped by (label, passer): `group_N` codes into `label_G` / `passer_G`."""

    group_N: np.ndarray  # group code of each kept play
    play_N: np.ndarray  # row of each kept play in the input arrays
    label_G: np.ndarray
    label_code_G: np.ndarray  # code of each group's label in `labels_L`
    labels_L: np.ndarray
    passer_G: np.ndarray
    attempts_G: np.ndarray


def group_plays(labels_N: np.ndarray, passer_N: np.ndarray) -> Groups:
    """Group code per play for the pair (label, passer); plays labelled '' are left out."""
    keep_N = np.flatnonzero(labels_N != "")
    labels_L, label_code_N = np.unique(labels_N[keep_N].astype(str), return_inverse=True)
    passers_U, passer_code_N = np.unique(np.asarray(passer_N)[keep_N], return_inverse=True)
    pair_N = label_code_N.astype(np.int64) * len(passers_U) + passer_code_N
    pairs_G, group_N, attempts_G = np.unique(pair_N, return_inverse=True, return_counts=True)
    return Groups(
        group_N=group_N,
        play_N=keep_N,
        label_G=labels_L[pairs_G // len(passers_U)],
        label_code_G=pairs_G // len(passers_U),
        labels_L=labels_L,
        passer_G=passers_U[pairs_G % len(passers_U)],
        attempts_G=attempts_G,
    )


def group_means(group_N: np.ndarray, values_N: np.ndarray, num_groups: int) -> np.ndarray:
    """Mean of `values_N` within each group code."""
    sums_G = np.bincount(group_N, weights=values_N, minlength=num_groups)
    counts_G = np.bincount(group_N, minlength=num_groups)
    return sums_G / np.maximum(counts_G, 1)


def bootstrap_means(
    group_N: np.ndarray,
    values_N: np.ndarray,
    num_groups: int,
    *,
    n_bootstrap: int,
    seed: int,
    block: int = 64,
) -> np.ndarray:
    """Bootstrap replicates [n_bootstrap, G] of each group's mean, resampling plays within groups.

    Vectorized: plays are sorted by group, and each replicate draws, for every play slot, a uniform
    position inside that slot's group; one `bincount` per block of replicates sums them.
    """
    order_N = np.argsort(group_N, kind="stable")
    sorted_group_N = group_N[order_N]
    sorted_values_N = np.asarray(values_N, np.float64)[order_N]
    counts_G = np.bincount(group_N, minlength=num_groups)
    starts_G = np.concatenate([[0], np.cumsum(counts_G)[:-1]])
    start_N, count_N = starts_G[sorted_group_N], counts_G[sorted_group_N]
    rng = np.random.default_rng(seed)
    n = len(group_N)
    means_BxG = np.empty((n_bootstrap, num_groups))
    for b0 in range(0, n_bootstrap, block):
        nb = min(block, n_bootstrap - b0)
        pick_bxN = start_N + (rng.random((nb, n)) * count_N).astype(np.int64)
        flat_bxN = np.arange(nb)[:, None] * num_groups + sorted_group_N[None, :]
        sums = np.bincount(
            flat_bxN.ravel(), weights=sorted_values_N[pick_bxN].ravel(), minlength=nb * num_groups
        )
        means_BxG[b0 : b0 + nb] = sums.reshape(nb, num_groups) / np.maximum(counts_G, 1)
    return means_BxG


def rank_within(
    label_code_G: np.ndarray, score_G: np.ndarray, eligible_G: np.ndarray
) -> np.ndarray:
    """Rank 1 = best score within each label among eligible groups; 0 for groups not ranked."""
    order = np.lexsort((-score_G, ~eligible_G, label_code_G))
    sorted_label = label_code_G[order]
    first = np.r_[True, sorted_label[1:] != sorted_label[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
    rank_sorted = np.arange(len(order)) - start + 1
    rank_G = np.zeros(len(order), np.int64)
    rank_G[order] = rank_sorted
    return np.where(eligible_G, rank_G, 0)


def _label_sort_key(labels_L: np.ndarray) -> np.ndarray:
    """Order of labels: numeric part for week=/game= labels, else alphabetical."""
    numeric = [int(s.split("=", 1)[1]) if s.startswith(("week=", "game=")) else 0 for s in labels_L]
    return np.lexsort((labels_L, np.asarray(numeric)))


def leaderboard(
    plays: Mapping[str, np.ndarray], percentile_N: np.ndarray, scale: ScoreScale = ScoreScale()
) -> dict[str, np.ndarray]:
    """One row per (split label, passer): attempts, mean percentile, score, interval and rank.

    `plays` is the per-play table (needs passer_id, passer_name, team and the split attributes of
    `split_labels`); `percentile_N` the play percentiles in the same order. Rows are ordered by
    family, label and rank (unranked passers last, by score).
    """
    percentile_N = np.asarray(percentile_N, np.float64)
    if percentile_N.shape != (len(plays["passer_id"]),):
        raise ValueError(
            f"leaderboard: {percentile_N.shape[0]} percentiles for {len(plays['passer_id'])} plays"
        )
    if percentile_N.size == 0:
        raise ValueError("leaderboard: no plays to aggregate")
    labels = split_labels(plays)
    spread = season_spread(plays["passer_id"], percentile_N, scale)
    mapping = {"prior_attempts": scale.prior_attempts, "spread": spread}
    lo_q, hi_q = 50.0 * (1 - scale.interval), 50.0 * (1 + scale.interval)
    parts = []
    for family_index, family in enumerate(FAMILIES):
        g = group_plays(labels[family], plays["passer_id"])
        if len(g.play_N) == 0:
            continue
        values_N = percentile_N[g.play_N]
        num_groups = len(g.attempts_G)
        mean_G = group_means(g.group_N, values_N, num_groups)
        league_L = group_means(g.label_code_G[g.group_N], values_N, len(g.labels_L))
        league_G = league_L[g.label_code_G]
        score_G = to_score(mean_G, g.attempts_G, league_G, **mapping)
        boot_BxG = to_score(
            bootstrap_means(
                g.group_N,
                values_N,
                num_groups,
                n_bootstrap=scale.n_bootstrap,
                seed=scale.seed + family_index,
            ),
            g.attempts_G,
            league_G,
            **mapping,
        )
        eligible_G = g.attempts_G >= scale.min_attempts[family]
        rank_G = rank_within(g.label_code_G, score_G, eligible_G)
        # Most recent play of each group names its team (a traded passer shows his latest team).
        last_G = np.zeros(num_groups, np.int64)
        np.maximum.at(last_G, g.group_N, g.play_N)
        label_rank_L = np.empty(len(g.labels_L), np.int64)
        label_rank_L[_label_sort_key(g.labels_L)] = np.arange(len(g.labels_L))
        order = np.lexsort((-score_G, rank_G, rank_G == 0, label_rank_L[g.label_code_G]))
        parts.append(
            {
                "split": g.label_G[order].astype(object),
                "family": np.full(num_groups, family, dtype=object),
                "passer_id": g.passer_G[order],
                "passer_name": np.asarray(plays["passer_name"], dtype=object)[last_G][order],
                "team": np.asarray(plays["team"], dtype=object)[last_G][order],
                "attempts": g.attempts_G[order],
                "mean_percentile": mean_G[order],
                "league_mean": league_G[order],
                "score": score_G[order],
                "score_low": np.percentile(boot_BxG, lo_q, axis=0)[order],
                "score_high": np.percentile(boot_BxG, hi_q, axis=0)[order],
                "rank": rank_G[order],
            }
        )
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
