"""Tracking events: the names of the event column, the four marked moments of each play (snap,
release or sack / run, arrival, outcome) and the event of every rendered frame."""

from __future__ import annotations

import numpy as np

from sbp_jax.synth.frames import Frames
from sbp_jax.synth.play import SNAP_FRAME

# fmt: off
EVENTS = (
    "None", "ball_snap", "autoevent_ballsnap", "pass_forward", "pass_shovel",
    "autoevent_passforward", "pass_arrived", "pass_outcome_caught", "pass_outcome_incomplete",
    "pass_outcome_interception", "qb_sack", "qb_strip_sack", "run")
# fmt: on
EV = {name: i for i, name in enumerate(EVENTS)}
AUTO_EVENT_RATE = 0.03


def play_events(
    rng: np.random.Generator,
    kind_N: np.ndarray,
    strip_sack_N: np.ndarray,
    target_N: np.ndarray,
    rb_depth_N: np.ndarray,
    result_N: np.ndarray,
) -> np.ndarray:
    """(snap, release or sack / run, arrival, outcome) event indices [N, 4]: an auto event now and
    then, a shovel pass now and then when the RB is targeted short; kind_N 0 released, 1 sack,
    2 scramble; result_N 0 caught, 1 incomplete, 2 intercepted."""
    n = kind_N.shape[0]
    released = kind_N == 0
    snap_ev = np.where(rng.random(n) < AUTO_EVENT_RATE, EV["autoevent_ballsnap"], EV["ball_snap"])
    shovel = (target_N == 0) & (rb_depth_N < 2) & (rng.random(n) < 0.1)
    rel_ev = np.select(
        [
            ~released & (kind_N == 2),
            ~released & strip_sack_N,
            ~released,
            rng.random(n) < AUTO_EVENT_RATE,
            shovel,
        ],
        [
            EV["run"],
            EV["qb_strip_sack"],
            EV["qb_sack"],
            EV["autoevent_passforward"],
            EV["pass_shovel"],
        ],
        EV["pass_forward"],
    )
    arrived = np.full(n, EV["pass_arrived"])
    return np.stack([snap_ev, rel_ev, arrived, EV["pass_outcome_caught"] + result_N], 1)


def frame_events(
    frames: Frames,
    events_Nx4: np.ndarray,
    n_release_N: np.ndarray,
    n_flight_N: np.ndarray,
    released_N: np.ndarray,
) -> np.ndarray:
    """Event index of every rendered frame of a chunk ("None" except at the marked frames); the
    arrays describe the chunk's plays (frames.play_M indexes them)."""
    pl = frames.play_M
    frame_id = frames.f_M + 1
    release = SNAP_FRAME + n_release_N[pl]
    arrive = release + n_flight_N[pl]
    released = released_N[pl]
    at = np.stack(
        [
            frame_id == SNAP_FRAME,
            frame_id == release,
            released & (frame_id == arrive),
            released & (frame_id == arrive + 1),
        ],
        1,
    )
    return np.where(at.any(1), events_Nx4[pl, at.argmax(1)], EV["None"])
