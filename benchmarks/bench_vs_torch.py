"""JAX vs eager PyTorch on the same model: train step, season scoring, single-play latency.

    python benchmarks/bench_vs_torch.py [--batch 256 --steps 50 --channels 64 ...] [--json OUT]
    pip install -e '.[bench]'   # torch==2.13.0; without it only the JAX figures are printed

The PyTorch model is `sbp_jax.model.PassModel` with the SBP head rebuilt in eager PyTorch, written
independently of the JAX code: input projection over the flattened 22 slots, masked residual blocks
of two causal dilated convolutions (GELU, dropout) with layer norm, masking after every block, the
last valid step's state joined with static features and presence, a GELU MLP, the head's parameter
maps and the spliced binned-Pareto NLL / CDF / quantile. Before timing, the JAX parameters are
copied into it and both NLLs compared on one batch (the `torch vs JAX` line), so the two really
compute the same function. Both train with AdamW after global-norm clipping.

Measured in one run, JAX and PyTorch interleaved (best of `--repeats` rounds): train-step
plays/s on batches already in memory (JAX float32 and bfloat16 `PassModel.dtype`), season scoring
of `--season` plays (percentile at the yards = mid-CDF, median and quantiles, no gradient; JAX:
`scoring.season_scorer`), single-play latency p50/p99
(JAX: `jax.jit(play_scorer)` per call and the ahead-of-time compiled executable called directly),
the GEMM roofline (best GFLOP/s of jitted float32 matmuls of the model's shapes), FLOPs per play
of each JAX function from XLA's cost analysis (all ops, integer hashing included) and the model's
matmul FLOPs per play, from which each function's GFLOP/s and % of roofline.
The host's minor page faults and system time per train step are printed too: XLA:CPU allocates
its temporaries afresh on every call, and `--keep-freed-memory` (glibc heap kept, applied to both
frameworks) shows what that costs. On a busy machine use `--one-core`: eager PyTorch's OpenMP
threads lose 2-10x when another process takes a core (XLA's far less), so two-thread wall-clock
ratios there say more about the neighbours than about the frameworks.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sbp_jax.host_heap import keep_freed_memory

# Before JAX and PyTorch start threads: glibc fixes its arena count when the first one allocates.
if "--keep-freed-memory" in sys.argv and not keep_freed_memory():
    raise SystemExit("--keep-freed-memory: not applied (not glibc, or opted out by env)")

import jax
import jax.numpy as jnp
import numpy as np
from flops import matmul_flops, xla_flops

from sbp_jax.config import Config, DataConfig, ModelConfig, TrainConfig
from sbp_jax.data import Batch, InputSpec
from sbp_jax.data.layout import N_SLOTS
from sbp_jax.evaluate import scoring
from sbp_jax.train.step import create_train_state, train_step

try:
    import torch
    import torch.nn.functional as tF
except ImportError:  # the JAX half runs without it
    torch = None


# ------------------------------------------------------------------------------------------------
# Inputs and timing


def random_plays(n: int, t: int, num_features: int, num_static: int, seed: int = 0) -> dict:
    """`n` plays padded to `t` steps (lengths from t/3 to t, zeros after), NumPy arrays."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(max(1, t // 3), t + 1, n).astype(np.int32)
    tracks = rng.normal(size=(n, t, N_SLOTS, num_features)).astype(np.float32)
    tracks *= (np.arange(t)[None, :] < lengths[:, None])[:, :, None, None]
    return {
        "tracks": tracks,
        "presence": (rng.random((n, N_SLOTS)) < 0.95).astype(np.float32),
        "lengths": lengths,
        "static": rng.normal(size=(n, num_static)).astype(np.float32),
        "yards": np.round(rng.standard_t(3, n) * 8 + 6).astype(np.float32),
    }


# Wall clock by default; process CPU time (all threads, user + system) with --one-core, where the
# whole process runs on one CPU so its CPU time is its work whatever else the machine runs.
CLOCK = time.perf_counter


class Best:
    """Best (smallest) seconds per call of named measurements, over interleaved rounds."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = min(seconds, self.seconds.get(name, math.inf))


def per_call(fn: Callable[[], object], calls: int, sync: Callable[[object], object]) -> float:
    """Seconds per call of `fn` over `calls` calls (`sync` waits for the last result)."""
    t0 = CLOCK()
    for _ in range(calls):
        out = fn()
    sync(out)
    return (CLOCK() - t0) / calls


def latencies(
    fn: Callable[[], object], calls: int, sync: Callable[[object], object], budget_s: float = 2.0
) -> np.ndarray:
    """Seconds of each of `calls` synchronous calls (fewer if they exceed `budget_s` of wall)."""
    out = []
    start = time.perf_counter()
    while len(out) < calls and (len(out) < 10 or time.perf_counter() - start < budget_s):
        t0 = CLOCK()
        sync(fn())
        out.append(CLOCK() - t0)
    return np.asarray(out)


def host_cost(fn: Callable[[], object], calls: int, sync) -> tuple[float, float]:
    """(minor page faults, system CPU seconds) per call."""
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    per_call(fn, calls, sync)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    return (r1.ru_minflt - r0.ru_minflt) / calls, (r1.ru_stime - r0.ru_stime) / calls


def busy_cpus(seconds: float = 1.0) -> float:
    """CPUs kept busy by all processes over the next `seconds` (Linux /proc/stat; the load
    average lags by a minute), or the 1-minute load average elsewhere."""
    try:

        def sample():
            fields = [int(v) for v in Path("/proc/stat").read_text().split()[1:8]]
            return sum(fields) - fields[3], sum(fields)  # busy jiffies (all but idle), total

        b0, t0 = sample()
        time.sleep(seconds)
        b1, t1 = sample()
        return (b1 - b0) / max(t1 - t0, 1) * os.cpu_count()
    except OSError:
        return os.getloadavg()[0]


def use_one_core() -> None:
    """Pin the process to its last CPU before JAX and PyTorch start their threads, with one
    thread each, and time with process CPU time."""
    global CLOCK
    os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false"
    ).strip()
    if torch is not None:
        torch.set_num_threads(1)
    CLOCK = time.process_time


# ------------------------------------------------------------------------------------------------
# JAX side


def jax_sync(out):
    return jax.block_until_ready(out)


def torch_sync(out):
    """Eager PyTorch on the CPU has finished when a call returns."""
    return out


def gemm_roofline(shapes: list[tuple[int, int, int]], best: Best, rounds: int) -> dict:
    """GFLOP/s of jitted float32 matmuls [M, K] @ [K, N], best of `rounds`."""
    out = {}
    for m, k, n in shapes:
        a = jnp.ones((m, k), jnp.float32)
        b = jnp.ones((k, n), jnp.float32)
        f = jax.jit(jnp.matmul).lower(a, b).compile()
        jax_sync(f(a, b))
        calls = max(3, int(2e9 / (2 * m * k * n)))
        for _ in range(rounds):
            best.add(f"gemm {m}x{k}x{n}", per_call(lambda f=f, a=a, b=b: f(a, b), calls, jax_sync))
        out[f"{m}x{k}x{n}"] = 2 * m * k * n / best.seconds[f"gemm {m}x{k}x{n}"] / 1e9
    return out


# ------------------------------------------------------------------------------------------------
# PyTorch side: the same architecture and head, written independently


if torch is not None:

    class TorchBlock(torch.nn.Module):
        """Two causal dilated convolutions (left padding) with GELU and dropout, residual, LN."""

        def __init__(self, channels: int, kernel_size: int, dilation: int, dropout: float):
            super().__init__()
            self.pad = (kernel_size - 1) * dilation
            self.convs = torch.nn.ModuleList(
                torch.nn.Conv1d(channels, channels, kernel_size, dilation=dilation)
                for _ in range(2)
            )
            self.norm = torch.nn.LayerNorm(channels, eps=1e-6)  # flax's default epsilon
            self.dropout = dropout

        def forward(self, h_BxCxT: torch.Tensor) -> torch.Tensor:
            y = h_BxCxT
            for conv in self.convs:
                y = conv(tF.pad(y, (self.pad, 0)))
                y = tF.dropout(tF.gelu(y, approximate="tanh"), self.dropout, self.training)
            return self.norm((h_BxCxT + y).transpose(1, 2)).transpose(1, 2)

    class TorchPassModel(torch.nn.Module):
        """PassModel with the SBP head: returns the unconstrained head outputs [B, N + 4]."""

        def __init__(self, cfg: ModelConfig, num_features: int, num_static: int):
            super().__init__()
            c = cfg.channels
            self.proj = torch.nn.Linear(N_SLOTS * num_features, c)
            self.blocks = torch.nn.ModuleList(
                TorchBlock(c, cfg.kernel_size, d, cfg.dropout) for d in cfg.dilations
            )
            widths = [c + num_static + N_SLOTS, *cfg.mlp_hidden]
            self.mlp = torch.nn.ModuleList(
                torch.nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:], strict=True)
            )
            self.head = torch.nn.Linear(widths[-1], cfg.num_bins + 4)
            torch.nn.init.zeros_(self.head.weight)
            torch.nn.init.zeros_(self.head.bias)
            self.dropout = cfg.dropout

        def forward(self, tracks, presence, lengths, static):
            b, t = tracks.shape[:2]
            valid_BxT = torch.arange(t)[None, :] < lengths[:, None]
            x = torch.where(valid_BxT[..., None], tracks.reshape(b, t, -1), 0.0)
            h = torch.where(valid_BxT[..., None], self.proj(x), 0.0).transpose(1, 2)  # [B, C, T]
            for block in self.blocks:
                h = torch.where(valid_BxT[:, None, :], block(h), 0.0)
            z = torch.cat([h[torch.arange(b), :, lengths - 1], static, presence], dim=-1)
            for layer in self.mlp:
                z = tF.dropout(tF.gelu(layer(z), approximate="tanh"), self.dropout, self.training)
            return self.head(z)

    def torch_load_jax_params(model: TorchPassModel, params) -> None:
        """Copy flax parameters into the torch model (Dense [in, out] -> Linear [out, in],
        Conv [k, in, out] -> Conv1d [out, in, k])."""

        def t(x, *perm):
            return torch.tensor(np.transpose(np.asarray(x), perm))

        def dense(layer, p):
            layer.weight.data, layer.bias.data = t(p["kernel"], 1, 0), t(p["bias"], 0)

        tcn = params["tcn"]
        dense(model.proj, tcn["Dense_0"])
        for i, block in enumerate(model.blocks):
            pb = tcn[f"CausalBlock_{i}"]
            for j, conv in enumerate(block.convs):
                conv.weight.data = t(pb[f"Conv_{j}"]["kernel"], 2, 1, 0)
                conv.bias.data = t(pb[f"Conv_{j}"]["bias"], 0)
            block.norm.weight.data = t(pb["LayerNorm_0"]["scale"], 0)
            block.norm.bias.data = t(pb["LayerNorm_0"]["bias"], 0)
        for i, layer in enumerate(model.mlp):
            dense(layer, params[f"Dense_{i}"])
        dense(model.head, params["head"])

    class TorchSBP:
        """Spliced binned-Pareto from the head outputs: histogram body on N bins of [low, high]
        with generalized-Pareto tails of mass alpha beyond the body's alpha / 1 - alpha
        quantiles (searchsorted on the cumulative masses)."""

        def __init__(self, out_BxK: torch.Tensor, cfg: ModelConfig):
            n = cfg.num_bins
            self.low, self.width, self.n = cfg.low, (cfg.high - cfg.low) / n, n
            self.alpha = cfg.tail_percentile
            self.log_p = torch.log_softmax(out_BxK[:, :n], dim=-1)
            self.p = self.log_p.exp()
            self.cum = torch.cumsum(self.p, dim=-1)  # cum[k] = F_{k+1}

            def xi(raw):
                return cfg.xi_min + (cfg.xi_max - cfg.xi_min) * torch.sigmoid(raw)

            def beta(raw):
                return tF.softplus(raw) + cfg.beta_min

            self.lower = (xi(out_BxK[:, n]), beta(out_BxK[:, n + 1]))
            self.upper = (xi(out_BxK[:, n + 2]), beta(out_BxK[:, n + 3]))
            a = torch.full_like(self.p[:, :1], self.alpha)
            self.tau_l = self._body_icdf(a)[:, 0]
            self.tau_u = self._body_icdf(1 - a)[:, 0]

        def _take(self, table, k):
            return torch.gather(table, 1, k)

        def _body_icdf(self, q_BxQ):
            k = torch.searchsorted(self.cum.contiguous(), q_BxQ.contiguous(), right=True)
            k = k.clamp(max=self.n - 1)
            mass = self._take(self.p, k)
            below = self._take(self.cum, k) - mass
            frac = ((q_BxQ - below) / mass).clamp(0.0, 1.0)
            return self.low + (k + frac) * self.width

        def _bin(self, y):
            return torch.floor((y - self.low) / self.width).clamp(0, self.n - 1).long()

        @staticmethod
        def _small(xi):
            return xi.abs() < 1e-6, torch.where(xi.abs() < 1e-6, 1.0, xi)

        def _gpd_log_pdf(self, z, tail):
            xi, beta = (v[:, None] for v in tail)
            z = z.clamp(min=0.0)
            small, xi_s = self._small(xi)
            general = -torch.log(beta) - (1 / xi_s + 1) * torch.log1p(xi_s * z / beta)
            return torch.where(small, -torch.log(beta) - z / beta, general)

        def _gpd_sf(self, z, tail):
            xi, beta = (v[:, None] for v in tail)
            z = z.clamp(min=0.0)
            small, xi_s = self._small(xi)
            return torch.where(
                small, torch.exp(-z / beta), torch.exp(-torch.log1p(xi_s * z / beta) / xi_s)
            )

        def _gpd_isf(self, s, tail):
            xi, beta = (v[:, None] for v in tail)
            small, xi_s = self._small(xi)
            return torch.where(small, -beta * torch.log(s), beta / xi_s * (s.pow(-xi_s) - 1))

        def _split(self, y, lower, upper, body):
            tau_l, tau_u = self.tau_l[:, None], self.tau_u[:, None]
            return torch.where(y < tau_l, lower, torch.where(y > tau_u, upper, body))

        def log_prob(self, y_BxQ):
            """Log density at y [B, Q]."""
            tau_l, tau_u = self.tau_l[:, None], self.tau_u[:, None]
            log_a = math.log(self.alpha)
            lower = log_a + self._gpd_log_pdf(tau_l - y_BxQ, self.lower)
            upper = log_a + self._gpd_log_pdf(y_BxQ - tau_u, self.upper)
            body = self._take(self.log_p, self._bin(y_BxQ)) - math.log(self.width)
            return self._split(y_BxQ, lower, upper, body)

        def cdf(self, y_BxQ):
            tau_l, tau_u = self.tau_l[:, None], self.tau_u[:, None]
            lower = self.alpha * self._gpd_sf(tau_l - y_BxQ, self.lower)
            upper = 1 - self.alpha * self._gpd_sf(y_BxQ - tau_u, self.upper)
            yc = y_BxQ.clamp(self.low, self.low + self.n * self.width)
            k = self._bin(yc)
            mass = self._take(self.p, k)
            frac = (yc - (self.low + k * self.width)) / self.width
            body = self._take(self.cum, k) - mass + mass * frac
            return self._split(y_BxQ, lower, upper, body)

        def icdf(self, q_BxQ):
            tau_l, tau_u = self.tau_l[:, None], self.tau_u[:, None]
            lower = tau_l - self._gpd_isf((q_BxQ / self.alpha).clamp(max=1.0), self.lower)
            upper = tau_u + self._gpd_isf(((1 - q_BxQ) / self.alpha).clamp(max=1.0), self.upper)
            body = self._body_icdf(q_BxQ)
            return torch.where(
                q_BxQ < self.alpha, lower, torch.where(q_BxQ > 1 - self.alpha, upper, body)
            )

    def torch_inputs(plays: dict, idx=slice(None)) -> tuple:
        return tuple(
            torch.from_numpy(np.ascontiguousarray(plays[k][idx]))
            for k in ("tracks", "presence", "lengths", "static", "yards")
        )

    def torch_score(model, cfg: ModelConfig, tracks, presence, lengths, static, yards) -> dict:
        """Percentile (mid-CDF at the whole yards), median and quantiles, like play_summary."""
        dist = TorchSBP(model(tracks, presence, lengths.long(), static), cfg)
        cdf = dist.cdf(yards[:, None] + torch.tensor([-0.5, 0.5]))
        levels = torch.tensor((*scoring.LEVELS, 0.5)).expand(len(yards), -1)
        q = dist.icdf(levels)
        return {"percentile": cdf.mean(dim=1), "median": q[:, -1], "quantiles": q[:, :-1]}


# ------------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=256, help="train batch B")
    p.add_argument("--steps", type=int, default=50, help="time steps T per play")
    p.add_argument(
        "--features", type=int, default=8, choices=(8, 13, 16, 21), help="channels per slot"
    )
    p.add_argument("--static", type=int, default=16, help="static features S")
    p.add_argument("--channels", type=int, default=64)
    p.add_argument("--dilations", type=int, nargs="+", default=[1, 2, 4, 8])
    p.add_argument("--kernel", type=int, default=3)
    p.add_argument("--mlp", type=int, nargs="+", default=[128, 128])
    p.add_argument("--bins", type=int, default=120)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--season", type=int, default=4096, help="plays in the scoring call")
    p.add_argument("--repeats", type=int, default=3, help="interleaved rounds (best is kept)")
    p.add_argument("--train-calls", type=int, default=8, help="train steps per round")
    p.add_argument("--latency-calls", type=int, default=200, help="single-play calls per round")
    p.add_argument("--no-bf16", action="store_true", help="skip the bfloat16 train step")
    p.add_argument("--keep-freed-memory", action="store_true", help="see the module docstring")
    p.add_argument(
        "--one-core",
        action="store_true",
        help="one CPU and one thread per framework, timed in process CPU seconds (use on a busy "
        "machine: PyTorch's OpenMP threads lose 2-10x when another process takes a core)",
    )
    p.add_argument("--json", type=Path, help="also write the results here (JSON)")
    return p.parse_args()


def main() -> None:
    args = parse_args()
    if args.one_core:
        use_one_core()
    mcfg = ModelConfig(
        channels=args.channels,
        kernel_size=args.kernel,
        dilations=tuple(args.dilations),
        mlp_hidden=tuple(args.mlp),
        num_bins=args.bins,
        dropout=args.dropout,
        low=-20.5,
        high=-20.5 + args.bins,
    )
    cfg = Config(
        data=DataConfig(
            relational_features=args.features in (16, 21), target_features=args.features in (13, 21)
        ),
        model=mcfg,
        train=TrainConfig(batch_size=args.batch),
    )
    assert len(InputSpec.of(cfg.data).names) == args.features
    b, t, s = args.batch, args.steps, args.static
    train_np = random_plays(b, t, args.features, s, seed=0)
    season_np = random_plays(args.season, t, args.features, s, seed=1)
    best = Best()
    busy = busy_cpus()
    print(
        f"# bench_vs_torch  {platform.node()}  {platform.processor() or platform.machine()}  "
        f"{os.cpu_count()} CPUs  busy {busy:.2f}  jax {jax.__version__} "
        f"({jax.devices()[0].platform})  torch "
        + (f"{torch.__version__} ({torch.get_num_threads()} threads)" if torch else "MISSING")
    )
    print(
        f"# B={b} T={t} {N_SLOTS}x{args.features} inputs, S={s}, TCN {args.channels} ch "
        f"dilations {args.dilations} k={args.kernel}, MLP {args.mlp}, SBP {args.bins} bins, "
        f"dropout {args.dropout}; season {args.season} plays; keep-freed-memory "
        f"{args.keep_freed_memory}; "
        + ("one core, times in process CPU seconds" if args.one_core else "wall-clock times")
    )
    if busy > 0.3 and not args.one_core:
        print(
            "# WARNING: other processes are using the CPUs; eager PyTorch's OpenMP "
            "threads slow down far more than XLA's under contention, so the ratios are unreliable"
        )
    t_start = time.perf_counter()

    # -- JAX: compile everything first ----------------------------------------------------------
    batch = Batch(
        **{k: jnp.asarray(v) for k, v in train_np.items()},
        weight=jnp.ones((b,), jnp.float32),
        play_index=jnp.arange(b),
    )
    dtypes = {"f32": "float32"} | ({} if args.no_bf16 else {"bf16": "bfloat16"})
    steps, states, flops = {}, {}, {}
    for name, dtype in dtypes.items():
        dcfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, compute_dtype=dtype))
        state = create_train_state(dcfg, num_static=s)
        compiled = jax.jit(train_step, donate_argnums=0).lower(state, batch).compile()
        steps[name], states[name] = compiled, state
        flops[f"train {name}"] = xla_flops(compiled) / b
        states[name], _ = compiled(states[name], batch)  # warm-up
    model = states["f32"].model
    params = jax.tree.map(np.asarray, states["f32"].params)
    # A non-zero head (it starts at zero) so that scoring depends on the inputs.
    params["head"]["kernel"] = 0.3 * np.random.default_rng(2).normal(
        size=params["head"]["kernel"].shape
    ).astype(np.float32)
    params = jax.device_put(params)

    season_args = tuple(jnp.asarray(season_np[k]) for k in season_np)
    season = scoring.season_scorer(model).lower(params, *season_args).compile()
    flops["season"] = xla_flops(season) / args.season
    play = tuple(a[0] for a in season_args)
    one_jit = jax.jit(scoring.play_scorer(model))
    one_aot = jax.jit(scoring.play_scorer(model)).lower(params, *play).compile()
    flops["play"] = xla_flops(one_aot)
    jax_sync((season(params, *season_args), one_jit(params, *play), one_aot(params, *play)))
    m = args.batch * args.steps
    c, k = args.channels, args.kernel
    gemm_shapes = [(m, k * c, c), (m, c, k * c), (1024, 1024, 1024)]

    # -- PyTorch: the same model, the JAX parameters for the equivalence check ------------------
    if torch is not None:
        tmodel = TorchPassModel(mcfg, args.features, s)
        torch_load_jax_params(tmodel, params)
        tmodel.eval()
        with torch.inference_mode():
            out_t = TorchSBP(tmodel(*torch_inputs(train_np)[:4]), mcfg)
            nll_t = -out_t.log_prob(torch.from_numpy(train_np["yards"])[:, None])[:, 0].numpy()
        _, dist = model.apply({"params": params}, *(train_np[k] for k in list(train_np)[:4]))
        nll_j = -np.asarray(dist.log_prob(train_np["yards"]))
        nll_diff = float(np.max(np.abs(nll_t - nll_j)))
        print(f"torch vs JAX NLL on the same parameters: max |diff| {nll_diff:.2e} (eval mode)")
        tmodel.train()
        opt = torch.optim.AdamW(tmodel.parameters(), lr=cfg.train.learning_rate, weight_decay=1e-4)
        warmup = max(cfg.train.warmup_steps, 1)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: min(1.0, i / warmup))
        tb = torch_inputs(train_np)
        t_tracks, t_presence, t_lengths, t_static, t_yards = tb
        t_lengths = t_lengths.long()

        def torch_step():
            opt.zero_grad(set_to_none=True)
            out = tmodel(t_tracks, t_presence, t_lengths, t_static)
            loss = -TorchSBP(out, mcfg).log_prob(t_yards[:, None]).mean()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(tmodel.parameters(), cfg.train.grad_clip)
            opt.step()
            sched.step()
            return loss.detach()

        torch_step()
        t_season = torch_inputs(season_np)
        t_play = torch_inputs(season_np, slice(0, 1))

        def torch_season():
            with torch.inference_mode():
                tmodel.eval()
                out = torch_score(tmodel, mcfg, *t_season)
                tmodel.train()
                return out

        def torch_play():
            with torch.inference_mode():
                tmodel.eval()
                out = torch_score(tmodel, mcfg, *t_play)
                tmodel.train()
                return out

        torch_season()

    # -- interleaved rounds ---------------------------------------------------------------------
    lat: dict[str, list[np.ndarray]] = {"jit": [], "aot": [], "torch": []}
    host: dict[str, tuple[float, float]] = {}
    for r in range(args.repeats):
        for name, compiled in steps.items():

            def jax_step(name=name, compiled=compiled):
                states[name], metrics = compiled(states[name], batch)
                return states[name], metrics

            best.add(f"train {name}", per_call(jax_step, args.train_calls, jax_sync))
            if r == 0:
                host[f"jax {name}"] = host_cost(jax_step, 2, jax_sync)
        best.add("season", per_call(lambda: season(params, *season_args), 1, jax_sync))
        lat["jit"].append(latencies(lambda: one_jit(params, *play), args.latency_calls, jax_sync))
        lat["aot"].append(latencies(lambda: one_aot(params, *play), args.latency_calls, jax_sync))
        if torch is not None:
            best.add("torch train", per_call(torch_step, args.train_calls, torch_sync))
            if r == 0:
                host["torch"] = host_cost(torch_step, 2, torch_sync)
            best.add("torch season", per_call(torch_season, 1, torch_sync))
            lat["torch"].append(latencies(torch_play, args.latency_calls, torch_sync))
        gemm = gemm_roofline(gemm_shapes, best, 1)
    roofline = max(gemm.values())

    # -- report ---------------------------------------------------------------------------------
    def pct(values: list[np.ndarray]) -> tuple[float, float] | None:
        if not values:
            return None
        v = np.concatenate(values) * 1e3
        return float(np.percentile(v, 50)), float(np.percentile(v, 99))

    rows = []

    def row(name, jax_rate, torch_rate, flops_per_play):
        # GFLOP/s and % of roofline count matmul FLOPs only: XLA's cost analysis also counts
        # elementwise work (dropout's integer hash, GELU, the SBP search) as FLOPs.
        gflops = jax_rate * flops_per_play / 1e9
        rows.append(
            {
                "metric": name,
                "jax": jax_rate,
                "torch": torch_rate,
                "jax_over_torch": jax_rate / torch_rate if torch_rate else None,
                "jax_matmul_gflops": gflops,
                "pct_roofline": 100 * gflops / roofline,
            }
        )

    mm = matmul_flops(mcfg, t, args.features, s)
    torch_train = b / best.seconds["torch train"] if torch else None
    for name in steps:
        rate = b / best.seconds[f"train {name}"]
        row(f"train step ({name}) plays/s", rate, torch_train, mm["train"])
    torch_season_rate = args.season / best.seconds["torch season"] if torch else None
    rate = args.season / best.seconds["season"]
    row("season scoring plays/s", rate, torch_season_rate, mm["forward"])
    p_jit, p_aot, p_torch = pct(lat["jit"]), pct(lat["aot"]), pct(lat["torch"])
    torch_play_rate = 1e3 / p_torch[0] if p_torch else None
    for label, p in (("jax.jit", p_jit), ("AOT", p_aot)):
        # plays/s at the p50 latency, so that the JAX/torch ratio reads as a speed-up
        row(f"single play ({label}) 1/p50", 1e3 / p[0], torch_play_rate, mm["forward"])

    gemm_text = ", ".join(f"{k}: {v:.1f}" for k, v in gemm.items())
    print(f"\nGEMM roofline (jitted f32 matmul): {roofline:.1f} GFLOP/s  ({gemm_text})")
    print("XLA FLOPs per play: " + ", ".join(f"{k} {v / 1e6:.2f} M" for k, v in flops.items()))
    print(
        f"matmul FLOPs per play: train {mm['train'] / 1e6:.2f} M, forward "
        f"{mm['forward'] / 1e6:.2f} M (GFLOP/s and % of roofline below count these)"
    )
    print(
        f"\n{'':34s} {'JAX':>10s} {'torch':>10s} {'JAX/torch':>10s} {'GFLOP/s':>8s} {'%roof':>6s}"
    )

    def fmt(value, spec):
        return format(value, spec) if value is not None else "-".rjust(int(spec.split(".")[0]))

    for r_ in rows:
        print(
            f"{r_['metric']:34s} {fmt(r_['jax'], '10.0f')} {fmt(r_['torch'], '10.0f')} "
            f"{fmt(r_['jax_over_torch'], '10.2f')} {fmt(r_['jax_matmul_gflops'], '8.1f')} "
            f"{fmt(r_['pct_roofline'], '6.1f')}"
        )
    print(
        f"\nsingle-play latency p50/p99 ms: jax.jit {p_jit[0]:.3f}/{p_jit[1]:.3f}, "
        f"AOT executable {p_aot[0]:.3f}/{p_aot[1]:.3f}"
        + (f", torch {p_torch[0]:.3f}/{p_torch[1]:.3f}" if p_torch else "")
    )
    print(
        "host per train step (minor page faults, system CPU ms): "
        + ", ".join(f"{k} {f:.0f}, {st * 1e3:.0f}" for k, (f, st) in host.items())
    )
    if torch is None:
        print("torch is missing: pip install -e '.[bench]' for the PyTorch comparison")
    elapsed = time.perf_counter() - t_start
    print(f"# {elapsed:.0f} s")
    if args.json:
        result = {
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "torch": torch.__version__ if torch else None,
            "jax": jax.__version__,
            "gemm_gflops": gemm,
            "roofline_gflops": roofline,
            "xla_flops_per_play": flops,
            "matmul_flops_per_play": mm,
            "rows": rows,
            "latency_ms": {"jit": p_jit, "aot": p_aot, "torch": p_torch},
            "host_per_step": host,
            "seconds_per_call": best.seconds,
        }
        if torch is not None:
            result["torch_vs_jax_nll_max_abs_diff"] = nll_diff
        tmp = args.json.with_name(args.json.name + ".tmp")
        tmp.write_text(json.dumps(result, indent=2))
        os.replace(tmp, args.json)


if __name__ == "__main__":
    main()
