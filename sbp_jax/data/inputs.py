"""Raw batches -> the model's inputs, in JAX: standardization, masking and the derived channels.

This is the data work of a step. It runs inside the jitted (and pmapped) train step, the season
scorer and the exported single-play scorer, so the host only ships raw frames (or, with a
device-resident store, play indices) and every path builds bit-identical inputs from the same
function.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from sbp_jax.config import DataConfig
from sbp_jax.data.layout import FEATURE_NAMES
from sbp_jax.data.normalization import NormStats
from sbp_jax.data.relational import RELATIONAL_NAMES, relational_features
from sbp_jax.data.target_channels import TARGET_NAMES, target_features


class InputSpec(NamedTuple):
    """Which derived channels follow the 8 standardized raw features of each slot (hashable, so it
    can be a static argument of a jitted function)."""

    relational: bool = True
    target: bool = True

    @classmethod
    def of(cls, data: DataConfig) -> InputSpec:
        return cls(data.relational_features, data.target_features)

    @property
    def names(self) -> tuple[str, ...]:
        return input_feature_names(self.relational, self.target)


DEFAULT_INPUTS = InputSpec()  # relational and target channels on (the config's defaults)


def input_feature_names(relational: bool = True, target: bool = False) -> tuple[str, ...]:
    """Names of the model's input channels per slot: the raw features, then the relational and
    target channels that are on."""
    return (
        FEATURE_NAMES + (RELATIONAL_NAMES if relational else ()) + (TARGET_NAMES if target else ())
    )


class RawBatch(NamedTuple):
    """Plays as the store holds them, padded to T steps; a NamedTuple so it is a JAX pytree."""

    tracks: jax.Array  # float32 [B, T, 22, 8] raw features; zeros at padded steps
    presence: jax.Array  # float32 [B, 22]
    lengths: jax.Array  # int32 [B], >= 1
    static: jax.Array  # float32 [B, S] raw
    yards: jax.Array  # float32 [B]
    weight: jax.Array  # float32 [B]: 1 real play, 0 filler
    play_index: jax.Array  # int [B]: store row, -1 for filler
    target_slot: jax.Array  # int32 [B]: the targeted receiver's slot, -1 unknown


class Batch(NamedTuple):
    """Model-ready batch (same fields as `RawBatch`, inputs standardized and extended)."""

    # float32 [B, T, 22, F]: F = InputSpec.names, the 8 raw features standardized then the
    # derived relational and target channels; zeros at padded steps and absent slots
    tracks: jax.Array
    presence: jax.Array  # float32 [B, 22]
    lengths: jax.Array  # int32 [B]
    static: jax.Array  # float32 [B, S] standardized
    yards: jax.Array  # float32 [B]
    weight: jax.Array  # float32 [B]
    play_index: jax.Array  # int [B]


class Normalizer(NamedTuple):
    """`NormStats` as a pytree of arrays, so it can be a (replicated) argument of a jitted step."""

    track_mean_F: jax.Array
    track_std_F: jax.Array
    static_mean_S: jax.Array
    static_std_S: jax.Array

    @classmethod
    def of(cls, norm: NormStats) -> Normalizer:
        return cls(
            jnp.asarray(norm.track_mean_F, jnp.float32),
            jnp.asarray(norm.track_std_F, jnp.float32),
            jnp.asarray(norm.static_mean_S, jnp.float32),
            jnp.asarray(norm.static_std_S, jnp.float32),
        )


def model_inputs(raw: RawBatch, norm: Normalizer, *, spec: InputSpec = DEFAULT_INPUTS) -> Batch:
    """Standardize the raw features and static features, append the derived channels `spec`
    asks for, and zero every padded step and absent slot."""
    tracks_BxTxPxF = jnp.asarray(raw.tracks, jnp.float32)
    num_steps = tracks_BxTxPxF.shape[1]
    valid_BxT = jnp.arange(num_steps)[None, :] < jnp.asarray(raw.lengths)[:, None]
    present_BxTxP = valid_BxT[..., None] & (jnp.asarray(raw.presence)[:, None, :] > 0)
    channels = [(tracks_BxTxPxF - norm.track_mean_F) / norm.track_std_F]
    if spec.relational:
        channels.append(relational_features(tracks_BxTxPxF, present_BxTxP))
    if spec.target:
        slot_BxT = jnp.broadcast_to(jnp.asarray(raw.target_slot)[:, None], valid_BxT.shape)
        channels.append(target_features(tracks_BxTxPxF, present_BxTxP, slot_BxT))
    inputs_BxTxPxF = jnp.concatenate(channels, axis=-1)
    static_BxS = (jnp.asarray(raw.static, jnp.float32) - norm.static_mean_S) / norm.static_std_S
    return Batch(
        tracks=jnp.where(present_BxTxP[..., None], inputs_BxTxPxF, 0.0),
        presence=jnp.asarray(raw.presence, jnp.float32),
        lengths=jnp.asarray(raw.lengths, jnp.int32),
        static=static_BxS,
        yards=jnp.asarray(raw.yards, jnp.float32),
        weight=jnp.asarray(raw.weight, jnp.float32),
        play_index=raw.play_index,
    )
