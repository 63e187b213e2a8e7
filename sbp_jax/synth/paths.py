"""Player paths: the waypoint plan of every player of a play, and his smoothed position at any time.

Coordinates here are *normalized*: the offense moves toward +x, the line of scrimmage is at x = los.
Each player follows a piecewise-linear path through a few waypoints (alignment, dropback, route
stem and break, rush lane, ...); man-coverage defenders follow their receiver's path with a time
lag and a drifting offset, zone defenders drop to their shell's landmarks and close on the receiver
matched to them. Raw paths are clipped to the field and smoothed with a causal 0.8 s moving
average, so positions are continuous and speeds/accelerations bounded, and positions before a time
depend only on the plan up to that time (post-release corrections cannot leak into pre-release
frames). frames.py renders them as 10 Hz tracking.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sbp_jax.synth import league as L
from sbp_jax.synth.play import Design
from sbp_jax.synth.playbook import (
    ROUTE_NAMES,
    ALIGN_Fx5x6,
    LANDMARKS_Zx7x2,
    ROUTE_TABLE_Rx6,
    receiver_spots,
)
from sbp_jax.synth.world import World, draw_from_mix

FIELD_X, FIELD_Y = 120.0, 53.3
MARGIN = 0.3
SMOOTH_OFFSETS = np.arange(0.0, -0.75, -0.1)  # causal moving average over 0.8 s
K = 6  # waypoints per player path
FAR = 30.0  # a time after every play's end
COVER_SLOTS = np.arange(15, 22)  # LOLB, MLB, ROLB, LCB, RCB, FS, SS: man or zone coverage
ZONE_DROP_SPEED = 6.5  # yd/s to the landmark
ZONE_CUSHION = 2.0  # yd a zone defender keeps off the receiver he closes on (x cushion_scale)


class Paths(NamedTuple):
    """Per-play path plans for the 22 slots (S = 22, K waypoints)."""

    wt_NxSxK: np.ndarray
    wxy_NxSxKx2: np.ndarray
    lag_NxS: np.ndarray  # man coverage: the defender runs his receiver's path this late
    off0_NxSx2: np.ndarray  # man coverage offset at the snap ...
    off1_NxSx2: np.ndarray  # ... drifting linearly to this one
    tcov_NxS: np.ndarray  # ... over this many seconds
    route_Nx5: np.ndarray  # receivers' routes (RB, TE, WR1..3): indices into playbook.ROUTES


def _stack(times: list, points: list) -> tuple[np.ndarray, np.ndarray]:
    """Waypoint lists -> ([N, K], [N, K, 2]), padded by repeating the last waypoint later on."""
    n = np.broadcast_shapes(*[np.shape(p)[:-1] for p in points])[0]
    times = [np.broadcast_to(np.asarray(t, float), (n,)) for t in times]
    points = [np.broadcast_to(np.asarray(p, float), (n, 2)) for p in points]
    while len(times) < K:
        times.append(times[-1] + FAR)
        points.append(points[-1])
    return np.stack(times, 1), np.stack(points, 1)


def _interp(
    wt: np.ndarray, wxy: np.ndarray, t: np.ndarray, step: np.ndarray | None = None
) -> np.ndarray:
    """Piecewise-linear path position [..., 2] at times t [...] of paths with waypoint times
    wt [..., K] and points wxy [..., K, 2], clamped at both ends: the first waypoint plus each
    segment's displacement (``step`` [..., K - 1, 2], precomputable) times the fraction covered."""
    if step is None:
        step = np.diff(wxy, axis=-2)
    t0, t1 = wt[..., :-1], wt[..., 1:]
    frac = np.clip((t[..., None] - t0) / np.maximum(t1 - t0, 1e-9), 0.0, 1.0)
    return wxy[..., 0, :] + np.einsum("...k,...kd->...d", frac, step)


def positions_at(paths: Paths, idx_M: np.ndarray, t_M: np.ndarray) -> np.ndarray:
    """Smoothed positions [M, 22, 2] of play idx_M[m] at time t_M[m] (s after the snap): the mean
    of the field-clipped raw plan over the causal smoothing window."""
    wt, wxy = paths.wt_NxSxK[idx_M], paths.wxy_NxSxKx2[idx_M]
    lag, tcov = paths.lag_NxS[idx_M], paths.tcov_NxS[idx_M]
    off0 = paths.off0_NxSx2[idx_M]
    drift = paths.off1_NxSx2[idx_M] - off0
    lo, hi = np.array([MARGIN, MARGIN]), np.array([FIELD_X - MARGIN, FIELD_Y - MARGIN])
    step = np.diff(wxy, axis=-2)
    total = np.zeros(wxy.shape[:2] + (2,))
    for d in SMOOTH_OFFSETS:
        t = (t_M + d)[:, None]
        cover = np.clip(t / tcov, 0.0, 1.0)[..., None]
        raw = _interp(wt, wxy, t - lag, step) + off0 + cover * drift
        total += np.clip(raw, lo, hi)
    return total / len(SMOOTH_OFFSETS)


def build_paths(
    rng: np.random.Generator,
    wrng: np.random.Generator,
    world: World,
    design: Design,
    los_N: np.ndarray,
    center_N: np.ndarray,
    blitz_N: np.ndarray,
    play_action_N: np.ndarray,
    t_pressure_N: np.ndarray,
    t_release_N: np.ndarray,
    kind_N: np.ndarray,
    rec_q_Nx5: np.ndarray,
    cov_q_Nx5: np.ndarray,
    primary_N: np.ndarray,
) -> Paths:
    """Plans every player's path for each play (normalized coordinates); primary_N (0..3) is the
    defensive lineman who reaches the passer at t_pressure. ``rng`` is the week's stream, ``wrng``
    the world stream (draws the original generator did not make)."""
    n = los_N.shape[0]
    shotgun_N = design.shotgun
    los, c = los_N.astype(float), center_N
    xy = lambda x, y: np.stack(np.broadcast_arrays(x, y), -1)  # noqa: E731
    wt = np.zeros((n, L.N_SLOTS, K))
    wxy = np.zeros((n, L.N_SLOTS, K, 2))

    # Quarterback: alignment, drop, set/step up, then hold, scramble or go down.
    qb_a = xy(np.where(shotgun_N, los - 5.0, los - 1.2), c)
    t_drop = np.where(shotgun_N, 0.6, 1.1)
    drop = xy(los - 7.0 - rng.uniform(0, 1, n), c + rng.normal(0, 0.5, n))
    t_set = np.maximum(t_drop + 0.3, t_release_N - 0.3)
    setp = drop + xy(0.6, rng.normal(0, 0.4, n))
    side = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    after = np.where(
        (kind_N == 2)[:, None],
        setp + xy(9.0, 5.0 * side),
        np.where((kind_N == 1)[:, None], setp + xy(-0.6, 0.0), setp + xy(0.3, 0.0)),
    )
    t_after = t_release_N + np.where(kind_N == 2, 2.0, 1.0)
    wt[:, L.QB], wxy[:, L.QB] = _stack(
        [-1.0, 0.0, t_drop, t_set, t_after], [qb_a, qb_a, drop, setp, after]
    )

    # Offensive line: set back into pass protection.
    ol_dy = np.array([4.4, 2.2, 0.0, -2.2, -4.4])
    for j, dy in zip(range(1, 6), ol_dy, strict=True):
        a = xy(los - 1.0 - 0.3 * (abs(dy) > 4), c + dy)
        wt[:, j], wxy[:, j] = _stack(
            [-1.0, 0.0, 0.5, 2.0, 5.0],
            [a, a, a + xy(-1.2, 0.0), a + xy(-2.5, -0.15 * dy), a + xy(-3.2, -0.25 * dy)],
        )

    # Receivers (RB, TE, WR1, WR2, WR3) line up in the play's formation and run routes from the
    # world's trees.
    align = ALIGN_Fx5x6[design.formation]
    depth_Nx5, dy_Nx5 = receiver_spots(design.formation, shotgun_N)
    zero = np.zeros(n)
    jitter = np.stack(
        [zero, zero, rng.uniform(-3, 3, n), rng.uniform(-3, 3, n), rng.uniform(-1, 1, n)], 1
    )
    rec_y = c[:, None] + dy_Nx5 + jitter * align[..., 4]
    rec_a = xy(los[:, None] - depth_Nx5, np.clip(rec_y, 3.0, FIELD_Y - 3.0))  # [N, 5, 2]
    route_id = np.concatenate(
        [
            draw_from_mix(wrng, world.rb_routes, ROUTE_NAMES, n)[:, None],
            draw_from_mix(rng, world.te_routes, ROUTE_NAMES, n)[:, None],
            draw_from_mix(rng, world.wr_routes, ROUTE_NAMES, 3 * n).reshape(n, 3),
        ],
        1,
    )
    route = ROUTE_TABLE_Rx6[route_id]  # [N, 5, 6]
    lo, hi = route[..., 0] * world.route_depth_scale, route[..., 1] * world.route_depth_scale
    depth = lo + rng.random((n, 5)) * (hi - lo)
    depth = np.minimum(depth, (FIELD_X - 3.0) - los[:, None])
    speed = np.array([5.6, 6.3, 7.2, 7.2, 7.0]) + 0.35 * rec_q_Nx5 + rng.normal(0, 0.25, (n, 5))
    to_mid = np.where(rec_a[..., 1] < FIELD_Y / 2, 1.0, -1.0)
    stem_y = rec_a[..., 1] + align[..., 5]  # backfield players release to the side
    stem = xy(los[:, None] + depth, stem_y)
    t1 = np.linalg.norm(stem - rec_a, axis=-1) / speed
    ang = np.deg2rad(route[..., 2])
    u = np.stack([np.cos(ang), np.sin(ang) * to_mid], -1)
    v2 = np.where(route[..., 5] > 0, 1.2, speed * route[..., 4])[..., None]
    p1 = stem + u * v2 * route[..., 3:4]
    p2 = p1 + u * v2 * 8.0 * (1.0 - route[..., 5:6])
    for r, j in enumerate(L.RECEIVERS):
        wt[:, j], wxy[:, j] = _stack(
            [-1.0, 0.0, t1[:, r], t1[:, r] + route[:, r, 3], t1[:, r] + route[:, r, 3] + 8.0],
            [rec_a[:, r], rec_a[:, r], stem[:, r], p1[:, r], p2[:, r]],
        )

    # Man coverage: defender runs his receiver's path late, offset drifting from alignment to trail.
    lag = np.zeros((n, L.N_SLOTS))
    off0 = np.zeros((n, L.N_SLOTS, 2))
    off1 = np.zeros((n, L.N_SLOTS, 2))
    tcov = np.ones((n, L.N_SLOTS))
    gap = rec_q_Nx5 - cov_q_Nx5
    cushion = np.stack([xy(9.5, -2.0), xy(5.5, 1.0), xy(6.5, 0.0), xy(6.5, 0.0), xy(5.0, 0.5)])
    def_a = (
        rec_a
        + cushion * world.cushion_scale
        + xy(rng.uniform(-1, 1.5, (n, 5)), rng.normal(0, 0.6, (n, 5)))
    )
    def_a[..., 1] = np.clip(def_a[..., 1], 1.0, FIELD_Y - 1.0)
    def_a[..., 0] = np.maximum(def_a[..., 0], los[:, None] + 1.5)  # onside at the snap
    radius = rng.gamma(2.0, world.man_trail * np.exp(0.25 * gap))
    trail = np.deg2rad(rng.normal(0, 80, (n, 5)))
    wt[:, L.MAN_DEFENDERS] = wt[:, L.MAN_RECEIVERS]
    wxy[:, L.MAN_DEFENDERS] = wxy[:, L.MAN_RECEIVERS]
    lag[:, L.MAN_DEFENDERS] = np.clip(
        world.man_lag + 0.12 * gap + rng.normal(0, 0.08, (n, 5)), 0.02, 0.5
    )
    man_lbs = np.intersect1d(L.MAN_DEFENDERS, L.LINEBACKERS)  # they bite on play action
    lag[:, man_lbs] += world.play_action_bite * play_action_N[:, None]
    off0[:, L.MAN_DEFENDERS] = def_a - rec_a
    off1[:, L.MAN_DEFENDERS] = radius[..., None] * np.stack([np.cos(trail), np.sin(trail)], -1)
    tcov[:, L.MAN_DEFENDERS] = rng.uniform(1.0, 1.6, (n, 5))

    # Pass rush: engage the line, one rusher wins at t_pressure, others later; blitzer if blitzing.
    qb_at = lambda t: _interp(wt[:, None, L.QB], wxy[:, None, L.QB], t[:, None])[:, 0]  # noqa: E731
    rush_dy = np.array([5.0, 1.3, -1.3, -5.0, -5.0])
    rush_slots = np.array([11, 12, 13, 14, L.BLITZER])
    for r, (j, dy) in enumerate(zip(rush_slots, rush_dy, strict=True)):
        a = xy(los + (1.0 if r < 4 else 4.5), c + dy)
        t_arr = np.where(primary_N == r, t_pressure_N, t_pressure_N + rng.uniform(0.5, 3.0, n))
        t_beat = np.maximum(0.7, t_arr - 0.7)
        target = qb_at(t_arr) + xy(0.8, 0.3 * np.sign(dy))
        w_t, w_p = _stack(
            [-1.0, 0.0, 0.6, t_beat, t_arr],
            [a, a, xy(los - 0.8, c + 0.8 * dy), xy(los - 2.0, c + 0.5 * dy), target],
        )
        if j == L.BLITZER:
            zone = xy(los + 6.0, c + rng.normal(0, 2, n))
            z_t, z_p = _stack([-1.0, 0.0, 1.2], [a, a, zone])
            w_t = np.where(blitz_N[:, None], w_t, z_t)
            w_p = np.where(blitz_N[:, None, None], w_p, z_p)
        wt[:, j], wxy[:, j] = w_t, w_p

    # Free safety: deep middle zone.
    fs_a = xy(los + 13.0, c + rng.normal(0, 2, n))
    deep = xy(los + 14.0 + rng.uniform(0, 4, n), c + rng.normal(0, 3, n))
    wt[:, L.FREE_SAFETY], wxy[:, L.FREE_SAFETY] = _stack(
        [-1.0, 0.0, 1.5, 3.5],
        [fs_a, fs_a, deep, deep + xy(rng.normal(0, 1, n), rng.normal(0, 1.5, n))],
    )

    # Zone plays: the coverage defenders (the blitzer excepted) drop to the shell's landmarks.
    zone = ~design.man[:, None] & ~((COVER_SLOTS == L.BLITZER) & blitz_N[:, None])  # [N, 7]
    z_wt, z_wxy = _zone_plans(
        wrng,
        world,
        design.shell,
        play_action_N,
        los,
        c,
        np.stack(
            [def_a[:, 0], def_a[:, 1], xy(los + 4.5, c - 5.0), def_a[:, 2], def_a[:, 3], fs_a]
            + [def_a[:, 4]],
            1,
        ),
        wt[:, L.RECEIVERS],
        wxy[:, L.RECEIVERS],
        zone,
    )
    wt[:, COVER_SLOTS] = np.where(zone[..., None], z_wt, wt[:, COVER_SLOTS])
    wxy[:, COVER_SLOTS] = np.where(zone[..., None, None], z_wxy, wxy[:, COVER_SLOTS])
    lag[:, COVER_SLOTS] = np.where(zone, 0.0, lag[:, COVER_SLOTS])
    off0[:, COVER_SLOTS] = np.where(zone[..., None], 0.0, off0[:, COVER_SLOTS])
    off1[:, COVER_SLOTS] = np.where(zone[..., None], 0.0, off1[:, COVER_SLOTS])

    wxy[..., 0] = np.clip(wxy[..., 0], MARGIN, FIELD_X - MARGIN)
    wxy[..., 1] = np.clip(wxy[..., 1], MARGIN, FIELD_Y - MARGIN)
    return Paths(wt, wxy, lag, off0, off1, tcov, route_id)


def _zone_plans(
    rng: np.random.Generator,
    world: World,
    shell_N: np.ndarray,
    play_action_N: np.ndarray,
    los_N: np.ndarray,
    c_N: np.ndarray,
    align_Nx7x2: np.ndarray,
    rec_wt_Nx5xK: np.ndarray,
    rec_wxy_Nx5xKx2: np.ndarray,
    active_Nx7: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Zone paths of the seven coverage slots: from the alignment (linebackers first step up
    for play_action_bite s on play action) to the shell's landmark, then, 1 and 2.5 s later,
    zone_squeeze * e^{-(d / zone_radius)^2} of the way toward a point a cushion short of the
    receiver matched to his landmark (d his distance from it; see _match; defenders left over
    take the nearest receiver). Receivers far from every landmark run into holes. Only the
    ``active`` slots (in zone coverage) match. Returns ([N, 7, K], [N, 7, K, 2])."""
    n = los_N.shape[0]
    land = LANDMARKS_Zx7x2[shell_N]
    landmark = np.stack(
        [
            np.minimum(los_N[:, None] + land[..., 0], FIELD_X - 1.0),
            np.clip(c_N[:, None] + land[..., 1] + rng.normal(0, 1.0, (n, 7)), 1.0, FIELD_Y - 1.0),
        ],
        -1,
    )
    is_lb = np.isin(COVER_SLOTS, L.LINEBACKERS)
    bite = world.play_action_bite * play_action_N[:, None] * is_lb  # [N, 7]
    t_bite = 0.05 + bite
    stepped = align_Nx7x2 - 0.8 * (bite > 0)[..., None] * np.array([1.0, 0.0])
    t_land = t_bite + np.linalg.norm(landmark - stepped, axis=-1) / ZONE_DROP_SPEED + 0.15
    points = [align_Nx7x2, align_Nx7x2, stepped, landmark]
    times = [np.full((n, 7), -1.0), np.zeros((n, 7)), t_bite, t_land]
    for dt in (1.0, 2.5):
        t = t_land + dt
        rec = _interp(rec_wt_Nx5xK[:, None], rec_wxy_Nx5xKx2[:, None], t[..., None])  # [N,7,5,2]
        dist = np.linalg.norm(rec - landmark[:, :, None], axis=-1)
        near = np.where(active_Nx7, _match(np.where(active_Nx7[..., None], dist, np.inf)), -1)
        near = np.where(near < 0, dist.argmin(-1), near)
        gap = np.take_along_axis(dist, near[..., None], 2)[..., 0]
        pull = world.zone_squeeze * np.exp(-((gap / world.zone_radius) ** 2))
        receiver = np.take_along_axis(rec, near[..., None, None], 2)[:, :, 0]
        short = np.minimum(ZONE_CUSHION * world.cushion_scale, gap) / np.maximum(gap, 1e-6)
        target = receiver + short[..., None] * (landmark - receiver)  # stays a cushion off him
        points.append(landmark + pull[..., None] * (target - landmark))
        times.append(t)
    return np.stack(times, -1), np.stack(points, 2)


def _match(dist_Nx7x5: np.ndarray) -> np.ndarray:
    """Greedy matching of zone landmarks to receivers, nearest pairs first (each receiver to at
    most one defender): the receiver index per defender, -1 if he is left over."""
    n = dist_Nx7x5.shape[0]
    rows = np.arange(n)
    dist = dist_Nx7x5.copy()
    match = np.full((n, 7), -1)
    for _ in range(5):
        flat = dist.reshape(n, -1).argmin(1)
        k, r = np.divmod(flat, 5)
        found = np.isfinite(dist[rows, k, r])
        match[rows[found], k[found]] = r[found]
        dist[rows, k, :] = np.inf
        dist[rows, :, r] = np.inf
    return match
