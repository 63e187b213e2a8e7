"""The BDB 2023 tracking file ``week{N}.csv``: its header, its columns for a rendered chunk (22
players and the ball per frame at 10 Hz, with the events) and the week's writer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sbp_jax.synth.events import EVENTS, frame_events
from sbp_jax.synth.frames import Frames, first_rows
from sbp_jax.synth.lineups import Lineups
from sbp_jax.synth.simulate import Simulated
from sbp_jax.synth.tracking import play_direction, player_rows, stream_week

# fmt: off
TRACKING_HEADER = ("gameId", "playId", "nflId", "frameId", "time", "jerseyNumber", "team",
                   "playDirection", "x", "y", "s", "a", "dis", "o", "dir", "event")
# fmt: on
BALL = 22  # the ball's slot in the rendered frames
_BALL_ID = np.iinfo(np.int64).max  # sorts the ball after the players
_TEAM_NAMES = pa.array(["home", "away", "football"])
_EVENT_NAMES = pa.array(EVENTS)


def write_week(
    rng: np.random.Generator,
    out: Path,
    week: int,
    lu: Lineups,
    sim: Simulated,
    game_ids: np.ndarray,
) -> int:
    """Renders the week's plays and streams them to ``week{week}.csv``; returns its row count."""
    team_Nx22 = np.where(lu.home_off[:, None], np.repeat([0, 1], 11), np.repeat([1, 0], 11))

    def chunk_columns(idx_N: np.ndarray, chunk: Frames) -> tuple[dict, ...]:
        events_M = frame_events(
            chunk,
            sim.events_Nx4[idx_N],
            sim.n_release[idx_N],
            sim.n_flight[idx_N],
            sim.flight.released[idx_N],
        )
        columns = tracking_columns(
            chunk,
            sim.n_frames[idx_N],
            game_ids[lu.game[idx_N]],
            lu.play_id[idx_N],
            lu.ids_Nx22[idx_N],
            lu.jersey_Nx22[idx_N],
            team_Nx22[idx_N],
            sim.flip[idx_N],
            lu.base_ms[idx_N],
            events_M,
        )
        return (columns,)

    return stream_week(rng, sim, [(out / f"week{week}.csv", TRACKING_HEADER)], chunk_columns)


def tracking_columns(
    frames: Frames,
    n_frames_N: np.ndarray,
    game_id_N: np.ndarray,
    play_id_N: np.ndarray,
    ids_Nx22: np.ndarray,
    jersey_Nx22: np.ndarray,
    team_Nx22: np.ndarray,
    flip_N: np.ndarray,
    base_ms_N: np.ndarray,
    events_M: np.ndarray,
) -> dict[str, pa.Array | np.ndarray]:
    """Tracking columns of a rendered chunk in the release's row order: play, player by nflId
    (the ball last), frame. team_Nx22: 0 home, 1 away; events_M: indices into EVENTS."""
    ids_Nx23 = np.concatenate([ids_Nx22, np.full((n_frames_N.shape[0], 1), _BALL_ID)], 1)
    p, slot, m, frame_id = player_rows(
        np.ones(ids_Nx23.shape, bool), ids_Nx23, first_rows(n_frames_N), n_frames_N
    )
    ms_M = base_ms_N[frames.play_M] + 100 * frames.f_M
    time_M = pc.strftime(pa.array(ms_M, pa.timestamp("ms")), format="%Y-%m-%dT%H:%M:%S")
    ball = slot == BALL
    s22 = np.minimum(slot, BALL - 1)
    return {
        "gameId": game_id_N[p],
        "playId": play_id_N[p],
        "nflId": pa.array(ids_Nx22[p, s22], mask=ball),
        "frameId": frame_id,
        "time": time_M.take(pa.array(m)),
        "jerseyNumber": pa.array(jersey_Nx22[p, s22], mask=ball),
        "team": _TEAM_NAMES.take(pa.array(np.where(ball, 2, team_Nx22[p, s22]))),
        "playDirection": play_direction(flip_N[p]),
        "x": frames.xy_Mx23x2[m, slot, 0],
        "y": frames.xy_Mx23x2[m, slot, 1],
        "s": frames.s_Mx23[m, slot],
        "a": frames.a_Mx23[m, slot],
        "dis": frames.dis_Mx23[m, slot],
        "o": pa.array(frames.o_Mx22[m, s22], mask=ball),
        "dir": pa.array(frames.dir_Mx22[m, s22], mask=ball),
        "event": _EVENT_NAMES.take(pa.array(events_M[m])),
    }
