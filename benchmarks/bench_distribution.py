"""Throughput of the spliced binned-Pareto NLL: log_prob, and log_prob + gradient w.r.t. all params.

Every observation has its own parameters (logits [B, N], four tail params [B]), as in training.
Each variant is jitted and warmed up once; the figure is the median of --repeats timed calls.
Binned and Normal heads are timed the same way for comparison.

    python benchmarks/bench_distribution.py [--batch 1000000] [--bins 120] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp

from sbp_jax.distributions import Binned, Normal, SplicedBinnedPareto

LOW, HIGH = -20.0, 100.0


def make_inputs(batch: int, bins: int, seed: int = 0) -> tuple[dict[str, jax.Array], jax.Array]:
    """Random per-observation parameters (float32) and observations spread over body and tails."""
    k = jax.random.split(jax.random.key(seed), 4)
    params = {
        "logits": jax.random.normal(k[0], (batch, bins), jnp.float32),
        "tails": jax.random.uniform(k[1], (4, batch), jnp.float32, 0.05, 0.5),
    }
    y_B = jax.random.uniform(k[2], (batch,), jnp.float32, LOW - 30.0, HIGH + 30.0)
    return params, y_B


def sbp_nll(params: dict[str, jax.Array], y_B: jax.Array) -> jax.Array:
    lower_xi, lower_beta, upper_xi, upper_beta = params["tails"]
    dist = SplicedBinnedPareto(
        params["logits"], lower_xi, lower_beta, upper_xi, upper_beta, low=LOW, high=HIGH
    )
    return -dist.log_prob(y_B)


def binned_nll(params: dict[str, jax.Array], y_B: jax.Array) -> jax.Array:
    return -Binned(params["logits"], low=LOW, high=HIGH).log_prob(jnp.clip(y_B, LOW, HIGH))


def normal_nll(params: dict[str, jax.Array], y_B: jax.Array) -> jax.Array:
    return -Normal(params["tails"][0] * 100.0, params["tails"][1] * 50.0).log_prob(y_B)


# Each head is differentiated only w.r.t. the parameters it uses.
HEADS = {
    "sbp": (sbp_nll, ("logits", "tails")),
    "binned": (binned_nll, ("logits",)),
    "normal": (normal_nll, ("tails",)),
}


def median_seconds(fn: Callable[..., object], args: tuple[object, ...], repeats: int) -> float:
    """Median wall time of fn(*args) over `repeats` calls, after one untimed compile + warm-up."""
    jax.block_until_ready(fn(*args))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1_000_000)
    parser.add_argument("--bins", type=int, default=120)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--small-batch", type=int, default=10_000)
    args = parser.parse_args()

    print(f"jax {jax.__version__} on {jax.devices()[0].device_kind}; bins={args.bins}; float32")
    header = ("head", "batch", "log_prob/s", "log_prob+grad/s", "grad cost")
    print("{:8s} {:>9s} {:>14s} {:>16s} {:>9s}".format(*header))
    for batch in (args.small_batch, args.batch):
        params, y_B = make_inputs(batch, args.bins)
        for name, (nll, used) in HEADS.items():
            head_params = {k: params[k] for k in used}
            forward = jax.jit(nll)
            step = jax.jit(jax.value_and_grad(lambda p, y, nll=nll: nll(p, y).mean()))
            t_fwd = median_seconds(forward, (head_params, y_B), args.repeats)
            t_grad = median_seconds(step, (head_params, y_B), args.repeats)
            print(
                f"{name:8s} {batch:9d} {batch / t_fwd:14.3e} {batch / t_grad:16.3e} "
                f"{t_grad / t_fwd:8.2f}x"
            )


if __name__ == "__main__":
    main()
