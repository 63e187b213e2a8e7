"""The targeted receiver: from the release's own field (2021 targetedReceiver.csv, 2025
wasTargettedReceiver, 2026 player_role) or inferred from the ball's flight, with its slot.

The fixture's target is known (it runs to the ball's arrival point and carries it on); expected
slots come from the fixture's motion model, not from the ingest code.
"""

import json
import shutil

import numpy as np
import pytest
from bdb_fixtures import (
    DEF_POS,
    LINEMEN,
    OFF_POS,
    edit_csv,
    expected_window,
    read_rows,
    to_bdb2021,
    to_bdb2025,
    to_bdb2026,
    write_bdb2023,
)

from sbp_jax.data.ingest import ingest
from sbp_jax.data.target import distance_to_ray

ARRIVAL = ("pass_arrived", "pass_outcome_caught", "pass_outcome_incomplete")


@pytest.fixture(scope="module")
def fx(tmp_path_factory):
    root = tmp_path_factory.mktemp("target")
    plays = [p for p in write_bdb2023(root / "bdb2023", n_games=2) if p.release is not None]
    return root, plays, ingest(root / "bdb2023", root / "s2023", progress=False)


def _report(store):
    return json.loads((store.path / "ingest_report.json").read_text())


def _skill_slot(order, index):
    """Slot of roster ``index`` when linemen are not tracked (they leave the side's end empty)."""
    side = order[:11] if index < 11 else order[11:]
    skill = [j for j in side if (OFF_POS + DEF_POS)[j] not in LINEMEN]
    return skill.index(index) + (0 if index < 11 else 11)


def test_inferred_from_the_arrival_frame(fx):
    _, plays, store = fx
    np.testing.assert_array_equal(store.plays["target_id"], [p.target for p in plays])
    expected = [list(expected_window(p)[1]).index(p.target_index) for p in plays]
    np.testing.assert_array_equal(store.plays["target_slot"], expected)
    assert set(store.plays["target_source"]) == {"inferred"}
    targets = _report(store)["targets"]
    assert targets["counts"] == {"release": 0, "inferred": len(plays), "none": 0}
    assert targets["truth"]["plays"] == len(plays)
    assert targets["truth"]["inference_accuracy"] == 1.0


@pytest.mark.parametrize("convert", [to_bdb2021, to_bdb2025])
def test_from_the_release(fx, convert):
    root, plays, ref = fx
    dst = root / convert.__name__
    convert(root / "bdb2023", dst)
    store = ingest(dst, root / f"s_{convert.__name__}", progress=False)
    assert set(store.plays["target_source"]) == {"release"}
    np.testing.assert_array_equal(store.plays["target_id"], [p.target for p in plays])
    if convert is to_bdb2021:  # no linemen: the target's slot among the skill players
        expected = [_skill_slot(expected_window(p)[1], p.target_index) for p in plays]
        np.testing.assert_array_equal(store.plays["target_slot"], expected)
    else:
        np.testing.assert_array_equal(store.plays["target_slot"], ref.plays["target_slot"])
    agree = _report(store)["targets"]["inferred_vs_release"]
    assert agree == {"plays": len(plays), "agree": len(plays), "rate": 1.0}


def test_release_field_wins_over_the_flight(fx, tmp_path):
    """A charted target that is not the player nearest the ball is still the stored target."""
    root, plays, _ = fx
    to_bdb2021(root / "bdb2023", tmp_path / "src")
    fp = plays[0]
    other = fp.target + 1 if fp.target_index < 10 else fp.target - 1
    edit_csv(
        tmp_path / "src" / "targetedReceiver.csv",
        lambda c, rows: [
            r[:2] + [str(other)] if r[1] == str(fp.playId) and r[0] == str(fp.gameId) else r
            for r in rows
        ],
    )
    store = ingest(tmp_path / "src", tmp_path / "s", progress=False)
    assert store.plays["target_id"][0] == other and store.plays["target_source"][0] == "release"
    truth = _report(store)["targets"]["truth"]
    assert truth["stored_correct"] == len(plays) - 1 and truth["inferred_correct"] == len(plays)


def test_without_arrival_event_the_ball_path_is_extrapolated(fx, tmp_path):
    root, plays, _ = fx
    shutil.copytree(root / "bdb2023", tmp_path / "src")
    fp = plays[1]

    def no_arrival(c, rows):
        for r in rows:
            if (r[c["gameId"]], r[c["playId"]]) == (str(fp.gameId), str(fp.playId)):
                r[c["event"]] = "None" if r[c["event"]] in ARRIVAL else r[c["event"]]
        return rows

    edit_csv(tmp_path / "src" / "week1.csv", no_arrival)
    store = ingest(tmp_path / "src", tmp_path / "s", progress=False)
    i = list(store.plays["playId"]).index(fp.playId)
    assert store.plays["target_id"][i] == fp.target
    assert store.plays["target_source"][i] == "inferred"
    assert np.isnan(store.plays["air_yards"][i])  # no arrival: no air yards


def test_no_flight_no_target(fx, tmp_path):
    """No arrival event and no ball rows after the release: the target is unknown."""
    root, plays, _ = fx
    shutil.copytree(root / "bdb2023", tmp_path / "src")
    fp = plays[2]

    def cut(c, rows):
        out = []
        for r in rows:
            mine = (r[c["gameId"]], r[c["playId"]]) == (str(fp.gameId), str(fp.playId))
            if mine and r[c["team"]] == "football" and int(r[c["frameId"]]) > fp.release:
                continue
            if mine and r[c["event"]] in ARRIVAL:
                r[c["event"]] = "None"
            out.append(r)
        return out

    edit_csv(tmp_path / "src" / "week1.csv", cut)
    store = ingest(tmp_path / "src", tmp_path / "s", progress=False)
    i = list(store.plays["playId"]).index(fp.playId)
    assert (store.plays["target_id"][i], store.plays["target_slot"][i]) == (-1, -1)
    assert store.plays["target_source"][i] == "none"
    assert _report(store)["targets"]["counts"]["none"] == 1


def test_2026_role_and_landing_point_inference(fx, tmp_path):
    root, plays, ref = fx
    to_bdb2026(root / "bdb2023", tmp_path / "src")
    store = ingest(tmp_path / "src", tmp_path / "s", progress=False)
    np.testing.assert_array_equal(store.plays["target_id"], [p.target for p in plays])
    assert set(store.plays["target_source"]) == {"release"}
    expected = [_skill_slot(expected_window(p)[1], p.target_index) for p in plays]
    np.testing.assert_array_equal(store.plays["target_slot"], expected)

    # without a Targeted Receiver row: the receiver whose extrapolated position lands closest
    fp = plays[3]
    path = tmp_path / "src" / "train" / "input_2023_w01.csv"
    header, rows = read_rows(path)
    c = {n: k for k, n in enumerate(header)}
    mine = [
        r for r in rows if (r[c["game_id"]], r[c["play_id"]]) == (str(fp.gameId), str(fp.playId))
    ]
    last = max(int(r[c["frame_id"]]) for r in mine)
    best, best_d = None, np.inf
    for r in mine:  # a plain loop over the last input frame's offensive non-passers
        if int(r[c["frame_id"]]) != last or r[c["player_side"]] != "Offense":
            continue
        if r[c["player_role"]] == "Passer":
            continue
        t = float(r[c["num_frames_output"]]) / 10
        rad = np.deg2rad(float(r[c["dir"]]))
        x = float(r[c["x"]]) + float(r[c["s"]]) * np.sin(rad) * t
        y = float(r[c["y"]]) + float(r[c["s"]]) * np.cos(rad) * t
        d = np.hypot(x - float(r[c["ball_land_x"]]), y - float(r[c["ball_land_y"]]))
        if d < best_d:
            best, best_d = int(r[c["nfl_id"]]), d
    edit_csv(
        path,
        lambda c, rows: [
            r[: c["player_role"]] + ["Other Route Runner"] + r[c["player_role"] + 1 :]
            if r[c["player_role"]] == "Targeted Receiver"
            and r[c["play_id"]] == str(fp.playId)
            and r[c["game_id"]] == str(fp.gameId)
            else r
            for r in rows
        ],
    )
    store = ingest(tmp_path / "src", tmp_path / "s2", progress=False)
    i = list(store.plays["playId"]).index(fp.playId)
    assert store.plays["target_source"][i] == "inferred" and store.plays["target_id"][i] == best


def test_distance_to_ray_matches_dense_sampling():
    rng = np.random.default_rng(0)
    q, p = rng.normal(0, 5, (2, 200, 2))
    angle = rng.uniform(0, 2 * np.pi, 200)
    v = np.stack([np.cos(angle), np.sin(angle)], 1) * rng.uniform(0.5, 2.0, (200, 1))
    v[:10] = 0.0  # a ball that did not move: distance to its position
    d = distance_to_ray(q[:, 0], q[:, 1], p[:, 0], p[:, 1], v[:, 0], v[:, 1])
    t = np.linspace(0, 80, 16_001)[None, :, None]  # past every perpendicular's foot
    brute = np.linalg.norm(p[:, None] + t * v[:, None] - q[:, None], axis=-1).min(1)
    np.testing.assert_allclose(d, brute, atol=1e-2)
    # a point behind the ray's start is nearest to the start, not to the line
    assert distance_to_ray(*np.array([[-3.0], [4.0], [0.0], [0.0], [1.0], [0.0]])) == 5.0
