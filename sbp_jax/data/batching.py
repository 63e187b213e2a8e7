"""Length-bucketed batches of a PlayStore, deterministic by (seed, epoch), split by process.

The host decides which plays form each step's batch; the data work itself is JAX
(`sbp_jax.data.inputs.model_inputs`, run inside the jitted step). A step's plays reach the step
either as raw frames gathered here with NumPy fancy indexing (`RawBatch`, for stores larger than
device memory) or as play indices into a device-resident copy of the store (`IndexBatch`, see
`sbp_jax.data.device`); both give bit-identical inputs. Time is zero-padded to a multiple of
``time_multiple`` so a jitted step sees only a few distinct shapes, and ``steps_per_call``
consecutive steps share one padded length so they can run in one call (`lax.scan`).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import jax
import numpy as np

from sbp_jax.data.inputs import DEFAULT_INPUTS, Batch, InputSpec, Normalizer, RawBatch, model_inputs
from sbp_jax.data.layout import frame_rows
from sbp_jax.data.normalization import NormStats
from sbp_jax.data.store import PlayStore

# Bucketing pool: shuffle, cut into pools of this many batches, sort each pool by length, cut into
# batches, shuffle the batch order. Larger pools pad less but shuffle less locally.
_POOL_BATCHES = 32
_POOL_CALLS = 8  # a pool holds at least this many calls of steps_per_call batches


class IndexBatch(NamedTuple):
    """A batch as play indices (for a device-resident store); filler rows repeat a real play."""

    src: np.ndarray  # int32 [B]: store row read for each row (filler: a real play of the batch)
    weight: np.ndarray  # float32 [B]: 1 real play, 0 filler
    play_index: np.ndarray  # int32 [B]: store row, -1 for filler


class Call(NamedTuple):
    """The plays of `steps` consecutive steps, padded to one length `num_steps`."""

    num_steps: int  # T
    steps: int  # k <= steps_per_call
    batches: RawBatch | IndexBatch  # leaves stacked [k, B_local, ...]


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


def index_batch(idx_B: np.ndarray, fill: int) -> IndexBatch:
    """Rows of `idx_B` (-1 marks filler, which reads play `fill` with weight 0)."""
    idx_B = np.asarray(idx_B, np.int64)
    real_B = idx_B >= 0
    return IndexBatch(
        src=np.where(real_B, idx_B, fill).astype(np.int32),
        weight=real_B.astype(np.float32),
        play_index=np.where(real_B, idx_B, -1).astype(np.int32),
    )


def gather_raw(store: PlayStore, rows: IndexBatch, num_steps: int) -> RawBatch:
    """The raw frames of `rows` padded to `num_steps`, with NumPy (the host path)."""
    src_B = rows.src.astype(np.int64)
    lengths_B = store.lengths[src_B].astype(np.int32)
    if lengths_B.max() > num_steps:
        raise ValueError(f"batch time length {num_steps} < longest play ({lengths_B.max()} frames)")
    frame_R, b_of_row = frame_rows(store.offsets, src_B)
    t_of_row = frame_R - store.offsets[src_B][b_of_row]
    tracks = np.zeros((len(src_B), num_steps) + store.tracking.shape[1:], np.float32)
    tracks[b_of_row, t_of_row] = store.tracking[frame_R]
    return RawBatch(
        tracks=tracks,
        presence=store.presence[src_B].astype(np.float32),
        lengths=lengths_B,
        static=np.asarray(store.static[src_B], np.float32),
        yards=np.asarray(store.yards[src_B], np.float32),
        weight=rows.weight,
        play_index=rows.play_index,
        target_slot=target_slots(store)[src_B],
    )


def target_slots(store: PlayStore) -> np.ndarray:
    """int32 [N] slot of each play's targeted receiver (-1 unknown)."""
    return np.asarray(store.plays["target_slot"], np.int32)


_inputs = jax.jit(model_inputs, static_argnames="spec")


def make_batch(
    store: PlayStore,
    play_indices,
    *,
    batch_size: int | None = None,
    time_multiple: int = 8,
    norm: NormStats | None = None,
    spec: InputSpec = DEFAULT_INPUTS,
) -> Batch:
    """Model-ready batch (NumPy arrays) of the given plays, padded with filler rows (weight 0) up to
    ``batch_size``.

    ``norm`` defaults to the store's statistics; T is the longest play rounded up to
    ``time_multiple``. ``spec`` says which derived channels follow the raw features (a trained
    model's `TrainedModel.inputs`).
    The inputs are built by the same jitted `model_inputs` the train step runs.
    """
    idx = _check_indices(store, play_indices, "make_batch")
    B = len(idx) if batch_size is None else batch_size
    if len(idx) > B:
        raise ValueError(f"make_batch: {len(idx)} plays > batch_size {B}")
    rows = index_batch(np.concatenate([idx, np.full(B - len(idx), -1, np.int64)]), int(idx[0]))
    T = _round_up(int(store.lengths[idx].max()), time_multiple)
    raw = gather_raw(store, rows, T)
    norm = store.norm if norm is None else norm
    batch = _inputs(raw._replace(play_index=None), Normalizer.of(norm), spec=spec)
    return Batch(*(np.asarray(x) for x in batch[:-1]), rows.play_index.astype(np.int64))


class BatchIterator:
    """Epochs of global batches of ``batch_size`` plays; each process gets its
    ``batch_size / process_count`` rows. Deterministic for (seed, epoch); ``start_step=k`` resumes
    at step k.

    With ``bucket_by_length`` plays of similar length are grouped (shuffle, sort within pools of
    ``_POOL_BATCHES`` batches, shuffle the order of groups of ``steps_per_call`` consecutive
    batches), which reduces time padding; a group shares one padded length T (its longest play).
    The last global batch is completed with filler rows (weight 0), so every play is seen exactly
    once per epoch. ``workers`` > 1 gathers raw frames for that many calls at once on threads
    (NumPy releases the GIL), in the same order and with the same contents.
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
        steps_per_call: int = 1,
        workers: int = 1,
    ) -> None:
        if workers < 1 or steps_per_call < 1:
            raise ValueError(
                f"workers and steps_per_call must be >= 1, got {workers}, {steps_per_call}"
            )
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
        self.steps_per_call = steps_per_call
        self.workers = workers

    def __len__(self) -> int:
        return math.ceil(len(self.play_indices) / self.batch_size)

    def global_batches(self, epoch: int) -> list[np.ndarray]:
        """Play indices of every global batch of the epoch (-1 for filler), in order."""
        rng = np.random.default_rng([self.seed, epoch])
        idx = rng.permutation(self.play_indices) if self.shuffle else self.play_indices.copy()
        if self.bucket_by_length:
            # a call's steps share one T: pools hold many calls, so each call spans few lengths
            pool = self.batch_size * max(_POOL_BATCHES, _POOL_CALLS * self.steps_per_call)
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
            k = self.steps_per_call
            groups = np.split(np.arange(len(batches)), range(k, len(batches), k))
            batches = batches[np.concatenate([groups[g] for g in rng.permutation(len(groups))])]
        return list(batches)

    def time_length(self, batches: list[np.ndarray]) -> int:
        """T shared by the given global batches: their longest play, rounded up."""
        idx = np.concatenate(batches)
        return _round_up(int(self.store.lengths[idx[idx >= 0]].max()), self.time_multiple)

    def calls(self, epoch: int, start_step: int = 0, *, raw: bool = True) -> Iterator[Call]:
        """This process's rows of the epoch's steps from ``start_step`` on, ``steps_per_call``
        steps at a time: raw frames (``raw``) or play indices for a device-resident store.

        T is taken from all the global batches of a call, so every process builds one shape.
        """
        k = self.steps_per_call
        if start_step % k:
            raise ValueError(f"start_step {start_step} is not a multiple of steps_per_call {k}")
        steps = self.global_batches(epoch)[start_step:]
        groups = [steps[i : i + k] for i in range(0, len(steps), k)]
        make = self._raw_call if raw else self._index_call
        yield from _ordered_map(make, groups, self.workers if raw else 1)

    def epoch(self, epoch: int, start_step: int = 0) -> Iterator[RawBatch]:
        """This process's raw batch of each step (calls of ``steps_per_call`` steps unstacked)."""
        for call in self.calls(epoch, start_step - start_step % self.steps_per_call):
            for j in range(call.steps):
                yield RawBatch(*(x[j] for x in call.batches))

    def _local(self, idx_B: np.ndarray) -> IndexBatch:
        lo = self.process_index * self.local_batch_size
        # idx_B[0] is always real: filler only completes the last global batch.
        return index_batch(idx_B[lo : lo + self.local_batch_size], int(idx_B[0]))

    def _index_call(self, group: list[np.ndarray]) -> Call:
        rows = [self._local(b) for b in group]
        return Call(self.time_length(group), len(group), _stack(rows))

    def _raw_call(self, group: list[np.ndarray]) -> Call:
        T = self.time_length(group)
        raws = [gather_raw(self.store, self._local(b), T) for b in group]
        return Call(T, len(group), _stack(raws))

    def padding_efficiency(self, epoch: int = 0) -> float:
        """Valid (play, step) cells / all (row, step) cells over the epoch's global batches."""
        batches = self.global_batches(epoch)
        valid = sum(int(self.store.lengths[b[b >= 0]].sum()) for b in batches)
        k = self.steps_per_call
        padded = sum(
            self.batch_size * len(g) * self.time_length(g)
            for g in (batches[i : i + k] for i in range(0, len(batches), k))
        )
        return valid / padded


def _stack(items: list):
    """Leaves of equal-structured NamedTuples stacked on a new leading axis."""
    return jax.tree.map(lambda *xs: np.stack(xs), *items)


def _ordered_map(fn: Callable, items: list, workers: int) -> Iterator:
    """``map(fn, items)``, computed up to ``workers`` items ahead on threads, in order."""
    if workers == 1:
        yield from map(fn, items)
        return
    with ThreadPoolExecutor(workers) as pool:
        pending: deque = deque()
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def shard(tree, num_devices: int, *, axis: int = 0):
    """Split the batch axis ``axis`` of every leaf over devices: [..., B, ...] becomes
    [num_devices, ..., B / num_devices, ...] (the device axis first, as pmap wants it)."""

    def split(x):
        x = np.asarray(x)
        B = x.shape[axis]
        if B % num_devices:
            raise ValueError(f"batch of {B} rows cannot be split over {num_devices} devices")
        x = x.reshape(x.shape[:axis] + (num_devices, B // num_devices) + x.shape[axis + 1 :])
        return np.moveaxis(x, axis, 0)

    return jax.tree.map(split, tree)
