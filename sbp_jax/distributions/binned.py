"""Binned (histogram) distribution: N equal bins on [low, high], uniform density within each bin.

With p = softmax(logits), edges e_k = low + k w, w = (high - low)/N and F_k = p_0 + ... + p_{k-1}:
  density  p_k / w                       on bin k
  CDF      Fb(y) = F_k + p_k (y - e_k)/w  for y in bin k (0 below low, 1 above high)
  quantile Qb(q) = e_k + w (q - F_k)/p_k  for F_k <= q < F_{k+1}
The quantile's bin is found by a two-level vectorized search (no loop or sort): bins are grouped in
blocks of about sqrt(N); counting block-cumulative masses <= q finds the block, then counting within
that one gathered block finds the bin. So no full cumulative sum over [..., N] is ever formed (it
dominated the NLL's cost), which is also how the spliced binned-Pareto finds its thresholds.

Outside [low, high] the density is 0, so `log_prob` is -inf there (with zero, finite gradients).
Training code that wants a finite loss for out-of-range targets must clip them into [low, high]
itself; the distribution does not pretend out-of-range values are likely.

With 1-yard bins whose edges sit at half-yards, cdf(k) at an integer k is F_k + p_k/2 (the
mid-distribution percentile).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

from sbp_jax.distributions.base import (
    Array,
    ArrayLike,
    Distribution,
    check_bin_range,
    check_finite,
    check_logits,
)


class Histogram(NamedTuple):
    """Unnormalized bin masses grouped in blocks of about sqrt(N) bins, for two-level searches.

    shifted: logits minus their (gradient-stopped) max, [..., N]; exp(shifted) <= 1, never all 0.
    blocks: exp(shifted) zero-padded to a multiple of the block size, [..., n_blocks, block].
    block_cum: inclusive cumulative sums of the block masses, [..., n_blocks]; the last entry
      is the normalizer.
    """

    shifted: Array
    blocks: Array
    block_cum: Array

    @property
    def total(self) -> Array:
        return self.block_cum[..., -1]


def _block_size(num_bins: int) -> int:
    return math.isqrt(num_bins - 1) + 1  # ceil(sqrt(N))


def histogram(logits: ArrayLike) -> Histogram:
    """Histogram of softmax(logits) over the last axis."""
    logits = jnp.asarray(logits)
    shifted = logits - jax.lax.stop_gradient(jnp.max(logits, axis=-1, keepdims=True))
    num_bins = shifted.shape[-1]
    size = _block_size(num_bins)
    n_blocks = -(-num_bins // size)
    padding = [(0, 0)] * (shifted.ndim - 1) + [(0, n_blocks * size - num_bins)]
    blocks = jnp.pad(jnp.exp(shifted), padding).reshape(shifted.shape[:-1] + (n_blocks, size))
    return Histogram(shifted, blocks, jnp.cumsum(jnp.sum(blocks, axis=-1), axis=-1))


def bin_probabilities(logits: ArrayLike) -> Array:
    """softmax(logits) over the bin axis."""
    h = histogram(logits)
    return jnp.exp(h.shifted) / h.total[..., None]


def take_bin(table: Array, k: Array) -> Array:
    """table[..., k] per element, broadcasting table's batch dims [..., N] against k's shape."""
    shape = jnp.broadcast_shapes(k.shape, table.shape[:-1])
    table = jnp.broadcast_to(table, shape + table.shape[-1:])
    return jnp.take_along_axis(table, jnp.broadcast_to(k, shape)[..., None], axis=-1)[..., 0]


def _block_row(h: Histogram, b: Array) -> tuple[Array, Array]:
    """Masses of block b and their cumulative sums including everything below, [..., block]."""
    shape = jnp.broadcast_shapes(b.shape, h.block_cum.shape[:-1])
    blocks = jnp.broadcast_to(h.blocks, shape + h.blocks.shape[-2:])
    b = jnp.broadcast_to(b, shape)
    row = jnp.take_along_axis(blocks, b[..., None, None], axis=-2)[..., 0, :]
    start = jnp.where(b > 0, take_bin(h.block_cum, jnp.maximum(b - 1, 0)), 0.0)
    return row, start[..., None] + jnp.cumsum(row, axis=-1)


def _bin_mass_and_below(h: Histogram, k: Array) -> tuple[Array, Array]:
    """Unnormalized (mass of bin k, mass below bin k) per element."""
    size = h.blocks.shape[-1]
    row, cum_row = _block_row(h, k // size)
    j = k % size
    mass = take_bin(row, j)
    return mass, take_bin(cum_row, j) - mass


def _locate(h: Histogram, target: Array) -> tuple[Array, Array, Array]:
    """(k, mass, below): the bin with F_k <= target < F_{k+1} (unnormalized, clipped to the
    last bin), its mass and the mass below it, by counting first over blocks, then in one block."""
    num_bins = h.shifted.shape[-1]
    n_blocks, size = h.blocks.shape[-2:]
    b = jnp.sum(h.block_cum[..., : n_blocks - 1] <= target[..., None], axis=-1, dtype=jnp.int32)
    row, cum_row = _block_row(h, b)
    j = jnp.sum(cum_row[..., : size - 1] <= target[..., None], axis=-1, dtype=jnp.int32)
    k = jnp.minimum(b * size + j, num_bins - 1)  # padded slots have no mass; never land on one
    j = k - b * size
    mass = take_bin(row, j)
    return k, mass, take_bin(cum_row, j) - mass


def bin_index(y: Array, low: float, high: float, num_bins: int) -> Array:
    """Index of the bin holding y, clipped to [0, N-1] (the top edge belongs to the last bin)."""
    width = (high - low) / num_bins
    k = jnp.floor((y - low) / width)
    return jnp.clip(k, 0, num_bins - 1).astype(jnp.int32)


def body_log_prob(y: Array, h: Histogram, *, low: float, high: float) -> Array:
    """log(p_k / w) for y in bin k; -inf outside [low, high]."""
    num_bins = h.shifted.shape[-1]
    k = bin_index(y, low, high, num_bins)
    log_width = jnp.log(jnp.asarray((high - low) / num_bins, y.dtype))
    log_density = take_bin(h.shifted, k) - jnp.log(h.total) - log_width
    outside = jnp.where(jnp.isnan(y), jnp.nan, -jnp.inf)  # a NaN observation stays NaN
    return jnp.where((y >= low) & (y <= high), log_density, outside)


def body_cdf(y: Array, h: Histogram, *, low: float, high: float) -> Array:
    """Fb(y): piecewise-linear CDF of the histogram (0 below low, 1 above high)."""
    num_bins = h.shifted.shape[-1]
    width = (high - low) / num_bins
    y = jnp.clip(y, low, high)
    k = bin_index(y, low, high, num_bins)
    mass, below = _bin_mass_and_below(h, k)
    frac = (y - (low + k.astype(y.dtype) * width)) / width
    return (below + mass * frac) / h.total


def body_icdf(q: Array, h: Histogram, *, low: float, high: float) -> Array:
    """Qb(q) for q in [0, 1] by vectorized search of the cumulative masses (NaN outside [0, 1])."""
    num_bins = h.shifted.shape[-1]
    width = (high - low) / num_bins
    target = q * h.total
    k, mass, below = _locate(h, target)
    mass_ok = mass > 0
    frac = (target - below) / jnp.where(mass_ok, mass, 1.0)
    frac = jnp.clip(jnp.where(mass_ok, frac, 0.0), 0.0, 1.0)
    value = low + (k.astype(q.dtype) + frac) * width
    return jnp.where((q >= 0) & (q <= 1), value, jnp.nan)


def body_partial_mean(h: Histogram, a: Array, b: Array, *, low: float, high: float) -> Array:
    """Integral of y * density over [a, b] (a, b broadcast to the batch), summed over bins."""
    num_bins = h.shifted.shape[-1]
    width = (high - low) / num_bins
    p = jnp.exp(h.shifted) / h.total[..., None]
    edges = jnp.linspace(low, high, num_bins + 1, dtype=p.dtype)
    lo = jnp.clip(edges[:-1], a[..., None], b[..., None])
    hi = jnp.clip(edges[1:], a[..., None], b[..., None])
    return jnp.sum(p / width * (hi - lo) * (hi + lo) / 2, axis=-1)


def binned_log_prob(y: ArrayLike, logits: ArrayLike, *, low: float, high: float) -> Array:
    """Log density of the histogram at y (-inf outside [low, high])."""
    h = histogram(logits)
    return body_log_prob(jnp.asarray(y, h.total.dtype), h, low=low, high=high)


def binned_cdf(y: ArrayLike, logits: ArrayLike, *, low: float, high: float) -> Array:
    """CDF of the histogram at y."""
    h = histogram(logits)
    return body_cdf(jnp.asarray(y, h.total.dtype), h, low=low, high=high)


def binned_icdf(q: ArrayLike, logits: ArrayLike, *, low: float, high: float) -> Array:
    """Quantile of the histogram at q (icdf(0) = low, icdf(1) = high if the end bins have mass)."""
    h = histogram(logits)
    return body_icdf(jnp.asarray(q, h.total.dtype), h, low=low, high=high)


def binned_mean(logits: ArrayLike, *, low: float, high: float) -> Array:
    """Sum over bins of p_k times the bin centre."""
    h = histogram(logits)
    ends = jnp.full(h.total.shape, low, h.total.dtype), jnp.full(h.total.shape, high, h.total.dtype)
    return body_partial_mean(h, *ends, low=low, high=high)


class Binned(Distribution):
    """Histogram distribution with `logits` [..., N] over N equal bins on [low, high]."""

    _param_names = ("logits",)
    _param_event_ndims = {"logits": 1}
    _static_names = ("low", "high", "num_bins")

    def __init__(self, logits: ArrayLike, *, low: float, high: float):
        check_logits("Binned", logits)
        check_finite("Binned", "logits", logits)
        check_bin_range("Binned", low, high)
        self.low, self.high = float(low), float(high)
        self.num_bins = int(jnp.shape(logits)[-1])
        self._set_params(logits=logits)

    def log_prob(self, x: ArrayLike) -> Array:
        """See base class. -inf outside [low, high]."""
        return binned_log_prob(self._as_input(x), self.logits, low=self.low, high=self.high)

    def cdf(self, x: ArrayLike) -> Array:
        """See base class."""
        return binned_cdf(self._as_input(x), self.logits, low=self.low, high=self.high)

    def icdf(self, q: ArrayLike) -> Array:
        """See base class."""
        return binned_icdf(self._as_input(q), self.logits, low=self.low, high=self.high)

    def mean(self) -> Array:
        """See base class."""
        return binned_mean(self.logits, low=self.low, high=self.high)
