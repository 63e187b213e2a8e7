"""The BDB 2026 tracking files: ``train/input_{season}_w{NN}.csv`` (snap to release of the players
the pass involves: passer, targeted receiver, other route runners, coverage defenders; never
linemen, never the ball, no events) and ``train/output_...`` (the positions of the players to
predict during the ball's flight, frames 1..num_frames_output, the last one the arrival); their
columns for a rendered chunk, and the week's writer."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa

from sbp_jax.synth.bdb2026 import COVERAGE, ROLES, TARGET
from sbp_jax.synth.frames import Frames, first_rows
from sbp_jax.synth.lineups import Lineups
from sbp_jax.synth.play import PRE_SNAP_FRAMES
from sbp_jax.synth.simulate import Simulated
from sbp_jax.synth.tracking import play_direction, player_rows, stream_week

# fmt: off
INPUT_HEADER = (
    "game_id", "play_id", "player_to_predict", "nfl_id", "frame_id", "play_direction",
    "absolute_yardline_number", "player_name", "player_height", "player_weight",
    "player_birth_date", "player_position", "player_side", "player_role", "x", "y", "s", "a",
    "dir", "o", "num_frames_output", "ball_land_x", "ball_land_y")
OUTPUT_HEADER = ("game_id", "play_id", "nfl_id", "frame_id", "x", "y")
# fmt: on
_BOOL = pa.array(["False", "True"])
_SIDES = pa.array(["Offense", "Defense"])
_ROLE_NAMES = pa.array(ROLES)


def file_names(season: int, week: int) -> tuple[str, str]:
    """(input, output) tracking file names of a week, under train/."""
    return f"input_{season}_w{week:02d}.csv", f"output_{season}_w{week:02d}.csv"


class ChunkPlays(NamedTuple):
    """Per-play facts of a rendered chunk (one entry per play of the chunk)."""

    game_id: np.ndarray
    play_id: np.ndarray
    ids_Px22: np.ndarray
    role_Px22: np.ndarray
    predict_Px22: np.ndarray  # bool: player_to_predict
    flip: np.ndarray
    los_x: np.ndarray  # absolute_yardline_number
    n_frames: np.ndarray  # rendered frames (from 10 frames before the snap)
    n_release: np.ndarray  # frames from the snap to the release
    n_flight: np.ndarray  # frames from the release to the arrival


def write_week(
    rng: np.random.Generator,
    out: Path,
    season: int,
    week: int,
    players: dict[str, np.ndarray],
    lu: Lineups,
    sim: Simulated,
    game_ids: np.ndarray,
    role_Nx22: np.ndarray,
) -> int:
    """Renders the week's plays and streams the passes in the files (role_Nx22 >= 0) to
    ``train/input_*`` and ``train/output_*``; returns their row count."""
    predict_Nx22 = (role_Nx22 == TARGET) | ((role_Nx22 == COVERAGE) & sim.near_catch_Nx22)

    def chunk_columns(idx_N: np.ndarray, chunk: Frames) -> tuple[dict, ...]:
        cp = ChunkPlays(
            game_id=game_ids[lu.game[idx_N]],
            play_id=lu.play_id[idx_N],
            ids_Px22=lu.ids_Nx22[idx_N],
            role_Px22=role_Nx22[idx_N],
            predict_Px22=predict_Nx22[idx_N],
            flip=sim.flip[idx_N],
            los_x=np.where(sim.flip[idx_N], 120 - sim.los[idx_N], sim.los[idx_N]),
            n_frames=sim.n_frames[idx_N],
            n_release=sim.n_release[idx_N],
            n_flight=sim.n_flight[idx_N],
        )
        return (
            input_columns(chunk, cp, players, PRE_SNAP_FRAMES),
            output_columns(chunk, cp, PRE_SNAP_FRAMES),
        )

    names = file_names(season, week)
    headers = (INPUT_HEADER, OUTPUT_HEADER)
    files = [(out / "train" / f, h) for f, h in zip(names, headers, strict=True)]
    return stream_week(rng, sim, files, chunk_columns)


def _snap_rows(cp: ChunkPlays, pre_snap_frames: int) -> np.ndarray:
    """Rendered frame row of each play's snap."""
    return first_rows(cp.n_frames) + pre_snap_frames


def input_columns(
    frames: Frames, cp: ChunkPlays, players: dict[str, np.ndarray], pre_snap_frames: int
) -> dict[str, pa.Array | np.ndarray]:
    """train/input rows of a chunk: snap to release of the passer, route runners and coverage."""
    snap_N = _snap_rows(cp, pre_snap_frames)
    p, slot, m, frame_id = player_rows(cp.role_Px22 >= 0, cp.ids_Px22, snap_N, cp.n_release + 1)
    in_files_N = (cp.role_Px22 >= 0).any(1)  # plays left out may end before n_flight frames
    land_Nx2 = frames.xy_Mx23x2[np.where(in_files_N, snap_N + cp.n_release + cp.n_flight, 0), 22]
    nfl = cp.ids_Px22[p, slot]
    who = pa.array(nfl - players["nflId"][0])
    info = {k: pa.array(players[k]).take(who) for k in ("displayName", "height", "birthDate")}
    return {
        "game_id": cp.game_id[p],
        "play_id": cp.play_id[p],
        "player_to_predict": _BOOL.take(pa.array(cp.predict_Px22[p, slot].astype(np.int64))),
        "nfl_id": nfl,
        "frame_id": frame_id,
        "play_direction": play_direction(cp.flip[p]),
        "absolute_yardline_number": cp.los_x[p],
        "player_name": info["displayName"],
        "player_height": info["height"],
        "player_weight": pa.array(players["weight"]).take(who),
        "player_birth_date": info["birthDate"],
        "player_position": pa.array(players["officialPosition"]).take(who),
        "player_side": _SIDES.take(pa.array((slot >= 11).astype(np.int64))),
        "player_role": _ROLE_NAMES.take(pa.array(cp.role_Px22[p, slot])),
        "x": frames.xy_Mx23x2[m, slot, 0],
        "y": frames.xy_Mx23x2[m, slot, 1],
        "s": frames.s_Mx23[m, slot],
        "a": frames.a_Mx23[m, slot],
        "dir": frames.dir_Mx22[m, slot],
        "o": frames.o_Mx22[m, slot],
        "num_frames_output": cp.n_flight[p],
        "ball_land_x": land_Nx2[p, 0],
        "ball_land_y": land_Nx2[p, 1],
    }


def output_columns(frames: Frames, cp: ChunkPlays, pre_snap_frames: int) -> dict[str, np.ndarray]:
    """train/output rows of a chunk: the players to predict during the flight (frame 1 = the
    first frame after the release, the last = the arrival)."""
    first_N = _snap_rows(cp, pre_snap_frames) + cp.n_release + 1
    p, slot, m, frame_id = player_rows(cp.predict_Px22, cp.ids_Px22, first_N, cp.n_flight)
    return {
        "game_id": cp.game_id[p],
        "play_id": cp.play_id[p],
        "nfl_id": cp.ids_Px22[p, slot],
        "frame_id": frame_id,
        "x": frames.xy_Mx23x2[m, slot, 0],
        "y": frames.xy_Mx23x2[m, slot, 1],
    }
