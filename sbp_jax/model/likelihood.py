"""The negative log-likelihood every head is trained and judged by.

One function for training (the loss) and evaluation (the NLL metric), so the two cannot drift."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from sbp_jax.distributions import Binned


def nll(dist, yards_B: jax.Array) -> jax.Array:
    """Per-row negative log-likelihood, [B].

    The SBP and Normal have unbounded support. The histogram baseline (`Binned`) does not: yards
    beyond its range are censored into its edge bins, so it trains on any data (interception
    returns, long touchdowns) and its held-out NLL stays finite and comparable."""
    yards_B = jnp.asarray(yards_B, jnp.float32)
    if isinstance(dist, Binned):
        yards_B = jnp.clip(yards_B, dist.low, dist.high)
    return -dist.log_prob(yards_B)
