"""Masked reductions of per-row losses.

A weighted mean that ignores weight-0 rows completely (`where=`), so filler rows that pad a short
last batch cannot move the loss, even if their NLL were inf/NaN."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def masked_sum(values_B: jax.Array, *, weight_B: jax.Array) -> jax.Array:
    """sum_i w_i * v_i over rows with w_i > 0 (other rows contribute exactly 0)."""
    keep_B = weight_B > 0
    return jnp.sum(jnp.where(keep_B, values_B * weight_B, 0.0))


@jax.jit
def masked_mean(values_B: jax.Array, weight_B: jax.Array) -> jax.Array:
    """Weighted mean over rows with weight > 0; 0 when no row counts."""
    total = jnp.sum(jnp.where(weight_B > 0, weight_B, 0.0))
    return masked_sum(values_B, weight_B=weight_B) / jnp.maximum(total, 1e-12)
