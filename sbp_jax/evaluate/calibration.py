"""Post-hoc recalibration: a monotone map g of [0, 1] onto [0, 1] fitted on validation plays.

If a model's predictive CDF is F and its PIT values u = F(y) are not uniform (their CDF is c), the
recalibrated CDF G = c∘F is calibrated: P(G(Y) <= t) = t. `fit` estimates c from a model's
validation plays (never its test plays) by the empirical CDF H of their randomized PIT values
(uniform between F(y − ½) and F(y + ½)), averaged over the randomization so no random draw is
needed: g passes through (H⁻¹(p), p) at the fixed levels p of `KNOT_LEVELS` (so the knots follow
the data: a tail the model makes too thin gets its own segment), and is linear between knots and
from (0, 0) and to (1, 1). Then it is shrunk toward the identity, g = id + λ (ĝ − id), by the
empirical-Bayes factor λ = max(0, 1 − noise / Σ_j (p_j − t_j)²), where the noise is the sampling
variance of H at the knots summed over them, estimated with the validation plays grouped by game
(`cluster_N`): plays of one game share its passers and conditions, so a validation set of few
games is noisier than its number of plays says. A calibrated model (deviations of the order of
the noise) keeps g near the identity instead of learning the noise of its validation games.

Applied to a play (`recalibrate`):

- percentile (g(F(y − ½)) + g(F(y + ½))) / 2, PIT bounds g(F(y ∓ ½));
- quantile at level q: F⁻¹(g⁻¹(q)) (the scorer is asked for the levels `scorer_levels`);
- CRPS of G by the same quantile-score integration as `metrics.crps`, at F⁻¹(g⁻¹(q_m));
- NLL of G's whole-yard probability: the model's NLL − log[(g(F(y+½)) − g(F(y−½))) /
  (F(y+½) − F(y−½))] (for the SBP body and the binned head, whose density is flat over the yard,
  this is exactly the recalibrated log density; the slope of g where F(y ∓ ½) coincide).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

# Levels of the knots of g (in the calibrated scale), denser toward the ends where the 1%/99%
# levels and the tails live.
KNOT_LEVELS = (
    *(0.002, 0.005, 0.01, 0.025, 0.05),
    *(round(0.1 * k, 1) for k in range(1, 10)),
    *(0.95, 0.975, 0.99, 0.995, 0.998),
)
FORMAT = "sbp_jax-calibration-v1"
METHOD = (
    "monotone piecewise-linear map g fitted on each model's validation games: through the "
    "empirical CDF of their randomized PIT at its quantiles of fixed levels, shrunk toward the "
    "identity by an empirical-Bayes factor (noise estimated by game); percentile = "
    "(g(F(y-1/2)) + g(F(y+1/2)))/2, quantiles at g^-1(level)"
)


@dataclasses.dataclass(frozen=True)
class Recalibration:
    """g: piecewise linear through (knots[j], values[j]); both strictly increasing from 0 to 1."""

    knots: np.ndarray
    values: np.ndarray
    n_plays: int = 0  # validation plays it was fitted on (0: the identity)
    shrinkage: float = 1.0  # λ: the share of the fitted deviation from the identity kept

    def __post_init__(self):
        k, v = np.asarray(self.knots, np.float64), np.asarray(self.values, np.float64)
        if not (
            k.shape == v.shape
            and k.ndim == 1
            and len(k) >= 2
            and k[0] == v[0] == 0.0
            and k[-1] == v[-1] == 1.0
            and np.all(np.diff(k) > 0)
            and np.all(np.diff(v) > 0)
        ):
            raise ValueError(
                "a recalibration map needs knots and values strictly increasing from 0 to 1"
            )
        object.__setattr__(self, "knots", k)
        object.__setattr__(self, "values", v)

    def __call__(self, u: np.ndarray) -> np.ndarray:
        return np.interp(np.asarray(u, np.float64), self.knots, self.values)

    def inverse(self, q: np.ndarray) -> np.ndarray:
        return np.interp(np.asarray(q, np.float64), self.values, self.knots)

    def slope(self, u: np.ndarray) -> np.ndarray:
        """g'(u) (the right-hand slope at a knot; the last segment's at 1)."""
        seg = np.clip(np.searchsorted(self.knots, u, side="right") - 1, 0, len(self.knots) - 2)
        return np.diff(self.values)[seg] / np.diff(self.knots)[seg]

    def to_dict(self) -> dict:
        return {
            "format": FORMAT,
            "knots": self.knots.tolist(),
            "values": self.values.tolist(),
            "n_plays": self.n_plays,
            "shrinkage": self.shrinkage,
        }

    @classmethod
    def from_dict(cls, raw: Mapping) -> Recalibration:
        if raw.get("format") != FORMAT:
            raise ValueError(f"not a recalibration map of format {FORMAT}: {raw.get('format')!r}")
        return cls(
            np.asarray(raw["knots"]),
            np.asarray(raw["values"]),
            int(raw["n_plays"]),
            float(raw["shrinkage"]),
        )


def identity() -> Recalibration:
    return Recalibration(np.asarray([0.0, 1.0]), np.asarray([0.0, 1.0]))


def pit_cdf_points(pit_low_N: np.ndarray, pit_high_N: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The empirical CDF H of the randomized PIT values (uniform on [low, high] per play; a point
    where low = high), averaged over the randomization: H(t) = mean over plays of P(U_i <= t).
    H is piecewise linear with steps; returns its exact corner points (t_R, H_R), each position
    twice (H just below and at it), so `np.interp(p, H_R, t_R)` inverts it."""
    lo, hi = np.asarray(pit_low_N, np.float64), np.asarray(pit_high_N, np.float64)
    n, wide = len(lo), hi > lo
    w = hi[wide] - lo[wide]
    pos = np.r_[lo[wide], hi[wide], lo[~wide]]
    slope_change = np.r_[1.0 / (n * w), -1.0 / (n * w), np.zeros(int((~wide).sum()))]
    jump = np.r_[np.zeros(2 * len(w)), np.full(int((~wide).sum()), 1.0 / n)]
    order = np.argsort(pos, kind="stable")
    pos, slope_change, jump = pos[order], slope_change[order], jump[order]
    slope_before = np.r_[0.0, np.cumsum(slope_change)[:-1]]
    at = np.cumsum(slope_before * np.diff(pos, prepend=pos[0]) + jump)
    t_R = np.repeat(pos, 2)
    h_R = np.minimum(np.maximum.accumulate(np.column_stack([at - jump, at]).ravel()), 1.0)
    return np.r_[0.0, t_R, 1.0], np.r_[0.0, h_R, 1.0]


def pit_below(pit_low_N: np.ndarray, pit_high_N: np.ndarray, t_J: np.ndarray) -> np.ndarray:
    """P(U_i <= t_j) [N, J] for each play's randomized PIT U_i (uniform on [low, high])."""
    lo_N1 = np.asarray(pit_low_N, np.float64)[:, None]
    width_N1 = np.asarray(pit_high_N, np.float64)[:, None] - lo_N1
    inside = np.clip((t_J[None] - lo_N1) / np.where(width_N1 > 0, width_N1, 1.0), 0.0, 1.0)
    return np.where(width_N1 > 0, inside, (t_J[None] >= lo_N1).astype(np.float64))


def shrinkage(
    pit_low_N: np.ndarray,
    pit_high_N: np.ndarray,
    t_J: np.ndarray,
    p_J: np.ndarray,
    cluster_N: np.ndarray,
) -> float:
    """λ = max(0, 1 − noise / Σ_j (p_j − t_j)²): the noise is Σ_j Var(H(t_j)), estimated from the
    plays' P(U_i <= t_j) with a cluster (game) sandwich, Σ_c (Σ_{i in c} (P_ij − H_j))² / N²."""
    below_NxJ = pit_below(pit_low_N, pit_high_N, t_J)
    _, cluster = np.unique(np.asarray(cluster_N), return_inverse=True)
    centered_NxJ = below_NxJ - below_NxJ.mean(axis=0)
    sums_CxJ = np.stack([np.bincount(cluster, weights=c) for c in centered_NxJ.T], axis=1)
    noise = float(np.sum(sums_CxJ**2)) / len(below_NxJ) ** 2
    signal = float(np.sum((p_J - t_J) ** 2))
    return 0.0 if signal <= noise else 1.0 - noise / signal


def fit(
    pit_low_N: np.ndarray,
    pit_high_N: np.ndarray,
    *,
    cluster_N: np.ndarray | None = None,
    levels: Sequence[float] = KNOT_LEVELS,
    shrink: bool = True,
) -> Recalibration:
    """g fitted to validation plays' PIT bounds F(y ∓ ½), each play's game in `cluster_N` (None:
    every play its own), shrunk toward the identity unless `shrink` is off (see the module
    docstring)."""
    n = int(np.size(pit_low_N))
    if n == 0:
        raise ValueError("recalibration needs at least one validation play")
    t_R, h_R = pit_cdf_points(pit_low_N, pit_high_N)
    p_J = np.asarray(levels, np.float64)
    t_J = np.interp(p_J, h_R, t_R)
    keep = np.r_[True, np.diff(t_J) > 0] & (t_J > 0) & (t_J < 1)  # knots strictly inside
    t_J, p_J = t_J[keep], p_J[keep]
    lam = 1.0
    if shrink:
        clusters = np.arange(n) if cluster_N is None else cluster_N
        lam = shrinkage(pit_low_N, pit_high_N, t_J, p_J, clusters)
    knots = np.r_[0.0, t_J, 1.0]
    return Recalibration(knots, np.r_[0.0, t_J + lam * (p_J - t_J), 1.0], n, lam)


def crps_midpoints(num_levels: int) -> np.ndarray:
    """The levels (m + ½)/M of `metrics.crps`'s midpoint rule."""
    return (np.arange(num_levels, dtype=np.float64) + 0.5) / num_levels


def scorer_levels(g: Recalibration, levels: Sequence[float], crps_levels: int) -> tuple:
    """Quantile levels to ask the scorer for, so that `recalibrate` can report G's quantiles and
    CRPS: the reported `levels`, then g⁻¹(levels), then g⁻¹ of the CRPS midpoints."""
    inv = g.inverse(np.r_[np.asarray(levels, np.float64), crps_midpoints(crps_levels)])
    return tuple(float(q) for q in (*levels, *inv))


def pinball_crps(quantiles_NxM: np.ndarray, yards_N: np.ndarray) -> np.ndarray:
    """CRPS per play from quantiles at the midpoint levels (m + ½)/M (as `metrics.crps`)."""
    q_M = crps_midpoints(quantiles_NxM.shape[1])
    x_NxM = np.asarray(quantiles_NxM, np.float64)
    y_N1 = np.asarray(yards_N, np.float64)[:, None]
    return 2.0 * np.mean(((y_N1 < x_NxM) - q_M[None]) * (x_NxM - y_N1), axis=1)


def split_scores(
    scored: Mapping[str, np.ndarray], levels: Sequence[float]
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """(the model's own per-play outputs at `levels`, quantiles at g⁻¹(levels), quantiles at
    g⁻¹(CRPS midpoints)) from a scorer run at `scorer_levels`."""
    q = len(levels)
    quantiles = np.asarray(scored["quantiles"])
    own = {**scored, "quantiles": quantiles[:, :q]}
    return own, quantiles[:, q : 2 * q], quantiles[:, 2 * q :]


def recalibrate(
    g: Recalibration, scored: Mapping[str, np.ndarray], levels: Sequence[float]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(before, after) per-play outputs of a scorer run at `scorer_levels(g, levels, M)`: the
    model's own and those of its recalibrated CDF g∘F (same keys; see the module docstring)."""
    before, quantiles_after, crps_grid = split_scores(scored, levels)
    lo, hi = np.asarray(before["pit_low"], np.float64), np.asarray(before["pit_high"], np.float64)
    g_lo, g_hi = g(lo), g(hi)
    mass_ratio = np.where(hi - lo > 1e-12, (g_hi - g_lo) / np.maximum(hi - lo, 1e-12), g.slope(lo))
    median_at = [round(float(q), 6) for q in levels].index(0.5)
    after = {
        **before,
        "percentile": 0.5 * (g_lo + g_hi),
        "pit_low": g_lo,
        "pit_high": g_hi,
        "nll": np.asarray(before["nll"], np.float64) - np.log(mass_ratio),
        "quantiles": quantiles_after,
        "median": quantiles_after[:, median_at],
    }
    if "crps" in before:
        after["crps"] = pinball_crps(crps_grid, before["yards"])
    return before, after
