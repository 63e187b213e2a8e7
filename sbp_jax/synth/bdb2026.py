"""The Big Data Bowl 2026 layout: file schemas and the builders of their columns.

``train/input_{season}_w{NN}.csv`` holds tracking from the snap (frame 1) to the release (the last
input frame) of the players relevant to the pass (passer, targeted receiver, other route runners,
coverage defenders; never linemen, never the ball, no events); ``train/output_...`` the positions
of the players to predict during the ball's flight (frames 1..num_frames_output, the last one the
arrival); ``supplementary_data.csv`` one row per play. Only targeted passes with at least 0.5 s
of flight are in the files (the release also leaves out quick passes and throwaways; sacks and
scrambles have no pass).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pyarrow as pa

from sbp_jax.synth import expected_points as EP
from sbp_jax.synth import league as L
from sbp_jax.synth.tables import PlayFacts
from sbp_jax.synth.tracking import Frames

# fmt: off
INPUT_HEADER = (
    "game_id", "play_id", "player_to_predict", "nfl_id", "frame_id", "play_direction",
    "absolute_yardline_number", "player_name", "player_height", "player_weight",
    "player_birth_date", "player_position", "player_side", "player_role", "x", "y", "s", "a",
    "dir", "o", "num_frames_output", "ball_land_x", "ball_land_y")
OUTPUT_HEADER = ("game_id", "play_id", "nfl_id", "frame_id", "x", "y")
SUPPLEMENTARY_HEADER = (
    "game_id", "season", "week", "game_date", "game_time_eastern", "home_team_abbr",
    "visitor_team_abbr", "play_id", "play_description", "quarter", "game_clock", "down",
    "yards_to_go", "possession_team", "defensive_team", "yardline_side", "yardline_number",
    "pre_snap_home_score", "pre_snap_visitor_score", "play_nullified_by_penalty", "pass_result",
    "pass_length", "offense_formation", "receiver_alignment", "route_of_targeted_receiver",
    "play_action", "dropback_type", "dropback_distance", "pass_location_type",
    "defenders_in_the_box", "team_coverage_man_zone", "team_coverage_type", "penalty_yards",
    "pre_penalty_yards_gained", "yards_gained", "expected_points", "expected_points_added",
    "pre_snap_home_team_win_probability", "pre_snap_visitor_team_win_probability",
    "home_team_win_probability_added", "visitor_team_win_probility_added")
# fmt: on
SUPPLEMENTARY_FILE = "supplementary_data.csv"
MIN_FLIGHT_FRAMES = 5  # the release leaves out passes under 0.5 s in the air
PREDICT_RADIUS = 10.0  # coverage defenders this close to the catch point at arrival are predicted
TACKLE_BOX = 4.4  # yd either side of the ball: the passer throws from inside the box
ROLES = ("Passer", "Targeted Receiver", "Other Route Runner", "Defensive Coverage")
PASSER, TARGET, ROUTE_RUNNER, COVERAGE = range(4)
COVERAGE_TYPES = {
    "Cover-0": "COVER_0_MAN",
    "Cover-1": "COVER_1_MAN",
    "2-Man": "COVER_2_MAN",
    "Cover-2": "COVER_2_ZONE",
    "Cover-3": "COVER_3_ZONE",
    "Quarters": "COVER_4_ZONE",
    "Cover-6": "COVER_6_ZONE",
}
_BOOL = pa.array(["False", "True"])
_SIDES = pa.array(["Offense", "Defense"])
_ROLE_NAMES = pa.array(ROLES)
_DIRECTIONS = pa.array(["right", "left"])


def file_names(season: int, week: int) -> tuple[str, str]:
    """(input, output) tracking file names of a week, under train/."""
    return f"input_{season}_w{week:02d}.csv", f"output_{season}_w{week:02d}.csv"


def roles(keep_N: np.ndarray, target_slot_N: np.ndarray, blitz_N: np.ndarray) -> np.ndarray:
    """player_role index per lineup slot [N, 22]; -1 = not in the files (linemen, rushers, plays
    left out)."""
    n = keep_N.shape[0]
    role = np.full((n, L.N_SLOTS), -1)
    role[:, L.QB] = PASSER
    role[:, L.RECEIVERS] = ROUTE_RUNNER
    role[np.arange(n), target_slot_N] = TARGET
    role[:, 15:22] = COVERAGE
    role[blitz_N, L.BLITZER] = -1
    role[~keep_N] = -1
    return role


class ChunkPlays(NamedTuple):
    """Per-play facts of a rendered chunk ([P] arrays)."""

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


def _player_rows(
    include_Px22: np.ndarray, ids_Px22: np.ndarray, first_m_P: np.ndarray, n_f_P: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Rows ordered by play, player (nflId ascending), frame: (play, slot, rendered frame row m,
    frame_id 1..n_f) for the included players of each play over n_f frames from first_m."""
    count_P = include_Px22.sum(1)
    order_Px22 = np.argsort(np.where(include_Px22, ids_Px22, np.iinfo(np.int64).max), 1)
    rows_P = count_P * n_f_P
    p = np.repeat(np.arange(count_P.shape[0]), rows_P)
    q = np.arange(p.shape[0]) - np.repeat(np.cumsum(rows_P) - rows_P, rows_P)
    rank, f = np.divmod(q, n_f_P[p])
    return p, order_Px22[p, rank], first_m_P[p] + f, f + 1


def _snap_rows(cp: ChunkPlays, pre_snap_frames: int) -> np.ndarray:
    """Rendered frame row of each play's snap."""
    return np.cumsum(cp.n_frames) - cp.n_frames + pre_snap_frames


def input_columns(
    frames: Frames, cp: ChunkPlays, players: dict[str, np.ndarray], pre_snap_frames: int
) -> dict[str, pa.Array | np.ndarray]:
    """train/input rows of a chunk: snap to release of the passer, route runners and coverage."""
    snap_P = _snap_rows(cp, pre_snap_frames)
    p, slot, m, frame_id = _player_rows(cp.role_Px22 >= 0, cp.ids_Px22, snap_P, cp.n_release + 1)
    in_files_P = (cp.role_Px22 >= 0).any(1)  # plays left out may end before n_flight frames
    land_P = frames.xy_Mx23x2[np.where(in_files_P, snap_P + cp.n_release + cp.n_flight, 0), 22]
    nfl = cp.ids_Px22[p, slot]
    who = pa.array(nfl - players["nflId"][0])
    info = {k: pa.array(players[k]).take(who) for k in ("displayName", "height", "birthDate")}
    return {
        "game_id": cp.game_id[p],
        "play_id": cp.play_id[p],
        "player_to_predict": _BOOL.take(pa.array(cp.predict_Px22[p, slot].astype(np.int64))),
        "nfl_id": nfl,
        "frame_id": frame_id,
        "play_direction": _DIRECTIONS.take(pa.array(cp.flip[p].astype(np.int64))),
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
        "ball_land_x": land_P[p, 0],
        "ball_land_y": land_P[p, 1],
    }


def output_columns(frames: Frames, cp: ChunkPlays, pre_snap_frames: int) -> dict[str, np.ndarray]:
    """train/output rows of a chunk: the players to predict during the flight (frame 1 = the
    first frame after the release, the last = the arrival)."""
    first_P = _snap_rows(cp, pre_snap_frames) + cp.n_release + 1
    p, slot, m, frame_id = _player_rows(cp.predict_Px22, cp.ids_Px22, first_P, cp.n_flight)
    return {
        "game_id": cp.game_id[p],
        "play_id": cp.play_id[p],
        "nfl_id": cp.ids_Px22[p, slot],
        "frame_id": frame_id,
        "x": frames.xy_Mx23x2[m, slot, 0],
        "y": frames.xy_Mx23x2[m, slot, 1],
    }


class PassCharting(NamedTuple):
    """What the supplementary file charts about each pass beyond plays.csv ([N] arrays)."""

    receiver_alignment: np.ndarray  # "3x1", ...
    target_route: np.ndarray  # route_of_targeted_receiver
    dropback_depth: np.ndarray  # yd behind the line at the release
    release_dy: np.ndarray  # yd left (+) / right of the ball at the release


def supplementary_table(
    plays: dict[str, np.ndarray],
    games: dict[str, np.ndarray],
    pf: PlayFacts,
    game_index_N: np.ndarray,
    home_off_N: np.ndarray,
    chart: PassCharting,
) -> dict[str, np.ndarray]:
    """supplementary_data.csv columns of every play (the caller keeps the passes in the files);
    ``plays`` are the BDB 2023 plays.csv columns of the same plays, ``games`` the week's games
    (game_index_N points into them)."""
    n = pf.play_id.shape[0]
    own, down, to_go, yards = pf.own_yardline, pf.down, pf.yards_to_go, pf.yards
    seconds_left = (4 - pf.quarter) * 900 + pf.clock_s
    ep = EP.expected_points(own, down, to_go)
    epa = EP.expected_points_added(own, down, to_go, pf.pass_result, yards, pf.air)
    home_sign = np.where(home_off_N, 1.0, -1.0)
    margin = plays["preSnapHomeScore"] - plays["preSnapVisitorScore"] + home_sign * ep
    wp = EP.home_win_probability(margin, seconds_left)
    wp_after = EP.home_win_probability(margin + home_sign * epa, seconds_left)
    side = np.where(
        np.abs(chart.release_dy) <= TACKLE_BOX,
        "INSIDE_BOX",
        np.where(chart.release_dy > 0, "OUTSIDE_LEFT", "OUTSIDE_RIGHT"),
    )
    empty = np.full(n, None, dtype=object)
    g = game_index_N
    return {
        "game_id": plays["gameId"],
        "season": games["season"][g],
        "week": games["week"][g],
        "game_date": games["gameDate"][g],
        "game_time_eastern": games["gameTimeEastern"][g],
        "home_team_abbr": games["homeTeamAbbr"][g],
        "visitor_team_abbr": games["visitorTeamAbbr"][g],
        "play_id": plays["playId"],
        "play_description": plays["playDescription"],
        "quarter": plays["quarter"],
        "game_clock": plays["gameClock"],
        "down": down,
        "yards_to_go": to_go,
        "possession_team": plays["possessionTeam"],
        "defensive_team": plays["defensiveTeam"],
        "yardline_side": plays["yardlineSide"],
        "yardline_number": plays["yardlineNumber"],
        "pre_snap_home_score": plays["preSnapHomeScore"],
        "pre_snap_visitor_score": plays["preSnapVisitorScore"],
        "play_nullified_by_penalty": np.full(n, "N"),
        "pass_result": pf.pass_result,
        "pass_length": np.minimum(pf.air, 100 - own),
        "offense_formation": plays["offenseFormation"],
        "receiver_alignment": chart.receiver_alignment,
        "route_of_targeted_receiver": chart.target_route,
        "play_action": np.where(pf.play_action, "TRUE", "FALSE"),
        "dropback_type": np.full(n, "TRADITIONAL"),
        "dropback_distance": chart.dropback_depth.round(2),
        "pass_location_type": side,
        "defenders_in_the_box": plays["defendersInBox"],
        "team_coverage_man_zone": np.where(
            plays["pff_passCoverageType"] == "Man", "MAN_COVERAGE", "ZONE_COVERAGE"
        ),
        "team_coverage_type": np.array([COVERAGE_TYPES[c] for c in plays["pff_passCoverage"]]),
        "penalty_yards": empty,
        "pre_penalty_yards_gained": yards,
        "yards_gained": yards,
        "expected_points": ep.round(4),
        "expected_points_added": epa.round(4),
        "pre_snap_home_team_win_probability": wp.round(4),
        "pre_snap_visitor_team_win_probability": (1.0 - wp).round(4),
        "home_team_win_probability_added": (wp_after - wp).round(4),
        "visitor_team_win_probility_added": (wp - wp_after).round(4),
    }
