"""Kinematics from tracked positions: speed, acceleration, distance and direction at 10 Hz, and
the bearing convention of the tracking files (0 = +y, clockwise)."""

from __future__ import annotations

import numpy as np

from sbp_jax.synth.play import FPS


def bearing(d_Mx2: np.ndarray) -> np.ndarray:
    """Angle in degrees of vectors (dx, dy): 0 = +y, clockwise (90 = +x)."""
    return np.degrees(np.arctan2(d_Mx2[..., 0], d_Mx2[..., 1])) % 360.0


def kinematics(pos_MxPx2: np.ndarray, first_M: np.ndarray) -> tuple[np.ndarray, ...]:
    """(s, a, dis, dir) from consecutive positions; first_M marks each play's first frame, where the
    next frame's values are reused (a play's tracking starts mid-motion)."""
    step = np.diff(pos_MxPx2, axis=0, prepend=pos_MxPx2[:1])
    dis = np.linalg.norm(step, axis=-1)
    vel = step * FPS
    nxt = np.roll(np.arange(first_M.shape[0]), -1)
    vel = np.where(first_M[:, None, None], vel[nxt], vel)
    dis = np.where(first_M[:, None], dis[nxt], dis)
    acc = np.diff(vel, axis=0, prepend=vel[:1]) * FPS
    second = np.roll(first_M, 1)
    acc = np.where(
        (first_M | second)[:, None, None], acc[np.roll(np.arange(first_M.shape[0]), -2)], acc
    )
    s = np.linalg.norm(vel, axis=-1)
    return s, np.linalg.norm(acc, axis=-1), dis, bearing(vel)
