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

Computing the channels costs about as much host time as a small model's train step on a 2-core
CPU, so ``store_relational`` computes them once per store into ``relational.npy`` beside the
tracking (memory-mapped, written to a temporary file and renamed) and batches gather from it.
"""

from __future__ import annotations

import os
import tempfile
import threading
import warnings
from pathlib import Path

import numpy as np

from sbp_jax.data.layout import FEATURE_NAMES, N_SLOTS
from sbp_jax.data.store import PlayStore, umask_mode

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
    # Absent players are pushed to infinity before a plain min (min's `where=` is ~3x slower).
    to_def_NxO = np.where(present_NxP[..., None, d], sq_NxOxD, np.inf).min(axis=-1)
    to_off_NxD = np.where(present_NxP[..., o, None], sq_NxOxD, np.inf).min(axis=-2)
    nearest_NxP = np.sqrt(np.concatenate([to_def_NxO, to_off_NxD], axis=-1))
    return np.where(np.isfinite(nearest_NxP), nearest_NxP, 0.0)


def relational_features(tracks_raw_NxPxF: np.ndarray, presence_NxP: np.ndarray) -> np.ndarray:
    """[..., 22, C] relational channels (``RELATIONAL_NAMES``) from raw [..., 22, 8] features.

    ``presence_NxP`` (bool or 0/1) broadcasts against ``tracks_raw_NxPxF[..., 0]``. Returns
    float32; absent slots are all zero (see the module docstring for every channel).
    """
    tracks = np.asarray(tracks_raw_NxPxF, np.float32)
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


_CACHE_FILE = "relational.npy"
_CHUNK_FRAMES = 65536
_cache_lock = threading.Lock()


def _compute_into(store: PlayStore, out_RxPxC: np.ndarray) -> None:
    presence_RxP = np.repeat(store.presence, store.lengths, axis=0)
    for start in range(0, len(out_RxPxC), _CHUNK_FRAMES):
        stop = min(start + _CHUNK_FRAMES, len(out_RxPxC))
        out_RxPxC[start:stop] = relational_features(
            np.asarray(store.tracking[start:stop]), presence_RxP[start:stop]
        )


def store_relational(store: PlayStore) -> np.ndarray:
    """[total_frames, 22, C] relational channels of every frame of ``store``, computed once.

    Cached in ``relational.npy`` inside the store (a stale or foreign file of the wrong shape is
    recomputed); a read-only store gets an in-memory copy instead, with a warning."""
    cached = getattr(store, "_relational_RxPxC", None)
    if cached is not None:
        return cached
    with _cache_lock:
        cached = getattr(store, "_relational_RxPxC", None)
        if cached is not None:
            return cached
        shape = (len(store.tracking), N_SLOTS, len(RELATIONAL_NAMES))
        path = Path(store.path) / _CACHE_FILE
        try:
            cached = np.load(path, mmap_mode="r") if path.is_file() else None
        except (OSError, ValueError):
            cached = None
        if cached is None or cached.shape != shape or cached.dtype != np.float32:
            cached = _write_cache(store, path, shape)
        store._relational_RxPxC = cached
        return cached


def _write_cache(store: PlayStore, path: Path, shape: tuple[int, ...]) -> np.ndarray:
    try:
        fd, tmp = tempfile.mkstemp(prefix=".relational.", suffix=".npy", dir=path.parent)
    except OSError as e:
        warnings.warn(
            f"{path.parent} is not writable ({e}); relational channels kept in memory", stacklevel=3
        )
        out = np.empty(shape, np.float32)
        _compute_into(store, out)
        return out
    os.close(fd)
    try:
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=shape)
        _compute_into(store, out)
        out.flush()
        del out
        os.chmod(tmp, umask_mode(0o666))  # mkstemp's file is private; the store's are not
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return np.load(path, mmap_mode="r")


def input_feature_names(relational: bool) -> tuple[str, ...]:
    """Names of the model's input channels per slot: the raw features, then (if ``relational``)
    the derived ones."""
    return FEATURE_NAMES + (RELATIONAL_NAMES if relational else ())
