"""The pass-outcome model: yards gained given the pre-release state and the passer's skill.

For a released pass with target separation ``sep`` (yd to the nearest defender at release), air
yards ``air`` (integer: catch point minus line of scrimmage), ``pressure`` (0/1 at release),
``crowd`` (defenders within 3 yd of the target at release) and passer ``skill``, under an
``OutcomeLaw`` (the coefficients; a world's knob, the default's values below):

* interception with probability p_int, completion with p_comp, else incomplete (0 yards);
* completion: yards = min(air, to_goal) + K with K = min(round(X), to_goal - min(air, to_goal)),
  X the yards after catch: Gamma(2, theta) (the body) or, with probability w_break, a breakaway
  shift + Lomax(alpha, sigma) (heavy right tail); yards == to_goal is a touchdown;
* interception: yards = -min(round(R), to_own) with R the return: 0 with probability
  return_downed, else Exponential(return_mean) or, with probability return_long_p, Lomax (long
  returns).

Every component has a closed-form CDF, so the mid-distribution percentile P(Y < y) + P(Y = y) / 2
of the realized yards under a league-average passer (skill = 0, same state, same law) is computed
exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np


@dataclass(frozen=True)
class OutcomeLaw:
    """Coefficients of the outcome model (logits are linear in the state; see outcome_params)."""

    comp_intercept: float = 1.7  # logit P(complete | not intercepted) ...
    comp_sep: float = 0.55  # ... per yard of min(sep, 6) - 2
    comp_air: float = -0.05  # ... per air yard past the line
    comp_pressure: float = -0.6
    comp_crowd: float = -0.2  # ... per defender within 3 yd of the target
    comp_skill: float = 0.35
    int_intercept: float = -4.0  # logit P(interception) ...
    int_sep: float = -0.55  # ... per yard of min(sep, 5)
    int_air: float = 0.03
    int_pressure: float = 0.5
    int_crowd: float = 0.25
    int_skill: float = -0.3
    yac_base: float = 1.0  # Gamma(2, theta) body of the yards after catch: theta = base ...
    yac_sep: float = 0.35  # ... + sep * min(sep, 6)
    yac_skill: float = 0.3
    yac_air: float = -0.02
    yac_min: float = 0.4  # ... at least this
    break_intercept: float = -3.0  # logit of the breakaway weight w_break ...
    break_sep: float = 0.35
    break_air: float = -0.03
    break_skill: float = 0.3
    break_shift: float = 4.0  # breakaway = shift + Lomax(alpha, sigma): smaller alpha, heavier tail
    break_alpha: float = 2.0
    break_sigma: float = 14.0
    return_downed: float = 0.4  # interception returns: P(downed at the catch) ...
    return_mean: float = 7.0  # ... else Exponential(mean) ...
    return_long_p: float = 0.12  # ... or with this probability Lomax(alpha, sigma)
    return_alpha: float = 1.6
    return_sigma: float = 15.0

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ValueError(f"OutcomeLaw.{f.name} must be a finite number, got {v!r}")
        positive = ("yac_min", "break_alpha", "break_sigma", "return_mean", "return_alpha")
        for name in positive + ("return_sigma",):
            if getattr(self, name) <= 0:
                raise ValueError(f"OutcomeLaw.{name} must be > 0, got {getattr(self, name)!r}")
        if self.break_shift < 0:
            raise ValueError(f"OutcomeLaw.break_shift must be >= 0, got {self.break_shift!r}")
        for name in ("return_downed", "return_long_p"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(
                    f"OutcomeLaw.{name} must be in [0, 1], got {getattr(self, name)!r}"
                )


class OutcomeParams(NamedTuple):
    """Per-play parameters of the yards distribution (all arrays of shape [N])."""

    p_int: np.ndarray
    p_comp: np.ndarray
    w_break: np.ndarray
    theta: np.ndarray
    air_eff: np.ndarray  # air yards capped at the distance to the goal line
    to_goal: np.ndarray  # yards to the opponent's goal line (a completion gains at most this)
    to_own: np.ndarray  # yards from the catch point back to the offense's goal line (max return)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def outcome_params(
    law: OutcomeLaw,
    sep: np.ndarray,
    air: np.ndarray,
    pressure: np.ndarray,
    crowd: np.ndarray,
    skill: np.ndarray,
    to_goal: np.ndarray,
) -> OutcomeParams:
    """Maps the pre-release state and skill to the yards distribution (see module docs)."""
    sep_c = np.minimum(sep, 6.0)
    deep = np.maximum(air, 0.0)
    logit_int = (
        law.int_intercept
        + law.int_sep * np.minimum(sep, 5.0)
        + law.int_air * deep
        + law.int_pressure * pressure
        + law.int_crowd * crowd
        + law.int_skill * skill
    )
    logit_comp = (
        law.comp_intercept
        + law.comp_sep * (sep_c - 2.0)
        + law.comp_air * deep
        + law.comp_pressure * pressure
        + law.comp_crowd * crowd
        + law.comp_skill * skill
    )
    p_int = _sigmoid(logit_int)
    p_comp = (1.0 - p_int) * _sigmoid(logit_comp)
    w_break = _sigmoid(
        law.break_intercept + law.break_sep * sep_c + law.break_air * deep + law.break_skill * skill
    )
    theta = np.maximum(
        law.yac_base + law.yac_sep * sep_c + law.yac_skill * skill + law.yac_air * deep, law.yac_min
    )
    air_eff = np.minimum(air, to_goal)
    to_own = np.maximum(100 - to_goal + air, 0)
    return OutcomeParams(p_int, p_comp, w_break, theta, air_eff, to_goal, to_own)


def _lomax_cdf(x: np.ndarray, shift: float, alpha: float, sigma: float) -> np.ndarray:
    z = np.maximum(x - shift, 0.0)
    return 1.0 - (1.0 + z / sigma) ** (-alpha)


def yac_cdf(law: OutcomeLaw, x: np.ndarray, w_break: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """CDF of the (continuous) yards after catch X."""
    z = np.maximum(x, 0.0) / theta
    body = 1.0 - np.exp(-z) * (1.0 + z)
    tail = _lomax_cdf(x, law.break_shift, law.break_alpha, law.break_sigma)
    return (1.0 - w_break) * body + w_break * tail


def return_cdf(law: OutcomeLaw, x: np.ndarray) -> np.ndarray:
    """CDF of the (continuous) interception return R (atom at 0)."""
    xp = np.maximum(x, 0.0)
    long_p = law.return_long_p
    cont = (1.0 - long_p) * (1.0 - np.exp(-xp / law.return_mean)) + long_p * _lomax_cdf(
        xp, 0.0, law.return_alpha, law.return_sigma
    )
    return np.where(x >= 0.0, law.return_downed + (1.0 - law.return_downed) * cont, 0.0)


def _rounded_capped_cdfs(cdf, k: np.ndarray, kmax: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P(K < k), P(K <= k) for K = min(floor(X + 1/2), kmax), X >= 0 with CDF ``cdf``."""
    below = np.where(k <= 0, 0.0, np.where(k > kmax, 1.0, cdf(k - 0.5)))
    at_most = np.where(k < 0, 0.0, np.where(k >= kmax, 1.0, cdf(k + 0.5)))
    return below, at_most


def yards_cdf_bounds(
    law: OutcomeLaw, params: OutcomeParams, yards: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(P(Y < y), P(Y <= y)) of the whole outcome mixture at integer yards y."""
    y = np.asarray(yards, dtype=float)
    comp_lo, comp_hi = _rounded_capped_cdfs(
        lambda x: yac_cdf(law, x, params.w_break, params.theta),
        y - params.air_eff,
        params.to_goal - params.air_eff,
    )
    # Y = -K_R:  P(Y < y) = 1 - P(K_R <= -y),  P(Y <= y) = 1 - P(K_R < -y).
    ret_lo, ret_hi = _rounded_capped_cdfs(lambda x: return_cdf(law, x), -y, params.to_own)
    int_lo, int_hi = 1.0 - ret_hi, 1.0 - ret_lo
    inc_lo, inc_hi = (y > 0).astype(float), (y >= 0).astype(float)
    p_inc = 1.0 - params.p_int - params.p_comp
    lower = params.p_comp * comp_lo + params.p_int * int_lo + p_inc * inc_lo
    upper = params.p_comp * comp_hi + params.p_int * int_hi + p_inc * inc_hi
    return lower, upper


def _lomax_sample(u: np.ndarray, alpha: float, sigma: float) -> np.ndarray:
    return sigma * ((1.0 - u) ** (-1.0 / alpha) - 1.0)


def sample_outcome(
    rng: np.random.Generator, law: OutcomeLaw, params: OutcomeParams
) -> tuple[np.ndarray, np.ndarray]:
    """Draws (result code 'C'/'I'/'IN', integer yards) for every play."""
    n = params.p_int.shape[0]
    u_result, u_break, u_ret, u_long, u_tail = rng.random((5, n))
    yac = np.where(
        u_break < params.w_break,
        law.break_shift + _lomax_sample(u_tail, law.break_alpha, law.break_sigma),
        rng.gamma(2.0, params.theta),
    )
    ret = np.where(
        u_ret < law.return_downed,
        0.0,
        np.where(
            u_long < law.return_long_p,
            _lomax_sample(u_tail, law.return_alpha, law.return_sigma),
            rng.exponential(law.return_mean, n),
        ),
    )
    comp_yards = params.air_eff + np.minimum(np.floor(yac + 0.5), params.to_goal - params.air_eff)
    int_yards = -np.minimum(np.floor(ret + 0.5), params.to_own)
    is_int = u_result < params.p_int
    is_comp = ~is_int & (u_result < params.p_int + params.p_comp)
    result = np.where(is_int, "IN", np.where(is_comp, "C", "I"))
    yards = np.where(is_int, int_yards, np.where(is_comp, comp_yards, 0.0))
    return result, yards.astype(np.int64)
