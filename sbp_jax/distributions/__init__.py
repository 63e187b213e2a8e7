"""Distributions as JAX pytrees (distrax-style) over pure functions.

`SplicedBinnedPareto` (histogram body + generalized-Pareto tails), `GeneralizedPareto`, `Binned`
(histogram) and `Normal`; each has log_prob, prob, cdf, icdf/quantile, sample, mean, median,
batch_shape and event_shape, and works under jit, vmap and grad.
"""

from sbp_jax.distributions.base import Distribution
from sbp_jax.distributions.binned import (
    Binned,
    Histogram,
    bin_probabilities,
    binned_cdf,
    binned_icdf,
    binned_log_prob,
    binned_mean,
    histogram,
)
from sbp_jax.distributions.generalized_pareto import (
    GeneralizedPareto,
    exprel,
    gpd_cdf,
    gpd_icdf,
    gpd_isf,
    gpd_log_prob,
    gpd_log_sf,
    gpd_mean,
    gpd_upper_end,
    log1prel,
)
from sbp_jax.distributions.normal import Normal, normal_cdf, normal_icdf, normal_log_prob
from sbp_jax.distributions.spliced_binned_pareto import (
    SplicedBinnedPareto,
    sbp_cdf,
    sbp_icdf,
    sbp_log_prob,
    sbp_mean,
    sbp_thresholds,
)

__all__ = [
    "Binned",
    "Distribution",
    "GeneralizedPareto",
    "Normal",
    "SplicedBinnedPareto",
    "Histogram",
    "bin_probabilities",
    "binned_cdf",
    "binned_icdf",
    "binned_log_prob",
    "binned_mean",
    "histogram",
    "exprel",
    "gpd_cdf",
    "gpd_icdf",
    "gpd_isf",
    "gpd_log_prob",
    "gpd_log_sf",
    "gpd_mean",
    "gpd_upper_end",
    "log1prel",
    "normal_cdf",
    "normal_icdf",
    "normal_log_prob",
    "sbp_cdf",
    "sbp_icdf",
    "sbp_log_prob",
    "sbp_mean",
    "sbp_thresholds",
]
