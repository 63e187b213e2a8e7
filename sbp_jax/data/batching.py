"""Padded, length-bucketed batches from a PlayStore, deterministic by (seed, epoch).

Batches are split by process and device for data-parallel training. A batch is gathered with NumPy
fancy indexing from the tracking memmap (one read per valid frame, no Python loop over frames),
standardized with ``NormStats``, extended with the derived relational channels of
``sbp_jax.data.relational`` (unless ``relational=False``), and zero-padded in time to a multiple
of ``time_multiple`` so that a jitted train step sees only a few distinct shapes.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np

from sbp_jax.data.layout import frame_rows
from sbp_jax.data.normalization import NormStats
from sbp_jax.data.relational import store_relational
from sbp_jax.data.store import PlayStore

# Bucketing pool: shuffle, cut into pools of this many batches, sort each pool by length, cut into
# batches, shuffle the batch order. Larger pools pad less but shuffle less locally.
_POOL_BATCHES = 32


class Batch(NamedTuple):
    """One (per-process) batch; a NamedTuple so it is a JAX pytree."""

    # float32 [B, T, 22, F]: F = input_feature_names(relational), the 8 raw features standardized
    # then the derived relational channels; zeros at padded steps and absent slots
    tracks: np.ndarray
    presence: np.ndarray  # float32 [B, 22]
    lengths: np.ndarray  # int32 [B], >= 1
    static: np.ndarray  # float32 [B, S] standardized
    yards: np.ndarray  # float32 [B]
    weight: np.ndarray  # float32 [B]: 1 real play, 0 filler
    play_index: np.ndarray  # int64 [B]: store row, -1 for filler


def _round_up(n: int, multiple: int) -> int:
    return max(multiple, int(math.ceil(n / multiple)) * multiple)


def _check_indices(store: PlayStore, play_indices, who: str) -> np.ndarray:
    """Play indices as a flat int64 array; none, or one outside the store (-1 included: inside a
    batch it marks filler), is an error naming the index and the store."""
    idx = np.asarray(play_indices, np.int64).reshape(-1)
    if len(idx) == 0:
        raise ValueError(f"{who}: no play indices")
    bad = idx[(idx < 0) | (idx >= store.n_plays)]
    if len(bad):
        raise IndexError(
            f"{who}: play index {bad[0]} out of range [0, {store.n_plays}) of the store "
            f"{store.path}"
        )
    return idx


def _gather(
    store: PlayStore, idx_B: np.ndarray, T: int, norm: NormStats, fill: int, relational: bool
) -> Batch:
    """Gather ``idx_B`` into a Batch; -1 marks filler rows (a copy of play ``fill``, weight 0)."""
    idx_B = np.asarray(idx_B, np.int64)
    real_B = idx_B >= 0
    src_B = np.where(real_B, idx_B, fill)
    lengths_B = store.lengths[src_B].astype(np.int32)
    if lengths_B.max() > T:
        raise ValueError(f"batch time length {T} < longest play ({lengths_B.max()} frames)")
    B = len(src_B)
    rows, b_of_row = frame_rows(store.offsets, src_B)
    t_of_row = rows - store.offsets[src_B][b_of_row]
    presence_BxP = store.presence[src_B].astype(np.float32)
    presence_RxP = presence_BxP[b_of_row]
    raw_RxPxF = np.asarray(store.tracking[rows])
    channels = [(raw_RxPxF - norm.track_mean_F) / norm.track_std_F]
    if relational:
        channels.append(store_relational(store)[rows])
    frames_RxPxC = np.concatenate(channels, axis=-1)
    tracks = np.zeros((B, T) + frames_RxPxC.shape[1:], np.float32)
    tracks[b_of_row, t_of_row] = frames_RxPxC * presence_RxP[..., None]
    static_BxS = (store.static[src_B] - norm.static_mean_S) / norm.static_std_S
    return Batch(
        tracks=tracks,
        presence=presence_BxP,
        lengths=lengths_B,
        static=static_BxS.astype(np.float32),
        yards=store.yards[src_B].astype(np.float32),
        weight=real_B.astype(np.float32),
        play_index=np.where(real_B, idx_B, -1),
    )


def make_batch(
    store: PlayStore,
    play_indices,
    *,
    batch_size: int | None = None,
    time_multiple: int = 8,
    norm: NormStats | None = None,
    relational: bool = True,
) -> Batch:
    """Batch of the given plays, padded with filler rows (weight 0) up to ``batch_size``.

    ``norm`` defaults to the store's statistics; T is the longest play rounded up to
    ``time_multiple``. ``relational`` appends the derived channels (``input_feature_names``).
    """
    idx = _check_indices(store, play_indices, "make_batch")
    B = len(idx) if batch_size is None else batch_size
    if len(idx) > B:
        raise ValueError(f"make_batch: {len(idx)} plays > batch_size {B}")
    idx_B = np.concatenate([idx, np.full(B - len(idx), -1, np.int64)])
    T = _round_up(int(store.lengths[idx].max()), time_multiple)
    norm = store.norm if norm is None else norm
    return _gather(store, idx_B, T, norm, fill=int(idx[0]), relational=relational)


class BatchIterator:
    """Epochs of global batches of ``batch_size`` plays; each process yields its
    ``batch_size / process_count`` rows. Deterministic for (seed, epoch);
    ``epoch(e, start_step=k)`` resumes at step k.

    With ``bucket_by_length`` plays of similar length are grouped (shuffle, sort within pools of
    ``_POOL_BATCHES`` batches, shuffle batch order), which reduces time padding. The last global
    batch is completed with filler rows (weight 0), so every play is seen exactly once per epoch.
    ``workers`` > 1 assembles that many batches at once on threads (NumPy releases the GIL), in
    the same order and with the same contents, so a fast accelerator is not starved by one host
    thread.
    """

    def __init__(
        self,
        store: PlayStore,
        play_indices,
        *,
        batch_size: int,
        seed: int,
        time_multiple: int = 8,
        shuffle: bool = True,
        bucket_by_length: bool = True,
        process_index: int = 0,
        process_count: int = 1,
        norm: NormStats | None = None,
        relational: bool = True,
        workers: int = 1,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if batch_size % process_count:
            raise ValueError(
                f"batch_size {batch_size} not divisible by process_count {process_count}"
            )
        if not 0 <= process_index < process_count:
            raise ValueError(f"process_index {process_index} not in [0, {process_count})")
        self.store = store
        self.play_indices = _check_indices(store, play_indices, "BatchIterator")
        self.batch_size = batch_size
        self.local_batch_size = batch_size // process_count
        self.seed = seed
        self.time_multiple = time_multiple
        self.shuffle = shuffle
        self.bucket_by_length = bucket_by_length
        self.process_index = process_index
        self.norm = store.norm if norm is None else norm
        self.relational = relational
        self.workers = workers

    def __len__(self) -> int:
        return math.ceil(len(self.play_indices) / self.batch_size)

    def global_batches(self, epoch: int) -> list[np.ndarray]:
        """Play indices of every global batch of the epoch (-1 for filler), in order."""
        rng = np.random.default_rng([self.seed, epoch])
        idx = rng.permutation(self.play_indices) if self.shuffle else self.play_indices.copy()
        if self.bucket_by_length:
            pool = self.batch_size * _POOL_BATCHES
            parts = [
                p[np.argsort(self.store.lengths[p], kind="stable")]
                for p in np.split(idx, range(pool, len(idx), pool))
            ]
            idx = np.concatenate(parts)
        n_pad = len(self) * self.batch_size - len(idx)
        batches = np.concatenate([idx, np.full(n_pad, -1, np.int64)]).reshape(
            len(self), self.batch_size
        )
        if self.bucket_by_length and self.shuffle:
            batches = batches[rng.permutation(len(batches))]
        return list(batches)

    def _time_length(self, idx_B: np.ndarray) -> int:
        return _round_up(int(self.store.lengths[idx_B[idx_B >= 0]].max()), self.time_multiple)

    def epoch(self, epoch: int, start_step: int = 0) -> Iterator[Batch]:
        """This process's part of each global batch of ``epoch``, from ``start_step`` on.

        T is taken from the whole global batch so every process builds the same shape.
        """
        steps = self.global_batches(epoch)[start_step:]
        if self.workers == 1:
            yield from map(self._local_batch, steps)
            return
        with ThreadPoolExecutor(self.workers) as pool:
            pending: deque = deque()
            for idx_B in steps:
                pending.append(pool.submit(self._local_batch, idx_B))
                if len(pending) > self.workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()

    def _local_batch(self, idx_B: np.ndarray) -> Batch:
        lo = self.process_index * self.local_batch_size
        # idx_B[0] is always real: filler only completes the last global batch.
        return _gather(
            self.store,
            idx_B[lo : lo + self.local_batch_size],
            self._time_length(idx_B),
            self.norm,
            fill=int(idx_B[0]),
            relational=self.relational,
        )

    def padding_efficiency(self, epoch: int = 0) -> float:
        """Valid (play, step) cells / all (row, step) cells over the epoch's global batches."""
        valid = padded = 0
        for idx_B in self.global_batches(epoch):
            valid += int(self.store.lengths[idx_B[idx_B >= 0]].sum())
            padded += self.batch_size * self._time_length(idx_B)
        return valid / padded


def shard(batch: Batch, num_devices: int) -> Batch:
    """Reshape every leaf from [B, ...] to [num_devices, B / num_devices, ...] for pmap."""
    B = batch.lengths.shape[0]
    if B % num_devices:
        raise ValueError(f"batch of {B} rows cannot be split over {num_devices} devices")
    return Batch(*(x.reshape((num_devices, B // num_devices) + x.shape[1:]) for x in batch))
