"""Training speed: device-side vs end-to-end step time, plays/s, peak memory, padding efficiency.

    python benchmarks/bench_train.py --config configs/demo.toml [--data STORE] [--steps 30]
    python benchmarks/bench_train.py --config configs/nfl.toml --steps 5      # few steps on a CPU

Without --data a random store of realistic play lengths (15-60 frames at 10 Hz) is written to a
temporary directory. Device-side: the pmapped train step on batches already on the devices,
timed with `block_until_ready` (all shapes compiled first). End-to-end: the training loop's own
path (BatchIterator -> make_batch -> shard -> host-to-device -> step, with the loop's prefetch
thread). Their ratio shows whether Python or data loading limits the step. Runs unchanged on a GPU.
"""

from __future__ import annotations

import argparse
import platform
import resource
import tempfile
import time
from pathlib import Path

import jax
import numpy as np

from sbp_jax.config import load_config
from sbp_jax.data import BatchIterator, PlayStore
from sbp_jax.data.store import N_FEATURES, N_SLOTS, StoreWriter
from sbp_jax.train import parallel
from sbp_jax.train.loop import prefetch
from sbp_jax.train.step import create_train_state


def random_store(path: Path, n_plays: int, seed: int = 0) -> PlayStore:
    """Plays of 15-60 frames with random features; enough to time the step."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(15, 61, n_plays).astype(np.int32)
    with StoreWriter(path) as w:
        w.add(
            rng.normal(size=(int(lengths.sum()), N_SLOTS, N_FEATURES)).astype(np.float32),
            lengths,
            np.ones((n_plays, N_SLOTS), bool),
            rng.normal(size=(n_plays, 8)).astype(np.float32),
            np.round(rng.standard_t(3, n_plays) * 8 + 6).astype(np.float32),
        )
        plays = {"gameId": np.arange(n_plays) // 60, "playId": np.arange(n_plays)}
        return w.finish(plays=plays, static_names=[f"s{i}" for i in range(8)], meta={})


def device_batches(it: BatchIterator, n: int) -> list:
    """The first `n` batches of epoch 0, sharded and placed on the local devices."""
    out = []
    for batch in prefetch(it.epoch(0), jax.local_device_count()):
        out.append(jax.block_until_ready(parallel.to_devices(batch)))
        if len(out) == n:
            break
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="configs/demo.toml")
    ap.add_argument("--data", help="play store (default: a random one)")
    ap.add_argument("--plays", type=int, default=8192, help="size of the random store")
    ap.add_argument("--steps", type=int, default=30, help="timed steps per measurement")
    ap.add_argument("--set", action="append", default=[], help="config override")
    args = ap.parse_args()
    cfg = load_config(args.config, args.set)

    with tempfile.TemporaryDirectory() as tmp:
        store = (
            PlayStore.open(args.data)
            if args.data
            else random_store(Path(tmp) / "store", args.plays)
        )
        idx = np.arange(store.n_plays)
        common = dict(batch_size=cfg.train.batch_size, seed=0, time_multiple=cfg.data.time_multiple)
        bucketed = BatchIterator(store, idx, bucket_by_length=True, **common)
        unbucketed = BatchIterator(store, idx, bucket_by_length=False, **common)
        steps = min(args.steps, len(bucketed))

        state = create_train_state(cfg, num_static=len(store.static_names))
        n_params = sum(x.size for x in jax.tree.leaves(state.params))
        rstate = parallel.replicate(state)

        # Device-side: pre-built device batches; compile every shape first.
        batches = device_batches(bucketed, steps)
        seen = set()
        for b in batches:
            if b.tracks.shape not in seen:
                seen.add(b.tracks.shape)
                rstate, m = parallel.p_train_step(rstate, b)
        jax.block_until_ready(rstate)

        def device_side(rstate):
            t0 = time.perf_counter()
            for b in batches:
                rstate, m = parallel.p_train_step(rstate, b)
            jax.block_until_ready((rstate, m))
            return rstate, (time.perf_counter() - t0) / len(batches)

        def end_to_end(rstate):
            # Host batching + transfer + step, reading the loss every step as the training loop
            # does (its non-finite guard needs it).
            t0 = time.perf_counter()
            for n, b in enumerate(prefetch(bucketed.epoch(0), jax.local_device_count()), 1):
                rstate, m = parallel.p_train_step(rstate, b)
                float(parallel.unreplicate(m["loss"]))
                if n == steps:
                    break
            return rstate, (time.perf_counter() - t0) / steps

        # Interleaved repeats; the best of each is reported (the machine may be shared).
        device_times, e2e_times = [], []
        for _ in range(2):
            rstate, t = device_side(rstate)
            device_times.append(t)
            rstate, t = end_to_end(rstate)
            e2e_times.append(t)
        device_s, e2e_s = min(device_times), min(e2e_times)

        stats = jax.local_devices()[0].memory_stats() or {}
        peak_dev = stats.get("peak_bytes_in_use")
        rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        plays = cfg.train.batch_size
        print(
            f"bench_train  config={args.config}  data={args.data or f'random {args.plays} plays'}"
        )
        print(
            f"  platform={jax.devices()[0].platform} ({jax.devices()[0].device_kind}) "
            f"devices={jax.device_count()} host={platform.node()} jax={jax.__version__}"
        )
        print(f"  params={n_params:,}  batch={plays}  distinct T={sorted(s[2] for s in seen)}")
        print(
            f"  padding efficiency: bucketed {bucketed.padding_efficiency():.3f}, "
            f"unbucketed {unbucketed.padding_efficiency():.3f}"
        )
        print(f"  device-side step: {device_s * 1e3:8.2f} ms  -> {plays / device_s:9.0f} plays/s")
        print(
            f"  end-to-end step:  {e2e_s * 1e3:8.2f} ms  -> {plays / e2e_s:9.0f} plays/s "
            f"(end-to-end / device = {e2e_s / device_s:.2f})"
        )
        print(
            f"  peak host RSS {rss_gb:.2f} GiB; peak device memory "
            + (f"{peak_dev / 2**30:.2f} GiB" if peak_dev else "n/a (CPU)")
        )


if __name__ == "__main__":
    main()
