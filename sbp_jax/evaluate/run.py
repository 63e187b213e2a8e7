"""Evaluation of a trained model on a play store (what `evaluate.py` runs), stage by stage.

1. `load_models`: the checkpoint (and `--compare` checkpoints) and the store; refuse a store the
   checkpoint was not trained on, and compared models that hold out other games.
2. `score_plays` of every play of the store in one jitted, vmapped call.
3. Leaderboards by passer and split (`passing_score.leaderboard`). They use every play of the
   season, including the ones the model was trained on; metrics use only the held-out test games
   of the same `split_by_game` (seed and fractions from the training config).
4. `held_out_metrics` for this model and each compared one, point-prediction MAE including
   XGBoost and a constant; for a synthetic league with `truth/`, the truth check.
5. `write_outputs`: plays.csv, leaderboard.csv / .md, metrics.json, PNG plots and report.html,
   each written atomically.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from sbp_jax.data import PlayStore, open_data, split_by_game
from sbp_jax.evaluate import baselines, figures, metrics, passing_score, report, scoring, tables
from sbp_jax.evaluate.truth import find_truth, truth_check
from sbp_jax.model.trained import (
    SPLIT_KEYS,
    TrainedModel,
    check_compatible,
    check_same_split,
    load_trained,
)


@dataclasses.dataclass(frozen=True)
class EvalOptions:
    """Knobs of an evaluation run (defaults are what `evaluate.py` uses)."""

    which: str = "best"
    scale: passing_score.ScoreScale = dataclasses.field(default_factory=passing_score.ScoreScale)
    crps_levels: int = 256
    memory_budget: int = scoring.DEFAULT_MEMORY_BUDGET
    use_xgboost: bool = True
    progress: bool = True
    examples_per_kind: int = 2


def model_name(t: TrainedModel, workdir) -> str:
    return f"{t.config.model.head} ({Path(workdir).name})"


def load_models(
    workdir, data, compare: Sequence, which: str
) -> tuple[PlayStore, dict[str, TrainedModel]]:
    """The store and the models by display name, the evaluated model first."""
    trained = load_trained(workdir, which)
    store = open_data(data, workdir)
    check_compatible(trained, store, workdir=workdir, data=data)
    models = {model_name(trained, workdir): trained}
    for w in compare:
        other = load_trained(w, which)
        check_compatible(other, store, workdir=w, data=data)
        check_same_split(trained, other, workdir, w)
        models[model_name(other, w)] = other
    return store, models


def held_out_games(trained: TrainedModel, store: PlayStore, workdir, data) -> dict[str, np.ndarray]:
    """The training run's by-game split of `store`; its test split must not be empty."""
    d = trained.config.data
    splits = split_by_game(
        store, valid_fraction=d.valid_fraction, test_fraction=d.test_fraction, seed=d.split_seed
    )
    if len(splits["test"]) == 0:
        raise ValueError(
            f"{workdir}: the test split (data.test_fraction={d.test_fraction}) is "
            f"empty for {data}; nothing to compute metrics on"
        )
    return splits


def score(
    trained: TrainedModel, store: PlayStore, idx: np.ndarray, options: EvalOptions
) -> dict[str, np.ndarray]:
    """Per-play percentile, median, quantiles, NLL, PIT bounds and CRPS of the plays `idx`."""
    return scoring.score_plays(
        trained.model,
        trained.params,
        store,
        idx,
        norm=trained.norm,
        crps_levels=options.crps_levels,
        memory_budget=options.memory_budget,
        progress=options.progress,
        spec=trained.inputs,
    )


def held_out_metrics(
    store: PlayStore,
    models: Mapping[str, TrainedModel],
    season_scores: Mapping[str, np.ndarray],
    splits: Mapping[str, np.ndarray],
    options: EvalOptions,
) -> tuple[dict, dict, dict, str]:
    """(held-out scores and metrics per model, point-prediction MAEs, XGBoost note)."""
    test_idx = np.sort(splits["test"])
    names = list(models)
    per_model = {names[0]: {k: v[test_idx] for k, v in season_scores.items()}}
    for name in names[1:]:
        per_model[name] = score(models[name], store, test_idx, options)
    held_out = {name: metrics.summarize(s, scoring.LEVELS) for name, s in per_model.items()}
    yards_test = store.yards[test_idx]
    point_mae = {f"{name} median": held_out[name]["mae_median"] for name in held_out}
    point_mae["constant (train median)"] = float(
        np.mean(np.abs(yards_test - np.median(store.yards[splits["train"]])))
    )
    xgb = baselines.xgboost_point_model(store, splits) if options.use_xgboost else None
    if xgb is None:
        note = "skipped: xgboost is not importable" if options.use_xgboost else "skipped: disabled"
    else:
        point_mae["xgboost (absolute error)"] = float(
            np.mean(np.abs(xgb["prediction"] - yards_test))
        )
        note = f"trained on {len(splits['train'])} plays, {xgb['best_iteration'] + 1} trees"
    return per_model, held_out, point_mae, note


def run(
    workdir, data, out, *, compare: Sequence = (), truth=None, options: EvalOptions = EvalOptions()
) -> dict[str, object]:
    """Evaluate `workdir`'s model on `data`; write every output under `out`; return metrics."""
    timings: dict[str, float] = {}
    t0 = t = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    store, models = load_models(workdir, data, compare, options.which)
    trained = next(iter(models.values()))
    splits = held_out_games(trained, store, workdir, data)
    test_idx = np.sort(splits["test"])
    timings["load"] = time.perf_counter() - t

    t = time.perf_counter()
    scores = score(trained, store, np.arange(store.n_plays), options)
    timings["score_season"] = time.perf_counter() - t
    timings["plays_per_second"] = store.n_plays / timings["score_season"]

    t = time.perf_counter()
    plays = store.plays
    board = passing_score.leaderboard(plays, scores["percentile"], options.scale)
    spread = passing_score.season_spread(plays["passer_id"], scores["percentile"], options.scale)
    trad = baselines.traditional_stats(plays)
    season = tables.select(board, np.asarray(board["split"]) == "season")
    timings["aggregate"] = time.perf_counter() - t

    t = time.perf_counter()
    per_model, held_out, point_mae, xgb_note = held_out_metrics(
        store, models, scores, splits, options
    )
    held_out_N = np.zeros(store.n_plays, bool)
    held_out_N[test_idx] = True
    truth_dir = find_truth(data, truth)
    truth_result = (
        truth_check(truth_dir, plays, scores["percentile"], held_out_N, season, trad)
        if truth_dir is not None
        else None
    )
    timings["metrics_and_baselines"] = time.perf_counter() - t

    t = time.perf_counter()
    figs, figures_note = figures.make_figures(
        out,
        store,
        models,
        per_model,
        held_out,
        test_idx,
        season,
        examples_per_kind=options.examples_per_kind,
    )
    timings["plots"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0

    top = figures.top_of_season(season)[:10]
    result = {
        "model": {
            "workdir": str(workdir),
            "head": trained.config.model.head,
            "step": trained.step,
            "valid_nll": trained.valid_nll,
            "checkpoint": options.which,
        },
        "data": {
            "store": str(data),
            "n_plays": int(store.n_plays),
            "n_held_out": int(len(test_idx)),
            "split": {k: getattr(trained.config.data, k) for k in SPLIT_KEYS},
        },
        "score_scale": {**dataclasses.asdict(options.scale), "spread_used": spread},
        "held_out": held_out,
        "point_mae": point_mae,
        "xgboost": xgb_note,
        "figures": figures_note,
        "truth": truth_result,
        "season_top": [{k: _py(season[k][i]) for k in tables.LEADERBOARD_VIEW} for i in top],
        "timings_s": timings,
    }
    labels = passing_score.split_labels(plays)
    play_rows = tables.play_table(plays, scores, scoring.LEVELS, held_out_N, labels)
    write_outputs(out, result, play_rows, board, season, trad, figs)
    return result


def write_outputs(out: Path, result, play_rows, board, season, trad, figs) -> None:
    """plays.csv, leaderboard.csv / .md, metrics.json and report.html."""
    board, season = tables.for_display(board), tables.for_display(season)
    tables.write_csv(out / "plays.csv", play_rows)
    tables.write_csv(
        out / "leaderboard.csv", tables.select(board, slice(None), tables.LEADERBOARD_COLUMNS)
    )
    tables.write_text(
        out / "leaderboard.md",
        tables.leaderboard_markdown(board, title="QB passing score leaderboards"),
    )
    tables.write_json(out / "metrics.json", result)
    tables.write_text(out / "report.html", report.report_html(result, board, season, trad, figs))


def _py(value):
    """A NumPy scalar as its Python value (for JSON)."""
    return value.item() if isinstance(value, np.generic) else value
