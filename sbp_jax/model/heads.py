"""Output heads: map the MLP's last vector to a distribution's parameters.

Each head is a pure function of an unconstrained vector `out_BxO` (K = `num_outputs(cfg)`),
returning `(params, dist)` where `params` is a dict of the distribution's constructor arguments
(already mapped to their valid ranges) and `dist` the distribution object built from them.

Parameter maps (see docs/training.md):
- `sbp`: logits = out[:N]; xi = xi_min + (xi_max - xi_min) * sigmoid(raw) for each tail, so
  xi in [xi_min, xi_max] ([0, 0.75] by default: non-negative, so the support is unbounded and no
  observation can fall outside it); beta = softplus(raw) + beta_min > 0 (yards).
- `gaussian`: loc = yards_scale * raw, scale = yards_scale * softplus(raw) + beta_min.
- `binned`: logits = out, a histogram on [low, high].
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from sbp_jax.config import ModelConfig
from sbp_jax.distributions import Binned, Normal, SplicedBinnedPareto

HEADS = ("sbp", "gaussian", "binned")


def num_outputs(cfg: ModelConfig) -> int:
    """Width of the unconstrained vector each head consumes."""
    return {"sbp": cfg.num_bins + 4, "gaussian": 2, "binned": cfg.num_bins}[cfg.head]


def _xi(raw: jax.Array, cfg: ModelConfig) -> jax.Array:
    return cfg.xi_min + (cfg.xi_max - cfg.xi_min) * jax.nn.sigmoid(raw)


def _positive(raw: jax.Array, floor: float) -> jax.Array:
    return jax.nn.softplus(raw) + floor


def sbp_head(
    out_BxO: jax.Array, cfg: ModelConfig
) -> tuple[dict[str, jax.Array], SplicedBinnedPareto]:
    """Spliced binned-Pareto: N bin logits and (xi, beta) for each tail."""
    n = cfg.num_bins
    params = {
        "logits": out_BxO[..., :n],
        "lower_xi": _xi(out_BxO[..., n], cfg),
        "lower_beta": _positive(out_BxO[..., n + 1], cfg.beta_min),
        "upper_xi": _xi(out_BxO[..., n + 2], cfg),
        "upper_beta": _positive(out_BxO[..., n + 3], cfg.beta_min),
    }
    dist = SplicedBinnedPareto(
        **params, low=cfg.low, high=cfg.high, tail_percentile=cfg.tail_percentile
    )
    return params, dist


def gaussian_head(out_BxO: jax.Array, cfg: ModelConfig) -> tuple[dict[str, jax.Array], Normal]:
    """Normal baseline: location and scale in yards."""
    params = {
        "loc": cfg.yards_scale * out_BxO[..., 0],
        "scale": cfg.yards_scale * jax.nn.softplus(out_BxO[..., 1]) + cfg.beta_min,
    }
    return params, Normal(**params)


def binned_head(out_BxO: jax.Array, cfg: ModelConfig) -> tuple[dict[str, jax.Array], Binned]:
    """Histogram baseline on the same bins as the SBP body, without tails."""
    params = {"logits": out_BxO}
    return params, Binned(**params, low=cfg.low, high=cfg.high)


_HEAD_FNS: dict[str, Callable] = {"sbp": sbp_head, "gaussian": gaussian_head, "binned": binned_head}


def apply_head(out_BxO: jax.Array, cfg: ModelConfig):
    """Dispatch on `cfg.head`; returns `(params, dist)`."""
    out_BxO = jnp.asarray(out_BxO, jnp.float32)
    return _HEAD_FNS[cfg.head](out_BxO, cfg)
