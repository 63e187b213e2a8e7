"""Rendering: the 10 Hz tracking frames of a chunk of plays from their player paths and the ball's
flight, in field coordinates (play direction applied), with speeds, accelerations, distances,
directions (kinematics.py, from the rounded positions) and orientations."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sbp_jax.synth.kinematics import kinematics
from sbp_jax.synth.paths import FIELD_X, FIELD_Y, Paths, positions_at
from sbp_jax.synth.play import FPS


class Frames(NamedTuple):
    """Rendered tracking of a chunk of plays, frame-major: row m is frame f_M[m] of play
    play_M[m]."""

    play_M: np.ndarray
    f_M: np.ndarray  # 0-based frame index (frameId - 1)
    xy_Mx23x2: np.ndarray  # field coordinates, rounded; slot 22 = the ball
    s_Mx23: np.ndarray
    a_Mx23: np.ndarray
    dis_Mx23: np.ndarray
    o_Mx22: np.ndarray
    dir_Mx22: np.ndarray


class Flight(NamedTuple):
    """What happens to the ball, one entry per play (ignored where released is False)."""

    released: np.ndarray
    scramble: np.ndarray
    t_release: np.ndarray
    t_arrive: np.ndarray
    qb_release_Px2: np.ndarray
    catch_Px2: np.ndarray
    target_slot: np.ndarray
    defender_slot: np.ndarray  # the defender who closes on the catch point ...
    defender_delta_Px2: np.ndarray  # ... by this much at arrival (smoothstep ramp from the release)
    result: np.ndarray  # 0 caught, 1 incomplete, 2 intercepted
    qb_bearing: np.ndarray  # passer's orientation at release (normalized coordinates)


def first_rows(counts_N: np.ndarray) -> np.ndarray:
    """Index of each group's first row when groups of counts_N rows are laid end to end."""
    return np.cumsum(counts_N) - counts_N


def smoothstep(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def _wrap(d: np.ndarray) -> np.ndarray:
    return (d + 180.0) % 360.0 - 180.0


def render(
    rng: np.random.Generator,
    paths: Paths,
    idx_N: np.ndarray,
    n_frames_N: np.ndarray,
    los_N: np.ndarray,
    center_N: np.ndarray,
    flip_N: np.ndarray,
    flight: Flight,
    pre_snap_frames: int,
) -> Frames:
    """Tracking frames of plays idx_N (0-based frame f is at t = (f - pre_snap_frames) / FPS)."""
    n_p = idx_N.shape[0]
    play = np.repeat(np.arange(n_p), n_frames_N)
    m = play.shape[0]
    f = np.arange(m) - first_rows(n_frames_N)[play]
    t = (f - pre_snap_frames) / FPS
    rows = np.arange(m)
    pos = positions_at(paths, idx_N[play], t)

    fl = flight._replace(**{k: v[play] for k, v in flight._asdict().items()})
    span = np.maximum(fl.t_arrive - fl.t_release, 1e-6)
    u = (t - fl.t_release) / span
    pos[rows, fl.defender_slot] += (smoothstep(u) * fl.released)[:, None] * fl.defender_delta_Px2

    qb = pos[:, 0]
    center = np.stack([los_N[play], center_N[play]], -1).astype(float)
    hold = center + np.clip(t / 0.3, 0.0, 1.0)[:, None] * (qb - center)
    flying = fl.qb_release_Px2 + np.clip(u, 0, 1)[:, None] * (fl.catch_Px2 - fl.qb_release_Px2)
    after = np.where(
        (fl.result == 0)[:, None],
        pos[rows, fl.target_slot],
        np.where((fl.result == 2)[:, None], pos[rows, fl.defender_slot], fl.catch_Px2),
    )
    ball = np.where(
        (~fl.released | (t <= fl.t_release))[:, None],
        hold,
        np.where((t <= fl.t_arrive)[:, None], flying, after),
    )
    xy = np.concatenate([pos, ball[:, None]], 1)

    flip = flip_N[play]
    xy = np.where(flip[:, None, None], np.array([FIELD_X, FIELD_Y]) - xy, xy).round(2)
    s, a, dis, direction = kinematics(xy, f == 0)
    turn = np.where(flip, 180.0, 0.0)[:, None]
    dir_norm = (direction[:, :22] - turn) % 360.0

    facing = np.where(np.arange(22) < 11, 90.0, 270.0)
    jitter = rng.normal(0, 6, (n_p, 22))[play] + rng.normal(0, 3, (m, 22))
    o = np.where(s[:, :22] > 1.0, dir_norm, facing) + jitter
    scan = 90.0 + 35.0 * np.sin(2 * np.pi * t / 1.8 + rng.uniform(0, 2 * np.pi, n_p)[play]) * (
        t > 0
    )
    w = np.clip((t - (fl.t_release - 0.4)) / 0.4, 0.0, 1.0) * fl.released
    qb_o = scan + (1.0 - w) * jitter[:, 0] + w * _wrap(fl.qb_bearing - scan)
    o[:, 0] = np.where(fl.scramble & (t > fl.t_release) & (s[:, 0] > 1.0), dir_norm[:, 0], qb_o)
    o = (o + turn) % 360.0
    direction = np.where(s[:, :22] < 0.05, o, direction[:, :22])
    return Frames(play, f, xy, s.round(2), a.round(2), dis.round(2), o.round(2), direction.round(2))
