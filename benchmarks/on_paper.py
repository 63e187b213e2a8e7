"""What an accelerator can do with this design, on paper: FLOPs and bytes per play, and the bounds
they put on train and scoring throughput for a given chip (default: one H200 SXM).

    PYTHONPATH=. python benchmarks/on_paper.py [--config configs/nfl.toml] [--frames 32]
    PYTHONPATH=. python benchmarks/on_paper.py --peak-tflops 989 --bandwidth-tbs 4.8 --json OUT

Compiles, on whatever backend runs it (the CPU is enough; nothing is timed), the device-resident
train step (one optimizer step, float32 and bfloat16) and the raw season scorer at the config's
size for plays padded to `--frames` steps (the synthetic demo league's plays average 27.7 frames
from snap to release, 31 after padding to a multiple of 8), and reads XLA's cost and memory
analysis. Then, for the chip's dense peak (`--peak-tflops`, bfloat16 tensor cores), memory
bandwidth and per-kernel launch cost, it prints the throughput each resource allows:

- compute: peak x `--mfu` / matmul FLOPs per play, counted by hand with every convolution tap
  (XLA's own count, printed beside it, skips the taps that fall into the causal padding and adds
  elementwise work: GELU, layer norm, the dropout hash, the SBP search, Adam);
- memory: bandwidth / bytes per play (XLA's "bytes accessed" after the backend's fusion: an
  over-estimate for a GPU, which fuses more) plus the per-step parameter and optimizer traffic;
- launches: the executable's top-level operations per step x `--launch-us` (XLA:GPU fuses more, so
  fewer kernels; CUDA-graph command buffers cut the cost per kernel): a floor on the step time,
  whatever the batch.

The smallest bound is where the design stops; the goals are 500,000 train plays/s end to end and
a 50,000-play season scored in 0.1 s (500,000 plays/s).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import tempfile
from pathlib import Path

import jax
import numpy as np
from bench_train import random_store
from flops import matmul_flops, xla_cost

from sbp_jax.config import load_config
from sbp_jax.data import IndexBatch, InputSpec, Normalizer, NormStats, device
from sbp_jax.data.layout import N_SLOTS
from sbp_jax.data.store import N_FEATURES
from sbp_jax.evaluate import scoring
from sbp_jax.train.step import StepData, create_train_state, train_steps

GOAL_PLAYS_PER_S = 500_000
# Operations that are not kernels of their own (views, tuples, constants, parameters).
_NOT_KERNELS = re.compile(
    r"= \S+ (parameter|constant|tuple|get-tuple-element|bitcast|after-all|partition-id)\("
)


def kernel_count(compiled) -> int:
    """Top-level operations of the executable's entry computation (fusions, library calls)."""
    text = compiled.as_text()
    entry = text[text.index("ENTRY") :]
    body = entry[: entry.index("\n}")].splitlines()[1:]
    return sum(1 for line in body if " = " in line and not _NOT_KERNELS.search(line))


def train_figures(cfg, store, norm: NormStats, frames: int, dtype: str) -> dict:
    """Cost of one device-resident optimizer step of `cfg.train.batch_size` plays of `frames`."""
    cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, compute_dtype=dtype))
    state = create_train_state(cfg, num_static=len(store.static_names))
    data = StepData(Normalizer.of(norm), device.host_arrays(store))
    b = cfg.train.batch_size
    plays = IndexBatch(
        src=np.arange(b, dtype=np.int32)[None],
        weight=np.ones((1, b), np.float32),
        play_index=np.arange(b, dtype=np.int32)[None],
    )
    compiled = jax.jit(train_steps, static_argnums=3).lower(state, data, plays, frames).compile()
    cost = xla_cost(compiled)
    mem = compiled.memory_analysis()
    n_params = sum(x.size for x in jax.tree.leaves(state.params))
    return {
        "batch": b,
        "params": n_params,
        "xla_flops_per_play": cost.get("flops", 0.0) / b,
        "xla_bytes_per_play": cost.get("bytes accessed", 0.0) / b,
        "temp_bytes_per_play": (mem.temp_size_in_bytes / b) if mem else None,
        # AdamW reads parameters, gradients and both moments and writes parameters and moments
        "optimizer_bytes_per_step": n_params * 4 * 7,
        "kernels_per_step": kernel_count(compiled),
    }


def score_figures(cfg, store, norm: NormStats, frames: int, n: int) -> dict:
    """Cost per play of the raw season scorer (standardization and derived channels inside)."""
    state = create_train_state(cfg, num_static=len(store.static_names))
    fn = scoring.raw_season_scorer(state.model, norm, spec=state.inputs)
    compiled, bytes_per_play = scoring.compile_for(
        fn,
        state.params,
        n,
        num_steps=frames,
        num_slots=N_SLOTS,
        num_features=N_FEATURES,
        num_static=len(store.static_names),
    )
    cost = xla_cost(compiled)
    return {
        "plays": n,
        "xla_flops_per_play": cost.get("flops", 0.0) / n,
        "xla_bytes_per_play": cost.get("bytes accessed", 0.0) / n,
        "memory_per_play": bytes_per_play,
        "input_bytes_per_play": device.nbytes(store) / store.n_plays,  # the resident store
        "kernels_per_call": kernel_count(compiled),
    }


def bounds(flops_per_play, bytes_per_play, fixed_s_per_step, batch, args) -> dict:
    """Plays/s each resource allows, and the step's fixed time as plays/s at this batch."""
    compute = args.peak_tflops * 1e12 * args.mfu / flops_per_play
    memory = args.bandwidth_tbs * 1e12 / bytes_per_play
    fixed = batch / fixed_s_per_step if fixed_s_per_step else float("inf")
    combined = 1.0 / (1.0 / compute + 1.0 / memory + 1.0 / fixed)  # no overlap: the pessimist
    return {"compute": compute, "memory": memory, "fixed": fixed, "serial_sum": combined}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="configs/nfl.toml")
    ap.add_argument("--frames", type=int, default=32, help="padded steps per play")
    ap.add_argument("--season", type=int, default=1024, help="plays per scorer call analysed")
    ap.add_argument("--peak-tflops", type=float, default=989.0, help="H200 SXM dense bf16")
    ap.add_argument("--bandwidth-tbs", type=float, default=4.8, help="H200 HBM3e")
    ap.add_argument("--launch-us", type=float, default=3.0, help="per kernel, no CUDA graphs")
    ap.add_argument("--mfu", type=float, default=0.3, help="share of peak the matmuls reach")
    ap.add_argument("--set", action="append", default=[], help="config override")
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()
    cfg = load_config(args.config, args.set)
    t = args.frames
    with tempfile.TemporaryDirectory() as tmp:
        n_store = max(cfg.train.batch_size, args.season)
        store = random_store(Path(tmp) / "s", n_store, length=t)
        norm = NormStats.compute(store)
        n_features = len(InputSpec.of(cfg.data).names)
        mm = matmul_flops(cfg.model, t, n_features, len(store.static_names))
        train = {d: train_figures(cfg, store, norm, t, d) for d in ("float32", "bfloat16")}
        score = score_figures(cfg, store, norm, t, args.season)

    print(
        f"# on paper: {args.config}, T = {t} frames, {N_SLOTS} x {n_features} inputs, batch "
        f"{cfg.train.batch_size}, {train['float32']['params']:,} parameters; chip: "
        f"{args.peak_tflops:.0f} TFLOP/s dense at {args.mfu:.0%} MFU, {args.bandwidth_tbs} TB/s, "
        f"{args.launch_us} us per kernel; analysed on {jax.devices()[0].platform}, jax "
        f"{jax.__version__}"
    )
    print(
        f"matmul FLOPs per play: train step {mm['train'] / 1e6:.1f} M, "
        f"forward {mm['forward'] / 1e6:.1f} M"
    )
    rows = {}
    for name, f in train.items():
        b = f["batch"]
        fixed = f["kernels_per_step"] * args.launch_us * 1e-6
        per_play_bytes = f["xla_bytes_per_play"] + f["optimizer_bytes_per_step"] / b
        rows[f"train step {name}"] = {
            **f,
            "matmul_flops_per_play": mm["train"],
            "bounds": bounds(mm["train"], per_play_bytes, fixed, b, args),
        }
    fixed = score["kernels_per_call"] * args.launch_us * 1e-6
    rows["season scoring"] = {
        **score,
        "matmul_flops_per_play": mm["forward"],
        # one call scores a whole season: the launches are paid once, not per batch
        "bounds": bounds(mm["forward"], score["xla_bytes_per_play"], fixed, 50_000, args),
    }
    print(
        f"\n{'':24s} {'MFLOP/play':>11s} {'XLA MFLOP':>10s} {'KB/play':>8s} {'kernels':>8s}"
        f" | plays/s allowed by: {'compute':>10s} {'memory':>10s} {'launches':>10s} "
        f"{'all, serial':>11s} {'goal':>9s}"
    )
    for name, r in rows.items():
        bd = r["bounds"]
        kernels = r.get("kernels_per_step", r.get("kernels_per_call"))
        print(
            f"{name:24s} {r['matmul_flops_per_play'] / 1e6:11.1f} "
            f"{r['xla_flops_per_play'] / 1e6:10.1f} {r['xla_bytes_per_play'] / 1e3:8.0f} "
            f"{kernels:8d} | {'':19s} {bd['compute']:10.3g} {bd['memory']:10.3g} "
            f"{bd['fixed']:10.3g} {bd['serial_sum']:11.3g} {GOAL_PLAYS_PER_S:9.3g}"
        )
    f32, season = rows["train step float32"], rows["season scoring"]
    floor_ms = f32["kernels_per_step"] * args.launch_us / 1e3
    print(
        f"\ntrain step: {f32['kernels_per_step']} kernels x {args.launch_us} us = {floor_ms:.2f} ms"
        f" per step whatever the batch; the goal at batch {f32['batch']} needs a step under "
        f"{1e3 * f32['batch'] / GOAL_PLAYS_PER_S:.2f} ms, so the launches alone ask for a batch of "
        f"at least {GOAL_PLAYS_PER_S * floor_ms / 1e3:,.0f} plays (or cheaper launches)."
    )
    print(
        f"season scoring: 50,000 plays in {50_000 / season['bounds']['serial_sum'] * 1e3:.0f} ms "
        f"(compute, memory and launches added, no overlap); their raw arrays are "
        f"{50_000 * score['input_bytes_per_play'] / 2**30:.2f} GiB, on the device once per run."
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
