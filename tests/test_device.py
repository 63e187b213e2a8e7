"""The device-resident store and the in-step data work: the device gather and the host gather give
bit-identical raw batches and model inputs, `make_batch` is the same function, and "auto" follows
the measured memory."""

import jax
import numpy as np
import pytest
from store_fixtures import write_random_store

from sbp_jax.data import Normalizer, device, gather_raw, make_batch, model_inputs
from sbp_jax.data.batching import BatchIterator, index_batch


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    return write_random_store(tmp_path_factory.mktemp("dev") / "s", n_plays=37, seed=9, n_games=8)


def _rows(seed=0):
    rng = np.random.default_rng(seed)
    idx = rng.permutation(37)[:10].astype(np.int64)
    return index_batch(np.concatenate([idx, [-1, -1]]), int(idx[0]))


def test_device_gather_is_bit_identical_to_the_host_gather(stored):
    store, a = stored
    rows = _rows()
    T = 48  # longer than every play: padded steps must be zeros on both paths
    host = gather_raw(store, rows, T)
    dstore = jax.device_put(device.host_arrays(store))
    dev = jax.jit(device.gather, static_argnums=2)(dstore, rows, T)
    for name, h, d in zip(host._fields, host, dev, strict=True):
        np.testing.assert_array_equal(np.asarray(d), h, err_msg=name)
    # padded steps and filler rows
    off = np.concatenate([[0], np.cumsum(a["lengths"])])
    for b, i in enumerate(rows.src):
        n = a["lengths"][i]
        np.testing.assert_array_equal(host.tracks[b, :n], a["tracking"][off[i] : off[i] + n])
        assert np.all(host.tracks[b, n:] == 0.0)
    np.testing.assert_array_equal(host.weight, [1] * 10 + [0, 0])
    np.testing.assert_array_equal(host.play_index[-2:], [-1, -1])


def test_model_inputs_are_identical_on_both_paths_and_equal_make_batch(stored):
    store, _ = stored
    rows = _rows(seed=1)
    T = 40
    norm = Normalizer.of(store.norm)
    build = jax.jit(model_inputs, static_argnames="spec")
    from_host = build(gather_raw(store, rows, T), norm)
    dstore = jax.device_put(device.host_arrays(store))
    from_device = jax.jit(lambda s, r: model_inputs(device.gather(s, r, T), norm))(dstore, rows)
    for name, h, d in zip(from_host._fields, from_host, from_device, strict=True):
        np.testing.assert_array_equal(np.asarray(d), np.asarray(h), err_msg=name)
    real = rows.play_index[rows.play_index >= 0]
    batch = make_batch(store, real, batch_size=12, time_multiple=T)
    np.testing.assert_array_equal(batch.tracks, np.asarray(from_host.tracks))


def test_iterator_index_calls_and_raw_calls_describe_the_same_plays(stored):
    store, _ = stored
    it = BatchIterator(store, np.arange(37), batch_size=8, seed=2, steps_per_call=2)
    dstore = jax.device_put(device.host_arrays(store))
    gather = jax.jit(device.gather, static_argnums=2)
    for raw_call, idx_call in zip(it.calls(1), it.calls(1, raw=False), strict=True):
        assert raw_call.num_steps == idx_call.num_steps and raw_call.steps == idx_call.steps
        for j in range(raw_call.steps):
            plays = jax.tree.map(lambda x, j=j: x[j], idx_call.batches)
            dev = gather(dstore, plays, idx_call.num_steps)
            for h, d in zip(raw_call.batches, dev, strict=True):
                np.testing.assert_array_equal(np.asarray(d), h[j])


class _Device:
    def __init__(self, limit):
        self.limit = limit

    def memory_stats(self):
        return None if self.limit is None else {"bytes_limit": self.limit}


def test_auto_placement_follows_measured_memory(stored, monkeypatch):
    store, a = stored
    need = device.nbytes(store)
    assert need >= (a["tracking"].nbytes + 22 * 8 * 4)  # the arrays plus the padding row
    assert device.fits(store, [_Device(8 * need)] * 2)
    assert not device.fits(store, [_Device(2 * need), _Device(8 * need)])
    # no device statistics (CPU): a share of the host's memory for all copies together
    monkeypatch.setattr(device, "_host_memory", lambda: 8 * need)
    assert device.fits(store, [_Device(None)] * 2)
    assert not device.fits(store, [_Device(None)] * 3)
