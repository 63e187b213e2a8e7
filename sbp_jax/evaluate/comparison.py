"""A fair comparison of heads: the same held-out plays, the same fold models' test games, and a
difference called real only when it exceeds the fold-to-fold spread.

Each `--compare` workdir was trained with the same folds as the main one, so fold k's models of
every head are tested on the same games. Per head the table reports the pooled out-of-fold value
of each metric, the mean and standard deviation over its K fold models (each fold has its own
seed, so the spread includes seed-to-seed variation; reported with K >= `MIN_FOLDS`), and a
paired comparison with the main model: the per-fold differences d_k on the same test games,
flagged when |mean(d)| > 2 · sd(d) / √K (`RULE`). All metrics are losses (lower is better);
coverage enters as the distance of the randomized-PIT coverage from its nominal level.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from sbp_jax.config import changed_keys
from sbp_jax.evaluate import metrics

MIN_FOLDS = 3
# Config keys compared heads may differ in without changing the budget or the data they learn from.
FREE_KEYS = frozenset(
    {
        "train.seed",
        "train.log_every",
        "train.checkpoint_every",
        "train.eval_batch_size",
        "data.loader_threads",
        "data.device_resident",
    }
)
RULE = "|mean of per-fold differences| > 2 standard errors, over K >= 3 fold models"
LOSSES = ("nll", "crps", "mae_median", "pit_ks")


def loss_values(summary: Mapping) -> dict[str, float | None]:
    """The metrics of `metrics.summarize` as losses: NLL, CRPS, MAE of the median, PIT-KS and
    |coverage − nominal| of each central band."""
    out: dict[str, float | None] = {key: summary.get(key) for key in LOSSES}
    for level, value in summary["coverage"].items():
        out[f"coverage_error_{level}"] = abs(value - float(level))
    return out


def spread(values_K: Sequence[float]) -> tuple[float | None, float | None]:
    """(mean, sample standard deviation) over fold models; (None, None) below `MIN_FOLDS`."""
    v = np.asarray([np.nan if x is None else x for x in values_K], np.float64)
    if len(v) < MIN_FOLDS or not np.all(np.isfinite(v)):
        return None, None
    return float(v.mean()), float(v.std(ddof=1))


def paired(reference_K: Sequence[float], other_K: Sequence[float]) -> dict[str, object]:
    """Per-fold differences other − reference: their mean, standard error and whether
    |mean| > 2 standard errors (None below `MIN_FOLDS` folds)."""
    d = np.asarray(
        [
            np.nan if a is None or b is None else b - a
            for a, b in zip(reference_K, other_K, strict=True)
        ],
        np.float64,
    )
    if len(d) < MIN_FOLDS or not np.all(np.isfinite(d)):
        return {"diff_mean": None, "diff_se": None, "differs": None}
    mean, se = float(d.mean()), float(d.std(ddof=1) / math.sqrt(len(d)))
    return {"diff_mean": mean, "diff_se": se, "differs": bool(abs(mean) > 2.0 * se)}


def per_group(
    per_play: Mapping[str, np.ndarray], group_N: np.ndarray, levels: Sequence[float]
) -> list[dict[str, float | None]]:
    """`loss_values` of the plays of each group (fold model), in group order."""
    return [
        loss_values(metrics.summarize({k: v[group_N == g] for k, v in per_play.items()}, levels))
        for g in np.unique(group_N)
    ]


def forecast_comparison(
    per_set: Mapping[str, Mapping[str, np.ndarray]],
    group_N: np.ndarray,
    levels: Sequence[float],
) -> dict[str, object]:
    """The comparison table of model sets scored on the same plays (the first is the main
    model), `group_N` the fold model of each play: per set and metric the pooled value, the fold
    mean and sd, and the paired difference from the main model (see the module docstring)."""
    names = list(per_set)
    folds = {name: per_group(per_set[name], group_N, levels) for name in names}
    models = {}
    for name in names:
        pooled = loss_values(metrics.summarize(per_set[name], levels))
        rows = {}
        for key, value in pooled.items():
            mean, sd = spread([f[key] for f in folds[name]])
            rows[key] = {"pooled": value, "fold_mean": mean, "fold_sd": sd}
            if name != names[0]:
                ref = [f[key] for f in folds[names[0]]]
                rows[key].update(paired(ref, [f[key] for f in folds[name]]))
        models[name] = rows
    k = len(np.unique(group_N))
    return {
        "reference": names[0],
        "k": k,
        "rule": RULE,
        "spread_reported": k >= MIN_FOLDS,
        "metrics": list(next(iter(models.values()))),
        "models": models,
    }


def budget_notes(sets: Sequence) -> list[str]:
    """A warning for each compared model set (`crossfit.ModelSet`) trained with another budget
    or data than the main one: a `train.*` or `data.*` key other than the seed and bookkeeping
    differs (the head and the network's size may differ)."""
    main = sets[0].config
    notes = []
    for other in sets[1:]:
        keys = [
            k
            for k in changed_keys(main, other.config)
            if not k.startswith("model.") and k not in FREE_KEYS
        ]
        if keys:
            notes.append(
                f"--compare {other.workdir} was trained with other {', '.join(keys)} than "
                f"{sets[0].workdir}: not the same budget, the comparison is not fair"
            )
    return notes
