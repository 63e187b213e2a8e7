"""Season scorer: every play of a season -> percentile, predictive median and quantiles.

`play_scorer` builds the per-play function (one play's tracks, presence, length, static features
and yards -> scalars); `jax.vmap` of it, jitted once, scores a whole season in one call. The same
per-play function, jitted without vmap, is the single-play scorer for live use. A season is split
into chunks only when its compiled memory (measured with XLA's memory analysis, not guessed)
exceeds a budget; chunks are padded to one shape so the function compiles once.

The play percentile is the mid-distribution value at the whole yards gained,
(F(y − ½) + F(y + ½))/2: with 1-yard bins on half-yard edges this is the CDF at y, F_k + p_k/2
(docs/distribution.md), in the SBP body, and the same definition holds in the GPD tails and for
the other heads. The QB passing score averages it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from tqdm.auto import tqdm

from sbp_jax.data.batching import gather_raw, index_batch
from sbp_jax.data.inputs import (
    DEFAULT_INPUTS,
    Batch,
    InputSpec,
    Normalizer,
    RawBatch,
    model_inputs,
)
from sbp_jax.data.layout import N_FEATURES, N_SLOTS
from sbp_jax.data.normalization import NormStats
from sbp_jax.evaluate import metrics

# Quantile levels reported per play; they bound the 50/80/90/98% central intervals.
LEVELS = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)
DEFAULT_MEMORY_BUDGET = 4 << 30  # bytes one scoring call may use (a 17k-play season: ~2.1 GiB)


def play_summary(
    dist, yards_B: jax.Array, *, levels: Sequence[float] = LEVELS, crps_levels: int = 0
) -> dict[str, jax.Array]:
    """Per-play outputs of a predictive distribution with batch shape [B] at the observed yards.

    Keys: percentile (mid-distribution value at the whole-yard outcome y: (F(y − ½) + F(y + ½))/2
    = P(Y < y) + P(Y = y)/2), median, quantiles [B, Q], nll, pit_low / pit_high (F(y ∓ ½), for the
    randomized PIT), and crps when `crps_levels` > 0 (quantile-score integration
    over that many levels; costly, so metrics runs ask for it on held-out plays only).
    """
    yards_B = jnp.asarray(yards_B, jnp.float32)
    # One icdf call for every level and the median, one cdf call for y - 1/2 and y + 1/2: the
    # distribution's shared work (softmax, cumulative masses, tail thresholds) is done once.
    levels_Q1 = jnp.append(jnp.asarray(levels, jnp.float32), 0.5)  # a tuple or a traced array
    expand = (len(levels_Q1),) + (1,) * yards_B.ndim
    quantiles_QxB = dist.icdf(levels_Q1.reshape(expand))
    offsets_2 = jnp.asarray([-0.5, 0.5]).reshape((2,) + (1,) * yards_B.ndim)
    cdf_2xB = dist.cdf(yards_B + offsets_2)
    out = {
        # In the SBP body this is F(y) itself (F is linear across a 1-yard bin on half-yard
        # edges); in a GPD tail or for the Gaussian head F(y) is not, and the midpoint is what a
        # whole-yard outcome's percentile means (and what the synthetic truth uses).
        "percentile": 0.5 * (cdf_2xB[0] + cdf_2xB[1]),
        "median": quantiles_QxB[-1],
        "quantiles": jnp.moveaxis(quantiles_QxB[:-1], 0, -1),
        "nll": metrics.nll(dist, yards_B),
        "pit_low": cdf_2xB[0],
        "pit_high": cdf_2xB[1],
    }
    if crps_levels:
        out["crps"] = metrics.crps(dist, yards_B, num_levels=crps_levels)
    return out


def _summary_of_one(model, params, b: Batch, levels, crps_levels: int) -> dict[str, jax.Array]:
    """`play_summary` of the one play of the model-ready batch `b`, as scalars and [Q] vectors."""
    _, dist = model.apply({"params": params}, b.tracks, b.presence, b.lengths, b.static)
    out = play_summary(dist, b.yards, levels=levels, crps_levels=crps_levels)
    return jax.tree.map(lambda a: a[0], out)


def _raw_play_inputs(normalizer, spec, tracks_TxPxF, presence_P, length, static_S, yards, slot):
    """One play of the store's raw arrays -> its model-ready batch of one (`model_inputs`)."""
    raw = RawBatch(
        tracks_TxPxF[None],
        presence_P[None],
        jnp.reshape(length, (1,)),
        static_S[None],
        jnp.reshape(yards, (1,)),
        jnp.ones((1,), jnp.float32),
        None,
        jnp.reshape(slot, (1,)),
    )
    return model_inputs(raw, normalizer, spec=spec)


def play_scorer(model, *, levels: Sequence[float] = LEVELS, crps_levels: int = 0) -> Callable:
    """Per-play scoring function f(params, tracks_TxPxF, presence_P, length, static_S, yards) of
    model-ready inputs (standardized, derived channels appended; see `raw_play_scorer` for the
    store's raw arrays, which takes the target slot too).

    Pure and unbatched: `jax.jit(f)` answers one play; `jax.jit(jax.vmap(f, in_axes=(None, 0,
    ...)))` scores a season (see `season_scorer`).
    """
    levels = tuple(float(q) for q in levels)

    def score_one(params, tracks_TxPxF, presence_P, length, static_S, yards):
        one = Batch(
            tracks_TxPxF[None],
            presence_P[None],
            jnp.reshape(length, (1,)),
            static_S[None],
            jnp.reshape(jnp.asarray(yards, jnp.float32), (1,)),
            None,
            None,
        )
        return _summary_of_one(model, params, one, levels, crps_levels)

    return score_one


def raw_play_scorer(
    model,
    norm: NormStats,
    *,
    spec: InputSpec = DEFAULT_INPUTS,
    levels: Sequence[float] = LEVELS,
    crps_levels: int = 0,
) -> Callable:
    """Per-play scoring function f(params, tracks_TxPxF, presence_P, length, static_S, yards,
    target_slot) of the store's raw arrays (raw tracking features, raw static features, the
    targeted receiver's slot, -1 unknown): the data work (`data.inputs.model_inputs` with `norm`
    and the channels of `spec`) runs inside, so the function alone, jitted or exported, answers a
    play as the store or `preprocess_play` holds it.
    """
    normalizer = Normalizer.of(norm)
    levels = tuple(float(q) for q in levels)

    def score_one(params, *play):
        b = _raw_play_inputs(normalizer, spec, *play)
        return _summary_of_one(model, params, b, levels, crps_levels)

    return score_one


@functools.lru_cache(maxsize=16)
def shared_season_scorer(model, spec: InputSpec, crps_levels: int) -> Callable:
    """Jitted, vmapped f((params, normalizer, levels_Q), tracks, presence, lengths, static, yards,
    target_slot) of the store's raw arrays: `raw_season_scorer` with the normalization and the
    quantile levels as arguments, so the fold models of one head (same network, their own
    statistics and recalibrated levels) share one compiled executable per shape."""

    def score_one(state, *play):
        params, normalizer, levels_Q = state
        b = _raw_play_inputs(normalizer, spec, *play)
        return _summary_of_one(model, params, b, levels_Q, crps_levels)

    return _vmapped(score_one, RAW_PLAY_ARGS)


def shared_state(trained, levels: Sequence[float]) -> tuple:
    """The first argument of `shared_season_scorer` for a `TrainedModel` and quantile levels."""
    return (trained.params, Normalizer.of(trained.norm), jnp.asarray(levels, jnp.float32))


def trained_scorer(trained, *, levels: Sequence[float] = LEVELS, crps_levels: int = 0):
    """`raw_play_scorer` of a `TrainedModel` (its normalization and input channels)."""
    return raw_play_scorer(
        trained.model,
        trained.norm,
        spec=trained.inputs,
        levels=levels,
        crps_levels=crps_levels,
    )


RAW_PLAY_ARGS = 6  # tracks, presence, length, static, yards, target slot (raw_play_scorer)
INPUT_PLAY_ARGS = 5  # the same without the target slot (play_scorer: model-ready inputs)


def _vmapped(per_play: Callable, n_args: int, devices=None) -> Callable:
    """jit(vmap(per_play)) with the plays sharded over `devices` (default: every local device)
    and the parameters replicated, so one call uses every device."""
    devices = list(devices or jax.local_devices())
    mesh = Mesh(np.asarray(devices), ("plays",))
    plays, replicated = (
        NamedSharding(mesh, PartitionSpec("plays")),
        NamedSharding(mesh, PartitionSpec()),
    )
    return jax.jit(
        jax.vmap(per_play, in_axes=(None,) + (0,) * n_args),
        in_shardings=(replicated,) + (plays,) * n_args,
        out_shardings=plays,
    )


def season_scorer(
    model, *, levels: Sequence[float] = LEVELS, crps_levels: int = 0, devices=None
) -> Callable:
    """Jitted f(params, tracks_BxTxPxF, presence_BxP, lengths_B, static_BxS, yards_B) -> dict of
    model-ready inputs; B must be a multiple of the number of devices."""
    return _vmapped(
        play_scorer(model, levels=levels, crps_levels=crps_levels), INPUT_PLAY_ARGS, devices
    )


def raw_season_scorer(
    model,
    norm: NormStats,
    *,
    spec: InputSpec = DEFAULT_INPUTS,
    levels: Sequence[float] = LEVELS,
    crps_levels: int = 0,
    devices=None,
) -> Callable:
    """`season_scorer` of the store's raw arrays and target slots (see `raw_play_scorer`)."""
    per_play = raw_play_scorer(model, norm, spec=spec, levels=levels, crps_levels=crps_levels)
    return _vmapped(per_play, RAW_PLAY_ARGS, devices)


def compile_play_scorer(
    per_play: Callable,
    params,
    *,
    num_steps: int,
    num_static: int,
    num_features: int = N_FEATURES,
    num_play_args: int = RAW_PLAY_ARGS,
):
    """Ahead-of-time compiled single-play executable of `per_play` for plays padded to
    `num_steps` (`num_features` per slot: the raw 8 for `raw_play_scorer`): call it with (params,
    tracks, presence, length, static, yards[, target_slot]); no tracing or dispatch logic runs
    beyond the call."""
    shapes = _arg_shapes(1, num_steps, N_SLOTS, num_features, num_static)[:num_play_args]
    one = [jax.ShapeDtypeStruct(x.shape[1:], x.dtype) for x in shapes]
    return jax.jit(per_play).lower(params, *one).compile()


def _arg_shapes(n: int, t: int, p: int, f: int, s: int, sharding=None):
    sds = functools.partial(jax.ShapeDtypeStruct, sharding=sharding)
    return (
        sds((n, t, p, f), jnp.float32),
        sds((n, p), jnp.float32),
        sds((n,), jnp.int32),
        sds((n, s), jnp.float32),
        sds((n,), jnp.float32),
        sds((n,), jnp.int32),
    )


def compile_for(
    fn: Callable,
    params,
    n: int,
    *,
    num_steps: int,
    num_slots: int,
    num_features: int,
    num_static: int,
    num_play_args: int = RAW_PLAY_ARGS,
):
    """Compile `fn` for `n` plays of `num_steps` steps: (executable, bytes per play).

    Bytes per play are the executable's inputs, outputs and XLA temporaries (its own memory
    analysis) less the parameters, divided by `n`; 16x the input size if the backend reports none.
    """
    shapes = _arg_shapes(n, num_steps, num_slots, num_features, num_static)[:num_play_args]
    compiled = fn.lower(params, *shapes).compile()
    input_bytes = sum(math.prod(a.shape) * a.dtype.itemsize for a in shapes) / n
    try:
        stats = compiled.memory_analysis()
        total = stats.temp_size_in_bytes + stats.output_size_in_bytes + stats.argument_size_in_bytes
    except (AttributeError, NotImplementedError, TypeError):
        return compiled, 16.0 * input_bytes
    param_bytes = sum(x.size * x.dtype.itemsize for x in jax.tree.leaves(params))
    return compiled, max((total - param_bytes) / n, input_bytes)


def chunk_size(
    n_plays: int, per_play_bytes: float, memory_budget: int, *, multiple: int = 64
) -> int:
    """Largest chunk within the budget: the whole season if it fits, else a multiple of
    `multiple` (at least one multiple, whatever the budget)."""
    fit = int(memory_budget // max(per_play_bytes, 1.0))
    if fit >= n_plays:
        return n_plays
    return max(multiple, fit // multiple * multiple)


def score_plays(
    model,
    params,
    store,
    play_indices: np.ndarray,
    *,
    norm=None,
    levels: Sequence[float] = LEVELS,
    crps_levels: int = 0,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    progress: bool = True,
    fn: Callable | None = None,
    spec: InputSpec = DEFAULT_INPUTS,
) -> dict[str, np.ndarray]:
    """Score the given plays of a `PlayStore`; NumPy arrays in the order of `play_indices`.

    `norm` is the training store's normalization (a checkpoint's `TrainedModel.norm`, default the
    store's own), so a model scores any store with the statistics it was trained with;
    `spec` must be the model's derived input channels (`TrainedModel.inputs`). The host
    gathers raw frames; standardization and the derived channels run inside the one jitted call,
    whose plays are sharded over every local device. `fn` (default `raw_season_scorer`) is
    compiled for the whole season and, if that executable's measured memory exceeds
    `memory_budget`, once more for the largest chunk that fits; chunks are padded to the store's
    longest play (a multiple of 8 steps) and to one size (a multiple of `SIZE_BUCKET` plays), and
    executables are kept per (function, size, shapes), so calls on other plays of the same store
    (other fold models, validation then test plays) reuse them.
    """
    play_indices = np.asarray(play_indices, np.int64)
    if play_indices.size == 0:
        raise ValueError("score_plays: no plays to score")
    norm = store.norm if norm is None else norm
    fn = fn or raw_season_scorer(model, norm, spec=spec, levels=levels, crps_levels=crps_levels)
    n_dev = jax.local_device_count()
    num_steps = int(-(-int(np.max(store.lengths)) // 8) * 8)
    dims = {
        "num_steps": num_steps,
        "num_slots": store.tracking.shape[1],
        "num_features": store.tracking.shape[2],
        "num_static": store.static.shape[1],
    }
    n = len(play_indices)
    size = _round_up(n, SIZE_BUCKET * n_dev if n > SIZE_BUCKET else n_dev)
    compiled, per_play = _compiled(fn, params, size, dims)
    if per_play * size > memory_budget:
        size = chunk_size(size, per_play, memory_budget, multiple=_round_up(64, n_dev))
        compiled, _ = _compiled(fn, params, size, dims)
    parts = []
    starts = range(0, len(play_indices), size)
    for start in tqdm(
        starts, desc=f"scoring {len(play_indices)} plays", unit="chunk", disable=not progress
    ):
        chunk = play_indices[start : start + size]
        rows = index_batch(np.concatenate([chunk, np.full(size - len(chunk), -1)]), int(chunk[0]))
        raw = gather_raw(store, rows, num_steps)
        out = compiled(
            params, raw.tracks, raw.presence, raw.lengths, raw.static, raw.yards, raw.target_slot
        )
        real = raw.weight > 0
        parts.append({k: np.asarray(v)[real] for k, v in out.items()})
    result = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    result["yards"] = np.asarray(store.yards[play_indices], np.float32)
    return result


SIZE_BUCKET = 512  # plays: scoring calls are padded to a multiple of it (one shape, few compiles)
_EXECUTABLES: dict = {}  # (fn, size, shapes of the arguments) -> (executable, bytes per play)


def _compiled(fn: Callable, params, size: int, dims: dict) -> tuple:
    """`compile_for`, remembered for the last few (function, size, argument shapes)."""
    shapes = tuple((x.shape, str(x.dtype)) for x in jax.tree.leaves(params))
    key = (fn, size, tuple(sorted(dims.items())), jax.tree.structure(params), shapes)
    if key not in _EXECUTABLES:
        if len(_EXECUTABLES) >= 16:
            _EXECUTABLES.pop(next(iter(_EXECUTABLES)))
        _EXECUTABLES[key] = compile_for(fn, params, size, **dims)
    return _EXECUTABLES[key]


def _round_up(n: int, multiple: int) -> int:
    return -(-n // multiple) * multiple
