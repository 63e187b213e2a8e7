"""Probabilistic forecast metrics for yards gained: NLL, CRPS, MAE of the median, PIT, coverage.

Two layers: per-play functions on a distribution object (pure JAX, usable under jit/vmap; the
season scorer calls them) and NumPy summaries over the per-play arrays the scorer returns (so
metrics on any subset of plays, e.g. held-out games, need no second pass through the model).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from sbp_jax.data.keys import lookup
from sbp_jax.model.likelihood import nll  # noqa: F401  (re-exported: the metric is the loss)

# Central intervals whose coverage is reported; their end points must be among the scorer's levels.
COVERAGES = (0.5, 0.8, 0.9, 0.98)


def crps(dist, yards_B: jax.Array, *, num_levels: int = 512) -> jax.Array:
    """Continuous ranked probability score per play, by quantile-score integration.

    CRPS(F, y) = 2 ∫_0^1 QS_q(F⁻¹(q), y) dq with the pinball loss
    QS_q(x, y) = (1{y < x} − q)(x − y); the integral is a midpoint rule over `num_levels` levels,
    so the infinite support ends (q = 0, 1) are never evaluated. Works for any distribution with
    `icdf`, including heavy GPD tails (ξ < 1).
    """
    q_M = (jnp.arange(num_levels, dtype=jnp.float32) + 0.5) / num_levels
    yards_B = jnp.asarray(yards_B, jnp.float32)
    q_MxB = q_M.reshape((num_levels,) + (1,) * yards_B.ndim)
    x_MxB = dist.icdf(q_MxB)
    pinball_MxB = ((yards_B < x_MxB).astype(jnp.float32) - q_MxB) * (x_MxB - yards_B)
    return 2.0 * jnp.mean(pinball_MxB, axis=0)


def randomized_pit(pit_low_N: np.ndarray, pit_high_N: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """Uniform draw between the CDF just below and just above each whole-yard outcome,
    F(y − ½) and F(y + ½) (the scorer's `pit_low`, `pit_high`), with a fixed seed.

    Exactly Uniform(0, 1) for a calibrated model of whole yards, whatever the head (SBP with
    1-yard bins, Gaussian or binned), unlike the mid-distribution value used as play percentile.
    """
    v_N = np.random.default_rng(seed).uniform(size=np.shape(pit_low_N))
    return pit_low_N + v_N * (pit_high_N - pit_low_N)


def ks_uniform(u_N: np.ndarray) -> float:
    """Kolmogorov–Smirnov distance between the empirical CDF of `u_N` and Uniform(0, 1)."""
    u_N = np.sort(np.clip(np.asarray(u_N, np.float64), 0.0, 1.0))
    n = u_N.size
    if n == 0:
        raise ValueError("ks_uniform needs at least one value")
    i_N = np.arange(1, n + 1)
    return float(max(np.max(i_N / n - u_N), np.max(u_N - (i_N - 1) / n)))


def interval_levels(coverage: float) -> tuple[float, float]:
    """Quantile levels that bound the central interval of the given coverage."""
    return round((1.0 - coverage) / 2.0, 6), round((1.0 + coverage) / 2.0, 6)


def pit_coverage(pit_N: np.ndarray, coverages: Sequence[float] = COVERAGES) -> dict[str, float]:
    """Share of randomized PIT values inside each central band [(1 − c)/2, (1 + c)/2].

    For a continuous outcome this is exactly the share of outcomes inside the central predictive
    interval; for whole yards it is the randomized version, whose expectation is the nominal `c`
    for a calibrated model (the plain interval cannot be: a 35% mass at 0 yards is either in or
    out as a whole).
    """
    pit_N = np.asarray(pit_N)
    return {
        f"{c:g}": float(np.mean((pit_N >= (1 - c) / 2) & (pit_N <= (1 + c) / 2))) for c in coverages
    }


def coverage_table(
    quantiles_NxQ: np.ndarray,
    levels: Sequence[float],
    yards_N: np.ndarray,
    coverages: Sequence[float] = COVERAGES,
) -> dict[str, float]:
    """Fraction of plays whose yards fall inside each plain central predictive interval
    [q_(1−c)/2, q_(1+c)/2] (closed; the quantiles reported in plays.csv)."""
    level_index = {round(float(q), 6): j for j, q in enumerate(levels)}
    table = {}
    for c in coverages:
        lo, hi = interval_levels(c)
        if lo not in level_index or hi not in level_index:
            raise ValueError(
                f"coverage {c}: levels {lo} and {hi} must be among the quantile "
                f"levels {list(levels)}"
            )
        inside_N = (yards_N >= quantiles_NxQ[:, level_index[lo]]) & (
            yards_N <= quantiles_NxQ[:, level_index[hi]]
        )
        table[f"{c:g}"] = float(np.mean(inside_N))
    return table


def summarize(
    per_play: Mapping[str, np.ndarray],
    levels: Sequence[float],
    *,
    seed: int = 0,
) -> dict[str, object]:
    """Metrics over a set of plays from the scorer's per-play arrays.

    `per_play` needs `yards`, `nll`, `median`, `quantiles` [N, Q], `pit_low`, `pit_high`, and
    optionally `crps`. Returns NLL, CRPS, MAE of the median, KS distance of the randomized PIT from
    uniform, coverage of the central intervals (randomized, `pit_coverage`, and plain quantile
    intervals, `coverage_table`); `n_plays` says how many plays they average.
    """
    yards_N = np.asarray(per_play["yards"], np.float64)
    if yards_N.size == 0:
        raise ValueError("no plays to summarize")
    pit_N = randomized_pit(per_play["pit_low"], per_play["pit_high"], seed=seed)
    out: dict[str, object] = {
        "n_plays": int(yards_N.size),
        "nll": float(np.mean(per_play["nll"])),
        "mae_median": float(np.mean(np.abs(np.asarray(per_play["median"]) - yards_N))),
        "pit_ks": ks_uniform(pit_N),
        "coverage": pit_coverage(pit_N),
        "coverage_quantile_interval": coverage_table(
            np.asarray(per_play["quantiles"]), levels, yards_N
        ),
    }
    if "crps" in per_play:
        out["crps"] = float(np.mean(per_play["crps"]))
    return out


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation; NaN for fewer than 3 pairs or a constant side."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if len(a) < 3 or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 0..n-1 with ties given their average rank."""
    x = np.asarray(x, np.float64)
    r = np.empty(len(x))
    r[np.argsort(x, kind="stable")] = np.arange(len(x))
    _, inv, counts = np.unique(x, return_inverse=True, return_counts=True)
    return (np.bincount(inv, weights=r) / counts)[inv]


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation (average ranks for ties)."""
    return pearson(average_ranks(a), average_ranks(b))


def mean_by(id_N: np.ndarray, value_N: np.ndarray, ids_U: np.ndarray) -> np.ndarray:
    """Mean of `value_N` over the rows of each id in `ids_U` (NaN for an id with no rows)."""
    seen, inv_N = np.unique(np.asarray(id_N, np.int64), return_inverse=True)
    sums = np.bincount(inv_N, weights=np.asarray(value_N, np.float64), minlength=len(seen))
    counts = np.bincount(inv_N, minlength=len(seen))
    at_U, found_U = lookup(seen, np.asarray(ids_U, np.int64))
    mean_U = np.full(len(at_U), np.nan)
    mean_U[found_U] = sums[at_U[found_U]] / counts[at_U[found_U]]
    return mean_U
