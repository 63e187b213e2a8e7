"""Evaluation of a trained model on a play store (what `evaluate.py` runs), stage by stage.

0. Claim `--out` (`sbp_jax.outdir`): created, empty, or an earlier evaluation's; anything else is
   refused before any work, as is a second evaluation writing the same directory.
1. `load_models`: the checkpoint (and `--compare` checkpoints; newest intact step, with a warning
   when one was skipped) and the store; refuse a store of other features, and compared models that
   hold out other games; check that the store is the one each model was trained on
   (`check_same_store`).
2. `score_plays` of every play of the store in one jitted, vmapped call; a non-finite percentile
   or median is an error naming the plays (`finite`).
3. Leaderboards by passer and split (`passing_score.leaderboard`). They use every play of the
   season, including the ones the model was trained on (fold mode "in-sample"). Metrics use only
   the held-out test games of the same `split_by_game` (seed and fractions from the training
   config) when the store is the training store, else all plays, labelled so everywhere.
4. `evaluation_metrics` for this model and each compared one, point-prediction MAE including
   XGBoost and a constant; for a synthetic league with `truth/`, the truth check.
5. `write_outputs`: plays.csv / .parquet, leaderboard.csv / .parquet / .md, metrics.json, the
   self-contained report.html, and manifest.json last, each written atomically.
"""

from __future__ import annotations

import dataclasses
import json
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from sbp_jax import outdir
from sbp_jax.data import PlayStore, open_data, split_by_game
from sbp_jax.evaluate import (
    baselines,
    figures,
    finite,
    manifest,
    metrics,
    passing_score,
    report,
    scoring,
    tables,
)
from sbp_jax.evaluate.truth import find_truth, truth_check
from sbp_jax.model.trained import (
    SPLIT_KEYS,
    TrainedModel,
    check_compatible,
    check_same_split,
    check_same_store,
    fallback_warning,
    load_trained,
    store_fingerprint,
)

TOOL = "evaluate"
# Free space asked of --out before the work starts: the outputs of a full NFL season take ~20 MB.
FREE_BYTES_NEEDED = 64 * 2**20
# The files `write_outputs` writes before the manifest (the figures come before them).
TABLE_FILES = (
    "plays.csv",
    "plays.parquet",
    "leaderboard.csv",
    "leaderboard.parquet",
    "leaderboard.md",
    "metrics.json",
    "report.html",
)
# Every file an evaluation writes (an --out holding only these, with its metrics.json, is adopted).
OUTPUT_FILES = frozenset({*TABLE_FILES, manifest.NAME, *figures.FILES.values()})
# What the metrics were computed on: the training run's held-out games, or (the store is not the
# one the model was trained on, so no game is known to be held out) every play.
SCOPES = {
    "held_out": "held-out plays (the test games of the training run's split)",
    "all_plays": "all plays (not the training store: no play is known to be held out)",
}


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
) -> tuple[PlayStore, dict[str, TrainedModel], list[str], bool]:
    """The store, the models by display name (the evaluated model first), warnings (checkpoints
    skipped, store not verifiable), and whether the store is every model's training store."""
    with warnings.catch_warnings():  # recorded in `notes`, shown in the summary and report
        warnings.simplefilter("ignore")
        trained = load_trained(workdir, which)
        others = [load_trained(w, which) for w in compare]
    store = open_data(data, workdir)
    models, notes, same = {}, [], True
    for w, t in zip([workdir, *compare], [trained, *others], strict=True):
        check_compatible(t, store, workdir=w, data=data)
        if t is not trained:
            check_same_split(trained, t, workdir, w)
        if t.skipped:
            notes.append(fallback_warning(t.skipped, t.path))
        check = check_same_store(t, store, workdir=w, data=data)
        notes += [check.message] if check.message else []
        same &= check.same
        models[model_name(t, w)] = t
    return store, models, notes, same


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


def evaluation_metrics(
    store: PlayStore,
    models: Mapping[str, TrainedModel],
    season_scores: Mapping[str, np.ndarray],
    splits: Mapping[str, np.ndarray] | None,
    options: EvalOptions,
) -> tuple[dict, dict, dict, str]:
    """(scores and metrics per model, point-prediction MAEs, XGBoost note) on the held-out test
    games of `splits`, or on every play when `splits` is None (not the training store: the
    constant is the median of all plays, and XGBoost, which would need held-out plays, is
    skipped)."""
    idx = np.sort(splits["test"]) if splits is not None else np.arange(store.n_plays)
    names = list(models)
    per_model = {names[0]: {k: v[idx] for k, v in season_scores.items()}}
    for name in names[1:]:
        per_model[name] = score(models[name], store, idx, options)
    summary = {name: metrics.summarize(s, scoring.LEVELS) for name, s in per_model.items()}
    yards = store.yards[idx]
    point_mae = {f"{name} median": summary[name]["mae_median"] for name in summary}
    if splits is None:
        point_mae["constant (median of all plays)"] = float(
            np.mean(np.abs(yards - np.median(yards)))
        )
        return per_model, summary, point_mae, "skipped: not the training store"
    point_mae["constant (train median)"] = float(
        np.mean(np.abs(yards - np.median(store.yards[splits["train"]])))
    )
    xgb = baselines.xgboost_point_model(store, splits) if options.use_xgboost else None
    if xgb is None:
        note = "skipped: xgboost is not importable" if options.use_xgboost else "skipped: disabled"
    else:
        point_mae["xgboost (absolute error)"] = float(np.mean(np.abs(xgb["prediction"] - yards)))
        note = f"trained on {len(splits['train'])} plays, {xgb['best_iteration'] + 1} trees"
    return per_model, summary, point_mae, note


def run(
    workdir, data, out, *, compare: Sequence = (), truth=None, options: EvalOptions = EvalOptions()
) -> dict[str, object]:
    """Evaluate `workdir`'s model on `data`; write every output under `out` (see the module
    docstring; `outdir.OutputDirError` before any work when `out` is not ours); return metrics."""
    out = outdir.claim(out, TOOL, need_bytes=FREE_BYTES_NEEDED, adopt=earlier_evaluation)
    with outdir.lock(out, TOOL):
        return _evaluate(workdir, data, out, compare, truth, options)


def earlier_evaluation(path: Path, entries: Sequence[Path]) -> bool:
    """Is `path` (holding `entries`) the output of an evaluation written before output markers?
    Only files an evaluation writes (and their old fixed-name temporaries), one of them its
    metrics.json."""
    names = {p.name for p in entries}
    old_temporaries = {f".{n}.tmp" for n in OUTPUT_FILES} | {f".{n}.tmp.png" for n in OUTPUT_FILES}
    if "metrics.json" not in names or not names <= OUTPUT_FILES | old_temporaries:
        return False
    try:
        found = json.loads((path / "metrics.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(found, dict) and {"model", "data", "score_scale"} <= set(found)


def _evaluate(workdir, data, out: Path, compare, truth, options: EvalOptions) -> dict[str, object]:
    timings: dict[str, float] = {}
    t0 = t = time.perf_counter()
    store, models, notes, same_store = load_models(workdir, data, compare, options.which)
    trained = next(iter(models.values()))
    splits = held_out_games(trained, store, workdir, data) if same_store else None
    scope = "held_out" if same_store else "all_plays"
    metric_idx = np.sort(splits["test"]) if splits is not None else np.arange(store.n_plays)
    timings["load"] = time.perf_counter() - t

    t = time.perf_counter()
    scores = score(trained, store, np.arange(store.n_plays), options)
    timings["score_season"] = time.perf_counter() - t
    timings["plays_per_second"] = store.n_plays / timings["score_season"]
    plays = store.plays
    finite.check_plays(plays, scores)

    t = time.perf_counter()
    board = passing_score.leaderboard(plays, scores["percentile"], options.scale)
    finite.check_leaderboard(board)
    spread = passing_score.season_spread(plays["passer_id"], scores["percentile"], options.scale)
    trad = baselines.traditional_stats(plays)
    season = tables.select(board, np.asarray(board["split"]) == "season")
    timings["aggregate"] = time.perf_counter() - t

    t = time.perf_counter()
    per_model, summary, point_mae, xgb_note = evaluation_metrics(
        store, models, scores, splits, options
    )
    held_out_N = None
    if splits is not None:
        held_out_N = np.zeros(store.n_plays, bool)
        held_out_N[metric_idx] = True
    truth_dir = find_truth(data, truth)
    truth_result = (
        truth_check(truth_dir, plays, scores["percentile"], held_out_N, season, trad)
        if truth_dir is not None
        else None
    )
    timings["metrics_and_baselines"] = time.perf_counter() - t

    t = time.perf_counter()
    # From here on files are replaced: the old manifest goes first (see `write_outputs`).
    (out / manifest.NAME).unlink(missing_ok=True)
    figs, figures_note = figures.make_figures(
        out,
        store,
        models,
        per_model,
        summary,
        metric_idx,
        season,
        examples_per_kind=options.examples_per_kind,
        plays_label="held-out plays" if same_store else "all plays",
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
            "checkpoint_path": str(trained.path),
        },
        "data": {
            "store": str(data),
            "n_plays": int(store.n_plays),
            "training_store": same_store,
            "n_metric_plays": int(len(metric_idx)),
            **({"n_held_out": int(len(metric_idx))} if same_store else {}),
            "split": {k: getattr(trained.config.data, k) for k in SPLIT_KEYS},
        },
        "warnings": notes,
        "metrics_scope": scope,
        "metrics_on": SCOPES[scope],
        scope: summary,
        "score_scale": {**dataclasses.asdict(options.scale), "spread_used": spread},
        "point_mae": point_mae,
        "xgboost": xgb_note,
        "figures": figures_note,
        "truth": truth_result,
        "season_top": [{k: _py(season[k][i]) for k in tables.LEADERBOARD_VIEW} for i in top],
        "timings_s": timings,
    }
    labels = passing_score.split_labels(plays)
    play_rows = tables.play_table(plays, scores, scoring.LEVELS, held_out_N, labels)
    provenance = manifest.run_manifest(
        trained=trained,
        workdir=workdir,
        store_path=store.path,
        fingerprint=store_fingerprint(store),
        options=options,
    )
    pages = report.Inputs(board, season, trad, figs, plays["passer_id"], scores["percentile"])
    write_outputs(out, result, provenance, play_rows, pages)
    return result


def write_outputs(out: Path, result, provenance, play_rows, pages: report.Inputs) -> None:
    """Every output, each atomically, and the manifest last: with the old manifest removed before
    the first file is replaced, a manifest on disk always lists (with hashes) a complete set."""
    (out / manifest.NAME).unlink(missing_ok=True)
    board = pages.board
    tables.write_csv(out / "plays.csv", play_rows)
    tables.write_parquet(out / "plays.parquet", play_rows)
    display = tables.for_display(board)
    tables.write_csv(
        out / "leaderboard.csv", tables.select(display, slice(None), tables.LEADERBOARD_COLUMNS)
    )
    tables.write_parquet(out / "leaderboard.parquet", tables.for_parquet(board))
    tables.write_text(
        out / "leaderboard.md",
        tables.leaderboard_markdown(display, title="QB passing score leaderboards"),
    )
    tables.write_json(out / "metrics.json", result)
    tables.write_text(out / "report.html", report.report_html(result, provenance, pages))
    written = [*TABLE_FILES, *(p.name for p in pages.figures.values())]
    provenance = {**provenance, "files": manifest.file_hashes(out, written)}
    tables.write_json(out / manifest.NAME, provenance)


def _py(value):
    """A NumPy scalar as its Python value (for JSON)."""
    return value.item() if isinstance(value, np.generic) else value
