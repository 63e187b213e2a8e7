"""Evaluation of trained models on a play store (what `evaluate.py` runs), stage by stage.

0. Claim `--out` (`sbp_jax.outdir`): created, empty, or an earlier evaluation's; anything else is
   refused before any work, as is a second evaluation writing the same directory.
1. `crossfit.load_set` of `--workdir` and of each `--compare` workdir: the fold models of a folds
   workdir, or one model (newest intact step, with a warning when one was skipped); refuse a
   store of other features, and compared workdirs that do not test the same games.
2. `crossfit.score_set`: every play is scored by a model that did not see its game (out of fold
   for a folds workdir, the held-out test games for one model; every play with `in_sample`),
   recalibrated with a map fitted on that model's own validation games (`calibration`, unless
   `recalibrate` is off). A non-finite percentile or median is an error naming the plays.
3. Leaderboards by passer and split (`passing_score.leaderboard`) from those percentiles.
4. Metrics on held-out plays before and after recalibration, the comparison across heads and
   fold models (`comparison`), point baselines trained per fold, and, for a synthetic league
   with `truth/`, the truth check and its comparison (`truth_comparison`).
5. `write_outputs`: plays.csv / .parquet, leaderboard.csv / .parquet / .md, metrics.json,
   calibration.json, the self-contained report.html, and manifest.json last, each atomically.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sbp_jax import outdir
from sbp_jax.data import open_data
from sbp_jax.evaluate import (
    baselines,
    calibration,
    comparison,
    crossfit,
    figures,
    finite,
    manifest,
    metrics,
    passing_score,
    report,
    scoring,
    tables,
)
from sbp_jax.evaluate.players import PlayerIds
from sbp_jax.evaluate.truth import (
    find_truth,
    read_truth,
    true_percentiles,
    truth_check,
    truth_passers,
)
from sbp_jax.evaluate.truth_comparison import truth_comparison
from sbp_jax.model.trained import SPLIT_KEYS, store_fingerprint

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
    "calibration.json",
    "report.html",
)
# Every file an evaluation writes (an --out holding only these, with its metrics.json, is adopted).
OUTPUT_FILES = frozenset({*TABLE_FILES, manifest.NAME, *figures.FILES.values()})
# What the metrics were computed on: plays no model that scored them had seen (out of fold, or a
# single model's test games), or (the store is not the one the model was trained on) every play.
SCOPES = {
    "out_of_fold": "out-of-fold plays (each scored by the fold model that held its game out)",
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
    in_sample: bool = False  # one model: leaderboards score every play, its training plays too
    recalibrate: bool = True  # apply each model's map fitted on its validation games
    players: str | None = None  # nflverse players export: adds passer_gsis_id to the tables


def run(
    workdir, data, out, *, compare: Sequence = (), truth=None, options: EvalOptions = EvalOptions()
) -> dict[str, object]:
    """Evaluate `workdir`'s model(s) on `data`; write every output under `out` (see the module
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


def load_sets(workdir, data, compare: Sequence, options: EvalOptions):
    """(store, model sets with the main one first, warnings, every set on its training store)."""
    notes: list[str] = []
    sets = []
    for w in [workdir, *compare]:
        mset = crossfit.load_set(w, options.which, notes)
        if sets:
            crossfit.check_same_folds(sets[0], mset)
        if mset.name in {s.name for s in sets}:  # the same head and folder name: keep both apart
            mset = dataclasses.replace(mset, name=f"{mset.name} #{len(sets) + 1}")
        sets.append(mset)
    store = open_data(data, workdir)
    bound = [crossfit.bind(mset, store, data, notes) for mset in sets]
    sets = [b[0] for b in bound]
    return store, sets, notes + comparison.budget_notes(sets), all(b[1] for b in bound)


def _subset(columns, idx: np.ndarray) -> dict[str, np.ndarray]:
    return {k: np.asarray(v)[idx] for k, v in columns.items()}


def _evaluate(workdir, data, out: Path, compare, truth, options: EvalOptions) -> dict[str, object]:
    timings: dict[str, float] = {}
    t0 = t = time.perf_counter()
    ids = PlayerIds(options.players) if options.players is not None else None  # fail early
    store, sets, notes, same_store = load_sets(workdir, data, compare, options)
    main = sets[0]
    if options.in_sample and main.folds is not None:
        raise ValueError(
            f"--in-sample: {workdir} holds fold models, whose plays are scored out of fold; "
            "in-sample scoring is for one model's workdir"
        )
    mode = crossfit.mode_of(main, same_store, options.in_sample)
    timings["load"] = time.perf_counter() - t

    t = time.perf_counter()
    scored = {}
    for i, mset in enumerate(sets):
        set_mode = mode if i == 0 else crossfit.mode_of(mset, same_store, False)
        scored[mset.name] = crossfit.score_set(
            mset, store, set_mode, options, recalibrate=options.recalibrate
        )
    main_scores = scored[main.name]
    timings["score_season"] = time.perf_counter() - t
    timings["plays_per_second"] = len(main_scores.rows_N) / timings["score_season"]
    plays = _subset(store.plays, main_scores.rows_N)
    pct_N = main_scores.after["percentile"]
    finite.check_plays(plays, main_scores.after)

    t = time.perf_counter()
    board = passing_score.leaderboard(plays, pct_N, options.scale)
    finite.check_leaderboard(board)
    if ids is not None:
        board = ids.add_column(board)
        notes = [*notes, *filter(None, [ids.coverage_note(plays["passer_id"])])]
    spread = passing_score.season_spread(plays["passer_id"], pct_N, options.scale)
    trad = baselines.traditional_stats(plays)
    season = tables.select(board, np.asarray(board["split"]) == "season")
    timings["aggregate"] = time.perf_counter() - t

    t = time.perf_counter()
    held_N = main_scores.held_out_N
    metric_rows = main_scores.rows_N if held_N is None else main_scores.rows_N[held_N]
    group_N = main_scores.member_N[main_scores.where(metric_rows)]
    after, before = {}, {}
    for name, s in scored.items():
        pos = s.where(metric_rows)
        if not np.array_equal(s.member_N[pos], group_N):
            raise crossfit.MismatchError(f"--compare {name}: its folds test other games")
        after[name], before[name] = _subset(s.after, pos), _subset(s.before, pos)
    summary = {name: metrics.summarize(v, scoring.LEVELS) for name, v in after.items()}
    compared = comparison.forecast_comparison(after, group_N, scoring.LEVELS)
    point_mae, xgb_note = point_baselines(store, main, metric_rows, summary, options, same_store)
    truth_result, truth_compared = _truth(
        data, truth, plays, pct_N, held_N, season, trad, store, metric_rows, after, group_N, options
    )
    timings["metrics_and_baselines"] = time.perf_counter() - t

    t = time.perf_counter()
    # From here on files are replaced: the old manifest goes first (see `write_outputs`).
    (out / manifest.NAME).unlink(missing_ok=True)
    first = metric_rows[group_N == group_N[0]]  # example plays: held out by every set's 1st model
    figs, figures_note = figures.make_figures(
        out,
        store,
        {n: (sets[i].members[0].trained, scored[n].maps[0]) for i, n in enumerate(scored)},
        after,
        summary,
        first,
        season,
        examples_per_kind=options.examples_per_kind,
        plays_label="held-out plays" if held_N is not None else "all plays",
    )
    timings["plots"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0

    scope = "all_plays" if held_N is None else "out_of_fold" if main.folds else "held_out"
    label = crossfit.MODES[mode]
    metric_label = label if held_N is None or main.folds else crossfit.MODES["held_out"]
    modes = {
        "leaderboards": label,
        "plays": label,
        "metrics": metric_label,
        "comparison": metric_label,
        "truth": label,
        "truth_comparison": metric_label,
    }
    members = [_member_info(m) for m in main.members]
    top = figures.top_of_season(season)[:10]
    result = {
        "model": {
            "workdir": str(workdir),
            "head": main.head,
            "step": main.members[0].trained.step,
            "valid_nll": main.members[0].trained.valid_nll,
            "checkpoint": options.which,
            "checkpoint_path": str(main.members[0].trained.path),
            "members": members,
        },
        "data": {
            "store": str(data),
            "n_plays": int(store.n_plays),
            "n_scored": int(len(main_scores.rows_N)),
            "training_store": same_store,
            "n_metric_plays": int(len(metric_rows)),
            **({"n_held_out": int(len(metric_rows))} if held_N is not None else {}),
            "split": {k: getattr(main.config.data, k) for k in SPLIT_KEYS},
        },
        "modes": modes,
        "folds": _folds_info(main),
        "warnings": notes,
        "metrics_scope": scope,
        "metrics_on": SCOPES[scope],
        scope: summary,
        "calibration": {
            "recalibrated": any(g is not None for s in scored.values() for g in s.maps),
            "method": calibration.METHOD,
            "before": {n: metrics.summarize(v, scoring.LEVELS) for n, v in before.items()},
            "after": summary,
        },
        "comparison": compared,
        "score_scale": {**dataclasses.asdict(options.scale), "spread_used": spread},
        "point_mae": point_mae,
        "xgboost": xgb_note,
        "figures": figures_note,
        "truth": truth_result,
        "truth_comparison": truth_compared,
        "season_top": [{k: _py(season[k][i]) for k in tables.LEADERBOARD_VIEW} for i in top],
        "timings_s": timings,
    }
    labels = passing_score.split_labels(plays)
    fold_N = None
    if main.folds is not None:
        fold_N = np.asarray([m.fold for m in main.members])[main_scores.member_N]
    play_rows = tables.play_table(
        plays, main_scores.after, scoring.LEVELS, held_N, labels, fold_N=fold_N
    )
    if ids is not None:
        play_rows = ids.add_column(play_rows)
    provenance = manifest.run_manifest(
        trained=main.members[0].trained,
        workdir=workdir,
        store_path=store.path,
        fingerprint=store_fingerprint(store),
        options=options,
        modes=modes,
        members=members,
    )
    maps = {
        name: {
            m.label: {"workdir": str(m.workdir), **(g.to_dict() if g else {"identity": True})}
            for m, g in zip(mset.members, scored[name].maps, strict=True)
        }
        for name, mset in zip(scored, sets, strict=True)
    }
    pages = report.Inputs(board, season, trad, figs, plays["passer_id"], pct_N)
    write_outputs(out, result, provenance, play_rows, pages, maps)
    return result


def point_baselines(store, main, metric_rows, summary, options, same_store):
    """MAE of each model's median and of the point baselines, trained per fold (or on the one
    model's train split) and predicted on its test plays; on another store only the medians and
    the median of all plays."""
    point_mae = {f"{name} median": s["mae_median"] for name, s in summary.items()}
    yards = store.yards[metric_rows]
    if not same_store:
        point_mae["constant (median of all plays)"] = float(
            np.mean(np.abs(yards - np.median(yards)))
        )
        return point_mae, "skipped: not the training store"
    rows, preds, note = baselines.fold_point_predictions(
        store, [m.splits for m in main.members], use_xgboost=options.use_xgboost
    )
    order = np.argsort(rows)
    pos = order[np.searchsorted(rows[order], metric_rows)]
    for name, pred in preds.items():
        point_mae[name] = float(np.mean(np.abs(pred[pos] - yards)))
    return point_mae, note


def _truth(data, truth, plays, pct_N, held_N, season, trad, store, metric_rows, after, group_N, o):
    """(truth check, truth comparison), both None without a truth directory."""
    truth_dir = find_truth(data, truth)
    if truth_dir is None:
        return None, None
    result = truth_check(truth_dir, plays, pct_N, held_N, season, trad)
    passers, truth_plays = read_truth(truth_dir)
    passer_U, skill_U, _ = truth_passers(passers, season)
    metric_plays = _subset(store.plays, metric_rows)
    compared = truth_comparison(
        metric_plays,
        {name: v["percentile"] for name, v in after.items()},
        true_percentiles(truth_plays, metric_plays),
        group_N,
        passer_U,
        skill_U,
        prior_attempts=o.scale.prior_attempts,
        n_bootstrap=o.scale.n_bootstrap,
        interval=o.scale.interval,
        seed=o.scale.seed,
    )
    return result, compared


def _member_info(m: crossfit.Member) -> dict[str, object]:
    t = m.trained
    return {
        "label": m.label,
        "fold": m.fold,
        "workdir": str(m.workdir),
        "checkpoint": str(t.path),
        "step": t.step,
        "seed": t.config.train.seed,
        "valid_nll": t.valid_nll,
    }


def _folds_info(mset: crossfit.ModelSet) -> dict[str, object] | None:
    if mset.folds is None:
        return None
    return {key: mset.folds[key] for key in ("folds", "fold_mode", "split_seed", "valid_fraction")}


def write_outputs(out: Path, result, provenance, play_rows, pages: report.Inputs, maps) -> None:
    """Every output, each atomically, and the manifest last: with the old manifest removed before
    the first file is replaced, a manifest on disk always lists (with hashes) a complete set."""
    (out / manifest.NAME).unlink(missing_ok=True)
    board = pages.board
    tables.write_csv(out / "plays.csv", play_rows)
    tables.write_parquet(out / "plays.parquet", play_rows)
    display = tables.for_display(board)
    tables.write_csv(
        out / "leaderboard.csv",
        tables.select(display, slice(None), tables.leaderboard_columns(board)),
    )
    tables.write_parquet(out / "leaderboard.parquet", tables.for_parquet(board))
    title = f"QB passing score leaderboards ({result['modes']['leaderboards']})"
    tables.write_text(out / "leaderboard.md", tables.leaderboard_markdown(display, title=title))
    tables.write_json(out / "metrics.json", result)
    tables.write_json(out / "calibration.json", {"method": calibration.METHOD, "models": maps})
    tables.write_text(out / "report.html", report.report_html(result, provenance, pages))
    written = [*TABLE_FILES, *(p.name for p in pages.figures.values())]
    provenance = {**provenance, "files": manifest.file_hashes(out, written)}
    tables.write_json(out / manifest.NAME, provenance)


def _py(value):
    """A NumPy scalar as its Python value (for JSON)."""
    return value.item() if isinstance(value, np.generic) else value
