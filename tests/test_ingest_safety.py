"""Ingest never loses data and never stores a silently different number: --force replaces only a
play store, outputs never overlap inputs, a failed write names its file, stale temporary stores
are cleaned up, row order does not matter, and the store's fingerprint identifies its data."""

import errno
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from bdb_fixtures import edit_csv, write_bdb2023
from store_fixtures import write_random_store

from sbp_jax.data import PlayStore, StoreError
from sbp_jax.data.__main__ import main
from sbp_jax.data.ingest import IngestError, ingest
from sbp_jax.data.staging import OWNER_FILE, StoreWriteError


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    root = tmp_path_factory.mktemp("safety")
    plays = write_bdb2023(root / "src", n_games=1, plays_per_game=4)
    return root / "src", [p for p in plays if p.release is not None]


@pytest.fixture
def src(base, tmp_path):
    shutil.copytree(base[0], tmp_path / "src")
    return tmp_path / "src"


def _files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------------------ --force and paths


def test_force_into_the_source_is_refused_and_the_source_kept(src, capsys):
    before = _files(src)
    assert main(["ingest", str(src), "--out", str(src), "--force", "--quiet"]) == 2
    assert "overlaps the source directory" in capsys.readouterr().err
    assert _files(src) == before


@pytest.mark.parametrize("where", ["inside", "parent"])
def test_out_overlapping_the_source_is_refused(src, where):
    out = src / "store" if where == "inside" else src.parent
    with pytest.raises(IngestError, match="overlaps the source"):
        ingest(src, out, overwrite=True, progress=False)
    assert not (src / "store").exists()


def test_force_replaces_only_a_play_store(src, tmp_path, capsys):
    other = tmp_path / "results"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    assert main(["ingest", str(src), "--out", str(other), "--force", "--quiet"]) == 2
    assert "is not a play store" in capsys.readouterr().err
    assert (other / "notes.txt").read_text() == "keep me"
    store = ingest(src, tmp_path / "store", progress=False)
    again = ingest(src, tmp_path / "store", overwrite=True, progress=False)  # a store: replaced
    assert again.fingerprint == store.fingerprint


# ------------------------------------------------------------------------------ failed writes


@pytest.mark.parametrize("failing", ["chunk00000.npy", "static.npy", "tracking.npy", "meta.json"])
def test_full_disk_names_the_file_and_leaves_nothing(src, tmp_path, monkeypatch, failing):
    import builtins
    import pathlib

    def full(path):
        if str(path).endswith(failing):
            raise OSError(errno.ENOSPC, "No space left on device")

    real_save, real_open, real_write = np.save, builtins.open, pathlib.Path.write_text
    monkeypatch.setattr(np, "save", lambda f, *a, **k: (full(f), real_save(f, *a, **k))[1])
    monkeypatch.setattr(builtins, "open", lambda f, *a, **k: (full(f), real_open(f, *a, **k))[1])
    monkeypatch.setattr(
        pathlib.Path, "write_text", lambda p, *a, **k: (full(p), real_write(p, *a, **k))[1]
    )
    with pytest.raises(StoreWriteError, match=rf"{failing}: write failed \(No space left"):
        ingest(src, tmp_path / "out" / "store", progress=False)
    assert list((tmp_path / "out").iterdir()) == []


def test_cli_reports_a_failed_write(src, tmp_path, monkeypatch, capsys):
    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "save", full)
    assert main(["ingest", str(src), "--out", str(tmp_path / "s"), "--quiet"]) == 2
    assert "chunk00000.npy: write failed" in capsys.readouterr().err


def test_stale_temporary_stores_are_removed(src, tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    host = os.uname().nodename
    parent = tmp_path / "stores"
    for name, pid in ((".store.tmp-dead", int(dead.stdout)), (".store.tmp-live", os.getpid())):
        (parent / name).mkdir(parents=True)
        (parent / name / OWNER_FILE).write_text(json.dumps({"pid": pid, "host": host}))
    (parent / ".other.tmp-unowned").mkdir()  # no owner record: not ours to judge
    ingest(src, parent / "store", progress=False)
    assert sorted(p.name for p in parent.iterdir()) == [
        ".other.tmp-unowned",
        ".store.tmp-live",
        "store",
    ]
    assert not (parent / "store" / OWNER_FILE).exists()


# ------------------------------------------------------------------------------ row order


def test_shuffled_rows_with_tied_distances_give_the_same_store(src, base, tmp_path):
    """Two defenders exactly as far from the passer at the snap (3-4-5, on whole yards): the lower
    nflId takes the lower slot, however the rows are ordered."""
    fp = base[1][0]
    key = (str(fp.gameId), str(fp.playId), str(fp.snap))

    def tie(c, rows):
        snap = [r for r in rows if (r[c["gameId"]], r[c["playId"]], r[c["frameId"]]) == key]
        passer = next(r for r in snap if r[c["nflId"]] == str(fp.passer))
        x0, y0 = round(float(passer[c["x"]])), round(float(passer[c["y"]]))
        defense = sorted(
            (r for r in snap if r[c["team"]] == fp.defense), key=lambda r: int(r[c["nflId"]])
        )
        for r, (x, y) in zip(
            (passer, *defense[:2]), ((x0, y0), (x0 + 3, y0 + 4), (x0 + 4, y0 - 3)), strict=True
        ):
            r[c["x"]], r[c["y"]] = str(x), str(y)
        return rows

    edit_csv(src / "week1.csv", tie)
    straight = ingest(src, tmp_path / "a", progress=False)
    edit_csv(src / "week1.csv", lambda c, rows: rows[::-1])
    reversed_ = ingest(src, tmp_path / "b", progress=False)
    for name in ("tracking", "presence", "static", "lengths", "yards"):
        assert getattr(straight, name).tobytes() == getattr(reversed_, name).tobytes(), name
    assert straight.fingerprint == reversed_.fingerprint
    snap = straight.tracking[straight.offsets[0]].astype(np.float64)
    rel = snap[11:, :2] - snap[0, :2]
    lower = 11 + np.flatnonzero(np.all(np.abs(rel - [3, 4]) < 1e-4, axis=1))
    higher = 11 + np.flatnonzero(np.all(np.abs(rel - [4, -3]) < 1e-4, axis=1))
    assert len(lower) == len(higher) == 1 and lower[0] < higher[0]


# ------------------------------------------------------------------------------ fingerprint


def test_fingerprint_is_stable_and_sensitive(tmp_path):
    one, _ = write_random_store(tmp_path / "one", n_plays=30, seed=4, n_chunks=1)
    three, _ = write_random_store(tmp_path / "three", n_plays=30, seed=4, n_chunks=3)
    other, _ = write_random_store(tmp_path / "other", n_plays=30, seed=5)
    assert len(one.fingerprint) == 16 and int(one.fingerprint, 16) >= 0
    assert one.fingerprint == three.fingerprint == one.meta["fingerprint"]
    assert one.fingerprint != other.fingerprint
    meta = json.loads((tmp_path / "one" / "meta.json").read_text())
    del meta["fingerprint"]  # a store written before fingerprints: computed on the fly
    (tmp_path / "one" / "meta.json").write_text(json.dumps(meta))
    assert PlayStore.open(tmp_path / "one").fingerprint == three.fingerprint
    tracking = np.load(tmp_path / "one" / "tracking.npy")
    tracking[3, 5, 1] += 1e-3
    np.save(tmp_path / "one" / "tracking.npy", tracking)
    assert PlayStore.open(tmp_path / "one").fingerprint != three.fingerprint


def test_non_finite_statistics_are_refused_when_opening(tmp_path):
    write_random_store(tmp_path / "s", n_plays=5)
    meta = json.loads((tmp_path / "s" / "meta.json").read_text())
    meta["norm"]["track_std_F"][2] = float("inf")
    (tmp_path / "s" / "meta.json").write_text(json.dumps(meta))
    feature = json.loads((tmp_path / "s" / "meta.json").read_text())["feature_names"][2]
    with pytest.raises(StoreError, match=rf"meta\.json: .*tracking feature '{feature}'.*std inf"):
        PlayStore.open(tmp_path / "s")
