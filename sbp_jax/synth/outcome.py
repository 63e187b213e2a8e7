"""The pass-outcome model: yards gained given the pre-release state and the passer's skill.

For a released pass with target separation ``sep`` (yd to the nearest defender at release), air
yards ``air`` (integer: catch point minus line of scrimmage), ``pressure`` (0/1 at release),
``crowd`` (defenders within 3 yd of the target at release) and passer ``skill``:

* interception with probability p_int, completion with p_comp, else incomplete (0 yards);
* completion: yards = min(air, to_goal) + K with K = min(round(X), to_goal - min(air, to_goal)),
  X the yards after catch: Gamma(2, theta) (the body) or, with probability w_break, a breakaway
  4 + Lomax(alpha=2, sigma=14) (heavy right tail); yards == to_goal is a touchdown;
* interception: yards = -min(round(R), to_own) with R the return: 0 with probability 0.4, else
  Exponential(mean 7) (88 %) or Lomax(alpha=1.6, sigma=15) (12 %, long returns).

Every component has a closed-form CDF, so the mid-distribution percentile P(Y < y) + P(Y = y) / 2
of the realized yards under a league-average passer (skill = 0, same state) is computed exactly.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

BREAK_SHIFT, BREAK_ALPHA, BREAK_SIGMA = 4.0, 2.0, 14.0
RETURN_DOWNED, RETURN_MEAN, RETURN_LONG_P, RETURN_ALPHA, RETURN_SIGMA = 0.4, 7.0, 0.12, 1.6, 15.0


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
        -4.0
        - 0.55 * np.minimum(sep, 5.0)
        + 0.03 * deep
        + 0.5 * pressure
        + 0.25 * crowd
        - 0.3 * skill
    )
    logit_comp = (
        1.7 + 0.55 * (sep_c - 2.0) - 0.05 * deep - 0.6 * pressure - 0.2 * crowd + 0.35 * skill
    )
    p_int = _sigmoid(logit_int)
    p_comp = (1.0 - p_int) * _sigmoid(logit_comp)
    w_break = _sigmoid(-3.0 + 0.35 * sep_c - 0.03 * deep + 0.3 * skill)
    theta = np.maximum(1.0 + 0.35 * sep_c + 0.3 * skill - 0.02 * deep, 0.4)
    air_eff = np.minimum(air, to_goal)
    to_own = np.maximum(100 - to_goal + air, 0)
    return OutcomeParams(p_int, p_comp, w_break, theta, air_eff, to_goal, to_own)


def _lomax_cdf(x: np.ndarray, shift: float, alpha: float, sigma: float) -> np.ndarray:
    z = np.maximum(x - shift, 0.0)
    return 1.0 - (1.0 + z / sigma) ** (-alpha)


def yac_cdf(x: np.ndarray, w_break: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """CDF of the (continuous) yards after catch X."""
    z = np.maximum(x, 0.0) / theta
    body = 1.0 - np.exp(-z) * (1.0 + z)
    return (1.0 - w_break) * body + w_break * _lomax_cdf(x, BREAK_SHIFT, BREAK_ALPHA, BREAK_SIGMA)


def return_cdf(x: np.ndarray) -> np.ndarray:
    """CDF of the (continuous) interception return R (atom at 0)."""
    xp = np.maximum(x, 0.0)
    cont = (1.0 - RETURN_LONG_P) * (1.0 - np.exp(-xp / RETURN_MEAN)) + RETURN_LONG_P * _lomax_cdf(
        xp, 0.0, RETURN_ALPHA, RETURN_SIGMA
    )
    return np.where(x >= 0.0, RETURN_DOWNED + (1.0 - RETURN_DOWNED) * cont, 0.0)


def _rounded_capped_cdfs(cdf, k: np.ndarray, kmax: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P(K < k), P(K <= k) for K = min(floor(X + 1/2), kmax), X >= 0 with CDF ``cdf``."""
    below = np.where(k <= 0, 0.0, np.where(k > kmax, 1.0, cdf(k - 0.5)))
    at_most = np.where(k < 0, 0.0, np.where(k >= kmax, 1.0, cdf(k + 0.5)))
    return below, at_most


def yards_cdf_bounds(params: OutcomeParams, yards: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(P(Y < y), P(Y <= y)) of the whole outcome mixture at integer yards y."""
    y = np.asarray(yards, dtype=float)
    comp_lo, comp_hi = _rounded_capped_cdfs(
        lambda x: yac_cdf(x, params.w_break, params.theta),
        y - params.air_eff,
        params.to_goal - params.air_eff,
    )
    # Y = -K_R:  P(Y < y) = 1 - P(K_R <= -y),  P(Y <= y) = 1 - P(K_R < -y).
    ret_lo, ret_hi = _rounded_capped_cdfs(return_cdf, -y, params.to_own)
    int_lo, int_hi = 1.0 - ret_hi, 1.0 - ret_lo
    inc_lo, inc_hi = (y > 0).astype(float), (y >= 0).astype(float)
    p_inc = 1.0 - params.p_int - params.p_comp
    lower = params.p_comp * comp_lo + params.p_int * int_lo + p_inc * inc_lo
    upper = params.p_comp * comp_hi + params.p_int * int_hi + p_inc * inc_hi
    return lower, upper


def mid_percentile(params: OutcomeParams, yards: np.ndarray) -> np.ndarray:
    """Mid-distribution percentile P(Y < y) + P(Y = y) / 2 of integer yards y."""
    lower, upper = yards_cdf_bounds(params, yards)
    return 0.5 * (lower + upper)


def _lomax_sample(u: np.ndarray, alpha: float, sigma: float) -> np.ndarray:
    return sigma * ((1.0 - u) ** (-1.0 / alpha) - 1.0)


def sample_outcome(
    rng: np.random.Generator, params: OutcomeParams
) -> tuple[np.ndarray, np.ndarray]:
    """Draws (result code 'C'/'I'/'IN', integer yards) for every play."""
    n = params.p_int.shape[0]
    u_result, u_break, u_ret, u_long, u_tail = rng.random((5, n))
    yac = np.where(
        u_break < params.w_break,
        BREAK_SHIFT + _lomax_sample(u_tail, BREAK_ALPHA, BREAK_SIGMA),
        rng.gamma(2.0, params.theta),
    )
    ret = np.where(
        u_ret < RETURN_DOWNED,
        0.0,
        np.where(
            u_long < RETURN_LONG_P,
            _lomax_sample(u_tail, RETURN_ALPHA, RETURN_SIGMA),
            rng.exponential(RETURN_MEAN, n),
        ),
    )
    comp_yards = params.air_eff + np.minimum(np.floor(yac + 0.5), params.to_goal - params.air_eff)
    int_yards = -np.minimum(np.floor(ret + 0.5), params.to_own)
    is_int = u_result < params.p_int
    is_comp = ~is_int & (u_result < params.p_int + params.p_comp)
    result = np.where(is_int, "IN", np.where(is_comp, "C", "I"))
    yards = np.where(is_int, int_yards, np.where(is_comp, comp_yards, 0.0))
    return result, yards.astype(np.int64)
