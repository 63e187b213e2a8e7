"""Season scorer: every play of a season -> percentile, predictive median and quantiles.

`play_scorer` builds the per-play function (one play's tracks, presence, length, static features
and yards -> scalars); `jax.vmap` of it, jitted once, scores a whole season in one call. The same
per-play function, jitted without vmap, is the single-play scorer for live use. A season is split
into chunks only when its compiled memory (measured with XLA's memory analysis, not guessed)
exceeds a budget; chunks are padded to one shape so the function compiles once.

The play percentile is the mid-distribution value at the whole yards gained,
(F(y − ½) + F(y + ½))/2: with 1-yard bins on half-yard edges this is the CDF at y, F_k + p_k/2
(DESIGN §3), in the SBP body, and the same definition holds in the GPD tails and for the other
heads. The QB passing score averages it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

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
    levels_Q1 = (*levels, 0.5)
    expand = (len(levels_Q1),) + (1,) * yards_B.ndim
    quantiles_QxB = dist.icdf(jnp.asarray(levels_Q1, jnp.float32).reshape(expand))
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


def play_scorer(model, *, levels: Sequence[float] = LEVELS, crps_levels: int = 0) -> Callable:
    """Per-play scoring function f(params, tracks_TxPxF, presence_P, length, static_S, yards).

    Pure and unbatched: `jax.jit(f)` answers one play; `jax.jit(jax.vmap(f, in_axes=(None, 0,
    ...)))` scores a season (see `season_scorer`).
    """
    levels = tuple(float(q) for q in levels)

    def score_one(params, tracks_TxPxF, presence_P, length, static_S, yards):
        _, dist = model.apply(
            {"params": params},
            tracks_TxPxF[None],
            presence_P[None],
            jnp.reshape(length, (1,)),
            static_S[None],
        )
        out = play_summary(dist, jnp.reshape(yards, (1,)), levels=levels, crps_levels=crps_levels)
        return jax.tree.map(lambda a: a[0], out)

    return score_one


def season_scorer(model, *, levels: Sequence[float] = LEVELS, crps_levels: int = 0) -> Callable:
    """Jitted f(params, tracks_BxTxPxF, presence_BxP, lengths_B, static_BxS, yards_B) -> dict."""
    return jax.jit(
        jax.vmap(
            play_scorer(model, levels=levels, crps_levels=crps_levels),
            in_axes=(None, 0, 0, 0, 0, 0),
        )
    )


def _arg_shapes(n: int, t: int, p: int, f: int, s: int):
    sds = jax.ShapeDtypeStruct
    return (
        sds((n, t, p, f), jnp.float32),
        sds((n, p), jnp.float32),
        sds((n,), jnp.int32),
        sds((n, s), jnp.float32),
        sds((n,), jnp.float32),
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
):
    """Compile `fn` for `n` plays of `num_steps` steps: (executable, bytes per play).

    Bytes per play are the executable's inputs, outputs and XLA temporaries (its own memory
    analysis) less the parameters, divided by `n`; 16x the input size if the backend reports none.
    """
    shapes = _arg_shapes(n, num_steps, num_slots, num_features, num_static)
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
    relational: bool = True,
) -> dict[str, np.ndarray]:
    """Score the given plays of a `PlayStore`; NumPy arrays in the order of `play_indices`.

    `norm` is the training store's normalization (a checkpoint's `TrainedModel.norm`), so a model
    scores any store with the statistics it was trained with; `relational` must be the model's
    `data.relational_features` (its input channels). `fn` is compiled for the whole
    season and, if that executable's measured memory exceeds `memory_budget`, once more for the
    largest chunk that fits; chunks are padded to the season's longest play (a multiple of 8
    steps) and to one size, so nothing else compiles.
    """
    # data layer; imported here so scoring math needs no store
    from sbp_jax.data import input_feature_names, make_batch

    play_indices = np.asarray(play_indices, np.int64)
    if play_indices.size == 0:
        raise ValueError("score_plays: no plays to score")
    fn = fn or season_scorer(model, levels=levels, crps_levels=crps_levels)
    num_steps = int(-(-int(np.max(store.lengths[play_indices])) // 8) * 8)
    num_slots = store.tracking.shape[1]
    num_features = len(input_feature_names(relational))
    dims = {
        "num_steps": num_steps,
        "num_slots": num_slots,
        "num_features": num_features,
        "num_static": store.static.shape[1],
    }
    size = len(play_indices)
    compiled, per_play = compile_for(fn, params, size, **dims)
    if per_play * size > memory_budget:
        size = chunk_size(size, per_play, memory_budget)
        compiled, _ = compile_for(fn, params, size, **dims)
    parts = []
    starts = range(0, len(play_indices), size)
    for start in tqdm(
        starts, desc=f"scoring {len(play_indices)} plays", unit="chunk", disable=not progress
    ):
        batch = make_batch(
            store,
            play_indices[start : start + size],
            batch_size=size,
            norm=norm,
            relational=relational,
        )
        tracks = np.asarray(batch.tracks)
        pad_t = num_steps - tracks.shape[1]
        if pad_t:
            tracks = np.pad(tracks, ((0, 0), (0, pad_t), (0, 0), (0, 0)))
        out = compiled(
            params,
            tracks,
            np.asarray(batch.presence, np.float32),
            np.asarray(batch.lengths, np.int32),
            np.asarray(batch.static, np.float32),
            np.asarray(batch.yards, np.float32),
        )
        real = np.asarray(batch.weight) > 0
        parts.append({k: np.asarray(v)[real] for k, v in out.items()})
    result = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    result["yards"] = np.asarray(store.yards[play_indices], np.float32)
    return result
