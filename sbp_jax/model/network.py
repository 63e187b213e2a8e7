"""PassModel: masked causal TCN over the tracking time series + static MLP -> distribution head.

Per step the 22 x 8 player features are flattened and projected to `channels`; residual blocks of
causal dilated 1-D convolutions (left padding only, so step t sees steps <= t) follow, one per
dilation. After the input projection and after every block the padding mask sets padded steps to
exactly zero (with `where`, so even NaN garbage in padded steps cannot leak). The state at each
play's last valid step (`lengths - 1`) is joined with the static features and the slot presence
mask, and an MLP maps it to the head's unconstrained outputs (see `sbp_jax.model.heads`).

`PassModel.dtype` is the activation and matmul dtype (bfloat16 for mixed precision on an
accelerator): parameters stay float32, and the head's last Dense and the distribution's math run
in float32.

Shape letters (docs/architecture.md): B batch, T steps, P player slots, F features per slot,
C channels, S static features, O head outputs, D MLP width, Q quantile levels, K bins."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from sbp_jax.config import ModelConfig
from sbp_jax.model.dropout import Dropout
from sbp_jax.model.heads import apply_head, num_outputs


def time_mask(lengths_B: jax.Array, num_steps: int) -> jax.Array:
    """[B, T] bool, True at valid steps t < lengths."""
    return jnp.arange(num_steps)[None, :] < lengths_B[:, None]


def _masked(h_BxTxC: jax.Array, mask_BxT: jax.Array) -> jax.Array:
    return jnp.where(mask_BxT[..., None], h_BxTxC, 0.0)


class CausalBlock(nn.Module):
    """Two causal dilated convolutions with a residual connection and layer norm."""

    channels: int
    kernel_size: int
    dilation: int
    dropout: float
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, h_BxTxC: jax.Array, mask_BxT: jax.Array, *, train: bool) -> jax.Array:
        pad = [((self.kernel_size - 1) * self.dilation, 0)]  # left only: causal
        y_BxTxC = h_BxTxC
        for _ in range(2):
            y_BxTxC = nn.Conv(
                self.channels,
                (self.kernel_size,),
                kernel_dilation=(self.dilation,),
                padding=pad,
                dtype=self.dtype,
            )(y_BxTxC)
            y_BxTxC = nn.gelu(y_BxTxC)
            y_BxTxC = Dropout(self.dropout)(y_BxTxC, deterministic=not train)
        h_BxTxC = nn.LayerNorm(dtype=self.dtype)(h_BxTxC + y_BxTxC)
        return _masked(h_BxTxC, mask_BxT)


class TCN(nn.Module):
    """Masked causal TCN; returns the per-step states [B, T, C] (zero at padded steps)."""

    channels: int
    kernel_size: int
    dilations: Sequence[int]
    dropout: float
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x_BxTxF: jax.Array, lengths_B: jax.Array, *, train: bool) -> jax.Array:
        mask_BxT = time_mask(lengths_B, x_BxTxF.shape[1])
        x_BxTxF = _masked(x_BxTxF, mask_BxT)
        h_BxTxC = _masked(nn.Dense(self.channels, dtype=self.dtype)(x_BxTxF), mask_BxT)
        for d in self.dilations:
            h_BxTxC = CausalBlock(self.channels, self.kernel_size, d, self.dropout, self.dtype)(
                h_BxTxC, mask_BxT, train=train
            )
        return h_BxTxC


def last_valid(h_BxTxC: jax.Array, lengths_B: jax.Array) -> jax.Array:
    """State at each play's last valid step, [B, C]."""
    idx_B = jnp.clip(lengths_B - 1, 0, h_BxTxC.shape[1] - 1)
    return jnp.take_along_axis(h_BxTxC, idx_B[:, None, None], axis=1)[:, 0]


class PassModel(nn.Module):
    """(tracks [B,T,22,8], presence [B,22], lengths [B], static [B,S]) -> (params, distribution).
    `dtype`: activations and matmuls of the TCN and MLP (parameters are float32 either way)."""

    cfg: ModelConfig
    dtype: Any = jnp.float32

    def features(self, tracks_BxTxPxF, presence_BxP, lengths_B, static_BxS, *, train=False):
        """The MLP input: TCN readout, static features and presence, [B, C + S + P]."""
        b, t = tracks_BxTxPxF.shape[:2]
        x_BxTxF = jnp.asarray(tracks_BxTxPxF, jnp.float32).reshape(b, t, -1)
        lengths_B = jnp.asarray(lengths_B, jnp.int32)
        h_BxTxC = TCN(
            self.cfg.channels,
            self.cfg.kernel_size,
            tuple(self.cfg.dilations),
            self.cfg.dropout,
            self.dtype,
            name="tcn",
        )(x_BxTxF, lengths_B, train=train)
        return jnp.concatenate(
            [
                last_valid(h_BxTxC, lengths_B),
                jnp.asarray(static_BxS, self.dtype),
                jnp.asarray(presence_BxP, self.dtype),
            ],
            axis=-1,
        )

    @nn.compact
    def __call__(self, tracks_BxTxPxF, presence_BxP, lengths_B, static_BxS, *, train: bool = False):
        z_BxD = self.features(tracks_BxTxPxF, presence_BxP, lengths_B, static_BxS, train=train)
        for width in self.cfg.mlp_hidden:
            z_BxD = nn.gelu(nn.Dense(width, dtype=self.dtype)(z_BxD))
            z_BxD = Dropout(self.cfg.dropout)(z_BxD, deterministic=not train)
        out_BxO = nn.Dense(
            num_outputs(self.cfg), kernel_init=nn.initializers.zeros, dtype=jnp.float32, name="head"
        )(jnp.asarray(z_BxD, jnp.float32))
        return apply_head(out_BxO, self.cfg)
