"""The training loss: censoring for the bounded-support baseline, exact masking of filler rows."""

import jax.numpy as jnp
import numpy as np

from sbp_jax.distributions import Binned, Normal
from sbp_jax.model.likelihood import nll
from sbp_jax.train.loss import masked_mean


def test_binned_nll_censors_yards_beyond_its_range_into_the_edge_bins():
    logits = np.array([0.3, -1.0, 2.0, 0.5], np.float32)
    dist = Binned(jnp.asarray(logits), low=-2.0, high=2.0)  # 1-yard bins
    p = np.exp(logits - logits.max())
    p /= p.sum()
    yards = np.array([-40.0, -2.0, 0.5, 2.0, 65.0], np.float32)
    expected = -np.log(p[[0, 0, 2, 3, 3]] / 1.0)
    np.testing.assert_allclose(np.asarray(nll(dist, yards)), expected, rtol=1e-5)


def test_unbounded_distributions_are_not_censored():
    dist = Normal(jnp.float32(0.0), jnp.float32(2.0))
    y = np.float32(65.0)
    expected = 0.5 * (y / 2.0) ** 2 + np.log(2.0) + 0.5 * np.log(2 * np.pi)
    np.testing.assert_allclose(float(nll(dist, y)), expected, rtol=1e-5)


def test_masked_mean_ignores_filler_rows_even_when_they_are_not_finite():
    values = jnp.array([1.0, 3.0, jnp.nan, jnp.inf])
    weight = jnp.array([1.0, 1.0, 0.0, 0.0])
    assert float(masked_mean(values, weight)) == 2.0
