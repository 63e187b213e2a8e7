"""Scoring speed: a season of plays in one call, and single-play latency for live use.

    python benchmarks/bench_score.py [--config configs/demo.toml] [--plays 17000]

Random-init model of the config's size (the head perturbed so plays differ) and random raw play
data shaped like the store (lengths 2-6 s at 10 Hz, padded to a multiple of 8 steps, 22 slots x 8
raw features). Prints, for the season call, plays/s of the jitted vmapped raw scorer
(`scoring.raw_season_scorer`: standardization and the derived channels inside, plays sharded over
every local device) next to the same work as one batched apply (ratio = what vmap costs), XLA's
measured memory per play and the chunk size the default budget allows; then p50/p99 latency of
the single-play scorer jitted and ahead-of-time compiled (`scoring.compile_play_scorer`). Compile
time is reported separately, never mixed in.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from sbp_jax.config import load_config
from sbp_jax.data import InputSpec, Normalizer, NormStats, RawBatch, model_inputs
from sbp_jax.evaluate import scoring
from sbp_jax.model import PassModel


def random_plays(n: int, num_static: int, num_features: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(20, 61, n).astype(np.int32)
    t = int(-(-lengths.max() // 8) * 8)
    tracks = rng.normal(size=(n, t, 22, num_features)).astype(np.float32)
    tracks *= (np.arange(t)[None, :] < lengths[:, None])[:, :, None, None]
    presence = np.ones((n, 22), np.float32)
    static = rng.normal(size=(n, num_static)).astype(np.float32)
    yards = rng.integers(-5, 40, n).astype(np.float32)
    target = rng.integers(1, 11, n).astype(np.int32)
    return tracks, presence, lengths, static, yards, target


def timed(fn, *args, repeats: int) -> tuple[float, float]:
    """(first call incl. compile, best of `repeats` later calls) in seconds."""
    t0 = time.perf_counter()
    jax.block_until_ready(fn(*args))
    first = time.perf_counter() - t0
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(*args))
        best = min(best, time.perf_counter() - t0)
    return first, best


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="configs/demo.toml")
    p.add_argument("--plays", type=int, default=17000)
    p.add_argument("--static", type=int, default=7, help="static features per play")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--latency-calls", type=int, default=500)
    p.add_argument("--json", help="also write the results here")
    args = p.parse_args()

    cfg = load_config(args.config)
    model = PassModel(cfg.model)
    spec = InputSpec.of(cfg.data)
    tracks, presence, lengths, static, yards, target = random_plays(args.plays, args.static, 8)
    norm = NormStats(
        np.zeros(8, np.float32),
        np.ones(8, np.float32),
        np.zeros(args.static, np.float32),
        np.ones(args.static, np.float32),
    )
    raw = RawBatch(
        tracks[:2], presence[:2], lengths[:2], static[:2], yards[:2], yards[:2], None, target[:2]
    )
    b = model_inputs(raw, Normalizer.of(norm), spec=spec)
    params = model.init(jax.random.key(0), b.tracks, b.presence, b.lengths, b.static)["params"]
    kernel = params["head"]["kernel"]
    params["head"]["kernel"] = kernel + 0.3 * jax.random.normal(jax.random.key(1), kernel.shape)
    print(
        f"# bench_score  {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC  "
        f"{platform.node()}  jax {jax.__version__}  devices {jax.devices()}"
    )
    print(
        f"# model {args.config} (head {cfg.model.head}, {cfg.model.channels} channels, "
        f"dilations {list(cfg.model.dilations)}, {cfg.model.num_bins} bins); "
        f"{args.plays} plays, T = {tracks.shape[1]} steps, {b.tracks.shape[-1]} input channels"
    )
    results = {}
    season = scoring.raw_season_scorer(model, norm, spec=spec)
    n = args.plays - args.plays % jax.local_device_count()
    arrays = tuple(jnp.asarray(a[:n]) for a in (tracks, presence, lengths, static, yards, target))
    compile_s, season_s = timed(season, params, *arrays, repeats=args.repeats)
    results["season_plays_per_s"] = n / season_s
    print(
        f"season, vmapped scorer : {n / season_s:10.0f} plays/s  "
        f"({season_s * 1e3:.0f} ms per call on {jax.local_device_count()} device(s); first call "
        f"incl. compile {compile_s:.1f} s)"
    )

    @jax.jit
    def batched(params, tracks, presence, lengths, static, yards, target):
        raw = RawBatch(tracks, presence, lengths, static, yards, yards, None, target)
        x = model_inputs(raw, Normalizer.of(norm), spec=spec)
        _, dist = model.apply({"params": params}, x.tracks, x.presence, x.lengths, x.static)
        return scoring.play_summary(dist, yards)

    _, batched_s = timed(batched, params, *arrays, repeats=args.repeats)
    results["batched_plays_per_s"] = n / batched_s
    print(
        f"season, batched apply  : {n / batched_s:10.0f} plays/s  "
        f"(vmapped / batched time = {season_s / batched_s:.2f}; one device)"
    )

    _, per_play = scoring.compile_for(
        season,
        params,
        n,
        num_steps=tracks.shape[1],
        num_slots=22,
        num_features=8,
        num_static=args.static,
    )
    chunk = scoring.chunk_size(n, per_play, scoring.DEFAULT_MEMORY_BUDGET)
    results["bytes_per_play"] = per_play
    print(
        f"memory: {per_play / 1024:.0f} KiB per play (XLA memory analysis) -> "
        f"{per_play * n / 2**30:.2f} GiB for the season; default budget "
        f"{scoring.DEFAULT_MEMORY_BUDGET / 2**30:.0f} GiB -> chunk {chunk} "
        f"({-(-n // chunk)} call(s))"
    )

    per_play_fn = scoring.raw_play_scorer(model, norm, spec=spec)
    t_live = int(-(-int(lengths[0]) // 8) * 8)
    play = tuple(
        np.asarray(a)
        for a in (tracks[0, :t_live], presence[0], lengths[0], static[0], yards[0], target[0])
    )
    aot = scoring.compile_play_scorer(per_play_fn, params, num_steps=t_live, num_static=args.static)
    for name, fn in (("jit", jax.jit(per_play_fn)), ("aot", aot)):
        jax.block_until_ready(fn(params, *play))
        samples = np.empty(args.latency_calls)
        for i in range(args.latency_calls):
            t0 = time.perf_counter()
            jax.block_until_ready(fn(params, *play))
            samples[i] = time.perf_counter() - t0
        p50, p99 = np.percentile(samples, [50, 99]) * 1e3
        results[f"single_{name}_p50_ms"], results[f"single_{name}_p99_ms"] = p50, p99
        print(
            f"single play {name} (T = {t_live}) : p50 {p50:.3f} ms  p99 {p99:.3f} ms  "
            f"over {args.latency_calls} calls"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
