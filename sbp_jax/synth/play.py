"""Pre-snap situations, the dropback clock (pass rush vs. protection) and the passer's read.

All functions are vectorized over the plays of one week.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

FPS = 10
PRE_SNAP_FRAMES = 10  # frames 1..10 precede the snap; the snap is frame 11
PRESSURE_RADIUS = 2.5  # a defender this close to the passer at release = pressure
CROWD_RADIUS = 3.0


class Situation(NamedTuple):
    """Pre-snap game state per play ([N] arrays)."""

    down: np.ndarray
    yards_to_go: np.ndarray
    own_yardline: np.ndarray  # yards from the offense's own goal line to the line of scrimmage
    quarter: np.ndarray
    clock_s: np.ndarray  # seconds left in the quarter
    shotgun: np.ndarray  # bool
    play_action: np.ndarray  # bool
    blitz: np.ndarray  # bool: the ROLB rushes


class Timing(NamedTuple):
    """The dropback clock per play ([N] arrays, seconds after the snap unless noted)."""

    kind: np.ndarray  # 0 = pass released, 1 = sack, 2 = scramble
    t_pressure: np.ndarray  # when the first rusher reaches the passer
    t_release: np.ndarray  # release (pass plays), sack, or scramble start
    strip_sack: np.ndarray  # bool (sacks only)


def sample_situations(rng: np.random.Generator, n: int) -> Situation:
    """Draws down, distance, field position, clock and play design."""
    down = rng.choice(np.arange(1, 5), size=n, p=[0.40, 0.33, 0.24, 0.03])
    own = np.clip(np.round(rng.normal(50, 20, n)), 8, 97).astype(np.int64)
    to_go = np.where(down == 1, 10, np.clip(np.round(rng.gamma(2.0, 3.5, n)), 1, 20)).astype(
        np.int64
    )
    to_go = np.minimum(to_go, 100 - own)
    return Situation(
        down=down,
        yards_to_go=to_go,
        own_yardline=own,
        quarter=np.zeros(n, dtype=np.int64),
        clock_s=np.zeros(n, dtype=np.int64),
        shotgun=rng.random(n) < 0.7,
        play_action=rng.random(n) < 0.2,
        blitz=rng.random(n) < 0.3,
    )


def sample_timing(
    rng: np.random.Generator,
    edge: np.ndarray,
    play_action: np.ndarray,
    blitz: np.ndarray,
    skill: np.ndarray,
) -> Timing:
    """Rush vs. protection: when pressure arrives and whether the passer throws, is sacked or runs.

    edge = pass-blocking quality minus pass-rush quality. The passer plans to throw at ~2.8 s;
    pressure arrives at 1.6 s + Gamma(2, e^{0.35 edge}) (0.25 s earlier against blitzes). Pressured
    before the plan, he is sacked (less often when skilled), scrambles, or throws hurried shortly
    after the pressure.
    """
    n = edge.shape[0]
    t_plan = 1.7 + rng.gamma(3.0, 0.36, n) + 0.4 * play_action
    t_pressure = 1.6 + rng.gamma(2.0, 1.0 * np.exp(0.35 * edge), n) - 0.25 * blitz
    pressured = t_pressure < t_plan
    u = rng.random(n)
    p_sack = np.clip(0.2 - 0.04 * skill, 0.05, 0.4)
    sack = pressured & (u < p_sack)
    scramble = pressured & ~sack & (u < p_sack + 0.12)
    hurried = pressured & ~sack & ~scramble
    t_release = np.where(hurried, t_pressure + rng.uniform(0.1, 0.5, n), t_plan)
    t_release = np.where(sack, t_pressure + 0.3, np.where(scramble, t_pressure + 0.2, t_release))
    t_release = np.clip(t_release, 1.2, 6.0)
    kind = np.where(sack, 1, np.where(scramble, 2, 0))
    return Timing(kind, t_pressure, t_release, sack & (rng.random(n) < 0.1))


def choose_target(
    rng: np.random.Generator, sep_NxR: np.ndarray, depth_NxR: np.ndarray, skill_N: np.ndarray
) -> np.ndarray:
    """The passer's read: index of the targeted receiver.

    Utility = (1 + 0.4 skill) * min(sep, 6) + 0.02 * depth; choice ~ softmax(utility / 0.7). Skilled
    passers weigh separation more, so they find the open man more often.
    """
    util = (1.0 + 0.4 * np.clip(skill_N, -2, 2))[:, None] * np.minimum(
        sep_NxR, 6.0
    ) + 0.02 * depth_NxR
    gumbel = -np.log(-np.log(rng.random(sep_NxR.shape)))
    return np.argmax(util / 0.7 + gumbel, axis=1)


def sack_and_scramble_yards(
    rng: np.random.Generator, kind: np.ndarray, own: np.ndarray
) -> np.ndarray:
    """Yards of plays without a release: sacks lose 4 + Gamma(2, 1.8) (a safety at most), scrambles
    gain Gamma(1.5, 3.5) - 1 (a touchdown at most)."""
    n = kind.shape[0]
    loss = np.minimum(np.floor(4.0 + rng.gamma(2.0, 1.8, n) + 0.5), own)
    gain = np.minimum(np.floor(rng.gamma(1.5, 3.5, n) - 0.5), 100 - own)
    return np.where(kind == 1, -loss, np.where(kind == 2, gain, 0)).astype(np.int64)
