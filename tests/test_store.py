"""PlayStore: round trip, normalization statistics, atomic writes and load-time checks."""

import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from store_fixtures import write_random_store

from sbp_jax.data import FORMAT_VERSION, NormStats, PlayStore, StoreError
from sbp_jax.data.store import StoreWriter


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    path = tmp_path_factory.mktemp("store") / "s"
    store, arrays = write_random_store(path, n_plays=40, seed=1)
    return path, store, arrays


def _reference_norm(a, play_idx):
    """Mean/std by an explicit loop over plays (independent of the streaming accumulator)."""
    off = np.concatenate([[0], np.cumsum(a["lengths"])])
    vals = [
        a["tracking"][off[i] : off[i + 1]][:, a["presence"][i]].reshape(-1, 8) for i in play_idx
    ]
    vals = np.concatenate(vals).astype(np.float64)
    st = a["static"][play_idx].astype(np.float64)
    return vals.mean(0), vals.std(0), st.mean(0), st.std(0)


def test_round_trip(stored):
    path, _, a = stored
    store = PlayStore.open(path)
    assert isinstance(store.tracking, np.memmap)
    assert store.tracking.dtype == np.float32 and store.tracking.shape[1:] == (22, 8)
    np.testing.assert_array_equal(store.tracking, a["tracking"])
    np.testing.assert_array_equal(store.lengths, a["lengths"])
    np.testing.assert_array_equal(np.diff(store.offsets), a["lengths"])
    np.testing.assert_array_equal(store.presence, a["presence"])
    np.testing.assert_array_equal(store.static, a["static"])
    np.testing.assert_array_equal(store.yards, a["yards"])
    np.testing.assert_array_equal(store.plays["gameId"], a["gameId"])
    assert len(store) == store.n_plays == 40
    assert store.format_version == FORMAT_VERSION
    assert len(store.feature_names) == 8 and store.static_names[0] == "down"


def test_norm_stats_match_reference(stored):
    _, store, a = stored
    tm, ts, sm, ss = _reference_norm(a, np.arange(40))
    np.testing.assert_allclose(store.norm.track_mean_F, tm, rtol=1e-5)
    np.testing.assert_allclose(store.norm.track_std_F, ts, rtol=1e-5)
    np.testing.assert_allclose(store.norm.static_mean_S, sm, rtol=1e-5)
    np.testing.assert_allclose(store.norm.static_std_S, ss, rtol=1e-5)
    subset = np.arange(0, 40, 3)
    sub = NormStats.compute(store, subset, chunk_plays=4)
    tm, ts, sm, ss = _reference_norm(a, subset)
    np.testing.assert_allclose(sub.track_mean_F, tm, rtol=1e-5)
    np.testing.assert_allclose(sub.track_std_F, ts, rtol=1e-5)
    np.testing.assert_allclose(sub.static_std_S, ss, rtol=1e-5)


def test_norm_stats_dict_round_trip_and_constant_feature():
    n = NormStats.from_moments(
        np.array([4.0, 2.0]), np.array([8.0, 1.0]), 2, np.array([6.0]), np.array([18.0]), 2
    )
    np.testing.assert_allclose(n.track_mean_F, [2.0, 1.0])
    np.testing.assert_allclose(n.track_std_F, [1.0, 1.0])  # second: var 0.5-1 < 0 -> clipped -> 1
    np.testing.assert_allclose(n.static_std_S, [1.0])  # constant feature: std 0 -> 1
    back = NormStats.from_dict(json.loads(json.dumps(n.to_dict())))
    for f in ("track_mean_F", "track_std_F", "static_mean_S", "static_std_S"):
        np.testing.assert_array_equal(getattr(back, f), getattr(n, f))
    with pytest.raises(ValueError, match="static_std_S"):
        NormStats.from_dict({k: v for k, v in n.to_dict().items() if k != "static_std_S"})


def test_interrupted_write_leaves_nothing(tmp_path):
    out = tmp_path / "s"
    with pytest.raises(RuntimeError), StoreWriter(out) as w:
        w.add(
            np.zeros((3, 22, 8), np.float32), [3], np.ones((1, 22), bool), np.zeros((1, 1)), [0.0]
        )
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_existing_store_needs_overwrite(tmp_path):
    out = tmp_path / "s"
    write_random_store(out, n_plays=5, seed=0)
    with pytest.raises(FileExistsError, match="already exists"):
        StoreWriter(out)
    with StoreWriter(out, overwrite=True) as w:
        w.add(np.ones((2, 22, 8), np.float32), [2], np.ones((1, 22), bool), np.zeros((1, 1)), [7.0])
        w.finish(plays={"gameId": np.array([1])}, static_names=["a"], meta={})
    store = PlayStore.open(out)
    assert store.n_plays == 1 and store.yards[0] == 7.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s"]


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda p: (p / "meta.json").unlink(), "no meta.json"),
        (lambda p: _edit_meta(p, format_version=99), "format_version 99"),
        (lambda p: _edit_meta(p, n_plays=3), "n_plays 3"),
        (lambda p: (p / "static.npy").unlink(), "missing array file static.npy"),
        (lambda p: (p / "plays.parquet").unlink(), "plays.parquet"),
        (
            lambda p: np.save(p / "presence.npy", np.ones((10, 21), bool)),
            r"presence.npy: shape \(10, 21\)",
        ),
        (lambda p: np.save(p / "lengths.npy", np.ones(10, np.int32)), "disagree"),
        (lambda p: _truncate(p / "meta.json"), "meta.json: unreadable"),
        (lambda p: _edit_meta(p, norm={"track_mean_F": [0.0]}), "meta.json: unreadable.*missing"),
        (lambda p: _truncate(p / "tracking.npy"), "tracking.npy: unreadable"),
        (lambda p: _truncate(p / "static.npy"), "static.npy: unreadable"),
        (lambda p: _truncate(p / "plays.parquet"), "plays.parquet: unreadable"),
    ],
)
def test_open_reports_what_is_wrong(tmp_path, damage, message):
    path = tmp_path / "s"
    write_random_store(path, n_plays=10, seed=2)
    damage(path)
    with pytest.raises(StoreError, match=message):
        PlayStore.open(path)


def _edit_meta(path, **changes):
    meta = json.loads((path / "meta.json").read_text())
    meta.update(changes)
    (path / "meta.json").write_text(json.dumps(meta))


def _truncate(path):
    """Cut a file to half its size, as an interrupted copy would."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_stores_without_target_columns_read_as_unknown_targets(tmp_path):
    """Stores written before the target columns existed open with target unknown."""
    store, _ = write_random_store(tmp_path / "s", n_plays=6)
    assert "target_slot" not in pq.read_table(tmp_path / "s" / "plays.parquet").column_names
    np.testing.assert_array_equal(store.plays["target_slot"], -1)
    np.testing.assert_array_equal(store.plays["target_id"], -1)
    assert list(store.plays["target_source"]) == ["none"] * 6
