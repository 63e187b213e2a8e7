"""Relational input channels derived per frame from the store's raw per-slot features (JAX).

The store keeps the 8 raw features of each slot (x, y, vx, vy, ax, ay, direction, orientation;
see ``sbp_jax.data.features``). Two things the network cannot easily learn from them are computed
here, inside the jitted step on the device, from the raw frames:

- angles as (sin, cos): raw degrees jump from 359 to 0, so a standardized degree channel puts
  two nearly equal headings at opposite ends of its range;
- relations between players: how far each player is from the nearest opponent (the targeted
  receiver's separation) and from the passer, and where the player is relative to where the
  passer is facing. These are functions of pairs of slots, which a per-step linear projection of
  the flattened slots cannot form.

Channels (``RELATIONAL_NAMES``), per slot and frame; angles are degrees with 0 = +y, clockwise:

- ``sin_direction``, ``cos_direction``, ``sin_orientation``, ``cos_orientation``;
- ``nearest_opponent_dist``: distance to the nearest present player of the other side (offense =
  slots 0..10, defense = slots 11..21) / ``DISTANCE_SCALE_YDS``;
- ``passer_dist``: distance to the passer (slot 0) / ``DISTANCE_SCALE_YDS`` (0 for the passer);
- ``cos_passer_facing``, ``sin_passer_facing``: cos and sin of the angle from the passer's facing
  (slot 0 orientation) to the bearing from the passer to the player, positive clockwise (the
  passer's right). 90 degrees more of passer orientation maps (cos, sin) to (sin, -cos).

Every channel of an absent slot is 0; so is the opponent distance when no opponent is present,
and the passer channels when the passer is absent or the player stands on the passer's spot (for
the passer himself). Distances use a fixed scale instead of fitted statistics, so no new
normalization statistics are needed.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from sbp_jax.data.layout import FEATURE_NAMES, N_SLOTS

RELATIONAL_NAMES = (
    "sin_direction",
    "cos_direction",
    "sin_orientation",
    "cos_orientation",
    "nearest_opponent_dist",
    "passer_dist",
    "cos_passer_facing",
    "sin_passer_facing",
)
DISTANCE_SCALE_YDS = 10.0  # distances enter the network in units of 10 yards (O(1) values)
OFFENSE_SLOTS = 11  # slots 0..10 offense (passer in 0), 11..21 defense
PASSER_SLOT = 0
_MIN_DIST_YDS = 1e-6  # bearings from closer than this are undefined -> 0

_X, _Y, _DIR, _ORI = (FEATURE_NAMES.index(n) for n in ("x", "y", "direction", "orientation"))


def _sin_cos_deg(deg: jax.Array) -> tuple[jax.Array, jax.Array]:
    rad = jnp.deg2rad(deg)
    return jnp.sin(rad), jnp.cos(rad)


def _nearest_opponent(x_NxP: jax.Array, y_NxP: jax.Array, present_NxP: jax.Array) -> jax.Array:
    """Distance (yards) from each slot to the nearest present slot of the other side, 0 if none."""
    o, d = slice(0, OFFENSE_SLOTS), slice(OFFENSE_SLOTS, None)
    sq_NxOxD = (x_NxP[..., o, None] - x_NxP[..., None, d]) ** 2 + (
        y_NxP[..., o, None] - y_NxP[..., None, d]
    ) ** 2
    to_def = jnp.where(present_NxP[..., None, d], sq_NxOxD, jnp.inf).min(axis=-1)
    to_off = jnp.where(present_NxP[..., o, None], sq_NxOxD, jnp.inf).min(axis=-2)
    nearest_sq = jnp.concatenate([to_def, to_off], axis=-1)
    finite = jnp.isfinite(nearest_sq)
    return jnp.where(finite, jnp.sqrt(jnp.where(finite, nearest_sq, 0.0)), 0.0)


def relational_features(tracks_raw_NxPxF, presence_NxP) -> jax.Array:
    """[..., 22, C] relational channels (``RELATIONAL_NAMES``) from raw [..., 22, 8] features.

    ``presence_NxP`` (bool or 0/1) broadcasts against ``tracks_raw_NxPxF[..., 0]``. Returns
    float32; absent slots are all zero (see the module docstring for every channel). Pure JAX:
    jit it, or call it inside a jitted step.
    """
    tracks = jnp.asarray(tracks_raw_NxPxF, jnp.float32)
    if tracks.shape[-2:] != (N_SLOTS, len(FEATURE_NAMES)):
        raise ValueError(
            f"relational_features: tracks of shape {tracks.shape}, expected [..., {N_SLOTS}, "
            f"{len(FEATURE_NAMES)}] ({', '.join(FEATURE_NAMES)})"
        )
    try:
        shape = jnp.broadcast_shapes(jnp.shape(presence_NxP), tracks.shape[:-1])
    except (ValueError, TypeError):
        shape = None
    if shape != tracks.shape[:-1]:
        raise ValueError(
            f"relational_features: presence of shape {jnp.shape(presence_NxP)} does not "
            f"broadcast to the slots {tracks.shape[:-1]}"
        )
    present_NxP = jnp.broadcast_to(jnp.asarray(presence_NxP) > 0, tracks.shape[:-1])
    x_NxP, y_NxP = tracks[..., _X], tracks[..., _Y]
    sin_dir, cos_dir = _sin_cos_deg(tracks[..., _DIR])
    sin_ori, cos_ori = _sin_cos_deg(tracks[..., _ORI])

    passer = slice(PASSER_SLOT, PASSER_SLOT + 1)  # keeps the slot axis for broadcasting
    dx, dy = x_NxP - x_NxP[..., passer], y_NxP - y_NxP[..., passer]
    passer_dist_NxP = jnp.sqrt(dx**2 + dy**2)
    sin_face, cos_face = sin_ori[..., passer], cos_ori[..., passer]
    # Bearing angle b (0 = +y, clockwise) has (sin b, cos b) = (dx, dy) / dist, so
    # cos(b - o) = (dx sin o + dy cos o) / dist and sin(b - o) = (dx cos o - dy sin o) / dist.
    has_bearing = (passer_dist_NxP > _MIN_DIST_YDS) & present_NxP[..., passer]
    safe_dist = jnp.where(has_bearing, passer_dist_NxP, 1.0)
    cos_rel = jnp.where(has_bearing, (dx * sin_face + dy * cos_face) / safe_dist, 0.0)
    sin_rel = jnp.where(has_bearing, (dx * cos_face - dy * sin_face) / safe_dist, 0.0)
    passer_dist_NxP = jnp.where(present_NxP[..., passer], passer_dist_NxP, 0.0)

    channels_NxPxC = jnp.stack(
        [
            sin_dir,
            cos_dir,
            sin_ori,
            cos_ori,
            _nearest_opponent(x_NxP, y_NxP, present_NxP) / DISTANCE_SCALE_YDS,
            passer_dist_NxP / DISTANCE_SCALE_YDS,
            cos_rel,
            sin_rel,
        ],
        axis=-1,
    )
    return jnp.where(present_NxP[..., None], channels_NxPxC, 0.0)
