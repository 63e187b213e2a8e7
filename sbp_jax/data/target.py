"""The targeted receiver of each play: the release's own field where it has one, else inferred
from the ball's flight after the release (see docs/data.md, "Targeted receiver").

Inference picks, among the offensive players other than the passer:

- the one closest to the ball at the arrival frame (the first ``pass_arrived`` /
  ``pass_outcome_*`` event after the release);
- without an arrival event, the one closest (at the ball's last tracked frame) to the ball's path
  extrapolated from its last two frames (a ray from its last position, along its last step);
- BDB 2026 (no ball rows): the one whose position at the release, carried on at its speed and
  direction for the flight time (``num_frames_output``), lands closest to ``ball_land_x/y``.

Ties go to the lower nflId, so the result does not depend on row order.
"""

from __future__ import annotations

import numpy as np

from sbp_jax.data import features as F
from sbp_jax.data.tracking_rows import Rows

SOURCES = ("release", "inferred", "none")


def _nearest(r: Rows, rows: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """Per play, the nflId of the row (among ``rows``) with the smallest finite ``dist``."""
    ok = np.isfinite(dist)
    rows, dist = rows[ok], dist[ok]
    best = rows[F.rank_within_groups(r.p[rows], dist, r.nid[rows]) == 0]
    out = np.full(r.n, -1)
    out[r.p[best]] = r.nid[best]
    return out


def distance_to_ray(
    qx: np.ndarray, qy: np.ndarray, px: np.ndarray, py: np.ndarray, vx: np.ndarray, vy: np.ndarray
) -> np.ndarray:
    """Distance from points q to the rays p + t v (t >= 0); a zero v gives the distance to p."""
    wx, wy = qx - px, qy - py
    vv = vx * vx + vy * vy
    t = np.where(vv > 0, np.maximum(wx * vx + wy * vy, 0.0) / np.where(vv > 0, vv, 1.0), 0.0)
    return np.hypot(wx - t * vx, wy - t * vy)


def infer_target(
    r: Rows, release_N: np.ndarray, arrival_N: np.ndarray, passer_R: np.ndarray
) -> np.ndarray:
    """Per play, the inferred target's nflId (-1 where the flight gives no answer)."""
    receiver_R = r.offense & ~passer_R & ~r.ball & (r.nid >= 0)
    if "landX" in r.given:  # BDB 2026: no ball rows; the landing point and the flight time
        rows = np.flatnonzero(receiver_R & (r.frame == release_N[r.p]))
        p = r.p[rows]
        t = r.given["flightFrames"][p] / F.FRAMES_PER_SECOND
        rad = np.deg2rad(r.dir[rows])
        qx = r.x[rows] + r.s[rows] * np.sin(rad) * t
        qy = r.y[rows] + r.s[rows] * np.cos(rad) * t
        return _nearest(r, rows, np.hypot(qx - r.given["landX"][p], qy - r.given["landY"][p]))

    arrival_R = arrival_N[r.p]
    at_R = (r.frame == arrival_R) & (arrival_R >= 0)
    bx, by = r.per_play(r.ball & at_R, r.x), r.per_play(r.ball & at_R, r.y)
    rows = np.flatnonzero(receiver_R & at_R)
    out = _nearest(r, rows, np.hypot(r.x[rows] - bx[r.p[rows]], r.y[rows] - by[r.p[rows]]))
    no_arrival = (arrival_N < 0) & (release_N >= 0)
    if no_arrival.any():
        out = np.where(no_arrival, _along_the_path(r, release_N, no_arrival, receiver_R), out)
    return out


def _along_the_path(
    r: Rows, release_N: np.ndarray, plays_N: np.ndarray, receiver_R: np.ndarray
) -> np.ndarray:
    """Per play of ``plays_N``: the receiver nearest (at the ball's last frame) to the ray from the
    ball's last position along its last step; -1 without a flight of at least one frame."""
    ball = np.flatnonzero(r.ball & plays_N[r.p])
    ball = ball[r.frame[ball] >= release_N[r.p[ball]]]
    last_N = np.full(r.n, -1)  # the ball's last frame after the release
    after = ball[r.frame[ball] > release_N[r.p[ball]]]
    np.maximum.at(last_N, r.p[after], r.frame[after])
    last_B = np.zeros(len(r.p), bool)
    last_B[ball[r.frame[ball] == last_N[r.p[ball]]]] = True
    prev_B = np.zeros(len(r.p), bool)
    prev_B[ball[r.frame[ball] == last_N[r.p[ball]] - 1]] = True
    px, py = r.per_play(last_B, r.x), r.per_play(last_B, r.y)
    vx, vy = px - r.per_play(prev_B, r.x), py - r.per_play(prev_B, r.y)
    rows = np.flatnonzero(receiver_R & plays_N[r.p])
    rows = rows[r.frame[rows] == last_N[r.p[rows]]]
    p = r.p[rows]
    return _nearest(r, rows, distance_to_ray(r.x[rows], r.y[rows], px[p], py[p], vx[p], vy[p]))


def choose_target(charted_N: np.ndarray, inferred_N: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The release's target where charted, else the inferred one; and the source of each."""
    target = np.where(charted_N >= 0, charted_N, inferred_N)
    source = np.where(charted_N >= 0, 0, np.where(inferred_N >= 0, 1, 2))
    return target, np.array(SOURCES)[source]


def slot_of(
    play_R: np.ndarray, nid_R: np.ndarray, slot_R: np.ndarray, target_N: np.ndarray
) -> np.ndarray:
    """Per play, the slot of the target among the play's slotted players at the snap; -1 when
    unknown or not tracked at the snap."""
    out = np.full(len(target_N), -1)
    hit = (nid_R == target_N[play_R]) & (nid_R >= 0)
    out[play_R[hit]] = slot_R[hit]
    return out
