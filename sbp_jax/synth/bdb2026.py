"""The Big Data Bowl 2026 layout: which plays and players are in the files, and the per-play
``supplementary_data.csv`` (its schema and the builder of its columns).

The layout's tracking (``train/input_*`` from the snap to the release of the players relevant to
the pass, ``train/output_*`` the players to predict during the flight) is tracking_bdb2026.py.
Only targeted passes with at least 0.5 s of flight are in the files (the release also leaves out
quick passes and throwaways; sacks and scrambles have no pass).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sbp_jax.synth import expected_points as EP
from sbp_jax.synth import league as L
from sbp_jax.synth.tables import PlayFacts

# fmt: off
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
