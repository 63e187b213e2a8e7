"""Ingest of hand-built BDB fixtures (closed-form geometry) and their 2021/2024/2025 variants.

Expected values are computed here from the fixture's motion model, not by the ingest code.
"""

import json

import numpy as np
import pytest
from bdb_fixtures import (
    DEF_POS,
    LINEMEN,
    OFF_POS,
    expected_window,
    play_seed,
    player_motion,
    read_rows,
    to_bdb2021,
    to_bdb2024,
    to_bdb2025,
    write_bdb2023,
)

from sbp_jax.data import PlayStore
from sbp_jax.data.__main__ import main
from sbp_jax.data.ingest import ingest


@pytest.fixture(scope="module")
def fx(tmp_path_factory):
    root = tmp_path_factory.mktemp("fx")
    plays = write_bdb2023(root / "bdb2023", n_games=2, plays_per_game=6)
    store = ingest(root / "bdb2023", root / "store2023", progress=False)
    return root, plays, store


def _targeted(plays):
    return [p for p in plays if p.release is not None]


def test_keeps_targeted_passes_and_reports_the_rest(fx):
    root, plays, store = fx
    kept = _targeted(plays)
    assert store.n_plays == len(kept)
    np.testing.assert_array_equal(store.plays["playId"], [p.playId for p in kept])
    rep = json.loads((store.path / "ingest_report.json").read_text())
    sacks = [(p.gameId, p.playId) for p in plays if p.release is None]
    assert rep["dropped_counts"] == {"not_targeted_pass": len(sacks)}
    assert sorted((d["gameId"], d["playId"]) for d in rep["dropped"]) == sorted(sacks)
    assert "not_targeted_pass" in (store.path / "ingest_report.md").read_text()
    assert rep["tracking_rows"] == sum(p.n_frames_total * 23 for p in plays)


def test_window_lengths_and_time_to_throw(fx):
    _, plays, store = fx
    kept = _targeted(plays)
    np.testing.assert_array_equal(store.lengths, [p.release - p.snap + 1 for p in kept])
    np.testing.assert_array_equal(store.plays["snap_frameId"], [p.snap for p in kept])
    np.testing.assert_allclose(
        store.plays["time_to_throw"], [(p.release - p.snap) / 10 for p in kept]
    )
    np.testing.assert_array_equal(store.plays["n_frames"], store.lengths)


def test_features_slot_order_and_direction(fx):
    _, plays, store = fx
    assert store.presence.all()
    for i, fp in enumerate(_targeted(plays)):
        expected, _ = expected_window(fp)
        got = store.tracking[store.offsets[i] : store.offsets[i + 1]]
        # angles compared on the circle, the rest directly (CSV rounding: 1e-4)
        np.testing.assert_allclose(got[..., :6], expected[..., :6], atol=2e-3)
        ang = np.deg2rad(got[..., 6:] - expected[..., 6:])
        np.testing.assert_allclose(np.cos(ang), 1.0, atol=1e-6)
        assert store.plays["passer_id"][i] == fp.passer  # slot 0 is the passer


def test_left_play_equals_mirrored_raw_rows(fx):
    root, plays, store = fx
    i, fp = next((i, p) for i, p in enumerate(_targeted(plays)) if p.left)
    header, rows = read_rows(root / "bdb2023" / "week1.csv")
    c = {n: k for k, n in enumerate(header)}
    raw = [
        r
        for r in rows
        if int(r[c["playId"]]) == fp.playId
        and int(r[c["gameId"]]) == fp.gameId
        and int(r[c["frameId"]]) == fp.snap + 3
        and r[c["nflId"]] == str(fp.passer)
    ][0]
    x, y, d = (float(raw[c[k]]) for k in ("x", "y", "dir"))
    s = float(raw[c["s"]])
    got = store.tracking[store.offsets[i] + 3, 0]
    np.testing.assert_allclose(got[0], (120 - x) - fp.los, atol=1e-4)
    np.testing.assert_allclose(got[1], 53.3 - y, atol=1e-4)
    np.testing.assert_allclose(got[6], (d + 180) % 360, atol=1e-3)
    np.testing.assert_allclose(got[2], s * np.sin(np.deg2rad(d + 180)), atol=1e-4)
    assert store.plays["play_direction"][i] == "left"


def test_targets_air_yards_pressure_and_static(fx):
    _, plays, store = fx
    kept = _targeted(plays)
    np.testing.assert_array_equal(store.yards, [p.yards for p in kept])
    np.testing.assert_allclose(store.plays["air_yards"], [p.air_yards for p in kept], atol=1e-3)
    np.testing.assert_array_equal(store.plays["pressure"], [p.pressured for p in kept])
    for i, fp in enumerate(kept):  # nearest defender at the release, from the motion model
        p = player_motion(fp, play_seed(fp))[0](fp.release)
        nearest = np.hypot(*(p[11:] - p[0]).T).min()
        assert store.plays["nearest_defender_yds"][i] == pytest.approx(nearest, abs=1e-3)
    names = list(store.static_names)
    assert names[:6] == [
        "down",
        "yards_to_go",
        "yards_to_endzone",
        "quarter",
        "seconds_left_in_quarter",
        "score_diff",
    ]
    col = {n: store.static[:, k] for k, n in enumerate(names)}
    np.testing.assert_allclose(col["yards_to_endzone"], [110 - p.los for p in kept])
    k = np.array([(p.playId - 50) // 25 for p in kept])
    np.testing.assert_allclose(col["seconds_left_in_quarter"], (14 - k) * 60 + (7 * k) % 60)
    g = np.array([p.gameId - 2021090900 for p in kept])
    home_off = k % 2 == 0
    np.testing.assert_allclose(col["score_diff"], np.where(home_off, 7 * g - 3, 3 - 7 * g))
    np.testing.assert_array_equal(
        store.plays["touchdown"], [p.pass_result == "C" and p.yards >= 110 - p.los for p in kept]
    )


def test_cli(fx, tmp_path, capsys):
    root, _, store = fx
    assert main(["ingest", str(root / "bdb2023"), "--out", str(tmp_path / "s"), "--quiet"]) == 0
    assert "not_targeted_pass" in capsys.readouterr().out
    assert main(["ingest", str(root / "bdb2023"), "--out", str(tmp_path / "s"), "--quiet"]) == 2
    assert "already exists" in capsys.readouterr().err
    np.testing.assert_array_equal(PlayStore.open(tmp_path / "s").tracking, store.tracking)


@pytest.mark.parametrize("convert, release", [(to_bdb2024, "bdb2024"), (to_bdb2025, "bdb2025")])
def test_2024_and_2025_layouts_give_the_same_store(fx, convert, release):
    root, _, ref = fx
    convert(root / "bdb2023", root / release)
    store = ingest(root / release, root / f"store_{release}", progress=False)
    assert store.release == release
    np.testing.assert_array_equal(store.tracking, ref.tracking)
    np.testing.assert_array_equal(store.presence, ref.presence)
    np.testing.assert_array_equal(store.yards, ref.yards)
    for col in ("passer_id", "passer_name", "air_yards", "n_frames", "team"):
        np.testing.assert_array_equal(store.plays[col], ref.plays[col])
    src = "tracking" if release == "bdb2024" else "charting"  # 2024 has no pressure charting
    assert set(store.plays["pressure_source"]) == {src}
    n_static = len(store.static_names)
    np.testing.assert_allclose(store.static, ref.static[:, :n_static])


def test_2021_layout_without_linemen(fx):
    root, plays, ref = fx
    to_bdb2021(root / "bdb2023", root / "bdb2021")
    store = ingest(root / "bdb2021", root / "store2021", progress=False)
    assert store.release == "bdb2021"
    assert store.static_names == ref.static_names  # the fixture has no numberOfPassRushers
    np.testing.assert_allclose(store.static, ref.static)
    n_off = sum(p not in LINEMEN for p in OFF_POS)
    n_def = sum(p not in LINEMEN for p in DEF_POS)
    expected_presence = np.zeros(22, bool)
    expected_presence[:n_off] = True
    expected_presence[11 : 11 + n_def] = True
    assert (store.presence == expected_presence).all()
    np.testing.assert_array_equal(store.yards, ref.yards)
    np.testing.assert_array_equal(store.plays["passer_id"], ref.plays["passer_id"])
    np.testing.assert_array_equal(store.plays["season"], 2021)
    for i, fp in enumerate(
        _targeted(plays)
    ):  # same players in the same relative order, linemen gone
        _, order = expected_window(fp)
        pos = np.array(OFF_POS + DEF_POS)[order]
        skill = ~np.isin(pos, list(LINEMEN))
        ref_frames = ref.tracking[ref.offsets[i] : ref.offsets[i + 1]][:, skill]
        got = store.tracking[store.offsets[i] : store.offsets[i + 1]][:, expected_presence]
        np.testing.assert_array_equal(got, ref_frames)
        assert not store.tracking[store.offsets[i] : store.offsets[i + 1]][
            :, ~expected_presence
        ].any()


# ---------------------------------------------------------------- round trip through the generator


@pytest.fixture(scope="module")
def league(tmp_path_factory):
    from sbp_jax.synth import generate_league

    root = tmp_path_factory.mktemp("league")
    generate_league(root / "src", weeks=1, seed=0, n_teams=4, dropbacks_per_team_game=10)
    store = ingest(root / "src", root / "store", progress=False)
    _, rows = read_rows(root / "src" / "truth" / "plays.csv")
    header, _ = read_rows(root / "src" / "truth" / "plays.csv")
    truth = {(int(r[0]), int(r[1])): dict(zip(header, r, strict=True)) for r in rows}
    return root, store, truth


def test_round_trip_plays_frames_and_targets(league):
    _, store, truth = league
    released = {
        k for k, t in truth.items() if t["release_frameId"] and t["passResult"] in ("C", "I", "IN")
    }
    got = set(zip(store.plays["gameId"].tolist(), store.plays["playId"].tolist(), strict=True))
    assert got == released and store.n_plays == len(released) > 10
    rep = json.loads((store.path / "ingest_report.json").read_text())
    assert rep["dropped_counts"] == {"not_targeted_pass": len(truth) - len(released)}
    t = [truth[k] for k in zip(store.plays["gameId"], store.plays["playId"], strict=True)]
    col = {
        c: np.array([float(r[c]) for r in t])
        for c in (
            "snap_frameId",
            "release_frameId",
            "yards",
            "air_yards",
            "pressure",
            "passer_nflId",
            "time_to_throw",
        )
    }
    np.testing.assert_array_equal(store.plays["snap_frameId"], col["snap_frameId"])
    np.testing.assert_array_equal(store.lengths, col["release_frameId"] - col["snap_frameId"] + 1)
    np.testing.assert_allclose(store.plays["time_to_throw"], col["time_to_throw"], atol=1e-9)
    np.testing.assert_array_equal(store.yards, col["yards"])
    np.testing.assert_array_equal(store.plays["passer_id"], col["passer_nflId"])
    np.testing.assert_array_equal(store.plays["pressure"], col["pressure"] > 0)
    # truth air yards are whole yards; ours is the ball at pass_arrived minus the line of scrimmage
    np.testing.assert_allclose(store.plays["air_yards"], col["air_yards"], atol=0.75)


def test_round_trip_direction_slots_and_presence(league):
    root, store, _ = league
    assert store.presence.all()  # synthetic plays have all 22 players
    snap = store.tracking[store.offsets[:-1]]  # [P, 22, 8] at the snap
    # offense toward +x: the passer is behind the line, the defense beyond it
    assert (snap[:, 0, 0] < 0).all()
    assert (snap[:, 11:, 0].mean(1) > 0).all()
    # slots by distance to the passer at the snap within each side
    d = np.hypot(snap[:, :, 0] - snap[:, :1, 0], snap[:, :, 1] - snap[:, :1, 1])
    assert (np.diff(d[:, 1:11], axis=1) >= -1e-4).all() and (
        np.diff(d[:, 11:], axis=1) >= -1e-4
    ).all()
    # a left-moving play's features equal its mirrored raw rows (passer, 2 frames after the snap)
    i = int(np.flatnonzero(store.plays["play_direction"] == "left")[0])
    header, rows = read_rows(root / "src" / "week1.csv")
    c = {n: k for k, n in enumerate(header)}
    key = (
        str(store.plays["gameId"][i]),
        str(store.plays["playId"][i]),
        str(store.plays["passer_id"][i]),
        str(store.plays["snap_frameId"][i] + 2),
    )
    raw = next(
        r for r in rows if (r[c["gameId"]], r[c["playId"]], r[c["nflId"]], r[c["frameId"]]) == key
    )
    ball = next(
        r
        for r in rows
        if (r[c["gameId"]], r[c["playId"]], r[c["team"]], r[c["frameId"]])
        == key[:2] + ("football", str(store.plays["snap_frameId"][i]))
    )
    x, y, s, a, d_, o = (float(raw[c[k]]) for k in ("x", "y", "s", "a", "dir", "o"))
    los = 120 - float(ball[c["x"]])
    rad = np.deg2rad(d_ + 180)
    expected = [
        120 - x - los,
        53.3 - y,
        s * np.sin(rad),
        s * np.cos(rad),
        a * np.sin(rad),
        a * np.cos(rad),
        (d_ + 180) % 360,
        (o + 180) % 360,
    ]
    np.testing.assert_allclose(store.tracking[store.offsets[i] + 2, 0], expected, atol=1e-3)


@pytest.mark.parametrize("convert", [to_bdb2021, to_bdb2025])
def test_round_trip_release_variants_of_the_league(league, convert):
    root, ref, _ = league
    dst = root / convert.__name__
    convert(root / "src", dst)
    store = ingest(dst, root / f"store_{convert.__name__}", progress=False)
    np.testing.assert_array_equal(store.plays["playId"], ref.plays["playId"])
    np.testing.assert_array_equal(store.yards, ref.yards)
    np.testing.assert_array_equal(store.plays["passer_id"], ref.plays["passer_id"])
    np.testing.assert_array_equal(store.lengths, ref.lengths)
    if convert is to_bdb2025:
        np.testing.assert_array_equal(store.tracking, ref.tracking)
        np.testing.assert_array_equal(store.plays["pressure"], ref.plays["pressure"])
    else:  # no linemen: 6 offensive and 7 defensive skill players, then absent slots
        expected = np.zeros(22, bool)
        expected[:6] = expected[11:18] = True
        assert (store.presence == expected).all()
        np.testing.assert_array_equal(store.tracking[:, 0], ref.tracking[:, 0])  # the passer


# ---------------------------------------------------------------- feature helpers


def test_yards_to_endzone_and_clock():
    from sbp_jax.data import features as F

    plays = {
        "yardlineSide": np.array(["AAA", "BBB", None, None], object),
        "possessionTeam": np.array(["AAA", "AAA", "AAA", "AAA"], object),
        "yardlineNumber": np.array([20.0, 20.0, 50.0, np.nan]),
    }
    los = np.array([30.0, 90.0, 60.0, 71.5])
    np.testing.assert_allclose(F.yards_to_endzone(plays, los), [80, 20, 50, 38.5])
    np.testing.assert_allclose(F.yards_to_endzone({}, los), 110 - los)
    got = F.clock_seconds(np.array(["15:00", "02:07:00", "0:59", None, "x"], object))
    np.testing.assert_array_equal(got, [900, 127, 59, np.nan, np.nan])


def test_rank_within_groups_matches_a_loop():
    from sbp_jax.data import features as F

    rng = np.random.default_rng(0)
    group, a, b = rng.integers(0, 5, 200), rng.integers(0, 2, 200), rng.random(200)
    rank = F.rank_within_groups(group, a, b)
    for g in range(5):
        idx = np.flatnonzero(group == g)
        expected = np.empty(len(idx), int)
        expected[sorted(range(len(idx)), key=lambda k: (a[idx[k]], b[idx[k]]))] = np.arange(
            len(idx)
        )
        np.testing.assert_array_equal(rank[idx], expected)
