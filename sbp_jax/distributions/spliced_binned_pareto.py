"""Spliced binned-Pareto (SBP) distribution: a histogram body with generalized-Pareto tails.

As in docs/distribution.md. With alpha = tail_percentile, body quantile Qb and GPD pieces g, G:
  thresholds  tau_l = Qb(alpha), tau_u = Qb(1 - alpha)
  density     alpha g_l(tau_l - y) (y < tau_l);  p_k / w (body);  alpha g_u(y - tau_u) (y > tau_u)
  CDF         alpha (1 - G_l(tau_l - y));  Fb(y);  1 - alpha + alpha G_u(y - tau_u)
  quantile    tau_l - G_l^-1(1 - q/alpha);  Qb(q);  tau_u + G_u^-1((q - 1 + alpha)/alpha)
The tails carry exactly alpha each and the body between the thresholds exactly 1 - 2 alpha, so the
density integrates to 1 and the CDF is its integral. icdf(0), icdf(1) are the support ends (infinite
for xi >= 0, finite for xi < 0).

Numerics: bin masses by log-softmax (no log(0)), thresholds by vectorized counting (no loop or
sort), GPD pieces via the xi-safe functions of `generalized_pareto`, and double-`where` wherever a
branch is not taken, so values and gradients are finite for observations anywhere, including
exactly on thresholds and bin edges. Under `jit` no parameter check runs; a batch element with an
invalid tail (beta <= 0 or a non-finite beta/xi) gives NaN from every method.
"""

from __future__ import annotations

import jax.numpy as jnp

from sbp_jax.distributions.base import (
    Array,
    ArrayLike,
    Distribution,
    check_bin_range,
    check_finite,
    check_logits,
    check_positive,
)
from sbp_jax.distributions.binned import (
    Histogram,
    body_cdf,
    body_icdf,
    body_log_prob,
    body_partial_mean,
    histogram,
)
from sbp_jax.distributions.generalized_pareto import (
    gpd_isf_from_neglog,
    gpd_log_prob,
    gpd_log_sf,
    gpd_mean,
)


def sbp_thresholds(
    h: Histogram, *, low: float, high: float, tail_percentile: float
) -> tuple[Array, Array]:
    """(tau_l, tau_u) = (Qb(alpha), Qb(1 - alpha)) of a histogram."""
    lower = jnp.full(h.total.shape, tail_percentile, h.total.dtype)
    upper = jnp.full(h.total.shape, 1.0 - tail_percentile, h.total.dtype)
    return body_icdf(lower, h, low=low, high=high), body_icdf(upper, h, low=low, high=high)


def _tails_valid(lower_xi: Array, lower_beta: Array, upper_xi: Array, upper_beta: Array) -> Array:
    """True where both tails have a finite shape and a finite positive scale."""
    finite = jnp.isfinite(lower_xi) & jnp.isfinite(upper_xi)
    finite &= jnp.isfinite(lower_beta) & jnp.isfinite(upper_beta)
    return finite & (lower_beta > 0) & (upper_beta > 0)


def sbp_log_prob(
    y: ArrayLike,
    logits: ArrayLike,
    lower_xi: ArrayLike,
    lower_beta: ArrayLike,
    upper_xi: ArrayLike,
    upper_beta: ArrayLike,
    *,
    low: float,
    high: float,
    tail_percentile: float,
) -> Array:
    """Log density of the SBP at y (y broadcasts against the parameters' batch shape)."""
    h = histogram(logits)
    y = jnp.asarray(y, h.total.dtype)
    tau_l, tau_u = sbp_thresholds(h, low=low, high=high, tail_percentile=tail_percentile)
    log_alpha = jnp.log(jnp.asarray(tail_percentile, y.dtype))
    lower = log_alpha + gpd_log_prob(tau_l - y, lower_xi, lower_beta)
    upper = log_alpha + gpd_log_prob(y - tau_u, upper_xi, upper_beta)
    body = body_log_prob(y, h, low=low, high=high)
    out = jnp.where(y < tau_l, lower, jnp.where(y > tau_u, upper, body))
    return jnp.where(_tails_valid(lower_xi, lower_beta, upper_xi, upper_beta), out, jnp.nan)


def sbp_cdf(
    y: ArrayLike,
    logits: ArrayLike,
    lower_xi: ArrayLike,
    lower_beta: ArrayLike,
    upper_xi: ArrayLike,
    upper_beta: ArrayLike,
    *,
    low: float,
    high: float,
    tail_percentile: float,
) -> Array:
    """CDF of the SBP at y."""
    h = histogram(logits)
    y = jnp.asarray(y, h.total.dtype)
    tau_l, tau_u = sbp_thresholds(h, low=low, high=high, tail_percentile=tail_percentile)
    alpha = jnp.asarray(tail_percentile, y.dtype)
    lower = alpha * jnp.exp(gpd_log_sf(tau_l - y, lower_xi, lower_beta))
    upper = 1 - alpha * jnp.exp(gpd_log_sf(y - tau_u, upper_xi, upper_beta))
    body = body_cdf(y, h, low=low, high=high)
    out = jnp.where(y < tau_l, lower, jnp.where(y > tau_u, upper, body))
    return jnp.where(_tails_valid(lower_xi, lower_beta, upper_xi, upper_beta), out, jnp.nan)


def sbp_icdf(
    q: ArrayLike,
    logits: ArrayLike,
    lower_xi: ArrayLike,
    lower_beta: ArrayLike,
    upper_xi: ArrayLike,
    upper_beta: ArrayLike,
    *,
    low: float,
    high: float,
    tail_percentile: float,
) -> Array:
    """Quantile of the SBP at q in [0, 1]; icdf(0), icdf(1) are the support ends; NaN outside."""
    h = histogram(logits)
    q = jnp.asarray(q, h.total.dtype)
    tau_l, tau_u = sbp_thresholds(h, low=low, high=high, tail_percentile=tail_percentile)
    log_alpha = jnp.log(jnp.asarray(tail_percentile, q.dtype))
    # -log of the tail survival probability: q/alpha below, (1 - q)/alpha above (inf at q = 0 / 1).
    q_pos, q_lt1 = q > 0, q < 1
    t_lower = jnp.where(q_pos, log_alpha - jnp.log(jnp.where(q_pos, q, 1.0)), jnp.inf)
    t_upper = jnp.where(q_lt1, log_alpha - jnp.log1p(-jnp.where(q_lt1, q, 0.0)), jnp.inf)
    lower = tau_l - gpd_isf_from_neglog(t_lower, lower_xi, lower_beta)
    upper = tau_u + gpd_isf_from_neglog(t_upper, upper_xi, upper_beta)
    body = body_icdf(q, h, low=low, high=high)
    alpha = jnp.exp(log_alpha)
    out = jnp.where(q < alpha, lower, jnp.where(q > 1 - alpha, upper, body))
    valid = _tails_valid(lower_xi, lower_beta, upper_xi, upper_beta) & (q >= 0) & (q <= 1)
    return jnp.where(valid, out, jnp.nan)


def sbp_mean(
    logits: ArrayLike,
    lower_xi: ArrayLike,
    lower_beta: ArrayLike,
    upper_xi: ArrayLike,
    upper_beta: ArrayLike,
    *,
    low: float,
    high: float,
    tail_percentile: float,
) -> Array:
    """Body integral plus alpha times each tail mean; +-inf if a tail has xi >= 1 (NaN if both)."""
    h = histogram(logits)
    tau_l, tau_u = sbp_thresholds(h, low=low, high=high, tail_percentile=tail_percentile)
    alpha = jnp.asarray(tail_percentile, h.total.dtype)
    body = body_partial_mean(h, tau_l, tau_u, low=low, high=high)
    lower = alpha * (tau_l - gpd_mean(lower_xi, lower_beta))
    upper = alpha * (tau_u + gpd_mean(upper_xi, upper_beta))
    out = body + lower + upper
    return jnp.where(_tails_valid(lower_xi, lower_beta, upper_xi, upper_beta), out, jnp.nan)


class SplicedBinnedPareto(Distribution):
    """Histogram body on N = logits.shape[-1] equal bins of [low, high]; GPD tails of mass alpha.

    Parameters broadcast over batch dims: `logits` [..., N], tails `lower_xi`, `lower_beta`,
    `upper_xi`, `upper_beta` [...]. `low`, `high`, `tail_percentile` are static.
    """

    _param_names = ("logits", "lower_xi", "lower_beta", "upper_xi", "upper_beta")
    _param_event_ndims = {"logits": 1}
    _static_names = ("low", "high", "tail_percentile", "num_bins")

    def __init__(
        self,
        logits: ArrayLike,
        lower_xi: ArrayLike,
        lower_beta: ArrayLike,
        upper_xi: ArrayLike,
        upper_beta: ArrayLike,
        *,
        low: float,
        high: float,
        tail_percentile: float = 0.05,
    ):
        owner = "SplicedBinnedPareto"
        check_logits(owner, logits)
        check_finite(owner, "logits", logits)
        for name, xi, beta in (("lower", lower_xi, lower_beta), ("upper", upper_xi, upper_beta)):
            check_finite(owner, f"{name}_xi", xi)
            check_positive(owner, f"{name}_beta", beta)
        check_bin_range(owner, low, high)
        if not 0 < tail_percentile < 0.5:
            raise ValueError(
                f"{owner}: tail_percentile must be in (0, 0.5) (got {tail_percentile})."
            )
        self.low, self.high = float(low), float(high)
        self.tail_percentile = float(tail_percentile)
        self.num_bins = int(jnp.shape(logits)[-1])
        self._set_params(
            logits=logits,
            lower_xi=lower_xi,
            lower_beta=lower_beta,
            upper_xi=upper_xi,
            upper_beta=upper_beta,
        )

    @property
    def _arrays(self) -> tuple[Array, ...]:
        return self.logits, self.lower_xi, self.lower_beta, self.upper_xi, self.upper_beta

    @property
    def _static(self) -> dict[str, float]:
        return {"low": self.low, "high": self.high, "tail_percentile": self.tail_percentile}

    def log_prob(self, x: ArrayLike) -> Array:
        """See base class."""
        return sbp_log_prob(self._as_input(x), *self._arrays, **self._static)

    def cdf(self, x: ArrayLike) -> Array:
        """See base class."""
        return sbp_cdf(self._as_input(x), *self._arrays, **self._static)

    def icdf(self, q: ArrayLike) -> Array:
        """See base class."""
        return sbp_icdf(self._as_input(q), *self._arrays, **self._static)

    def mean(self) -> Array:
        """See base class."""
        return sbp_mean(*self._arrays, **self._static)

    def thresholds(self) -> tuple[Array, Array]:
        """(tau_l, tau_u): where the lower and upper GPD tails take over from the histogram."""
        return sbp_thresholds(histogram(self.logits), **self._static)
