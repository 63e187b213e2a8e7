"""Post-hoc recalibration: a monotone map g of [0, 1] onto [0, 1] fitted on validation plays.

If a model's predictive CDF is F and its PIT values u = F(y) are not uniform (their CDF is c), the
recalibrated CDF G = c∘F is calibrated: P(G(Y) <= t) = t. `fit` estimates c from a model's
validation plays (never its test plays) as the empirical CDF of their randomized PIT values
(uniform between F(y − ½) and F(y + ½)), averaged over the randomization so no random draw is
needed, at fixed knots `KNOTS`, shrunk toward the identity by `PRIOR_PLAYS` pseudo-plays (so g is
strictly increasing even where the knots see no play), and linear between knots.

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

# Fixed knots of g, denser toward the ends where the 1%/99% levels live.
KNOTS = (0.0, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.975, 0.99, 1.0)
PRIOR_PLAYS = 20.0  # weight of the identity in g, in plays
FORMAT = "sbp_jax-calibration-v1"
METHOD = (
    "monotone piecewise-linear map g fitted on each model's validation games: the empirical CDF "
    "of their randomized PIT at fixed knots, shrunk toward the identity; percentile = "
    "(g(F(y-1/2)) + g(F(y+1/2)))/2, quantiles at g^-1(level)"
)


@dataclasses.dataclass(frozen=True)
class Recalibration:
    """g: piecewise linear through (knots[j], values[j]); both strictly increasing from 0 to 1."""

    knots: np.ndarray
    values: np.ndarray
    n_plays: int = 0  # validation plays it was fitted on (0: the identity)

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
        }

    @classmethod
    def from_dict(cls, raw: Mapping) -> Recalibration:
        if raw.get("format") != FORMAT:
            raise ValueError(f"not a recalibration map of format {FORMAT}: {raw.get('format')!r}")
        return cls(np.asarray(raw["knots"]), np.asarray(raw["values"]), int(raw["n_plays"]))


def identity() -> Recalibration:
    return Recalibration(np.asarray([0.0, 1.0]), np.asarray([0.0, 1.0]))


def pit_cdf(pit_low_N: np.ndarray, pit_high_N: np.ndarray, t_J: np.ndarray) -> np.ndarray:
    """Empirical CDF at `t_J` of the randomized PIT values (uniform on [low, high] per play),
    averaged over the randomization: mean over plays of P(U_i <= t)."""
    lo_N1 = np.asarray(pit_low_N, np.float64)[:, None]
    hi_N1 = np.asarray(pit_high_N, np.float64)[:, None]
    width_N1 = hi_N1 - lo_N1
    inside = np.clip((t_J[None] - lo_N1) / np.where(width_N1 > 0, width_N1, 1.0), 0.0, 1.0)
    p_NxJ = np.where(width_N1 > 0, inside, (t_J[None] >= lo_N1).astype(np.float64))
    return p_NxJ.mean(axis=0)


def fit(
    pit_low_N: np.ndarray,
    pit_high_N: np.ndarray,
    *,
    knots: Sequence[float] = KNOTS,
    prior_plays: float = PRIOR_PLAYS,
) -> Recalibration:
    """g fitted to validation plays' PIT bounds F(y ∓ ½) (see the module docstring)."""
    n = int(np.size(pit_low_N))
    if n == 0:
        raise ValueError("recalibration needs at least one validation play")
    t_J = np.asarray(knots, np.float64)
    ecdf_J = pit_cdf(pit_low_N, pit_high_N, t_J)
    values_J = (n * ecdf_J + prior_plays * t_J) / (n + prior_plays)
    values_J[0], values_J[-1] = 0.0, 1.0
    return Recalibration(t_J, values_J, n)


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
