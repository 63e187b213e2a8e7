"""Relational input channels derived per frame from the store's raw per-slot features.

The store keeps the 8 raw features of each slot (x, y, vx, vy, ax, ay, direction, orientation;
see ``sbp_jax.data.features``). Two things the network cannot easily learn from them are
computed here at batch time, in plain NumPy:

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
normalization statistics are needed and existing ``NormStats`` remain valid.
"""

from __future__ import annotations

import numpy as np

from sbp_jax.data.store import FEATURE_NAMES, N_SLOTS

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


def _sin_cos_deg(deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rad = np.deg2rad(deg)
    return np.sin(rad), np.cos(rad)


def _nearest_opponent(xy_NxPx2: np.ndarray, present_NxP: np.ndarray) -> np.ndarray:
    """Distance (yards) from each slot to the nearest present slot of the other side, 0 if none."""
    x_NxP, y_NxP = xy_NxPx2[..., 0], xy_NxPx2[..., 1]
    o, d = slice(0, OFFENSE_SLOTS), slice(OFFENSE_SLOTS, None)
    sq_NxOxD = (x_NxP[..., o, None] - x_NxP[..., None, d]) ** 2 + (
        y_NxP[..., o, None] - y_NxP[..., None, d]
    ) ** 2
    to_def_NxO = np.min(sq_NxOxD, axis=-1, where=present_NxP[..., None, d], initial=np.inf)
    to_off_NxD = np.min(sq_NxOxD, axis=-2, where=present_NxP[..., o, None], initial=np.inf)
    nearest_NxP = np.sqrt(np.concatenate([to_def_NxO, to_off_NxD], axis=-1))
    return np.where(np.isfinite(nearest_NxP), nearest_NxP, 0.0)


def relational_features(tracks_raw_NxPxF: np.ndarray, presence_NxP: np.ndarray) -> np.ndarray:
    """[..., 22, K] relational channels (``RELATIONAL_NAMES``) from raw [..., 22, 8] features.

    ``presence_NxP`` (bool or 0/1) broadcasts against ``tracks_raw_NxPxF[..., 0]``. Returns
    float32; absent slots are all zero (see the module docstring for every channel).
    """
    tracks = np.asarray(tracks_raw_NxPxF, np.float64)
    if tracks.shape[-2:] != (N_SLOTS, len(FEATURE_NAMES)):
        raise ValueError(
            f"relational_features: tracks of shape {tracks.shape}, expected [..., {N_SLOTS}, "
            f"{len(FEATURE_NAMES)}] ({', '.join(FEATURE_NAMES)})"
        )
    try:
        present_NxP = np.broadcast_to(np.asarray(presence_NxP) > 0, tracks.shape[:-1])
    except ValueError:
        raise ValueError(
            f"relational_features: presence of shape {np.shape(presence_NxP)} does not "
            f"broadcast to the slots {tracks.shape[:-1]}"
        ) from None
    xy_NxPx2 = tracks[..., [_X, _Y]]
    sin_dir, cos_dir = _sin_cos_deg(tracks[..., _DIR])
    sin_ori, cos_ori = _sin_cos_deg(tracks[..., _ORI])

    passer = slice(PASSER_SLOT, PASSER_SLOT + 1)  # keeps the slot axis for broadcasting
    rel_NxPx2 = xy_NxPx2 - xy_NxPx2[..., passer, :]
    passer_dist_NxP = np.sqrt(np.sum(rel_NxPx2**2, axis=-1))
    sin_face, cos_face = sin_ori[..., passer], cos_ori[..., passer]
    # Bearing angle b (0 = +y, clockwise) has (sin b, cos b) = (dx, dy) / dist, so
    # cos(b - o) = (dx sin o + dy cos o) / dist and sin(b - o) = (dx cos o - dy sin o) / dist.
    has_bearing_NxP = (passer_dist_NxP > _MIN_DIST_YDS) & present_NxP[..., passer]
    safe_dist_NxP = np.where(has_bearing_NxP, passer_dist_NxP, 1.0)
    dx, dy = rel_NxPx2[..., 0], rel_NxPx2[..., 1]
    cos_rel = np.where(has_bearing_NxP, (dx * sin_face + dy * cos_face) / safe_dist_NxP, 0.0)
    sin_rel = np.where(has_bearing_NxP, (dx * cos_face - dy * sin_face) / safe_dist_NxP, 0.0)
    passer_dist_NxP = np.where(present_NxP[..., passer], passer_dist_NxP, 0.0)

    channels_NxPxK = np.stack(
        [
            sin_dir,
            cos_dir,
            sin_ori,
            cos_ori,
            _nearest_opponent(xy_NxPx2, present_NxP) / DISTANCE_SCALE_YDS,
            passer_dist_NxP / DISTANCE_SCALE_YDS,
            cos_rel,
            sin_rel,
        ],
        axis=-1,
    )
    return (channels_NxPxK * present_NxP[..., None]).astype(np.float32)


def input_feature_names(relational: bool) -> tuple[str, ...]:
    """Names of the model's input channels per slot: the raw features, then (if ``relational``)
    the derived ones."""
    return FEATURE_NAMES + (RELATIONAL_NAMES if relational else ())
