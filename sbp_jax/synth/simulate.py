"""The simulation of a week's dropbacks, everything decided before the frames are rendered: the
dropback clock, every player's path, the passer's read measured on the tracking the model will
see, the ball's flight, the outcome with its exact percentile under a league-average passer, and
the tracking events."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sbp_jax.synth import league as L
from sbp_jax.synth import outcome as O
from sbp_jax.synth import play as P
from sbp_jax.synth.bdb2026 import PREDICT_RADIUS
from sbp_jax.synth.events import play_events
from sbp_jax.synth.frames import Flight
from sbp_jax.synth.kinematics import bearing
from sbp_jax.synth.lineups import Lineups
from sbp_jax.synth.paths import Paths, build_paths, positions_at
from sbp_jax.synth.world import World


class Simulated(NamedTuple):
    """Everything decided about a week's plays before the frames are rendered ([N] arrays)."""

    timing: P.Timing
    n_release: np.ndarray  # frames from the snap to the release (or sack / scramble)
    n_flight: np.ndarray  # frames from the release to the pass's arrival
    los: np.ndarray
    center: np.ndarray
    primary: np.ndarray
    paths: Paths
    flight: Flight
    target: np.ndarray  # receiver 0..4 (RB, TE, WR1..3) thrown to
    qb_release_depth: np.ndarray  # yd behind the line at the release
    qb_release_dy: np.ndarray  # yd left (+) / right of the ball at the release
    near_catch_Nx22: np.ndarray  # bool: within PREDICT_RADIUS of the catch point at arrival
    separation: np.ndarray
    air: np.ndarray
    pressure: np.ndarray
    pass_result: np.ndarray
    yards: np.ndarray
    cdf_below: np.ndarray
    cdf_at_most: np.ndarray
    n_frames: np.ndarray
    events_Nx4: np.ndarray  # (snap, release-or-end, arrival, outcome) event indices
    flip: np.ndarray


def simulate(
    rng: np.random.Generator,
    wrng: np.random.Generator,
    world: World,
    league: L.League,
    lu: Lineups,
    sit: P.Situation,
    design: P.Design,
) -> Simulated:
    """Dropback clock, paths, the read measured on the tracking, outcome, events."""
    n = lu.play_id.shape[0]
    rows = np.arange(n)
    timing = P.sample_timing(
        rng,
        world,
        league.pass_block_T[lu.off] - league.pass_rush_T[lu.dfn],
        sit.play_action,
        sit.blitz,
        lu.skill,
    )
    n_rel = np.round(timing.t_release * P.FPS).astype(int)
    t_rel = n_rel / P.FPS
    released = timing.kind == 0
    los = 10 + sit.own_yardline
    center = rng.uniform(23.58, 29.73, n)  # between the hash marks
    primary = rng.integers(0, 4, n)
    paths = build_paths(
        rng,
        wrng,
        world,
        design,
        los,
        center,
        sit.blitz,
        sit.play_action,
        timing.t_pressure,
        t_rel,
        timing.kind,
        league.quality_Tx23[lu.off][:, L.RECEIVERS],
        league.quality_Tx23[lu.dfn][:, L.MAN_DEFENDERS],
        primary,
    )

    # The pre-release state, measured on the tracking the model will see, and the read.
    at_rel = positions_at(paths, rows, t_rel)
    rec, defn, qb_rel = at_rel[:, L.RECEIVERS], at_rel[:, 11:22], at_rel[:, 0]
    gaps_Nx5x11 = np.linalg.norm(rec[:, :, None] - defn[:, None], axis=-1)
    sep_Nx5 = gaps_Nx5x11.min(-1)
    depth_Nx5 = rec[..., 0] - los[:, None]
    pressure = np.linalg.norm(defn - qb_rel[:, None], axis=-1).min(-1) < P.PRESSURE_RADIUS
    target = P.choose_target(rng, world, sep_Nx5, depth_Nx5, lu.skill, design.first_read)
    sep_t = sep_Nx5[rows, target]
    crowd = (gaps_Nx5x11[rows, target] < P.CROWD_RADIUS).sum(-1)
    target_slot = L.RECEIVERS[target]
    throw = np.linalg.norm(rec[rows, target] - qb_rel, axis=-1)
    flight_s = throw / world.ball_speed + world.flight_overhead
    n_fl = np.clip(np.round(P.FPS * flight_s), 3, 40).astype(int)
    t_arr = t_rel + n_fl / P.FPS
    at_arr = positions_at(paths, rows, t_arr)
    catch = at_arr[rows, target_slot]
    air = np.round(catch[:, 0] - los).astype(np.int64)
    to_catch_Nx22 = np.linalg.norm(at_arr - catch[:, None], axis=-1)
    def_slot = 11 + to_catch_Nx22[:, 11:22].argmin(-1)
    def_pos = at_arr[rows, def_slot]

    # Outcomes, and the percentile of the realized yards under a league-average passer.
    to_goal = 100 - sit.own_yardline
    law = world.outcome
    result, yards = O.sample_outcome(
        rng, law, O.outcome_params(law, sep_t, air, pressure, crowd, lu.skill, to_goal)
    )
    below, at_most = O.yards_cdf_bounds(
        law, O.outcome_params(law, sep_t, air, pressure, crowd, np.zeros(n), to_goal), yards
    )
    other_yards = P.sack_and_scramble_yards(rng, timing.kind, sit.own_yardline)
    code = np.select([result == "C", result == "I"], [0, 1], 2)
    away = def_pos - catch
    away /= np.maximum(np.linalg.norm(away, axis=-1, keepdims=True), 1e-6)
    closing = np.where((code == 2)[:, None], catch, catch + 0.9 * away) - def_pos
    qb_bearing = bearing(rec[rows, target] - qb_rel) + rng.normal(0, 4, n)
    events = play_events(rng, timing.kind, timing.strip_sack, target, depth_Nx5[:, 0], code)
    tail = np.where(released, n_fl + 3, np.where(timing.kind == 1, 3, 15))
    return Simulated(
        timing=timing,
        n_release=n_rel,
        n_flight=n_fl,
        los=los,
        center=center,
        primary=primary,
        paths=paths,
        flight=Flight(
            released,
            timing.kind == 2,
            t_rel,
            t_arr,
            qb_rel,
            catch,
            target_slot,
            def_slot,
            closing,
            code,
            qb_bearing,
        ),
        target=target,
        qb_release_depth=los - qb_rel[:, 0],
        qb_release_dy=qb_rel[:, 1] - center,
        near_catch_Nx22=to_catch_Nx22 <= PREDICT_RADIUS,
        separation=sep_t,
        air=air,
        pressure=pressure,
        pass_result=np.where(released, result, np.where(timing.kind == 1, "S", "R")),
        yards=np.where(released, yards, other_yards),
        cdf_below=below,
        cdf_at_most=at_most,
        n_frames=P.SNAP_FRAME + n_rel + tail,
        events_Nx4=events,
        flip=rng.random(n) < 0.5,
    )
