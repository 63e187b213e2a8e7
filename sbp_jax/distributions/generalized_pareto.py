"""Generalized Pareto distribution (GPD): pure functions and a distrax-style face.

For shape xi, scale beta > 0 and z = x - loc >= 0 (docs/distribution.md):
  density  g(z) = (1/beta) (1 + xi z/beta)^(-1/xi - 1)
  survival S(z) = (1 + xi z/beta)^(-1/xi)            (CDF G = 1 - S)
  quantile G^-1(u) = (beta/xi) ((1 - u)^(-xi) - 1)
with the exponential as the xi -> 0 limit and, for xi < 0, a finite upper end at z = -beta/xi
(density 0 and CDF 1 beyond).

Numerics. Every 1/xi is folded into relative functions that are analytic at 0:
  log S(z)  = -(z/beta) * log1prel(xi z/beta),  log1prel(x) = log1p(x)/x
  G^-1(u)  =  beta * t * exprel(xi t),           exprel(x) = expm1(x)/x,  t = -log(1 - u)
Both switch to an 8-term Taylor series for |x| < 1e-2 (truncation error < 1e-16), so values AND
gradients are smooth and NaN-free through xi = 0 in float32 and float64. Every switch uses the
double-`where` trick: the branch not taken is evaluated on a harmless placeholder, so it cannot
put a NaN or inf into a gradient.
"""

from __future__ import annotations

import math

import jax.numpy as jnp

from sbp_jax.distributions.base import Array, ArrayLike, Distribution, check_finite, check_positive

_SERIES_RADIUS = 1e-2
_SERIES_TERMS = 8  # truncation error below 1e-16 (values) and 1e-14 (gradients) for |x| < 1e-2


def _horner(x: Array, coefficients: list[float]) -> Array:
    """sum_n coefficients[n] x^n."""
    out = jnp.full_like(x, coefficients[-1])
    for c in reversed(coefficients[:-1]):
        out = c + x * out
    return out


def log1prel(x: Array) -> Array:
    """log1p(x)/x for x > -1, equal to 1 at x = 0, with smooth gradients there."""
    small = jnp.abs(x) < _SERIES_RADIUS
    x_safe = jnp.where(small, 1.0, x)
    direct = jnp.log1p(x_safe) / x_safe
    series = _horner(x, [(-1) ** n / (n + 1) for n in range(_SERIES_TERMS)])
    return jnp.where(small, series, direct)


def exprel(x: Array) -> Array:
    """expm1(x)/x, equal to 1 at x = 0, with smooth gradients there."""
    small = jnp.abs(x) < _SERIES_RADIUS
    x_safe = jnp.where(small, 1.0, x)
    direct = jnp.expm1(x_safe) / x_safe
    series = _horner(x, [1 / math.factorial(n + 1) for n in range(_SERIES_TERMS)])
    return jnp.where(small, series, direct)


def _standardize(z: Array, xi: Array, beta: Array) -> tuple[Array, Array, Array, Array]:
    """(u, x, inside, beta_ok): u = z/beta, x = xi*u made safe outside the support.

    `inside` marks 0 <= z < upper end (finite z); `beta_ok` marks a valid scale.
    """
    beta_ok = beta > 0
    beta_safe = jnp.where(beta_ok, beta, 1.0)
    u = z / beta_safe
    x = xi * u
    inside = (z >= 0) & (x > -1) & jnp.isfinite(z)
    u_safe = jnp.where(inside, u, 0.0)
    x_safe = jnp.where(inside, x, 0.0)
    return u_safe, x_safe, inside, beta_ok


def gpd_log_prob(z: ArrayLike, xi: ArrayLike, beta: ArrayLike) -> Array:
    """Log density of GPD(xi, beta) at z (-inf outside the support, NaN if beta <= 0)."""
    u, x, inside, beta_ok = _standardize(z, xi, beta)
    beta_safe = jnp.where(beta_ok, beta, 1.0)
    log_g = -jnp.log(beta_safe) - u * log1prel(x) - jnp.log1p(x)
    log_g = jnp.where(inside, log_g, -jnp.inf)
    return jnp.where(beta_ok, log_g, jnp.nan)


def gpd_log_sf(z: ArrayLike, xi: ArrayLike, beta: ArrayLike) -> Array:
    """log P(Z > z): 0 below the support, -inf beyond its upper end, NaN if beta <= 0."""
    u, x, inside, beta_ok = _standardize(z, xi, beta)
    log_s = jnp.where(inside, -u * log1prel(x), jnp.where(z < 0, 0.0, -jnp.inf))
    return jnp.where(beta_ok, log_s, jnp.nan)


def gpd_cdf(z: ArrayLike, xi: ArrayLike, beta: ArrayLike) -> Array:
    """P(Z <= z) of GPD(xi, beta)."""
    return -jnp.expm1(gpd_log_sf(z, xi, beta))


def gpd_upper_end(xi: ArrayLike, beta: ArrayLike) -> Array:
    """Upper end of the support: -beta/xi for xi < 0, +inf otherwise."""
    neg = xi < 0
    return jnp.where(neg, -beta / jnp.where(neg, xi, -1.0), jnp.inf)


def gpd_isf_from_neglog(t: ArrayLike, xi: ArrayLike, beta: ArrayLike) -> Array:
    """The z with -log S(z) = t (t >= 0; t = inf gives the upper support end).

    Taking t = -log(survival) lets callers form it accurately (e.g. log1p(-q) or log(q/alpha)).
    """
    finite = jnp.isfinite(t)
    t_safe = jnp.where(finite, t, 1.0)
    beta_ok = beta > 0
    beta_safe = jnp.where(beta_ok, beta, 1.0)
    z = jnp.where(finite, beta_safe * t_safe * exprel(xi * t_safe), gpd_upper_end(xi, beta_safe))
    return jnp.where(beta_ok, z, jnp.nan)


def gpd_isf(s: ArrayLike, xi: ArrayLike, beta: ArrayLike) -> Array:
    """Inverse survival function: the z with P(Z > z) = s, for s in [0, 1] (NaN outside)."""
    pos = s > 0
    t = jnp.where(pos, -jnp.log(jnp.where(pos, s, 1.0)), jnp.inf)
    return jnp.where((s >= 0) & (s <= 1), gpd_isf_from_neglog(t, xi, beta), jnp.nan)


def gpd_icdf(q: ArrayLike, xi: ArrayLike, beta: ArrayLike) -> Array:
    """Quantile of GPD(xi, beta) at q in [0, 1] (icdf(1) = upper support end; NaN outside)."""
    below_one = q < 1
    t = jnp.where(below_one, -jnp.log1p(-jnp.where(below_one, q, 0.0)), jnp.inf)
    return jnp.where((q >= 0) & (q <= 1), gpd_isf_from_neglog(t, xi, beta), jnp.nan)


def gpd_mean(xi: ArrayLike, beta: ArrayLike) -> Array:
    """E[Z] = beta / (1 - xi) for xi < 1, +inf otherwise."""
    finite = xi < 1
    return jnp.where(finite, beta / (1 - jnp.where(finite, xi, 0.0)), jnp.inf)


class GeneralizedPareto(Distribution):
    """GPD with shape `xi`, scale `beta` > 0 and location `loc`; support [loc, loc - beta/xi)."""

    _param_names = ("xi", "beta", "loc")

    def __init__(self, xi: ArrayLike, beta: ArrayLike, loc: ArrayLike = 0.0):
        check_finite("GeneralizedPareto", "xi", xi)
        check_positive("GeneralizedPareto", "beta", beta)
        check_finite("GeneralizedPareto", "loc", loc)
        self._set_params(xi=xi, beta=beta, loc=loc)

    def log_prob(self, x: ArrayLike) -> Array:
        """See base class."""
        return gpd_log_prob(self._as_input(x) - self.loc, self.xi, self.beta)

    def cdf(self, x: ArrayLike) -> Array:
        """See base class."""
        return gpd_cdf(self._as_input(x) - self.loc, self.xi, self.beta)

    def icdf(self, q: ArrayLike) -> Array:
        """See base class."""
        return self.loc + gpd_icdf(self._as_input(q), self.xi, self.beta)

    def mean(self) -> Array:
        """See base class."""
        return self.loc + gpd_mean(self.xi, self.beta)
