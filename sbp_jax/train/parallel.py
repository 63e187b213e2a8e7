"""Data parallelism: the one place that maps the pure steps over devices, and multi-host setup.

`jax.pmap(..., axis_name=AXIS, donate_argnums=0)` wraps `train_step`; in current JAX pmap is itself
built on jit + shard_map, so a move to `jax.shard_map` with a device mesh would happen here only.
Arrays given to the mapped functions have a leading axis of `jax.local_device_count()`; each process
feeds its own devices, and collectives over `AXIS` span all devices of all processes.
"""

from __future__ import annotations

import functools
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import jax
import numpy as np

AXIS = "batch"

_ENV = {
    "coordinator": "SBP_COORDINATOR",
    "num_processes": "SBP_NUM_PROCESSES",
    "process_id": "SBP_PROCESS_ID",
}


def initialize_distributed(
    coordinator: str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
) -> bool:
    """Start multi-host JAX if a coordinator is given (flag, else env `SBP_COORDINATOR`,
    `SBP_NUM_PROCESSES`, `SBP_PROCESS_ID`). Returns True when distributed mode was started.

    Without any of them this is a no-op (single process). On a cluster that JAX auto-detects
    (e.g. SLURM), pass the flags anyway or call `jax.distributed.initialize()` yourself.
    """
    coordinator = coordinator or os.environ.get(_ENV["coordinator"])
    if num_processes is None and _ENV["num_processes"] in os.environ:
        num_processes = int(os.environ[_ENV["num_processes"]])
    if process_id is None and _ENV["process_id"] in os.environ:
        process_id = int(os.environ[_ENV["process_id"]])
    if coordinator is None:
        if num_processes not in (None, 1) or process_id not in (None, 0):
            raise ValueError("multi-host run needs --coordinator host:port (or SBP_COORDINATOR)")
        return False
    if num_processes is None or process_id is None:
        raise ValueError("--coordinator needs --num-processes and --process-id too")
    if not 0 <= process_id < num_processes:
        raise ValueError(f"--process-id {process_id} not in [0, {num_processes})")
    jax.distributed.initialize(
        coordinator_address=coordinator, num_processes=num_processes, process_id=process_id
    )
    return True


@functools.cache
def _mapped_steps():
    # Imported here so that this module (and `initialize_distributed`) can be used before anything
    # touches the JAX backend, as `jax.distributed.initialize` requires.
    from sbp_jax.train.step import eval_plays, eval_step, train_step, train_steps

    train = jax.pmap(
        functools.partial(train_step, axis_name=AXIS), axis_name=AXIS, donate_argnums=0
    )
    evaluate = jax.pmap(functools.partial(eval_step, axis_name=AXIS), axis_name=AXIS)
    # (state, data, plays, num_steps): the state is donated, the data replicated, T static
    train_k = jax.pmap(
        functools.partial(train_steps, axis_name=AXIS),
        axis_name=AXIS,
        static_broadcasted_argnums=3,
        donate_argnums=0,
    )
    evaluate_plays = jax.pmap(
        functools.partial(eval_plays, axis_name=AXIS),
        axis_name=AXIS,
        static_broadcasted_argnums=3,
    )
    return train, evaluate, train_k, evaluate_plays


def p_train_step(rstate, batch):
    """`train_step` mapped over local devices; the replicated state argument is donated."""
    return _mapped_steps()[0](rstate, batch)


def p_eval_step(rstate, batch):
    """`eval_step` mapped over local devices."""
    return _mapped_steps()[1](rstate, batch)


def p_train_steps(rstate, rdata, plays, num_steps: int):
    """`train_steps` mapped over local devices: `rdata` replicated (`StepData`), `plays` with a
    leading device axis, then the step axis ([devices, k, B_device, ...])."""
    return _mapped_steps()[2](rstate, rdata, plays, num_steps)


def p_eval_plays(rstate, rdata, plays, num_steps: int):
    """`eval_plays` mapped over local devices."""
    return _mapped_steps()[3](rstate, rdata, plays, num_steps)


@functools.cache
def _identity():
    return jax.pmap(lambda x: x, axis_name=AXIS)


def to_devices(tree: Any) -> Any:
    """Place host arrays with a leading local-device axis on the devices, laid out exactly as the
    mapped steps' outputs are (so a step compiles once per shape, not again for its own outputs).
    """
    return _identity()(tree)


def replicate(tree: Any) -> Any:
    """One copy of every leaf per local device (leading axis = local device count), on device."""
    n = jax.local_device_count()
    return to_devices(
        jax.tree.map(lambda x: np.broadcast_to(np.asarray(x), (n, *np.shape(x))), tree)
    )


def unreplicate(tree: Any) -> Any:
    """Host NumPy copy of the first local replica (works for multi-process global arrays)."""

    def first(x):
        if isinstance(x, jax.Array):
            return np.asarray(x.addressable_data(0))[0]
        return np.asarray(x)[0]

    return jax.tree.map(first, tree)


def local_rows(x: Any) -> np.ndarray:
    """All of this process's per-device rows of a mapped output, flattened to [local rows, ...]."""
    if isinstance(x, jax.Array) and not x.is_fully_addressable:
        parts = [np.asarray(s.data) for s in sorted(x.addressable_shards, key=_shard_start)]
        x = np.concatenate(parts)
    x = np.asarray(x)
    return x.reshape(-1, *x.shape[2:])


def _shard_start(shard) -> int:
    return shard.index[0].start or 0


def prefetch(items: Iterable, place: Callable, size: int = 2) -> Iterator:
    """`place(item)` for each item (e.g. build a batch and copy it to the devices), computed on a
    background thread up to `size` items ahead while the devices work; in order."""
    q: queue.Queue = queue.Queue(maxsize=size)
    done = object()

    def worker():
        try:
            for item in items:
                q.put(place(item))
            q.put(done)
        except BaseException as e:  # re-raised in the consumer
            q.put(e)

    threading.Thread(target=worker, daemon=True).start()
    while (item := q.get()) is not done:
        if isinstance(item, BaseException):
            raise item
        yield item
