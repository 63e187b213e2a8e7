"""Training throughput: device-side vs end-to-end, host batching vs a device-resident store, one
step per call vs many (lax.scan), float32 vs bfloat16; plays/s, padding, peak memory.

    python benchmarks/bench_train.py --config configs/demo.toml [--data STORE] [--steps 32]
    python benchmarks/bench_train.py --config configs/nfl.toml --steps 8 --k 1 8   # few on a CPU
    python benchmarks/bench_train.py ... --json OUT.json

Without --data a random store of realistic play lengths (15-60 frames at 10 Hz) is written to a
temporary directory. For each variant (data path x steps per call x compute dtype):

- device-side: the pmapped `train_steps` on calls whose plays are already on the devices, timed
  with `block_until_ready` after every shape compiled;
- end-to-end: the training loop's own path (`loop.device_calls` -> `p_train_steps` -> metrics
  read once per call), so host batching, transfers and host reads count.

All variants run interleaved in one process (best of `--repeats`), so ratios between them are
meaningful on a shared machine. Runs unchanged on a GPU.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import platform
import resource
import tempfile
import time
from pathlib import Path

import jax
import numpy as np

from sbp_jax.config import load_config
from sbp_jax.data import BatchIterator, Normalizer, NormStats, PlayStore, device
from sbp_jax.data.store import N_FEATURES, N_SLOTS, StoreWriter
from sbp_jax.host_heap import keep_freed_memory
from sbp_jax.train import parallel
from sbp_jax.train.loop import device_calls
from sbp_jax.train.step import StepData, create_train_state


def random_store(path: Path, n_plays: int, seed: int = 0, length: int | None = None) -> PlayStore:
    """Plays of 15-60 frames (or all of `length`) with random features; enough to time the step."""
    rng = np.random.default_rng(seed)
    if length is None:
        lengths = rng.integers(15, 61, n_plays).astype(np.int32)
    else:
        lengths = np.full(n_plays, length, np.int32)
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


@dataclasses.dataclass
class Variant:
    resident: bool
    k: int
    dtype: str

    @property
    def name(self) -> str:
        return f"{'resident' if self.resident else 'host'} K={self.k} {self.dtype}"


def setup(cfg, store: PlayStore, v: Variant, steps: int):
    """(iterator, replicated state, replicated step data) of one variant."""
    cfg = dataclasses.replace(
        cfg, train=dataclasses.replace(cfg.train, steps_per_call=v.k, compute_dtype=v.dtype)
    )
    it = BatchIterator(
        store,
        np.arange(store.n_plays),
        batch_size=cfg.train.batch_size,
        seed=0,
        time_multiple=cfg.data.time_multiple,
        steps_per_call=v.k,
        workers=cfg.data.loader_threads,
    )
    state = create_train_state(cfg, num_static=len(store.static_names))
    norm = Normalizer.of(NormStats.compute(store))
    data = StepData(norm, device.host_arrays(store) if v.resident else None)
    return it, parallel.replicate(state), parallel.replicate(data)


def end_to_end(it, rstate, rdata, v: Variant, steps: int):
    """The loop's path for `steps` steps (whole calls); returns (state, seconds per step)."""
    done, t0 = 0, time.perf_counter()
    for call, plays in device_calls(it, 0, 0, v.resident):
        rstate, m = parallel.p_train_steps(rstate, rdata, plays, call.num_steps)
        jax.device_get(m["loss"][0])  # the loop reads the metrics once per call
        done += call.steps
        if done >= steps:
            break
    return rstate, (time.perf_counter() - t0) / done


def device_side(rstate, rdata, calls, steps_done: int):
    t0 = time.perf_counter()
    for call, plays in calls:
        rstate, m = parallel.p_train_steps(rstate, rdata, plays, call.num_steps)
    jax.block_until_ready((rstate, m))
    return rstate, (time.perf_counter() - t0) / steps_done


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="configs/demo.toml")
    ap.add_argument("--data", help="play store (default: a random one)")
    ap.add_argument("--plays", type=int, default=8192, help="size of the random store")
    ap.add_argument("--steps", type=int, default=32, help="timed steps per measurement")
    ap.add_argument("--k", type=int, nargs="+", default=[1, 16], help="steps per call to compare")
    ap.add_argument("--dtype", nargs="+", default=["float32"], help="compute dtypes to compare")
    ap.add_argument("--paths", nargs="+", default=["host", "resident"])
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--set", action="append", default=[], help="config override")
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument(
        "--keep-freed-memory",
        action="store_true",
        help="glibc keeps freed memory, as the command-line tools do (sbp_jax.host_heap); "
        "alternate runs with and without it to see what it saves",
    )
    args = ap.parse_args()
    if args.keep_freed_memory and not keep_freed_memory():
        raise SystemExit("--keep-freed-memory: not applied (not glibc, or opted out by env)")
    cfg = load_config(args.config, args.set)

    with tempfile.TemporaryDirectory() as tmp:
        store = (
            PlayStore.open(args.data) if args.data else random_store(Path(tmp) / "s", args.plays)
        )
        variants = [
            Variant(path == "resident", k, dtype)
            for path, k, dtype in itertools.product(args.paths, args.k, args.dtype)
        ]
        prepared = {}
        for v in variants:
            it, rstate, rdata = setup(cfg, store, v, args.steps)
            # place the timed calls on the devices once; compile every shape
            calls, done = [], 0
            for call, plays in device_calls(it, 0, 0, v.resident):
                calls.append((call, jax.block_until_ready(plays)))
                done += call.steps
                if done >= args.steps:
                    break
            for call, plays in calls:
                rstate, _ = parallel.p_train_steps(rstate, rdata, plays, call.num_steps)
            rstate, _ = end_to_end(it, rstate, rdata, v, args.steps)  # warm the loop's path
            prepared[v.name] = [it, rstate, rdata, calls, done, [], []]
        for _ in range(args.repeats):  # interleaved: every variant sees the same load
            for v in variants:
                p = prepared[v.name]
                p[1], t = device_side(p[1], p[2], p[3], p[4])
                p[5].append(t)
                p[1], t = end_to_end(p[0], p[1], p[2], v, args.steps)
                p[6].append(t)

        batch = cfg.train.batch_size
        results = {
            name: {
                "device_ms_per_step": 1e3 * min(p[5]),
                "end_to_end_ms_per_step": 1e3 * min(p[6]),
                "device_plays_per_s": batch / min(p[5]),
                "end_to_end_plays_per_s": batch / min(p[6]),
                "end_to_end_over_device": min(p[6]) / min(p[5]),
            }
            for name, p in prepared.items()
        }
        it0 = prepared[variants[0].name][0]
        stats = jax.local_devices()[0].memory_stats() or {}
        info = {
            "config": args.config,
            "data": args.data or f"random {args.plays} plays",
            "platform": f"{jax.devices()[0].platform} ({jax.devices()[0].device_kind})",
            "devices": jax.device_count(),
            "host": platform.node(),
            "jax": jax.__version__,
            "batch": batch,
            "params": sum(x.size for x in jax.tree.leaves(create_train_state(cfg, 8).params)),
            "padding_efficiency": it0.padding_efficiency(),
            "store_mib": device.nbytes(store) / 2**20,
            "peak_host_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
            "minor_page_faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt,
            "keep_freed_memory": args.keep_freed_memory,
            "peak_device_gib": (stats.get("peak_bytes_in_use") or 0) / 2**30 or None,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        }
        print(f"bench_train {json.dumps(info)}")
        base = results[variants[0].name]["end_to_end_plays_per_s"]
        for name, r in results.items():
            print(
                f"  {name:<26} device {r['device_ms_per_step']:8.2f} ms/step "
                f"{r['device_plays_per_s']:9.0f} plays/s | end-to-end "
                f"{r['end_to_end_ms_per_step']:8.2f} ms/step {r['end_to_end_plays_per_s']:9.0f} "
                f"plays/s (x{r['end_to_end_plays_per_s'] / base:.2f} vs first; e2e/device "
                f"{r['end_to_end_over_device']:.3f})"
            )
        if args.json:
            Path(args.json).write_text(json.dumps({"info": info, "results": results}, indent=2))


if __name__ == "__main__":
    main()
