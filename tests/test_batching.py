"""Batches: values vs a per-play reference, padding, bucketing, determinism, resume, sharding,
and game-level splits."""

import numpy as np
import pytest
from store_fixtures import write_random_store

from sbp_jax.data import BatchIterator, InputSpec, make_batch, shard, split_by_game
from sbp_jax.data.store import NormStats


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    return write_random_store(tmp_path_factory.mktemp("b") / "s", n_plays=101, seed=3, n_games=12)


def _reference_rows(a, norm, idx, T):
    """Expected raw-feature tracks/static by a plain loop over plays and frames (the derived
    relational channels that follow them are checked in test_relational.py)."""
    off = np.concatenate([[0], np.cumsum(a["lengths"])])
    tracks = np.zeros((len(idx), T, 22, 8), np.float32)
    for b, i in enumerate(idx):
        for t in range(a["lengths"][i]):
            z = (a["tracking"][off[i] + t] - norm.track_mean_F) / norm.track_std_F
            tracks[b, t] = np.where(a["presence"][i][:, None], z, 0.0)
    static = (a["static"][idx] - norm.static_mean_S) / norm.static_std_S
    return tracks, static


def test_make_batch_matches_reference_and_pads(stored):
    store, a = stored
    idx = np.array([5, 0, 77, 42])
    batch = make_batch(store, idx, batch_size=6, time_multiple=8)
    T = batch.tracks.shape[1]
    assert T % 8 == 0 and T - 8 < a["lengths"][idx].max() <= T
    ref_tracks, ref_static = _reference_rows(a, store.norm, idx, T)
    np.testing.assert_allclose(batch.tracks[:4, ..., :8], ref_tracks, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(batch.static[:4], ref_static, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(batch.lengths[:4], a["lengths"][idx])
    np.testing.assert_array_equal(batch.presence[:4], a["presence"][idx].astype(np.float32))
    np.testing.assert_array_equal(batch.yards[:4], a["yards"][idx])
    # filler rows: weight 0, index -1, a well-formed copy of a real play
    np.testing.assert_array_equal(batch.weight, [1, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(batch.play_index, [5, 0, 77, 42, -1, -1])
    np.testing.assert_array_equal(batch.tracks[4], batch.tracks[0])
    assert batch.lengths.min() >= 1
    assert batch.tracks.dtype == np.float32 and batch.lengths.dtype == np.int32
    assert batch.play_index.dtype == np.int64


def test_make_batch_custom_norm_and_errors(stored):
    store, a = stored
    norm = NormStats(
        np.full(8, 1.0, np.float32),
        np.full(8, 2.0, np.float32),
        np.zeros(3, np.float32),
        np.ones(3, np.float32),
    )
    batch = make_batch(store, [7], norm=norm, time_multiple=1, spec=InputSpec(False, False))
    ref, _ = _reference_rows(a, norm, [7], a["lengths"][7])
    np.testing.assert_allclose(batch.tracks, ref, rtol=1e-6)
    np.testing.assert_allclose(batch.static[0], a["static"][7], rtol=1e-6)
    with pytest.raises(IndexError, match=r"play index 101 out of range \[0, 101\) of the store"):
        make_batch(store, [101])
    # -1 marks filler rows inside a batch: as an input it must not silently become one
    for bad in ([3, -1], [3, 101]):
        with pytest.raises(IndexError, match=f"play index {bad[1]} out of range"):
            BatchIterator(store, bad, batch_size=2, seed=0)
    with pytest.raises(ValueError, match="batch_size 2"):
        make_batch(store, [1, 2, 3], batch_size=2)


def _epoch_indices(it, epoch, start_step=0):
    return [b.play_index for b in it.epoch(epoch, start_step)]


def test_epoch_covers_every_play_once_and_is_deterministic(stored):
    store, _ = stored
    plays = np.arange(0, 101, 2)  # 51 plays
    it = BatchIterator(store, plays, batch_size=8, seed=7)
    assert len(it) == 7
    batches = list(it.epoch(0))
    assert len(batches) == 7
    got = np.concatenate([b.play_index[b.weight > 0] for b in batches])
    np.testing.assert_array_equal(np.sort(got), plays)
    assert sum((b.weight == 0).sum() for b in batches) == 7 * 8 - 51
    again = BatchIterator(store, plays, batch_size=8, seed=7)
    for x, y in zip(_epoch_indices(it, 0), _epoch_indices(again, 0), strict=True):
        np.testing.assert_array_equal(x, y)
    assert not all(
        np.array_equal(x, y)
        for x, y in zip(_epoch_indices(it, 0), _epoch_indices(it, 1), strict=True)
    )
    # resume mid-epoch = the tail of the same epoch
    for x, y in zip(_epoch_indices(it, 3, start_step=4), _epoch_indices(it, 3)[4:], strict=True):
        np.testing.assert_array_equal(x, y)


def test_loader_threads_give_the_same_batches_in_the_same_order(stored):
    store, _ = stored
    plays = np.arange(101)
    one = BatchIterator(store, plays, batch_size=8, seed=4, process_index=1, process_count=2)
    three = BatchIterator(
        store, plays, batch_size=8, seed=4, process_index=1, process_count=2, workers=3
    )
    for start in (0, 5):
        serial, threaded = list(one.epoch(2, start)), list(three.epoch(2, start))
        assert len(serial) == len(threaded) == len(one) - start
        for x, y in zip(serial, threaded, strict=True):
            for a, b in zip(x, y, strict=True):
                np.testing.assert_array_equal(a, b)
    # stopping early leaves no thread running past the consumer
    it = three.epoch(0)
    next(it)
    it.close()
    with pytest.raises(ValueError, match="workers"):
        BatchIterator(store, plays, batch_size=8, seed=4, workers=0)


def test_bucketing_reduces_padding_and_efficiency_is_exact(stored):
    store, _ = stored
    plays = np.arange(101)
    kw = dict(batch_size=8, seed=0, time_multiple=1)
    bucketed = BatchIterator(store, plays, bucket_by_length=True, **kw)
    plain = BatchIterator(store, plays, bucket_by_length=False, **kw)
    for it in (bucketed, plain):
        batches = list(it.epoch(0))
        valid = sum(int(b.lengths[b.weight > 0].sum()) for b in batches)
        cells = sum(b.tracks.shape[0] * b.tracks.shape[1] for b in batches)
        assert it.padding_efficiency(0) == pytest.approx(valid / cells)
    assert bucketed.padding_efficiency() > plain.padding_efficiency() + 0.1


def test_unshuffled_order(stored):
    store, _ = stored
    it = BatchIterator(
        store, np.arange(20), batch_size=8, seed=0, shuffle=False, bucket_by_length=False
    )
    np.testing.assert_array_equal(
        np.concatenate(_epoch_indices(it, 0)), np.concatenate([np.arange(20), [-1] * 4])
    )


def test_process_sharding_partitions_the_global_batch(stored):
    store, _ = stored
    plays = np.arange(45)
    full = list(BatchIterator(store, plays, batch_size=8, seed=5).epoch(2))
    parts = [
        list(
            BatchIterator(
                store, plays, batch_size=8, seed=5, process_index=p, process_count=4
            ).epoch(2)
        )
        for p in range(4)
    ]
    for step, whole in enumerate(full):
        local = [parts[p][step] for p in range(4)]
        assert {x.tracks.shape for x in local} == {(2,) + whole.tracks.shape[1:]}
        for name in ("tracks", "presence", "lengths", "static", "yards", "weight", "play_index"):
            np.testing.assert_array_equal(
                np.concatenate([getattr(x, name) for x in local]), getattr(whole, name)
            )
    with pytest.raises(ValueError, match="not divisible"):
        BatchIterator(store, plays, batch_size=6, seed=0, process_count=4)


def test_shard(stored):
    store, _ = stored
    batch = make_batch(store, np.arange(8))
    s = shard(batch, 4)
    assert s.tracks.shape == (4, 2) + batch.tracks.shape[1:]
    np.testing.assert_array_equal(s.play_index[1], [2, 3])
    np.testing.assert_array_equal(s.tracks[3, 1], batch.tracks[7])
    with pytest.raises(ValueError, match="3 devices"):
        shard(batch, 3)


def test_split_by_game(stored):
    store, a = stored
    splits = split_by_game(store, valid_fraction=0.2, test_fraction=0.2, seed=1)
    allp = np.concatenate(list(splits.values()))
    np.testing.assert_array_equal(np.sort(allp), np.arange(store.n_plays))
    games = {k: set(a["gameId"][v]) for k, v in splits.items()}
    assert not games["train"] & games["valid"] and not games["train"] & games["test"]
    assert not games["valid"] & games["test"]
    n_games = len(np.unique(a["gameId"]))
    assert len(games["test"]) == len(games["valid"]) == round(0.2 * n_games)
    again = split_by_game(store, valid_fraction=0.2, test_fraction=0.2, seed=1)
    np.testing.assert_array_equal(again["test"], splits["test"])
    with pytest.raises(ValueError, match="fractions"):
        split_by_game(store, valid_fraction=0.6, test_fraction=0.5)


def test_steps_per_call_groups_share_one_length_and_keep_every_play(stored):
    store, a = stored
    it = BatchIterator(
        store, np.arange(101), batch_size=8, seed=3, steps_per_call=3, time_multiple=1
    )
    calls = list(it.calls(0))
    assert [c.steps for c in calls] == [3, 3, 3, 3, 1]  # 13 steps
    seen = np.concatenate([c.batches.play_index.ravel() for c in calls])
    np.testing.assert_array_equal(np.sort(seen[seen >= 0]), np.arange(101))
    for c in calls:
        idx = c.batches.play_index[c.batches.play_index >= 0]
        assert c.num_steps == a["lengths"][idx].max()  # the call's longest play
        assert c.batches.tracks.shape[:3] == (c.steps, 8, c.num_steps)
    # grouping keeps most of bucketing's gain when a pool holds many calls
    kw = dict(batch_size=4, seed=3, time_multiple=1)
    single = BatchIterator(store, np.arange(101), **kw)
    paired = BatchIterator(store, np.arange(101), steps_per_call=2, **kw)
    unbucketed = BatchIterator(store, np.arange(101), bucket_by_length=False, **kw)
    assert paired.padding_efficiency() > 0.85 * single.padding_efficiency()
    assert paired.padding_efficiency() > unbucketed.padding_efficiency() + 0.1
    # without bucketing, batches and their order are exactly those of one step per call
    kw = dict(batch_size=8, seed=3, bucket_by_length=False)
    plain = BatchIterator(store, np.arange(101), **kw).global_batches(2)
    grouped = BatchIterator(store, np.arange(101), steps_per_call=4, **kw).global_batches(2)
    np.testing.assert_array_equal(np.stack(plain), np.stack(grouped))
    with pytest.raises(ValueError, match="multiple of steps_per_call 3"):
        next(it.calls(0, start_step=2))
