"""Normal distribution: the Gaussian baseline head."""

from __future__ import annotations

import math

import jax.numpy as jnp
from jax.scipy.special import ndtr, ndtri

from sbp_jax.distributions.base import Array, ArrayLike, Distribution, check_finite, check_positive

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _standardize(x: Array, loc: Array, scale: Array) -> tuple[Array, Array, Array]:
    """(z, scale_safe, scale_ok): z-score with a placeholder scale where scale <= 0."""
    scale_ok = scale > 0
    scale_safe = jnp.where(scale_ok, scale, 1.0)
    return (x - loc) / scale_safe, scale_safe, scale_ok


def normal_log_prob(x: ArrayLike, loc: ArrayLike, scale: ArrayLike) -> Array:
    """Log density of N(loc, scale^2) at x (NaN if scale <= 0)."""
    z, scale_safe, scale_ok = _standardize(x, loc, scale)
    return jnp.where(scale_ok, -0.5 * z * z - jnp.log(scale_safe) - _HALF_LOG_2PI, jnp.nan)


def normal_cdf(x: ArrayLike, loc: ArrayLike, scale: ArrayLike) -> Array:
    """CDF of N(loc, scale^2) at x (NaN if scale <= 0)."""
    z, _, scale_ok = _standardize(x, loc, scale)
    return jnp.where(scale_ok, ndtr(z), jnp.nan)


def normal_icdf(q: ArrayLike, loc: ArrayLike, scale: ArrayLike) -> Array:
    """Quantile of N(loc, scale^2): -inf at 0, +inf at 1, NaN outside [0, 1] or if scale <= 0."""
    return jnp.where(scale > 0, loc + scale * ndtri(q), jnp.nan)


class Normal(Distribution):
    """Gaussian with mean `loc` and standard deviation `scale` > 0."""

    _param_names = ("loc", "scale")

    def __init__(self, loc: ArrayLike, scale: ArrayLike):
        check_finite("Normal", "loc", loc)
        check_positive("Normal", "scale", scale)
        self._set_params(loc=loc, scale=scale)

    def log_prob(self, x: ArrayLike) -> Array:
        """See base class."""
        return normal_log_prob(self._as_input(x), self.loc, self.scale)

    def cdf(self, x: ArrayLike) -> Array:
        """See base class."""
        return normal_cdf(self._as_input(x), self.loc, self.scale)

    def icdf(self, q: ArrayLike) -> Array:
        """See base class."""
        return normal_icdf(self._as_input(q), self.loc, self.scale)

    def mean(self) -> Array:
        """See base class."""
        return jnp.broadcast_to(self.loc, self.batch_shape)
