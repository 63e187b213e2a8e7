"""Pre-snap situations and play calls, the dropback clock (pass rush vs. protection) and the
passer's read.

All functions are vectorized over the plays of one week and take the world's knobs (world.py).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sbp_jax.synth.playbook import FORMATIONS, SHELL_NAMES
from sbp_jax.synth.world import World, draw_from_mix

FPS = 10
PRE_SNAP_FRAMES = 10  # frames 1..10 precede the snap; the snap is frame 11
SNAP_FRAME = PRE_SNAP_FRAMES + 1
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


class Design(NamedTuple):
    """The play call and the defense's answer, drawn from the world's mixes ([N] arrays)."""

    formation: np.ndarray  # index into playbook.FORMATIONS
    shotgun: np.ndarray  # bool: the drawn shotgun flag unless the formation forces it
    man: np.ndarray  # bool: man coverage (else the zone shell below)
    shell: np.ndarray  # index into playbook.ZONE_SHELLS
    charted: np.ndarray  # bool: the charted labels describe this play
    first_read: np.ndarray  # receiver 0..4 (RB, TE, WR1, WR2, WR3): the pre-snap primary read


FIRST_READ_P = (0.05, 0.2, 0.25, 0.25, 0.25)


class Timing(NamedTuple):
    """The dropback clock per play ([N] arrays, seconds after the snap unless noted)."""

    kind: np.ndarray  # 0 = pass released, 1 = sack, 2 = scramble
    t_pressure: np.ndarray  # when the first rusher reaches the passer
    t_release: np.ndarray  # release (pass plays), sack, or scramble start
    strip_sack: np.ndarray  # bool (sacks only)


def sample_situations(rng: np.random.Generator, world: World, n: int) -> Situation:
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
        shotgun=rng.random(n) < world.shotgun_rate,
        play_action=rng.random(n) < world.play_action_rate,
        blitz=rng.random(n) < world.blitz_rate,
    )


def sample_design(rng: np.random.Generator, world: World, shotgun_N: np.ndarray) -> Design:
    """Formation, coverage and charting per play (from the world stream ``rng``)."""
    n = shotgun_N.shape[0]
    formation = draw_from_mix(rng, world.formations, tuple(FORMATIONS), n)
    forced = np.array([f.gun is not None for f in FORMATIONS.values()])[formation]
    gun = np.array([bool(f.gun) for f in FORMATIONS.values()])[formation]
    return Design(
        formation=formation,
        shotgun=np.where(forced, gun, shotgun_N),
        man=rng.random(n) < world.man_rate,
        shell=draw_from_mix(rng, world.zone_shells, SHELL_NAMES, n),
        charted=rng.random(n) < world.charting_accuracy,
        first_read=rng.choice(5, n, p=FIRST_READ_P),
    )


def sample_timing(
    rng: np.random.Generator,
    world: World,
    edge: np.ndarray,
    play_action: np.ndarray,
    blitz: np.ndarray,
    skill: np.ndarray,
) -> Timing:
    """Rush vs. protection: when pressure arrives and whether the passer throws, is sacked or runs.

    edge = pass-blocking quality minus pass-rush quality. The passer plans to throw at plan_base +
    Gamma(3, plan_scale) (~2.8 s by default; later with play action); pressure arrives at rush_base
    + Gamma(2, rush_scale e^{0.35 edge}) (earlier against blitzes). Pressured before the plan, he is
    sacked (less often when skilled), scrambles, or throws hurried shortly after the pressure.
    """
    n = edge.shape[0]
    t_plan = (
        world.plan_base
        + rng.gamma(3.0, world.plan_scale, n)
        + world.play_action_delay * play_action
    )
    t_pressure = (
        world.rush_base
        + rng.gamma(2.0, world.rush_scale * np.exp(0.35 * edge), n)
        - world.blitz_speedup * blitz
    )
    pressured = t_pressure < t_plan
    u = rng.random(n)
    p_sack = np.clip(world.sack_rate - 0.04 * skill, 0.05, 0.4)
    sack = pressured & (u < p_sack)
    scramble = pressured & ~sack & (u < p_sack + world.scramble_rate)
    hurried = pressured & ~sack & ~scramble
    t_release = np.where(hurried, t_pressure + rng.uniform(0.1, 0.5, n), t_plan)
    t_release = np.where(sack, t_pressure + 0.3, np.where(scramble, t_pressure + 0.2, t_release))
    t_release = np.clip(t_release, 1.2, 6.0)
    kind = np.where(sack, 1, np.where(scramble, 2, 0))
    return Timing(kind, t_pressure, t_release, sack & (rng.random(n) < 0.1))


def choose_target(
    rng: np.random.Generator,
    world: World,
    sep_Nx5: np.ndarray,
    depth_Nx5: np.ndarray,
    skill_N: np.ndarray,
    first_read_N: np.ndarray,
) -> np.ndarray:
    """The passer's read: index of the targeted receiver, by the world's rule.

    "open": utility = (1 + read_skill * skill) * min(sep, 6) + read_depth * depth, choice ~
    softmax(utility / read_temperature): skilled passers weigh separation more.
    "progression" / "primary": the passer sees min(sep, 6) + noise of sd read_noise *
    e^{-read_skill * skill} (skilled passers see better); he throws to the first receiver in his
    progression seen open (>= read_open), or to his pre-snap primary read unless
    he sees him covered; if no one qualifies, to the one who looks most open. The progression
    starts at the pre-snap primary read, then goes deep to short.
    """
    skill_c = np.clip(skill_N, -2, 2)
    sep_c = np.minimum(sep_Nx5, 6.0)
    if world.read == "open":
        util = (1.0 + world.read_skill * skill_c)[:, None] * sep_c + world.read_depth * depth_Nx5
        gumbel = -np.log(-np.log(rng.random(sep_Nx5.shape)))
        return np.argmax(util / world.read_temperature + gumbel, axis=1)
    noise = world.read_noise * np.exp(-world.read_skill * skill_c)
    seen = sep_c + noise[:, None] * rng.normal(size=sep_Nx5.shape)
    best = np.argmax(seen, axis=1)
    rows = np.arange(sep_Nx5.shape[0])
    if world.read == "primary":
        return np.where(seen[rows, first_read_N] >= world.read_open, first_read_N, best)
    rank = np.where(np.arange(sep_Nx5.shape[1]) == first_read_N[:, None], np.inf, depth_Nx5)
    order = np.argsort(-rank, axis=1, kind="stable")  # primary read, then deepest first
    open_in_order = np.take_along_axis(seen, order, 1) >= world.read_open
    first = order[rows, np.argmax(open_in_order, axis=1)]
    return np.where(open_in_order.any(1), first, best)


def sack_and_scramble_yards(
    rng: np.random.Generator, kind: np.ndarray, own: np.ndarray
) -> np.ndarray:
    """Yards of plays without a release: sacks lose 4 + Gamma(2, 1.8) (a safety at most), scrambles
    gain Gamma(1.5, 3.5) - 1 (a touchdown at most)."""
    n = kind.shape[0]
    loss = np.minimum(np.floor(4.0 + rng.gamma(2.0, 1.8, n) + 0.5), own)
    gain = np.minimum(np.floor(rng.gamma(1.5, 3.5, n) - 0.5), 100 - own)
    return np.where(kind == 1, -loss, np.where(kind == 2, gain, 0)).astype(np.int64)
