"""The truth check as a comparison: does each head's score rank quarterbacks by true skill better
than its rivals (another head, passer rating, yards per attempt), beyond the noise?

For the passers of the truth check (`truth.truth_passers`), on the held-out plays every model set
scored, each measure's Spearman correlation with true skill: every head's QB passing score
(through its shrunk mean percentile, which the 50-99 score maps monotonically) and mean
percentile, passer rating, yards per attempt, and the ceiling `ORACLE`. Two kinds of noise:

- over passers: a bootstrap of the passers (resampled with replacement, the same draws for every
  measure) gives each correlation an interval and each difference from the reference (the main
  model's score) a paired interval; `differs_bootstrap` when that interval excludes 0;
- over fold models (K >= 3): the correlation on each fold's test plays, mean ± sd, and the paired
  per-fold differences from the reference (`comparison.paired`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np

from sbp_jax.data.keys import lookup, rows_of
from sbp_jax.evaluate.baselines import traditional_stats
from sbp_jax.evaluate.comparison import paired, spread
from sbp_jax.evaluate.metrics import mean_by, spearman
from sbp_jax.evaluate.passing_score import shrink
from sbp_jax.evaluate.truth import ORACLE

SCORE = "qb_passing_score"


def passer_measures(
    plays: Mapping[str, np.ndarray],
    percentiles: Mapping[str, np.ndarray],
    true_pct_N: np.ndarray,
    passer_U: np.ndarray,
    prior_attempts: float,
) -> dict[tuple[str, str | None], np.ndarray]:
    """(measure, model or None) -> value per passer of `passer_U` on `plays` (NaN for a passer
    without plays there)."""
    passer_N = np.asarray(plays["passer_id"], np.int64)
    seen, count = np.unique(passer_N, return_counts=True)
    at_U, found_U = lookup(seen, np.asarray(passer_U, np.int64))
    attempts_U = np.where(found_U, count[at_U], 0).astype(np.float64)
    out: dict[tuple[str, str | None], np.ndarray] = {}
    for name, pct_N in percentiles.items():
        mean_U = mean_by(passer_N, pct_N, passer_U)
        out[SCORE, name] = shrink(mean_U, attempts_U, float(np.mean(pct_N)), prior_attempts)
        out["mean_percentile", name] = mean_U
    trad = traditional_stats(plays)
    row = rows_of(np.asarray(trad["passer_id"], np.int64), passer_U)
    for key in ("passer_rating", "yards_per_attempt"):
        out[key, None] = np.where(row >= 0, np.asarray(trad[key], np.float64)[row], np.nan)
    ok = np.isfinite(true_pct_N)
    out[ORACLE, None] = mean_by(passer_N[ok], true_pct_N[ok], passer_U)
    return out


def _correlations(values_MxU: np.ndarray, skill_U: np.ndarray) -> np.ndarray:
    """Spearman of each row with skill, on the passers every row has a value for."""
    ok = np.all(np.isfinite(values_MxU), axis=0)
    return np.asarray([spearman(v[ok], skill_U[ok]) for v in values_MxU])


def _fold_measures(plays, percentiles, true_pct_N, group_N, passer_U, prior_attempts):
    """`passer_measures` on each fold model's plays, in fold order."""
    for g in np.unique(group_N):
        on = group_N == g
        yield passer_measures(
            {c: np.asarray(v)[on] for c, v in plays.items()},
            {n: np.asarray(p)[on] for n, p in percentiles.items()},
            true_pct_N[on],
            passer_U,
            prior_attempts,
        )


def truth_comparison(
    plays: Mapping[str, np.ndarray],
    percentiles: Mapping[str, np.ndarray],
    true_pct_N: np.ndarray,
    group_N: np.ndarray,
    passer_U: np.ndarray,
    skill_U: np.ndarray,
    *,
    prior_attempts: float,
    n_bootstrap: int,
    interval: float = 0.9,
    seed: int = 0,
) -> dict[str, object]:
    """Rows per (measure, model) on `plays` (every model set's percentiles on the same plays, the
    first set the reference); `group_N` the fold model of each play (see the module docstring)."""
    pooled = passer_measures(plays, percentiles, true_pct_N, passer_U, prior_attempts)
    keys = list(pooled)
    reference = keys.index((SCORE, next(iter(percentiles))))
    values_MxU = np.stack([pooled[k] for k in keys])
    rho_M = _correlations(values_MxU, skill_U)

    idx_BxU = np.random.default_rng(seed).integers(0, len(passer_U), (n_bootstrap, len(passer_U)))
    boot_BxM = np.stack([_correlations(values_MxU[:, i], skill_U[i]) for i in idx_BxU])
    diff_BxM = boot_BxM - boot_BxM[:, [reference]]
    tails = (50.0 * (1 - interval), 50.0 * (1 + interval))
    with warnings.catch_warnings():  # a measure undefined in every resample (too few passers)
        warnings.simplefilter("ignore", RuntimeWarning)
        low_M, high_M = np.nanpercentile(boot_BxM, tails, axis=0)
        dlow_M, dhigh_M = np.nanpercentile(diff_BxM, tails, axis=0)

    fold_KxM = np.stack(
        [
            _correlations(np.stack(list(measures.values())), skill_U)
            for measures in _fold_measures(
                plays, percentiles, true_pct_N, group_N, passer_U, prior_attempts
            )
        ]
    )
    rows = []
    for m, (measure, model) in enumerate(keys):
        mean, sd = spread(fold_KxM[:, m])
        row = {
            "measure": measure,
            "model": model,
            "spearman": float(rho_M[m]),
            "low": float(low_M[m]),
            "high": float(high_M[m]),
            "fold_mean": mean,
            "fold_sd": sd,
        }
        if m != reference:
            fold = paired(fold_KxM[:, reference], fold_KxM[:, m])
            row.update(
                diff=float(rho_M[m] - rho_M[reference]),
                diff_low=float(dlow_M[m]),
                diff_high=float(dhigh_M[m]),
                differs_bootstrap=bool(dlow_M[m] > 0 or dhigh_M[m] < 0),
                fold_diff_mean=fold["diff_mean"],
                fold_diff_se=fold["diff_se"],
                differs_folds=fold["differs"],
            )
        rows.append(row)
    return {
        "reference": f"{SCORE} of {keys[reference][1]}",
        "n_passers": int(len(passer_U)),
        "n_plays": int(len(group_N)),
        "k": int(len(fold_KxM)),
        "n_bootstrap": int(n_bootstrap),
        "interval": interval,
        "rows": rows,
    }
