"""FLOP and byte counts shared by the benchmarks: XLA's cost analysis of a compiled executable and
the model's matmul FLOPs counted by hand (the two differ: XLA also counts elementwise work)."""

from __future__ import annotations

from sbp_jax.config import ModelConfig
from sbp_jax.data.layout import N_SLOTS


def xla_cost(compiled) -> dict[str, float]:
    """XLA's cost analysis of one call of a compiled executable (`flops`, `bytes accessed`, ...)."""
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, list | tuple) else cost
    return {k: float(v) for k, v in (cost or {}).items()}


def xla_flops(compiled) -> float:
    """FLOPs of one call of a compiled executable, from XLA's cost analysis."""
    return xla_cost(compiled).get("flops", 0.0)


def matmul_flops(cfg: ModelConfig, steps: int, num_features: int, num_static: int) -> dict:
    """Matmul FLOPs per play (2 per multiply-add, every conv tap counted): forward, and a train
    step = forward + weight gradients + input gradients of every layer but the first."""
    c, k = cfg.channels, cfg.kernel_size
    first = 2 * steps * N_SLOTS * num_features * c
    convs = 2 * steps * len(cfg.dilations) * 2 * k * c * c
    widths = [c + num_static + N_SLOTS, *cfg.mlp_hidden, cfg.num_bins + 4]
    mlp = sum(2 * a * b for a, b in zip(widths[:-1], widths[1:], strict=True))
    forward = first + convs + mlp
    return {"forward": forward, "train": 3 * forward - first}
