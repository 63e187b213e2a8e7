"""Scoring speed: a season of plays in one call, and single-play latency for live use.

    python benchmarks/bench_score.py [--config configs/demo.toml] [--plays 17000]

Random-init model of the config's size (the head perturbed so plays differ) and random play data
shaped like a store batch (lengths 2-6 s at 10 Hz, padded to a multiple of 8 steps, 22 slots x the
config's input channels: 8 raw + 8 relational by default). Prints, for the season call, plays/s
of the jitted vmapped per-play scorer (`scoring.season_scorer`) next to the same model applied to
the batch directly (ratio = what vmap costs), XLA's measured memory per play and the chunk size
the default budget allows; then p50/p99 latency of the jitted single-play function. Compile time
is reported separately, never mixed in.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import time

import jax
import jax.numpy as jnp
import numpy as np

from sbp_jax.config import load_config
from sbp_jax.data import input_feature_names
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
    return tracks, presence, lengths, static, yards


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
    args = p.parse_args()

    cfg = load_config(args.config)
    model = PassModel(cfg.model)
    num_features = len(input_feature_names(cfg.data.relational_features))
    tracks, presence, lengths, static, yards = random_plays(args.plays, args.static, num_features)
    params = model.init(jax.random.key(0), tracks[:2], presence[:2], lengths[:2], static[:2])[
        "params"
    ]
    kernel = params["head"]["kernel"]
    params["head"]["kernel"] = kernel + 0.3 * jax.random.normal(jax.random.key(1), kernel.shape)
    print(
        f"# bench_score  {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC  "
        f"{platform.node()}  jax {jax.__version__}  devices {jax.devices()}"
    )
    print(
        f"# model {args.config} (head {cfg.model.head}, {cfg.model.channels} channels, "
        f"dilations {list(cfg.model.dilations)}, {cfg.model.num_bins} bins); "
        f"{args.plays} plays, T = {tracks.shape[1]} steps, {num_features} input channels"
    )

    season = scoring.season_scorer(model)
    arrays = tuple(jnp.asarray(a) for a in (tracks, presence, lengths, static, yards))
    compile_s, season_s = timed(season, params, *arrays, repeats=args.repeats)
    print(
        f"season, vmapped scorer : {args.plays / season_s:10.0f} plays/s  "
        f"({season_s * 1e3:.0f} ms per call; first call incl. compile {compile_s:.1f} s)"
    )

    @jax.jit
    def batched(params, tracks, presence, lengths, static, yards):
        _, dist = model.apply({"params": params}, tracks, presence, lengths, static)
        return scoring.play_summary(dist, yards)

    _, batched_s = timed(batched, params, *arrays, repeats=args.repeats)
    print(
        f"season, batched apply  : {args.plays / batched_s:10.0f} plays/s  "
        f"(vmapped / batched time = {season_s / batched_s:.2f})"
    )

    _, per_play = scoring.compile_for(
        season,
        params,
        args.plays,
        num_steps=tracks.shape[1],
        num_slots=22,
        num_features=num_features,
        num_static=args.static,
    )
    chunk = scoring.chunk_size(args.plays, per_play, scoring.DEFAULT_MEMORY_BUDGET)
    print(
        f"memory: {per_play / 1024:.0f} KiB per play (XLA memory analysis) -> "
        f"{per_play * args.plays / 2**30:.2f} GiB for the season; default budget "
        f"{scoring.DEFAULT_MEMORY_BUDGET / 2**30:.0f} GiB -> chunk {chunk} "
        f"({-(-args.plays // chunk)} call(s))"
    )

    one = jax.jit(scoring.play_scorer(model))
    t_live = int(-(-int(lengths[0]) // 8) * 8)
    play = (tracks[0, :t_live], presence[0], lengths[0], static[0], yards[0])
    play = tuple(jnp.asarray(a) for a in play)
    jax.block_until_ready(one(params, *play))
    samples = np.empty(args.latency_calls)
    for i in range(args.latency_calls):
        t0 = time.perf_counter()
        jax.block_until_ready(one(params, *play))
        samples[i] = time.perf_counter() - t0
    p50, p99 = np.percentile(samples, [50, 99]) * 1e3
    print(
        f"single play (T = {t_live}) : p50 {p50:.3f} ms  p99 {p99:.3f} ms  "
        f"over {args.latency_calls} calls"
    )


if __name__ == "__main__":
    main()
