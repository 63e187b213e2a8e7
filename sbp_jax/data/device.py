"""A device-resident play store: the season's raw arrays placed on the accelerator once per run.

A step then receives only play indices (`IndexBatch`); `gather` builds the same `RawBatch` on the
device that `batching.gather_raw` builds on the host, bit for bit, and `inputs.model_inputs` turns
it into the model's inputs inside the same jitted step. `fits` decides `data.device_resident =
"auto"` from measured device memory.
"""

from __future__ import annotations

import os
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from sbp_jax.data.batching import IndexBatch, target_slots
from sbp_jax.data.inputs import RawBatch
from sbp_jax.data.store import PlayStore

# "auto" keeps the store on the device when it takes at most this share of the device's memory
# (the rest is for parameters, optimizer state and activations)...
DEVICE_MEMORY_SHARE = 0.25
# ...or, on a CPU backend without memory statistics, of the host's physical memory, all local
# devices' copies together.
HOST_MEMORY_SHARE = 0.25


class DeviceStore(NamedTuple):
    """The arrays a step gathers from; a pytree of device arrays (replicate it for pmap)."""

    tracking: jax.Array  # float32 [frames + 1, 22, 8]; the last row is zeros (padding)
    offsets: jax.Array  # int32 [N]: first frame of each play
    lengths: jax.Array  # int32 [N]
    presence: jax.Array  # float32 [N, 22]
    static: jax.Array  # float32 [N, S] raw
    yards: jax.Array  # float32 [N]
    target_slot: jax.Array  # int32 [N], -1 unknown


def host_arrays(store: PlayStore) -> DeviceStore:
    """The store's arrays in device layout, still on the host (NumPy)."""
    frames = store.tracking.shape[0]
    if frames >= np.iinfo(np.int32).max:
        raise ValueError(f"{store.path}: {frames} frames do not fit int32 device indices")
    tracking = np.zeros((frames + 1,) + store.tracking.shape[1:], np.float32)
    tracking[:frames] = store.tracking
    return DeviceStore(
        tracking=tracking,
        offsets=np.asarray(store.offsets[:-1], np.int32),
        lengths=np.asarray(store.lengths, np.int32),
        presence=np.asarray(store.presence, np.float32),
        static=np.asarray(store.static, np.float32),
        yards=np.asarray(store.yards, np.float32),
        target_slot=target_slots(store),
    )


def nbytes(store: PlayStore) -> int:
    """Bytes one device copy of the store takes."""
    n, frames = store.n_plays, store.tracking.shape[0] + 1
    per_frame = int(np.prod(store.tracking.shape[1:])) * 4
    return frames * per_frame + n * (
        4 * 4 + 4 * store.presence.shape[1] + 4 * store.static.shape[1]
    )


def fits(store: PlayStore, devices=None) -> bool:
    """Whether every local device can hold a copy within its share of memory (see above)."""
    devices = devices or jax.local_devices()
    need = nbytes(store)
    limits = [_memory_limit(d) for d in devices]
    if all(limit is not None for limit in limits):
        return all(need <= DEVICE_MEMORY_SHARE * limit for limit in limits)
    return need * len(devices) <= HOST_MEMORY_SHARE * _host_memory()


def _memory_limit(device) -> int | None:
    try:
        stats = device.memory_stats()
    except (AttributeError, NotImplementedError, RuntimeError):
        return None
    return None if not stats else stats.get("bytes_limit")


def _host_memory() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def gather(store: DeviceStore, rows: IndexBatch, num_steps: int) -> RawBatch:
    """`batching.gather_raw` on the device: the raw frames of `rows` padded to `num_steps`."""
    src_B = jnp.asarray(rows.src, jnp.int32)
    lengths_B = store.lengths[src_B]
    t_T = jnp.arange(num_steps, dtype=jnp.int32)
    frame_BxT = store.offsets[src_B][:, None] + t_T[None, :]
    pad_row = store.tracking.shape[0] - 1
    frame_BxT = jnp.where(t_T[None, :] < lengths_B[:, None], frame_BxT, pad_row)
    return RawBatch(
        tracks=store.tracking[frame_BxT],
        presence=store.presence[src_B],
        lengths=lengths_B,
        static=store.static[src_B],
        yards=store.yards[src_B],
        weight=jnp.asarray(rows.weight, jnp.float32),
        play_index=rows.play_index,
        target_slot=store.target_slot[src_B],
    )
