"""Where the train step's time goes: a `jax.profiler` trace of warm steps, summed by XLA operation.

    python benchmarks/profile_step.py [--config configs/demo.toml] [--steps 16] [--set K=V ...]
    python benchmarks/profile_step.py --keep-freed-memory   # the heap the command-line tools use
    python benchmarks/profile_step.py --trace-dir runs/profile   # keep the trace (Perfetto)

The device-resident step (K = 1) of the config runs on a random store of realistic play lengths
(as in bench_train.py); every shape is compiled first, then `--steps` calls are traced with
`jax.profiler.trace(create_perfetto_trace=True)`. The Perfetto JSON is read back and the XLA
operations' durations are summed by name and by kind (convolution, matrix multiply, fusion, copy /
transpose, random bits, ...), per step and as a share of the traced wall time, so a change to the
step shows up as a shift between kinds. Thread pools overlap, so the shares of one kind are of
the operations' summed time, not of wall time. Runs unchanged on a GPU.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import re
import tempfile
import time
from pathlib import Path

import jax
from bench_train import Variant, random_store, setup

from sbp_jax.config import load_config
from sbp_jax.host_heap import keep_freed_memory
from sbp_jax.train import parallel
from sbp_jax.train.loop import device_calls

# First match wins: an XLA operation's name -> its kind.
KINDS = (
    ("convolution", r"convolution|conv"),
    ("matrix multiply (YNNPACK / dot)", r"^ynn|^dot|gemm|matmul"),
    ("copy / transpose", r"copy|transpose"),
    ("reduction", r"reduce"),
    ("random bits", r"rng|threefry|random"),
    ("gather / scatter", r"gather|scatter|dynamic-slice|dynamic-update"),
    ("fusion (elementwise)", r"fusion"),
    ("collectives", r"all-reduce|psum|all-gather"),
)
# XLA:CPU's span of one whole execution, from dispatch to the last operation's end.
EXECUTION = "ThunkExecutor::Execute (wait for completion)"
# Perfetto events that are not XLA operations (Python, runtime and host bookkeeping).
NOT_OPS = re.compile(r"^\$|PjitFunction|pmap|Execute|Thunk|ThunkExecutor|TfrtCpu|\bjit\b|^[A-Z]")


def kind_of(name: str) -> str:
    for kind, pattern in KINDS:
        if re.search(pattern, name):
            return kind
    return "other"


def op_times(trace_dir: Path) -> tuple[dict[str, float], float]:
    """Summed duration (s) of every XLA operation name in the Perfetto trace under trace_dir, and
    the executions' summed wall time (XLA:CPU's wait for completion; 0 where not recorded)."""
    (path,) = Path(trace_dir).rglob("perfetto_trace.json.gz")
    events = json.loads(gzip.decompress(path.read_bytes()))
    events = events["traceEvents"] if isinstance(events, dict) else events
    totals: dict[str, float] = collections.defaultdict(float)
    executing = 0.0
    for e in events:
        name = e.get("name", "")
        if e.get("ph") != "X" or "dur" not in e:
            continue
        if name == EXECUTION:
            executing += e["dur"] * 1e-6
        elif not NOT_OPS.search(name):
            totals[re.sub(r"\.\d+$", "", name)] += e["dur"] * 1e-6
    return totals, executing


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="configs/demo.toml")
    ap.add_argument("--plays", type=int, default=4096, help="size of the random store")
    ap.add_argument("--steps", type=int, default=16, help="traced steps")
    ap.add_argument("--top", type=int, default=15, help="operations listed")
    ap.add_argument("--set", action="append", default=[], help="config override")
    ap.add_argument("--trace-dir", type=Path, help="keep the trace here (default: a temp dir)")
    ap.add_argument("--keep-freed-memory", action="store_true", help="as bench_train.py")
    args = ap.parse_args()
    if args.keep_freed_memory:
        keep_freed_memory()
    cfg = load_config(args.config, args.set)
    with tempfile.TemporaryDirectory() as tmp:
        store = random_store(Path(tmp) / "store", args.plays)
        it, rstate, rdata = setup(cfg, store, Variant(True, 1, cfg.train.compute_dtype), 0)
        calls = []
        for call, plays in device_calls(it, 0, 0, True):
            calls.append((call, jax.block_until_ready(plays)))
            if len(calls) == args.steps:
                break
        for call, plays in calls:  # compile every shape, warm the allocator
            rstate, m = parallel.p_train_steps(rstate, rdata, plays, call.num_steps)
        jax.block_until_ready(m)
        trace_dir = args.trace_dir or Path(tmp) / "trace"
        with jax.profiler.trace(trace_dir, create_perfetto_trace=True):
            t0 = time.perf_counter()
            for call, plays in calls:
                rstate, m = parallel.p_train_steps(rstate, rdata, plays, call.num_steps)
            jax.block_until_ready(m)
            wall = time.perf_counter() - t0  # before the trace is written out
        totals, executing = op_times(trace_dir)

    steps = len(calls)
    summed = sum(totals.values())
    print(
        f"profile_step: {args.config} {args.set or ''}, {steps} traced steps, "
        f"{jax.devices()[0].platform}, jax {jax.__version__}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n"
        f"  traced wall {1e3 * wall / steps:.1f} ms/step; executions {1e3 * executing / steps:.1f} "
        f"ms/step; XLA operations summed over threads {1e3 * summed / steps:.1f} ms/step"
        + (
            f" (execution time not inside an operation: {1 - summed / executing:.0%})"
            if summed < executing
            else ""
        )
    )
    by_kind: dict[str, float] = collections.defaultdict(float)
    for name, t in totals.items():
        by_kind[kind_of(name)] += t
    print(f"\n{'kind':<32}{'ms/step':>9}{'share':>8}")
    for kind, t in sorted(by_kind.items(), key=lambda kv: -kv[1]):
        print(f"{kind:<32}{1e3 * t / steps:9.2f}{t / summed:8.1%}")
    print(f"\n{'operation':<48}{'ms/step':>9}{'share':>8}  kind")
    for name, t in sorted(totals.items(), key=lambda kv: -kv[1])[: args.top]:
        print(f"{name[:47]:<48}{1e3 * t / steps:9.2f}{t / summed:8.1%}  {kind_of(name)}")


if __name__ == "__main__":
    main()
