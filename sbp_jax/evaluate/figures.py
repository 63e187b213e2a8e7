"""The evaluation figures: which plays and numbers each one shows (the drawing is `plots`).

matplotlib is an optional extra: without it `make_figures` returns no figures and says so in one
line, and everything else of an evaluation still runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import jax
import numpy as np

from sbp_jax.data import PlayStore, make_batch
from sbp_jax.evaluate import metrics
from sbp_jax.evaluate.calibration import Recalibration
from sbp_jax.evaluate.passing_score import DEEP_AIR_YARDS
from sbp_jax.model.trained import TrainedModel

DENSITY_GRID_YDS = (-15.0, 60.0, 601)
LEADERBOARD_ROWS = 25
FILES = {
    "pit": "pit_histogram.png",
    "calibration": "calibration.png",
    "densities": "densities.png",
    "leaderboard": "leaderboard.png",
}


def example_plays(
    plays: Mapping[str, np.ndarray], candidates: np.ndarray, per_kind: int, seed: int = 0
) -> tuple[np.ndarray, list[str]]:
    """A few plays of each kind among `candidates`: completion, incompletion, interception, deep."""
    result = np.asarray(plays["pass_result"]).astype(str)[candidates]
    deep = np.asarray(plays["air_yards"], np.float64)[candidates] >= DEEP_AIR_YARDS
    rng = np.random.default_rng(seed)
    picked, titles = [], []
    for kind, mask in (
        ("completion", result == "C"),
        ("incompletion", result == "I"),
        ("interception", result == "IN"),
        ("deep pass", deep),
    ):
        pool = candidates[mask]
        for i in rng.choice(pool, size=min(per_kind, len(pool)), replace=False):
            picked.append(int(i))
            titles.append(f"{kind}: {plays['passer_name'][i]}, {plays['yards'][i]:g} yds")
    return np.asarray(picked, np.int64), titles


def densities(
    trained: TrainedModel,
    store: PlayStore,
    idx_K: np.ndarray,
    grid_G: np.ndarray,
    recalibration: Recalibration | None = None,
) -> np.ndarray:
    """Predicted density [K, G] of each play on a yards grid; with a recalibration map g, that of
    the recalibrated CDF g∘F: g'(F(x)) f(x)."""
    b = make_batch(store, idx_K, norm=trained.norm, spec=trained.inputs)
    _, dist = trained.model.apply(
        {"params": trained.params}, b.tracks, b.presence, b.lengths, b.static
    )
    prob_GxK, cdf_GxK = jax.jit(lambda d, g: (d.prob(g[:, None]), d.cdf(g[:, None])))(dist, grid_G)
    prob_GxK = np.asarray(prob_GxK, np.float64)
    if recalibration is not None:
        prob_GxK = prob_GxK * recalibration.slope(np.asarray(cdf_GxK, np.float64))
    return prob_GxK.T


def top_of_season(season: Mapping[str, np.ndarray], n: int = LEADERBOARD_ROWS) -> np.ndarray:
    """Rows of the n best ranked passers (the first n rows when nobody is ranked)."""
    top = np.flatnonzero(np.asarray(season["rank"]) > 0)[:n]
    return top if len(top) else np.arange(min(n, len(season["score"])))


def make_figures(
    out: Path,
    store: PlayStore,
    models: Mapping[str, tuple[TrainedModel, Recalibration | None]],
    metric_scores: Mapping[str, Mapping[str, np.ndarray]],
    metric_summary: Mapping[str, Mapping],
    metric_idx: np.ndarray,
    season: Mapping[str, np.ndarray],
    *,
    examples_per_kind: int,
    plays_label: str = "held-out plays",
) -> tuple[dict[str, Path], str]:
    """PIT histogram, interval calibration (on the plays the metrics use, described by
    `plays_label`), example densities among `metric_idx` (plays each of `models`, a model and its
    recalibration map, held out) and the season leaderboard, as PNGs in `out`; returns
    ({name: path}, a note on what was skipped)."""
    try:
        from sbp_jax.evaluate import plots
    except ImportError:
        return {}, "plots skipped: matplotlib is not installed (pip install 'sbp_jax[plots]')"
    pit = {
        name: metrics.randomized_pit(s["pit_low"], s["pit_high"])
        for name, s in metric_scores.items()
    }
    coverage = {name: m["coverage"] for name, m in metric_summary.items()}
    figures = {
        "pit": plots.pit_histogram(pit, out / "pit_histogram.png", plays=plays_label),
        "calibration": plots.calibration_plot(coverage, out / "calibration.png", plays=plays_label),
    }
    ex_idx, ex_titles = example_plays(store.plays, metric_idx, examples_per_kind)
    if len(ex_idx):
        grid = np.linspace(*DENSITY_GRID_YDS, dtype=np.float32)
        dens = {name: densities(t, store, ex_idx, grid, g) for name, (t, g) in models.items()}
        figures["densities"] = plots.density_plot(
            grid, dens, store.yards[ex_idx], ex_titles, out / FILES["densities"]
        )
    top = top_of_season(season)
    figures["leaderboard"] = plots.leaderboard_plot(
        _labels(season, top),
        season["score"][top],
        season["score_low"][top],
        season["score_high"][top],
        out / FILES["leaderboard"],
    )
    return figures, ""


def _labels(season: Mapping[str, np.ndarray], rows: Sequence[int]) -> list[str]:
    return [f"{season['passer_name'][i]} ({season['team'][i]})" for i in rows]
