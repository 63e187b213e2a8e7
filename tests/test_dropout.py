"""Dropout: the unrolled Threefry-2x32 hash and the inverted-dropout module built on it."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.extend.random import threefry_2x32

from sbp_jax.model import Dropout, threefry2x32

# Known-answer vectors of Threefry-2x32-20 from the Random123 distribution (kat_vectors):
# (key0, key1, counter0, counter1) -> (out0, out1).
KAT = [
    ((0x00000000, 0x00000000, 0x00000000, 0x00000000), (0x6B200159, 0x99BA4EFE)),
    ((0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF), (0x1CB996FC, 0xBB002BE7)),
    ((0x13198A2E, 0x03707344, 0x243F6A88, 0x85A308D3), (0xC4923A9C, 0x483DF7A0)),
]


@pytest.mark.parametrize(("inputs", "want"), KAT)
def test_threefry_known_answers(inputs, want):
    got = threefry2x32(*(jnp.uint32(v) for v in inputs))
    assert tuple(int(v) for v in got) == want


def test_threefry_matches_jax_random_on_many_counters():
    rng = np.random.default_rng(0)
    key = rng.integers(0, 2**32, 2, dtype=np.uint64).astype(np.uint32)
    x0, x1 = (rng.integers(0, 2**32, 1000, dtype=np.uint64).astype(np.uint32) for _ in range(2))
    got0, got1 = jax.jit(threefry2x32)(key[0], key[1], x0, x1)
    # jax's threefry_2x32 hashes the first half of `count` with the second half as pairs
    want = np.asarray(threefry_2x32((jnp.uint32(key[0]), jnp.uint32(key[1])), np.r_[x0, x1]))
    np.testing.assert_array_equal(np.r_[got0, got1], want)


def _apply(x, rate, seed, deterministic=False):
    return Dropout(rate).apply({}, x, deterministic=deterministic, rngs={"dropout": seed})


def test_dropout_drops_at_the_rate_and_scales_the_rest():
    x = jnp.asarray(np.random.default_rng(1).normal(size=(64, 50, 64)), jnp.float32) + 5.0
    rate = 0.3
    y = np.asarray(_apply(x, rate, jax.random.key(0)))
    dropped = y == 0.0
    n = dropped.size
    # binomial: 6 standard deviations
    assert abs(dropped.mean() - rate) < 6 * np.sqrt(rate * (1 - rate) / n)
    np.testing.assert_allclose(y[~dropped], np.asarray(x)[~dropped] / (1 - rate), rtol=1e-6)
    # neighbouring elements are not correlated (the hash of consecutive counters)
    d = dropped.reshape(-1).astype(float)
    corr = np.corrcoef(d[:-1], d[1:])[0, 1]
    assert abs(corr) < 6 / np.sqrt(n)


@pytest.mark.parametrize("width", [64, 10])  # four draws per hash, and one
def test_dropout_rate_holds_whatever_the_last_axis(width):
    x = jnp.ones((512, 30, width), jnp.float32)
    for rate in (0.1, 0.5):
        dropped = np.asarray(_apply(x, rate, jax.random.key(7))) == 0.0
        assert abs(dropped.mean() - rate) < 6 * np.sqrt(rate * (1 - rate) / dropped.size)
        d = dropped.reshape(-1, 4 if width % 4 == 0 else 2).astype(float)  # lanes of one hash
        corr = np.corrcoef(d.T)
        assert np.all(np.abs(corr[np.triu_indices(len(corr), 1)]) < 6 / np.sqrt(len(d)))


def test_dropout_is_a_function_of_the_key():
    x = jnp.ones((8, 16, 32))
    a, b = _apply(x, 0.5, jax.random.key(3)), _apply(x, 0.5, jax.random.key(3))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, _apply(x, 0.5, jax.random.key(4)))
    # legacy raw uint32 keys work too
    c = _apply(x, 0.5, jax.random.PRNGKey(3))
    assert c.shape == x.shape and 0.3 < float(jnp.mean(c == 0)) < 0.7


def test_two_dropout_layers_in_one_model_draw_different_masks():
    class Two(nn.Module):
        @nn.compact
        def __call__(self, x):
            return Dropout(0.5)(x, deterministic=False), Dropout(0.5)(x, deterministic=False)

    a, b = Two().apply({}, jnp.ones((4, 256)), rngs={"dropout": jax.random.key(0)})
    assert not np.array_equal(a, b)


def test_dropout_off_is_the_identity_and_its_gradient_is_the_mask():
    x = jnp.asarray(np.random.default_rng(2).normal(size=(16, 40)), jnp.float32)
    np.testing.assert_array_equal(_apply(x, 0.5, jax.random.key(0), deterministic=True), x)
    np.testing.assert_array_equal(_apply(x, 0.0, jax.random.key(0)), x)
    key = jax.random.key(5)
    g = jax.grad(lambda x: jnp.sum(_apply(x, 0.25, key)))(x)
    kept = np.asarray(_apply(jnp.ones_like(x), 0.25, key)) != 0
    np.testing.assert_allclose(g, np.where(kept, 1 / 0.75, 0.0), rtol=1e-6)
