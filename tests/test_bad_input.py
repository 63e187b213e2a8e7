"""Bad input: each case gets a clear error naming file and column, or the play skipped."""

import json
import shutil

import numpy as np
import pytest
from bdb_fixtures import read_rows, write_bdb2023

from sbp_jax.data.ingest import IngestError, ingest
from sbp_jax.data.schemas import SchemaError


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    plays = write_bdb2023(root / "src", n_games=1, plays_per_game=4)
    store = ingest(root / "src", root / "store", progress=False)
    return root / "src", [p for p in plays if p.release is not None], store


@pytest.fixture
def src(base, tmp_path):
    shutil.copytree(base[0], tmp_path / "src")
    return tmp_path / "src"


def _edit(path, fn, header_fn=None):
    header, rows = read_rows(path)
    c = {n: k for k, n in enumerate(header)}
    rows = fn(c, rows)
    if header_fn is not None:
        header = header_fn(header)
    with open(path, "w") as fh:
        fh.write("\n".join(",".join(r) for r in [header] + rows) + "\n")


def _run(src):
    store = ingest(src, src.parent / "store", progress=False)
    report = json.loads((store.path / "ingest_report.json").read_text())
    return store, {(d["gameId"], d["playId"]): d for d in report["dropped"]}


def _is(c, r, fp, **cond):
    return (int(r[c["gameId"]]), int(r[c["playId"]])) == (fp.gameId, fp.playId) and all(
        r[c[k]] == str(v) for k, v in cond.items()
    )


def _assert_dropped(src, fp, reason, *, detail=""):
    store, dropped = _run(src)
    d = dropped[(fp.gameId, fp.playId)]
    assert d["reason"] == reason and detail in d["detail"]
    assert fp.playId not in store.plays["playId"].tolist()
    return store


# ------------------------------------------------------------------------------ file-level errors


@pytest.mark.parametrize("column", ["x", "frameId", "event"])
def test_missing_tracking_column(src, column):
    _edit(
        src / "week1.csv",
        lambda c, rows: [[v for k, v in enumerate(r) if k != c[column]] for r in rows],
        lambda h: [v for v in h if v != column],
    )
    with pytest.raises(
        SchemaError,
        match=rf"week1\.csv.*missing column\(s\) \['{column}'\].*"
        r"expected columns",
    ):
        ingest(src, src.parent / "store", progress=False)
    assert [p.name for p in src.parent.iterdir()] == ["src"]  # no store, no temp dir left


def test_renamed_tracking_column(src):
    _edit(
        src / "week1.csv",
        lambda c, rows: rows,
        lambda h: ["direction" if v == "dir" else v for v in h],
    )
    with pytest.raises(SchemaError, match=r"week1\.csv.*closest is bdb2023.*\['dir'\]"):
        ingest(src, src.parent / "store", progress=False)


def test_missing_plays_column(src):
    _edit(
        src / "plays.csv",
        lambda c, rows: [[v for k, v in enumerate(r) if k != c["passResult"]] for r in rows],
        lambda h: [v for v in h if v != "passResult"],
    )
    with pytest.raises(SchemaError, match=r"plays\.csv.*\['passResult'\]"):
        ingest(src, src.parent / "store", progress=False)


def test_unknown_tracking_header(src):
    (src / "week1.csv").write_text("a,b,c\n1,2,3\n")
    with pytest.raises(SchemaError, match=r"week1\.csv.*no supported.*expected columns.*'gameId'"):
        ingest(src, src.parent / "store", progress=False)


def test_byte_order_mark_is_stripped(src, base):
    for name in ("week1.csv", "plays.csv", "games.csv"):
        data = (src / name).read_bytes()
        (src / name).write_bytes(b"\xef\xbb\xbf" + data)
    store, _ = _run(src)
    np.testing.assert_array_equal(store.tracking, base[2].tracking)
    np.testing.assert_array_equal(store.yards, base[2].yards)


def test_empty_file(src):
    (src / "week1.csv").write_bytes(b"")
    with pytest.raises(SchemaError, match=r"week1\.csv: empty file"):
        ingest(src, src.parent / "store", progress=False)


def test_header_only_tracking_file(src):
    header = (src / "week1.csv").read_text().splitlines()[0]
    (src / "week1.csv").write_text(header + "\n")
    with pytest.raises(IngestError, match="no play survived.*no_tracking"):
        ingest(src, src.parent / "store", progress=False)


def test_truncated_file(src):
    data = (src / "week1.csv").read_bytes()
    (src / "week1.csv").write_bytes(data[: len(data) // 2].rsplit(b",", 3)[0])
    with pytest.raises(SchemaError, match=r"week1\.csv.*columns"):
        ingest(src, src.parent / "store", progress=False)
    assert [p.name for p in src.parent.iterdir()] == ["src"]  # no store, no temp dir left


def test_non_numeric_value_names_the_column(src, base):
    fp = base[1][0]
    _edit(
        src / "week1.csv",
        lambda c, rows: [
            r[: c["s"]] + ["fast"] + r[c["s"] + 1 :] if _is(c, r, fp, frameId=3) else r
            for r in rows
        ],
    )
    with pytest.raises(SchemaError, match=r"week1\.csv: column 's'"):
        ingest(src, src.parent / "store", progress=False)


# ------------------------------------------------------------------------------ plays skipped


@pytest.mark.parametrize("column", ["x", "y", "s"])
def test_na_in_window_skips_play(src, base, column):
    fp = base[1][0]

    def na(c, rows):
        for r in rows:
            if _is(c, r, fp, frameId=fp.snap + 2) and r[c["nflId"]] != "NA":
                r[c[column]] = "NA"
                break
        return rows

    _edit(src / "week1.csv", na)
    _assert_dropped(src, fp, "missing_tracking_values", detail=f"NA in ['{column}']")


def test_na_outside_window_is_harmless(src, base):
    fp = base[1][0]

    def na(c, rows):
        for r in rows:
            if _is(c, r, fp, frameId=1):
                r[c["x"]] = "NA"
        return rows

    _edit(src / "week1.csv", na)
    store, dropped = _run(src)
    assert (fp.gameId, fp.playId) not in dropped
    np.testing.assert_array_equal(store.tracking, base[2].tracking)


def test_duplicated_frame_skips_play(src, base):
    fp = base[1][1]
    _edit(src / "week1.csv", lambda c, rows: rows + [r for r in rows if _is(c, r, fp, frameId=4)])
    _assert_dropped(src, fp, "duplicate_rows")


def test_out_of_order_rows_give_the_same_store(src, base):
    _edit(
        src / "week1.csv",
        lambda c, rows: [rows[i] for i in np.random.default_rng(0).permutation(len(rows))],
    )
    store, _ = _run(src)
    np.testing.assert_array_equal(store.tracking, base[2].tracking)
    np.testing.assert_array_equal(store.presence, base[2].presence)


def test_no_ball_row(src, base):
    fp = base[1][2]
    _edit(
        src / "week1.csv", lambda c, rows: [r for r in rows if not _is(c, r, fp, team="football")]
    )
    _assert_dropped(src, fp, "no_ball_row")


def test_no_snap(src, base):
    fp = base[1][0]
    _edit(
        src / "week1.csv",
        lambda c, rows: [
            r[: c["event"]] + ["None"] if _is(c, r, fp, event="ball_snap") else r for r in rows
        ],
    )
    _assert_dropped(src, fp, "no_snap")


def test_automatic_events_are_the_fallback(src, base):
    fp = base[1][0]
    swap = {"ball_snap": "autoevent_ballsnap", "pass_forward": "autoevent_passforward"}
    _edit(
        src / "week1.csv",
        lambda c, rows: [
            r[: c["event"]] + [swap.get(r[c["event"]], r[c["event"]])] if _is(c, r, fp) else r
            for r in rows
        ],
    )
    store, dropped = _run(src)
    assert not dropped.keys() & {(fp.gameId, fp.playId)}
    np.testing.assert_array_equal(store.tracking, base[2].tracking)


def test_no_release(src, base):
    fp = base[1][1]
    _edit(
        src / "week1.csv",
        lambda c, rows: [
            r[: c["event"]] + ["None"] if _is(c, r, fp, event="pass_forward") else r for r in rows
        ],
    )
    _assert_dropped(src, fp, "no_release")


@pytest.mark.parametrize("whole_frame", [True, False])
def test_frames_missing_between_snap_and_release(src, base, whole_frame):
    fp = base[1][2]
    nid = str(fp.passer + 3)

    def gap(c, rows):
        return [
            r
            for r in rows
            if not (_is(c, r, fp, frameId=fp.snap + 3) and (whole_frame or r[c["nflId"]] == nid))
        ]

    _edit(src / "week1.csv", gap)
    _assert_dropped(src, fp, "frames_missing")


def test_plays_row_without_tracking(src, base):
    fp = base[1][0]
    _edit(src / "week1.csv", lambda c, rows: [r for r in rows if not _is(c, r, fp)])
    _assert_dropped(src, fp, "no_tracking")


def test_tracking_without_plays_row(src, base):
    fp = base[1][1]
    _edit(src / "plays.csv", lambda c, rows: [r for r in rows if not _is(c, r, fp)])
    store, dropped = _run(src)
    assert dropped[(fp.gameId, fp.playId)]["reason"] == "tracking_without_play_row"
    assert dropped[(fp.gameId, fp.playId)]["detail"] == "week1.csv"
    assert store.n_plays == base[2].n_plays - 1


@pytest.mark.parametrize("name", ["plays.csv", "games.csv", "players.csv"])
def test_missing_table_file(src, name):
    (src / name).unlink()
    with pytest.raises(IngestError, match=f"missing {name}"):
        ingest(src, src.parent / "store", progress=False)


def test_duplicated_plays_row(src):
    _edit(src / "plays.csv", lambda c, rows: rows + rows[:1])
    with pytest.raises(IngestError, match=r"plays\.csv: duplicated"):
        ingest(src, src.parent / "store", progress=False)


def test_non_numeric_plays_value(src):
    _edit(
        src / "plays.csv",
        lambda c, rows: [r[: c["down"]] + ["first"] + r[c["down"] + 1 :] for r in rows],
    )
    with pytest.raises(SchemaError, match=r"plays\.csv: column 'down'"):
        ingest(src, src.parent / "store", progress=False)


def test_missing_week_file(tmp_path):
    plays = write_bdb2023(tmp_path / "src", n_games=2, plays_per_game=3, weeks=2)
    (tmp_path / "src" / "week2.csv").unlink()
    store, dropped = _run(tmp_path / "src")
    week2 = {(p.gameId, p.playId) for p in plays if p.week == 2 and p.release is not None}
    assert week2 and all(dropped[k]["reason"] == "week_not_provided" for k in week2)
    assert set(store.plays["week"].tolist()) == {1}


def test_players_without_a_position_column(src):
    _edit(
        src / "players.csv",
        lambda c, rows: rows,
        lambda h: ["pos" if v == "officialPosition" else v for v in h],
    )
    with pytest.raises(
        SchemaError, match=r"players\.csv: missing position column.*officialPosition"
    ):
        ingest(src, src.parent / "store", progress=False)


# ------------------------------------------------------------------------------ physical ranges


@pytest.mark.parametrize(
    "column, value, shown",
    [("s", "99", "s=99.0"), ("x", "inf", "x=inf"), ("o", "400", "o=400.0"), ("a", "-1", "a=-1.0")],
)
def test_value_out_of_range_skips_play(src, base, column, value, shown):
    fp = base[1][1]

    def bad(c, rows):
        for r in rows:
            if _is(c, r, fp, frameId=fp.snap + 1) and r[c["nflId"]] != "NA":
                r[c[column]] = value
                break
        return rows

    _edit(src / "week1.csv", bad)
    store = _assert_dropped(src, fp, "value_out_of_range", detail=f"week1.csv: {shown} outside")
    assert np.isfinite(store.tracking).all()
    meta = json.loads((store.path / "meta.json").read_text())
    assert all(np.isfinite(v).all() for v in meta["norm"].values())


def test_ball_out_of_range_at_the_snap(src, base):
    fp = base[1][0]
    _edit(
        src / "week1.csv",
        lambda c, rows: [
            r[: c["y"]] + ["-50"] + r[c["y"] + 1 :]
            if _is(c, r, fp, team="football", frameId=fp.snap)
            else r
            for r in rows
        ],
    )
    _assert_dropped(src, fp, "value_out_of_range", detail="y=-50.0")


def test_a_column_in_the_wrong_units_is_a_file_error(src):
    def feet(c, rows):  # every speed in feet per second * 10
        for r in rows:
            if r[c["nflId"]] != "NA":
                r[c["s"]] = str(float(r[c["s"]]) * 30 + 16)
        return rows

    _edit(src / "week1.csv", feet)
    with pytest.raises(IngestError, match=r"week1\.csv: column 's': .* outside \[0, 15\] \(e\.g\."):
        ingest(src, src.parent / "store", progress=False)


def test_infinite_plays_value_skips_play(src, base):
    fp = base[1][2]
    _edit(
        src / "plays.csv",
        lambda c, rows: [
            r[: c["down"]] + ["inf"] + r[c["down"] + 1 :] if _is(c, r, fp) else r for r in rows
        ],
    )
    store = _assert_dropped(src, fp, "value_out_of_range", detail="plays.csv: down=inf")
    assert np.isfinite(store.static).all()


# ------------------------------------------------------------------------------ identities


def test_missing_nfl_id_is_its_own_reason(src, base):
    fp = base[1][0]

    def na(c, rows):
        for r in rows:
            if _is(c, r, fp, frameId=fp.snap + 4) and r[c["nflId"]] == str(fp.passer + 2):
                r[c["nflId"]] = "NA"
        return rows

    _edit(src / "week1.csv", na)
    _assert_dropped(src, fp, "missing_nflId")


def test_unknown_play_direction(src, base):
    fp = base[1][1]
    _edit(
        src / "week1.csv",
        lambda c, rows: [
            r[: c["playDirection"]] + ["sideways"] + r[c["playDirection"] + 1 :]
            if _is(c, r, fp)
            else r
            for r in rows
        ],
    )
    _assert_dropped(src, fp, "bad_play_direction", detail="'sideways'")


@pytest.mark.parametrize(
    "name, column", [("games.csv", "week"), ("plays.csv", "gameId"), ("players.csv", "nflId")]
)
def test_empty_id_names_file_and_column(src, name, column):
    _edit(
        src / name,
        lambda c, rows: [
            r[: c[column]] + [""] + r[c[column] + 1 :] if k == 0 else r for k, r in enumerate(rows)
        ],
    )
    with pytest.raises(IngestError, match=rf"{name}: column '{column}' is empty"):
        ingest(src, src.parent / "store", progress=False)
