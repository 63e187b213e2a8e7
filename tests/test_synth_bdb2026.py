"""The BDB 2026 output format: exact schemas, who and which frames are in the files, which plays are
left out, and agreement with the BDB 2023 rendering of the same (world, seed) league."""

from __future__ import annotations

import filecmp
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from test_synth_worlds import RELEASE_EVENTS, SNAP, Tracking, play_keys, read

from sbp_jax.synth import generate_league
from sbp_jax.synth.__main__ import main as cli_main

# The release's column lists, written out independently of the generator.
INPUT = (
    "game_id,play_id,player_to_predict,nfl_id,frame_id,play_direction,absolute_yardline_number,"
    "player_name,player_height,player_weight,player_birth_date,player_position,player_side,"
    "player_role,x,y,s,a,dir,o,num_frames_output,ball_land_x,ball_land_y"
)
OUTPUT = "game_id,play_id,nfl_id,frame_id,x,y"
SUPPLEMENTARY_PREFIX = (
    "game_id,season,week,game_date,game_time_eastern,home_team_abbr,visitor_team_abbr,play_id,"
    "play_description,quarter,game_clock,down,yards_to_go,possession_team,defensive_team,"
    "yardline_side,yardline_number,pre_snap_home_score,pre_snap_visitor_score,"
    "play_nullified_by_penalty,pass_result,pass_length,offense_formation,receiver_alignment,"
    "route_of_targeted_receiver,play_action,dropback_type,dropback_distance,pass_location_type,"
    "defenders_in_the_box,team_coverage_man_zone,team_coverage_type,penalty_yards,"
    "pre_penalty_yards_gained,yards_gained,expected_points,expected_points_added"
)
TEXT = ("player_to_predict", "play_action", "yardline_side", "game_clock", "receiver_alignment")
POSITIONS = {"QB", "RB", "TE", "WR", "CB", "FS", "SS", "OLB", "ILB"}
LINEMEN = {"T", "G", "C", "DE", "DT"}
ROLES = {"Passer", "Targeted Receiver", "Other Route Runner", "Defensive Coverage"}
LEAGUE = dict(weeks=1, seed=2, n_teams=32, dropbacks_per_team_game=10, world="power_man")
TINY = dict(weeks=1, seed=0, n_teams=4, dropbacks_per_team_game=6)


def read_text_cols(path: Path) -> dict[str, np.ndarray]:
    """A CSV with the flag / label columns kept as the literal text."""
    with open(path) as f:
        names = f.readline().strip().split(",")
    types = {c: pa.string() for c in TEXT if c in names}
    table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types))
    return {c: table[c].to_numpy(zero_copy_only=False) for c in table.column_names}


class Both:
    """The same league in both formats."""

    def __init__(self, root: Path):
        generate_league(root / "b23", **LEAGUE)
        generate_league(root / "b26", fmt="bdb2026", **LEAGUE)
        self.root = root
        self.inp = read_text_cols(root / "b26" / "train" / "input_2021_w01.csv")
        self.out = read(root / "b26" / "train" / "output_2021_w01.csv")
        self.sup = read_text_cols(root / "b26" / "supplementary_data.csv")
        self.truth26 = read(root / "b26" / "truth" / "plays.csv")
        self.track = Tracking(root / "b23" / "week1.csv")
        self.plays = read(root / "b23" / "plays.csv")
        self.truth23 = read(root / "b23" / "truth" / "plays.csv")
        self.keys23 = play_keys(self.plays)
        self.release = self.track.event_frame(self.keys23, RELEASE_EVENTS)
        self.arrival = self.track.event_frame(self.keys23, ("pass_arrived",))
        self.in_key = play_keys(self.inp, "game_id", "play_id")
        self.plays26 = np.unique(self.in_key)


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> Both:
    return Both(tmp_path_factory.mktemp("both"))


def test_layout_and_exact_headers(both):
    files = sorted(str(p.relative_to(both.root / "b26")) for p in (both.root / "b26").rglob("*"))
    assert files == [
        "supplementary_data.csv",
        "train",
        "train/input_2021_w01.csv",
        "train/output_2021_w01.csv",
        "truth",
        "truth/passers.csv",
        "truth/plays.csv",
        "truth/world.json",
    ]
    first = lambda name: (both.root / "b26" / name).read_text().split("\n", 1)[0]  # noqa: E731
    assert first("train/input_2021_w01.csv") == INPUT
    assert first("train/output_2021_w01.csv") == OUTPUT
    assert first("supplementary_data.csv").startswith(SUPPLEMENTARY_PREFIX)


def test_input_rows_are_the_pass_players_from_snap_to_release(both):
    inp = both.inp
    assert set(inp["player_to_predict"]) == {"True", "False"}
    assert set(inp["player_role"]) == ROLES
    assert set(inp["player_position"]) <= POSITIONS and not set(inp["player_position"]) & LINEMEN
    assert not np.isnan(inp["nfl_id"].astype(float)).any()
    offense = np.isin(inp["player_role"], ["Passer", "Targeted Receiver", "Other Route Runner"])
    assert np.array_equal(inp["player_side"] == "Offense", offense)
    pf = both.in_key * 1000 + inp["frame_id"]
    for role in ("Passer", "Targeted Receiver"):
        _, counts = np.unique(pf[inp["player_role"] == role], return_counts=True)
        assert np.all(counts == 1) and counts.size == np.unique(pf).size, role
    for key in both.plays26:
        rows = both.in_key == key
        players, per_player = np.unique(inp["nfl_id"][rows], return_counts=True)
        assert 9 <= players.size <= 14
        n = per_player[0]
        assert np.all(per_player == n)
        for col in ("num_frames_output", "ball_land_x", "ball_land_y", "absolute_yardline_number"):
            assert np.unique(inp[col][rows]).size == 1, col
        frames = inp["frame_id"][rows].reshape(players.size, n)
        assert np.all(frames == np.arange(1, n + 1))  # frame 1 .. the release, per player


def test_input_matches_the_2023_rendering_and_ends_at_the_release(both):
    """Frame f of the 2026 input is frame snap + f - 1 of the 2023 tracking; the last one is the
    release; ball_land is where the 2023 ball is at pass_arrived."""
    inp, track = both.inp, both.track
    rows = track.rows(both.in_key, inp["nfl_id"].astype(np.int64), SNAP - 1 + inp["frame_id"])
    for col in ("x", "y", "s", "a", "dir", "o"):
        np.testing.assert_array_equal(inp[col], track.cols[col][rows], err_msg=col)
    assert np.all(track.cols["playDirection"][rows] == inp["play_direction"])
    idx = np.searchsorted(both.keys23, both.plays26)
    assert np.array_equal(both.keys23[idx], both.plays26)
    first = np.searchsorted(both.in_key, both.plays26)  # rows are grouped by play
    last = np.array([inp["frame_id"][both.in_key == k].max() for k in both.plays26])
    assert np.array_equal(last, both.release[idx] - SNAP + 1)
    n_out = inp["num_frames_output"][first]
    assert np.array_equal(n_out, both.arrival[idx] - both.release[idx])
    ball = track.xy(both.plays26, 0, both.arrival[idx].astype(np.int64))
    np.testing.assert_array_equal(inp["ball_land_x"][first], ball[:, 0])
    np.testing.assert_array_equal(inp["ball_land_y"][first], ball[:, 1])
    assert np.array_equal(
        inp["absolute_yardline_number"][first], both.plays["absoluteYardlineNumber"][idx]
    )


def test_output_rows_are_the_players_to_predict_during_the_flight(both):
    inp, out = both.inp, both.out
    out_key = play_keys(out, "game_id", "play_id")
    for key in both.plays26:
        rows = both.in_key == key
        predict = np.unique(inp["nfl_id"][rows & (inp["player_to_predict"] == "True")])
        target = np.unique(inp["nfl_id"][rows & (inp["player_role"] == "Targeted Receiver")])
        roles = set(inp["player_role"][rows & (inp["player_to_predict"] == "True")])
        assert set(target) <= set(predict) and roles <= {"Targeted Receiver", "Defensive Coverage"}
        o = out_key == key
        assert np.array_equal(np.unique(out["nfl_id"][o]), predict)
        n = inp["num_frames_output"][rows][0]
        assert np.all(out["frame_id"][o].reshape(predict.size, n) == np.arange(1, n + 1))
    i = np.searchsorted(both.keys23, out_key)
    frame = both.release[i].astype(np.int64) + out["frame_id"]
    xy = both.track.xy(out_key, out["nfl_id"].astype(np.int64), frame)
    np.testing.assert_array_equal(np.stack([out["x"], out["y"]], 1), xy)


def test_only_targeted_passes_of_half_a_second_or_more(both):
    flight = both.arrival - both.release
    passes = ~np.isnan(both.release)
    assert (passes & (flight < 5)).sum() >= 1, "no quick pass to leave out in this league"
    assert np.array_equal(both.plays26, np.sort(both.keys23[passes & (flight >= 5)]))
    sup_key = play_keys(both.sup, "game_id", "play_id")
    assert np.array_equal(np.sort(sup_key), both.plays26) and sup_key.size == both.plays26.size
    assert np.array_equal(np.sort(play_keys(both.truth26)), both.plays26)
    assert set(both.sup["pass_result"]) <= {"C", "I", "IN"}
    assert np.all(both.inp["num_frames_output"] >= 5)


def test_truth_follows_the_2026_frames(both):
    t26, t23 = both.truth26, both.truth23
    i = np.searchsorted(play_keys(t23), play_keys(t26))
    for col in ("passer_nflId", "passResult", "yards", "true_percentile", "target_nflId"):
        np.testing.assert_array_equal(t26[col], t23[col][i], err_msg=col)
    assert np.all(t26["snap_frameId"] == 1)
    np.testing.assert_array_equal(t26["release_frameId"], t23["release_frameId"][i] - SNAP + 1)
    target = both.inp["player_role"] == "Targeted Receiver"
    by_play = dict(zip(both.in_key[target], both.inp["nfl_id"][target], strict=True))
    assert [by_play[k] for k in play_keys(t26)] == list(t26["target_nflId"])
    last = {k: both.inp["frame_id"][both.in_key == k].max() for k in both.plays26}
    assert [last[k] for k in play_keys(t26)] == list(t26["release_frameId"])


def test_supplementary_columns_describe_the_simulated_play(both):
    sup, plays = both.sup, both.plays
    i = np.searchsorted(both.keys23, play_keys(sup, "game_id", "play_id"))
    midfield = sup["yardline_number"] == 50
    assert midfield.any(), "no play at midfield in this league"
    assert np.array_equal(sup["yardline_side"] == "", midfield)  # empty exactly at midfield
    assert set(sup["play_nullified_by_penalty"]) == {"N"}
    assert np.array_equal(sup["play_action"] == "TRUE", plays["pff_playAction"][i] == 1)
    assert set(sup["play_action"]) == {"TRUE", "FALSE"}
    man = sup["team_coverage_man_zone"] == "MAN_COVERAGE"
    assert set(sup["team_coverage_man_zone"]) == {"MAN_COVERAGE", "ZONE_COVERAGE"}
    assert np.array_equal(man, plays["pff_passCoverageType"][i] == "Man")
    assert all(t.endswith("_MAN") == m for t, m in zip(sup["team_coverage_type"], man, strict=True))
    for a, b in (
        ("offense_formation", "offenseFormation"),
        ("down", "down"),
        ("yards_to_go", "yardsToGo"),
        ("yards_gained", "playResult"),
        ("pass_result", "passResult"),
    ):
        assert np.array_equal(sup[a], plays[b][i]), a
    assert len(set(sup["route_of_targeted_receiver"])) >= 4
    assert set(sup["route_of_targeted_receiver"]) <= {
        "GO",
        "POST",
        "CORNER",
        "IN",
        "OUT",
        "SLANT",
        "HITCH",
        "CROSS",
        "FLAT",
        "ANGLE",
    }
    assert all(re.fullmatch(r"[0-5]x[0-5]", a) for a in sup["receiver_alignment"])
    assert len(set(sup["receiver_alignment"])) >= 2
    assert all(re.fullmatch(r"\d\d:\d\d", c) for c in sup["game_clock"])
    assert np.all((sup["dropback_distance"] > 3) & (sup["dropback_distance"] < 10))
    assert set(sup["pass_location_type"]) <= {"INSIDE_BOX", "OUTSIDE_LEFT", "OUTSIDE_RIGHT"}
    t23 = both.truth23
    own = np.where(
        plays["yardlineSide"] == plays["possessionTeam"],
        plays["yardlineNumber"],
        100 - plays["yardlineNumber"],
    )[i]
    np.testing.assert_array_equal(sup["pass_length"], np.minimum(t23["air_yards"][i], 100 - own))
    touchdown = (sup["pass_result"] == "C") & (sup["yards_gained"] == 100 - own)
    assert np.all(sup["expected_points_added"][touchdown] > 0)
    assert np.all(sup["expected_points_added"][sup["pass_result"] == "IN"] < 0)
    wp = sup["pre_snap_home_team_win_probability"] + sup["pre_snap_visitor_team_win_probability"]
    np.testing.assert_allclose(wp, 1.0, atol=2e-4)


def test_deterministic_and_cli(tmp_path):
    generate_league(tmp_path / "a", fmt="bdb2026", **TINY)
    generate_league(tmp_path / "b", fmt="bdb2026", **TINY)
    for rel in sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.*")):
        assert filecmp.cmp(tmp_path / "a" / rel, tmp_path / "b" / rel, shallow=False), rel
    args = ["--weeks", "2", "--teams", "2", "--dropbacks", "4", "--format", "bdb2026"]
    assert cli_main([*args, "--out", str(tmp_path / "cli")]) == 0
    assert (tmp_path / "cli" / "train" / "output_2021_w02.csv").exists()


def test_chunking_does_not_move_anyone(tmp_path, monkeypatch):
    """Chunks of 3 plays (many ending in a sack or scramble) give the same positions."""
    generate_league(tmp_path / "whole", fmt="bdb2026", **TINY)
    monkeypatch.setattr("sbp_jax.synth.tracking.CHUNK_PLAYS", 3)
    generate_league(tmp_path / "chunked", fmt="bdb2026", **TINY)
    for name in ("input_2021_w01.csv", "output_2021_w01.csv"):
        whole, chunked = (read(tmp_path / d / "train" / name) for d in ("whole", "chunked"))
        for col in ("nfl_id", "frame_id", "x", "y"):
            np.testing.assert_array_equal(whole[col], chunked[col], err_msg=f"{name} {col}")
