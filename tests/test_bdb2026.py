"""BDB 2026 layout (train/input + supplementary_data.csv) against the BDB 2023 fixture it was
converted from: same windows and features for the players it tracks, its extras, its quirks."""

import json
import shutil

import numpy as np
import pytest
from bdb_fixtures import (
    DEF_POS,
    LINEMEN,
    OFF_POS,
    charting_2026,
    edit_csv,
    expected_window,
    read_rows,
    to_bdb2026,
    write_bdb2023,
)

from sbp_jax.data import open_data
from sbp_jax.data.ingest import ingest

INPUT = "train/input_2023_w01.csv"
SUPPLEMENTARY = "supplementary_data.csv"


@pytest.fixture(scope="module")
def fx(tmp_path_factory):
    root = tmp_path_factory.mktemp("b26")
    plays = [p for p in write_bdb2023(root / "bdb2023", n_games=2) if p.release is not None]
    to_bdb2026(root / "bdb2023", root / "bdb2026")
    ref = ingest(root / "bdb2023", root / "s2023", progress=False)
    store = ingest(root / "bdb2026", root / "s2026", progress=False)
    return root, plays, ref, store


@pytest.fixture
def src(fx, tmp_path):
    shutil.copytree(fx[0] / "bdb2026", tmp_path / "src")
    return tmp_path / "src"


def _report(store):
    return json.loads((store.path / "ingest_report.json").read_text())


def _row(store, fp):
    """The store row of a fixture play."""
    hit = (store.plays["gameId"] == fp.gameId) & (store.plays["playId"] == fp.playId)
    return int(np.flatnonzero(hit)[0])


def _mine(c, r, fp):
    return (r[c["game_id"]], r[c["play_id"]]) == (str(fp.gameId), str(fp.playId))


def test_same_windows_and_features_as_2023_for_the_tracked_players(fx):
    _, plays, ref, store = fx
    assert store.release == "bdb2026" and store.n_plays == len(plays)
    np.testing.assert_array_equal(store.lengths, ref.lengths)
    np.testing.assert_array_equal(store.plays["snap_frameId"], 1)
    np.testing.assert_array_equal(store.plays["release_frameId"], store.lengths)
    np.testing.assert_allclose(store.plays["time_to_throw"], (store.lengths - 1) / 10)
    np.testing.assert_array_equal(store.yards, ref.yards)
    np.testing.assert_array_equal(store.plays["passer_id"], [p.passer for p in plays])
    assert list(store.plays["passer_name"]) == [f"Player {p.passer}" for p in plays]
    np.testing.assert_allclose(store.plays["air_yards"], [p.air_yards for p in plays], atol=1e-3)
    for i, fp in enumerate(plays):  # no linemen: the skill players, in the same relative order
        _, order = expected_window(fp)
        skill = ~np.isin(np.array(OFF_POS + DEF_POS)[order], list(LINEMEN))
        present = np.zeros(22, bool)
        present[: skill[:11].sum()] = present[11 : 11 + skill[11:].sum()] = True
        np.testing.assert_array_equal(store.presence[i], present)
        got = store.tracking[store.offsets[i] : store.offsets[i + 1]]
        want = ref.tracking[ref.offsets[i] : ref.offsets[i + 1]]
        np.testing.assert_array_equal(got[:, present], want[:, skill])
        assert not got[:, ~present].any()


def test_static_features_and_extras(fx):
    _, plays, ref, store = fx
    names = list(store.static_names)
    assert names[:6] == list(ref.static_names[:6])
    np.testing.assert_array_equal(store.static[:, :6], ref.static[:, :6])
    assert names[6:] == [
        "defenders_in_box",
        "play_action",
        "man_coverage",
        "dropback_distance",
        "formation_shotgun",
        "formation_empty",
        "formation_pistol",
        "formation_singleback",
        "formation_i_form",
    ]
    col = {n: store.static[:, k] for k, n in enumerate(names)}
    chart = [charting_2026(i) for i in range(len(plays))]
    np.testing.assert_array_equal(col["defenders_in_box"], ref.static[:, 6])
    np.testing.assert_array_equal(col["play_action"], [c["play_action"] == "TRUE" for c in chart])
    man = [c["team_coverage_man_zone"] == "MAN_COVERAGE" for c in chart]
    np.testing.assert_array_equal(col["man_coverage"], man)
    np.testing.assert_array_equal(
        col["dropback_distance"], [float(c["dropback_distance"]) for c in chart]
    )
    for form in ("SHOTGUN", "EMPTY", "PISTOL", "SINGLEBACK", "I_FORM"):
        want = [c["offense_formation"] == form for c in chart]
        np.testing.assert_array_equal(col[f"formation_{form.lower()}"], want)


def test_report_warns_and_notes(fx):
    store = fx[3]
    rep = _report(store)
    assert any("no linemen" in w for w in rep["warnings"])
    assert any("quick passes" in n for n in rep["notes"])
    assert any("no snap event" in n for n in rep["notes"])
    assert rep["release_checks"]["linemen_tracked"] is False
    assert store.meta["linemen_tracked"] is False
    md = (store.path / "ingest_report.md").read_text()
    assert "WARNING" in md and "quick passes" in md


@pytest.mark.parametrize("layout", ["release", "train", "flat"])
def test_source_folder_layouts(fx, tmp_path, layout):
    root, _, _, ref = fx
    if layout == "flat":  # input files and supplementary_data.csv in one folder
        shutil.copytree(root / "bdb2026" / "train", tmp_path / "flat")
        shutil.copy(root / "bdb2026" / SUPPLEMENTARY, tmp_path / "flat")
        src = tmp_path / "flat"
    else:
        shutil.copytree(root / "bdb2026", tmp_path / "rel")
        src = tmp_path / "rel" if layout == "release" else tmp_path / "rel" / "train"
    store = ingest(src, tmp_path / "store", progress=False)
    np.testing.assert_array_equal(store.tracking, ref.tracking)
    assert store.fingerprint == ref.fingerprint


def test_missing_supplementary_names_the_places_looked(src, tmp_path):
    (src / SUPPLEMENTARY).unlink()
    with pytest.raises(ValueError, match=r"missing supplementary_data\.csv \(looked in"):
        ingest(src, tmp_path / "store", progress=False)


def test_open_data_accepts_a_2026_folder(fx, tmp_path):
    store = open_data(fx[0] / "bdb2026", tmp_path / "work", progress=False)
    assert store.release == "bdb2026" and store.n_plays == fx[3].n_plays


def test_quirks(fx, src, tmp_path):
    _, plays, _, ref = fx
    fp_mid, fp_gone, fp_nopasser, fp_nosup, fp_null = plays[:5]

    def sup(c, rows):
        for r in rows:
            if _mine(c, r, fp_mid):  # midfield: empty yardline_side
                r[c["yardline_side"]], r[c["yardline_number"]] = "", "50"
            if _mine(c, r, fp_null):
                r[c["play_nullified_by_penalty"]] = "Y"
            r[c["play_action"]] = {"TRUE": "True", "FALSE": "False"}[r[c["play_action"]]]
        return [r for r in rows if not _mine(c, r, fp_nosup)]

    def inp(c, rows):
        gone = next(
            r[c["nfl_id"]]
            for r in rows
            if _mine(c, r, fp_gone) and r[c["player_role"]] == "Other Route Runner"
        )
        out = []
        for r in rows:
            if _mine(c, r, fp_nopasser) and r[c["player_role"]] == "Passer":
                r[c["player_role"]] = "Other Route Runner"
            if not (_mine(c, r, fp_gone) and r[c["nfl_id"]] == gone):
                out.append(r)
        return out

    edit_csv(src / SUPPLEMENTARY, sup)
    edit_csv(src / INPUT, inp)
    store = ingest(src, tmp_path / "store", progress=False)
    rep = _report(store)
    dropped = {(d["gameId"], d["playId"]): d for d in rep["dropped"]}
    assert dropped[(fp_nopasser.gameId, fp_nopasser.playId)]["reason"] == "no_passer"
    nosup = dropped[(fp_nosup.gameId, fp_nosup.playId)]
    assert nosup["reason"] == "tracking_without_play_row" and "input_2023_w01" in nosup["detail"]
    yte = list(store.static_names).index("yards_to_endzone")
    assert store.static[_row(store, fp_mid), yte] == 50.0
    assert store.presence[_row(store, fp_gone)].sum() == ref.presence[_row(ref, fp_gone)].sum() - 1
    assert (
        store.plays["nullified_by_penalty"][_row(store, fp_null)]
        and store.plays["nullified_by_penalty"].sum() == 1
    )
    assert rep["release_checks"]["nullified_by_penalty_kept"] == 1
    assert any("nullified by a penalty" in note for note in rep["notes"])
    # True/False spelled like player_to_predict reads the same as TRUE/FALSE
    pa_col = list(store.static_names).index("play_action")
    same = [_row(ref, fp) for fp in plays if fp not in (fp_nopasser, fp_nosup)]
    np.testing.assert_array_equal(store.static[:, pa_col], ref.static[same, pa_col])


def test_input_rows_hold_no_ball_and_no_events(fx):
    header, rows = read_rows(fx[0] / "bdb2026" / INPUT)
    assert "event" not in header and "football" not in {
        r[header.index("player_side")] for r in rows
    }
