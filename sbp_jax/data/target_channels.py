"""Target-aware input channels: where the targeted receiver is and who is near him (JAX).

Which receiver the ball went to decides most passes, so the model is told (the store's
`target_slot`, known from the release or inferred from the ball's flight; see docs/data.md).
Channels per slot and frame (``TARGET_NAMES``), all 0 when the target is unknown (slot -1) or
absent, and for absent slots:

- ``is_target``: 1 at the target's slot;
- ``target_dist``: distance from the player to the target / ``DISTANCE_SCALE_YDS`` (every slot: a
  defender close to the target is the coverage on the throw);
- ``target_separation``: at the target's slot only, his distance to the nearest defender / scale;
- ``target_depth``: at the target's slot only, his x (yards past the line of scrimmage) / scale;
- ``defenders_near_target``: at the target's slot only, the number of defenders within
  ``NEAR_TARGET_YDS`` of him / 3.

The per-target values sit in the target's slot so the network's per-step projection of the
flattened slots reads them with the weights of whichever slot the target holds.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from sbp_jax.data.layout import FEATURE_NAMES
from sbp_jax.data.relational import DISTANCE_SCALE_YDS, OFFENSE_SLOTS

TARGET_NAMES = (
    "is_target",
    "target_dist",
    "target_separation",
    "target_depth",
    "defenders_near_target",
)
NEAR_TARGET_YDS = 2.0
_X, _Y = FEATURE_NAMES.index("x"), FEATURE_NAMES.index("y")


def target_features(tracks_raw_NxPxF, presence_NxP, target_slot_N) -> jax.Array:
    """[..., 22, C] target channels (``TARGET_NAMES``) from raw [..., 22, 8] features, presence
    [..., 22] and the target slot of each leading index ([...], -1 unknown)."""
    tracks = jnp.asarray(tracks_raw_NxPxF, jnp.float32)
    present_NxP = jnp.broadcast_to(jnp.asarray(presence_NxP) > 0, tracks.shape[:-1])
    slot_N = jnp.broadcast_to(jnp.asarray(target_slot_N, jnp.int32), tracks.shape[:-2])
    slots_P = jnp.arange(tracks.shape[-2])
    is_target_NxP = (slots_P == slot_N[..., None]) & present_NxP
    known_N = is_target_NxP.any(axis=-1)
    x_NxP, y_NxP = tracks[..., _X], tracks[..., _Y]
    tx_N = jnp.sum(jnp.where(is_target_NxP, x_NxP, 0.0), axis=-1)
    ty_N = jnp.sum(jnp.where(is_target_NxP, y_NxP, 0.0), axis=-1)
    dist_NxP = jnp.sqrt((x_NxP - tx_N[..., None]) ** 2 + (y_NxP - ty_N[..., None]) ** 2)
    defense_NxP = present_NxP & (slots_P >= OFFENSE_SLOTS)
    to_def_NxP = jnp.where(defense_NxP, dist_NxP, jnp.inf)
    separation_N = jnp.min(to_def_NxP, axis=-1)
    near_N = jnp.sum(to_def_NxP <= NEAR_TARGET_YDS, axis=-1)
    at_target = is_target_NxP.astype(jnp.float32)
    channels_NxPxC = jnp.stack(
        [
            at_target,
            jnp.where(known_N[..., None], dist_NxP, 0.0) / DISTANCE_SCALE_YDS,
            at_target
            * jnp.where(jnp.isfinite(separation_N), separation_N, 0.0)[..., None]
            / DISTANCE_SCALE_YDS,
            at_target * tx_N[..., None] / DISTANCE_SCALE_YDS,
            at_target * near_N[..., None] / 3.0,
        ],
        axis=-1,
    )
    return jnp.where(present_NxP[..., None], channels_NxPxC, 0.0)
