"""Evaluation of a trained model on a play store (what `evaluate.py` runs).

1. Load the checkpoint and the store; refuse a store whose features, static features or format the
   checkpoint was not trained on (naming both sides).
2. Score every play of the store in one jitted, vmapped call (`scoring.score_plays`).
3. Leaderboards by passer and split (`passing_score.leaderboard`). They use every play of the
   season, including the ones the model was trained on; metrics use only the held-out test games
   of the same `split_by_game` (seed and fractions from the training config).
4. Metrics on held-out plays for this model and each `--compare` workdir (e.g. Gaussian and binned
   heads of the same network), point-prediction MAE including XGBoost and a constant, and, for a
   synthetic league with `truth/`, how well scores track the generator's true QB skill.
5. plays.csv, leaderboard.csv / .md, metrics.json, PNG plots and report.html, each written
   atomically.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import jax
import numpy as np
import pyarrow.csv as pacsv

from sbp_jax import baselines, metrics, passing_score, plots, report, scoring
from sbp_jax.checkpoint import TrainedModel, load_trained
from sbp_jax.data import PlayStore, make_batch, split_by_game

SPLIT_KEYS = ("valid_fraction", "test_fraction", "split_seed")
TRAD_DIGITS = {"passer_rating": 1, "yards_per_attempt": 2}
# Ceiling of the truth check: each passer's mean of the generator's true percentiles, i.e. the
# passing score of a perfect model of the league-average passer, on the same plays.
ORACLE = "oracle_mean_true_percentile"


class MismatchError(ValueError):
    """The checkpoint and the data (or two checkpoints) do not belong together."""


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


def check_compatible(trained: TrainedModel, store: PlayStore, *, workdir, data) -> None:
    """Raise MismatchError if the store's features or format differ from the checkpoint's."""
    now = {
        "feature_names": list(store.feature_names),
        "static_names": list(store.static_names),
        "format_version": int(store.format_version),
    }
    for key, value in now.items():
        saved = trained.store_meta.get(key)
        if saved != value:
            raise MismatchError(
                f"checkpoint {workdir} was trained on data with {key}={saved!r}, but the store "
                f"{data} has {key}={value!r}; score with a store ingested the same way"
            )
    if trained.norm.track_mean_F.shape[-1] != len(
        store.feature_names
    ) or trained.norm.static_mean_S.shape[-1] != len(store.static_names):
        raise MismatchError(
            f"checkpoint {workdir}: normalization statistics do not fit the "
            f"store {data} ({len(store.static_names)} static features)"
        )


def check_same_split(a: TrainedModel, b: TrainedModel, wa, wb) -> None:
    """Compared models must hold out the same games, or their metrics are not comparable."""
    for key in SPLIT_KEYS:
        va, vb = getattr(a.config.data, key), getattr(b.config.data, key)
        if va != vb:
            raise MismatchError(
                f"--compare {wb}: data.{key}={vb!r} but {wa} has data.{key}="
                f"{va!r}; compared models must hold out the same games"
            )


def open_store(data, workdir) -> PlayStore:
    """A play store directory, or a CSV directory already (or now) ingested into `W/store`."""
    from sbp_jax.training import open_data  # same resolution as train.py

    return open_data(data, workdir)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation (average ranks for ties)."""

    def ranks(x):
        x = np.asarray(x, np.float64)
        order = np.argsort(x, kind="stable")
        r = np.empty(len(x))
        r[order] = np.arange(len(x))
        _, inv, counts = np.unique(x, return_inverse=True, return_counts=True)
        sums = np.bincount(inv, weights=r)
        return sums[inv] / counts[inv]

    return pearson(ranks(a), ranks(b))


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if len(a) < 3 or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def _lookup(keys_sorted: np.ndarray, order: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Row in the original table for each key, -1 where absent (vectorized join)."""
    pos = np.clip(np.searchsorted(keys_sorted, keys), 0, max(len(keys_sorted) - 1, 0))
    found = len(keys_sorted) > 0
    hit = found & (keys_sorted[pos] == keys) if found else np.zeros(len(keys), bool)
    return np.where(hit, order[pos], -1)


def play_key(game_id, play_id) -> np.ndarray:
    return np.asarray(game_id, np.int64) * 100_000 + np.asarray(play_id, np.int64)


def find_truth(data, truth) -> Path | None:
    """`--truth` if given (must exist), else `truth/` next to the data (CSV dir or store)."""
    if truth is not None:
        path = Path(truth)
        for name in ("passers.csv", "plays.csv"):
            if not (path / name).is_file():
                raise FileNotFoundError(f"--truth {path}: missing {name}")
        return path
    for cand in (Path(data) / "truth", Path(data).parent / "truth"):
        if (cand / "passers.csv").is_file() and (cand / "plays.csv").is_file():
            return cand
    return None


def _read_csv(path: Path) -> dict[str, np.ndarray]:
    table = pacsv.read_csv(path)
    return {c: table[c].to_numpy(zero_copy_only=False) for c in table.column_names}


def passer_mean(
    passer_id_N: np.ndarray, value_N: np.ndarray, passer_ids_P: np.ndarray
) -> np.ndarray:
    """Mean of `value_N` over each passer's plays, for the passers `passer_ids_P` (NaN if none)."""
    ids_U, inv_N = np.unique(np.asarray(passer_id_N, np.int64), return_inverse=True)
    sums_U = np.bincount(inv_N, weights=np.asarray(value_N, np.float64), minlength=len(ids_U))
    counts_U = np.bincount(inv_N, minlength=len(ids_U))
    at_P = _lookup(ids_U, np.arange(len(ids_U)), np.asarray(passer_ids_P, np.int64))
    mean_P = np.full(len(at_P), np.nan)
    mean_P[at_P >= 0] = sums_U[at_P[at_P >= 0]] / counts_U[at_P[at_P >= 0]]
    return mean_P


def truth_check(
    truth_dir: Path,
    plays: Mapping[str, np.ndarray],
    percentile_N: np.ndarray,
    held_out_N: np.ndarray,
    season: Mapping[str, np.ndarray],
    trad: Mapping[str, np.ndarray],
) -> dict[str, object]:
    """Does the score measure the QB? Correlations with the generator's ground truth."""
    passers = _read_csv(truth_dir / "passers.csv")
    truth_plays = _read_csv(truth_dir / "plays.csv")
    for name, cols, need in (
        ("passers.csv", passers, ("nflId", "skill")),
        ("plays.csv", truth_plays, ("gameId", "playId", "true_percentile")),
    ):
        missing = [c for c in need if c not in cols]
        if missing:
            raise ValueError(f"{truth_dir / name}: missing columns {missing}")
    t_keys = play_key(truth_plays["gameId"], truth_plays["playId"])
    t_order = np.argsort(t_keys)
    t_row = _lookup(t_keys[t_order], t_order, play_key(plays["gameId"], plays["playId"]))
    true_pct = np.full(len(t_row), np.nan)
    true_pct[t_row >= 0] = np.asarray(truth_plays["true_percentile"], np.float64)[t_row[t_row >= 0]]
    ok = np.isfinite(true_pct)

    skill_ids = np.asarray(passers["nflId"], np.int64)
    order = np.argsort(skill_ids)
    row = _lookup(skill_ids[order], order, np.asarray(season["passer_id"], np.int64))
    qualified = (np.asarray(season["rank"]) > 0) & (row >= 0)
    use = qualified if qualified.sum() >= 5 else row >= 0
    skill = np.asarray(passers["skill"], np.float64)[row[use]]
    trad_order = np.argsort(trad["passer_id"])
    trad_row = _lookup(
        np.asarray(trad["passer_id"])[trad_order], trad_order, np.asarray(season["passer_id"])[use]
    )
    passer_level = {
        "n_passers": int(use.sum()),
        "passers": "qualified (ranked)" if use is qualified else "all with a truth row",
        "spearman_skill": {
            "qb_passing_score": spearman(np.asarray(season["score"])[use], skill),
            "mean_percentile": spearman(np.asarray(season["mean_percentile"])[use], skill),
            "passer_rating": spearman(trad["passer_rating"][trad_row], skill),
            "yards_per_attempt": spearman(trad["yards_per_attempt"][trad_row], skill),
            ORACLE: spearman(
                passer_mean(
                    plays["passer_id"][ok], true_pct[ok], np.asarray(season["passer_id"])[use]
                ),
                skill,
            ),
        },
    }
    play_level = {"n_plays": int(ok.sum())}
    for name, mask in (("all", ok), ("held_out", ok & held_out_N)):
        play_level[name] = {
            "pearson": pearson(percentile_N[mask], true_pct[mask]),
            "spearman": spearman(percentile_N[mask], true_pct[mask]),
            "n": int(mask.sum()),
        }
    return {"truth_dir": str(truth_dir), "passer_level": passer_level, "play_level": play_level}


def play_table(
    plays: Mapping[str, np.ndarray],
    scores: Mapping[str, np.ndarray],
    levels: Sequence[float],
    held_out_N: np.ndarray,
) -> dict[str, np.ndarray]:
    """plays.csv columns: identity, yards, percentile, median, quantiles and split flags."""
    labels = passing_score.split_labels(plays)
    table = {
        c: np.asarray(plays[c])
        for c in ("gameId", "playId", "week", "passer_id", "passer_name", "team")
    }
    table.update(yards=scores["yards"], percentile=scores["percentile"], median=scores["median"])
    for j, q in enumerate(levels):
        table[f"q{q:g}"] = scores["quantiles"][:, j]
    table.update(
        held_out=held_out_N.astype(int),
        pressure=labels["pressure"],
        time_to_throw=labels["time_to_throw"],
        depth=labels["depth"],
    )
    return table


def example_plays(
    plays: Mapping[str, np.ndarray], candidates: np.ndarray, per_kind: int, seed: int = 0
) -> tuple[np.ndarray, list[str]]:
    """A few held-out plays of each kind: completion, incompletion, interception, deep pass."""
    result = np.asarray(plays["pass_result"]).astype(str)[candidates]
    deep = np.asarray(plays["air_yards"], np.float64)[candidates] >= passing_score.DEEP_AIR_YARDS
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
    trained: TrainedModel, store: PlayStore, idx: np.ndarray, grid_G: np.ndarray
) -> np.ndarray:
    """Predicted density [K, G] of each play on a yards grid."""
    b = make_batch(
        store, idx, norm=trained.norm, relational=trained.config.data.relational_features
    )
    _, dist = trained.model.apply(
        {"params": trained.params}, b.tracks, b.presence, b.lengths, b.static
    )
    return np.asarray(jax.jit(lambda d, g: d.prob(g[:, None]))(dist, grid_G)).T


def _model_name(t: TrainedModel, workdir) -> str:
    return f"{t.config.model.head} ({Path(workdir).name})"


def run(
    workdir, data, out, *, compare: Sequence = (), truth=None, options: EvalOptions = EvalOptions()
) -> dict[str, object]:
    """Evaluate `workdir`'s model on `data`; write every output under `out`; return metrics."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    trained = load_trained(workdir, options.which)
    store = open_store(data, workdir)
    check_compatible(trained, store, workdir=workdir, data=data)
    others = []
    for w in compare:
        other = load_trained(w, options.which)
        check_compatible(other, store, workdir=w, data=data)
        check_same_split(trained, other, workdir, w)
        others.append((w, other))
    d = trained.config.data
    splits = split_by_game(
        store, valid_fraction=d.valid_fraction, test_fraction=d.test_fraction, seed=d.split_seed
    )
    test_idx = np.sort(splits["test"])
    if len(test_idx) == 0:
        raise ValueError(
            f"{workdir}: the test split (data.test_fraction={d.test_fraction}) is "
            f"empty for {data}; nothing to compute metrics on"
        )
    timings["load"] = time.perf_counter() - t0

    t = time.perf_counter()
    levels = scoring.LEVELS
    all_idx = np.arange(store.n_plays)
    scores = scoring.score_plays(
        trained.model,
        trained.params,
        store,
        all_idx,
        norm=trained.norm,
        levels=levels,
        crps_levels=options.crps_levels,
        memory_budget=options.memory_budget,
        progress=options.progress,
        relational=trained.config.data.relational_features,
    )
    timings["score_season"] = time.perf_counter() - t
    timings["plays_per_second"] = store.n_plays / timings["score_season"]

    t = time.perf_counter()
    plays = store.plays
    held_out_N = np.zeros(store.n_plays, bool)
    held_out_N[test_idx] = True
    board = passing_score.leaderboard(plays, scores["percentile"], options.scale)
    spread = passing_score.season_spread(plays["passer_id"], scores["percentile"], options.scale)
    trad = baselines.traditional_stats(plays)
    timings["aggregate"] = time.perf_counter() - t

    t = time.perf_counter()
    main_name = _model_name(trained, workdir)
    per_model = {main_name: {k: v[test_idx] for k, v in scores.items()}}
    for w, other in others:
        per_model[_model_name(other, w)] = scoring.score_plays(
            other.model,
            other.params,
            store,
            test_idx,
            norm=other.norm,
            levels=levels,
            crps_levels=options.crps_levels,
            memory_budget=options.memory_budget,
            progress=options.progress,
            relational=other.config.data.relational_features,
        )
    held_out = {name: metrics.summarize(s, levels) for name, s in per_model.items()}
    yards_test = store.yards[test_idx]
    point_mae = {f"{name} median": held_out[name]["mae_median"] for name in held_out}
    point_mae["constant (train median)"] = float(
        np.mean(np.abs(yards_test - np.median(store.yards[splits["train"]])))
    )
    xgb = baselines.xgboost_point_model(store, splits) if options.use_xgboost else None
    if xgb is None:
        xgb_note = (
            "skipped: xgboost is not importable" if options.use_xgboost else "skipped: disabled"
        )
    else:
        point_mae["xgboost (absolute error)"] = float(
            np.mean(np.abs(xgb["prediction"] - yards_test))
        )
        xgb_note = f"trained on {len(splits['train'])} plays, {xgb['best_iteration'] + 1} trees"
    timings["metrics_and_baselines"] = time.perf_counter() - t

    season = report.select(board, np.asarray(board["split"]) == "season")
    truth_dir = find_truth(data, truth)
    truth_result = (
        truth_check(truth_dir, plays, scores["percentile"], held_out_N, season, trad)
        if truth_dir is not None
        else None
    )

    t = time.perf_counter()
    pit = {
        name: metrics.randomized_pit(s["pit_low"], s["pit_high"]) for name, s in per_model.items()
    }
    figures = {
        "pit": plots.pit_histogram(pit, out / "pit_histogram.png"),
        "calibration": plots.calibration_plot(
            {n: m["coverage"] for n, m in held_out.items()}, out / "calibration.png"
        ),
    }
    ex_idx, ex_titles = example_plays(plays, test_idx, options.examples_per_kind)
    if len(ex_idx):
        grid = np.linspace(-15.0, 60.0, 601, dtype=np.float32)
        dens = {main_name: densities(trained, store, ex_idx, grid)}
        for w, other in others:
            dens[_model_name(other, w)] = densities(other, store, ex_idx, grid)
        figures["densities"] = plots.density_plot(
            grid, dens, store.yards[ex_idx], ex_titles, out / "densities.png"
        )
    top = np.flatnonzero(np.asarray(season["rank"]) > 0)[:25]
    if len(top) == 0:
        top = np.arange(min(25, len(season["score"])))
    figures["leaderboard"] = plots.leaderboard_plot(
        [f"{season['passer_name'][i]} ({season['team'][i]})" for i in top],
        season["score"][top],
        season["score_low"][top],
        season["score_high"][top],
        out / "leaderboard.png",
    )
    timings["plots"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0

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
            "split": {k: getattr(d, k) for k in SPLIT_KEYS},
        },
        "score_scale": {**dataclasses.asdict(options.scale), "spread_used": spread},
        "held_out": held_out,
        "point_mae": point_mae,
        "xgboost": xgb_note,
        "truth": truth_result,
        "season_top": [
            {
                k: season[k][i].item() if hasattr(season[k][i], "item") else season[k][i]
                for k in report.LEADERBOARD_VIEW
            }
            for i in top[:10]
        ],
        "timings_s": timings,
    }
    _write_outputs(
        out, result, play_table(plays, scores, levels, held_out_N), board, season, trad, figures
    )
    return result


def _season_with_traditional(season, trad) -> dict[str, np.ndarray]:
    order = np.argsort(trad["passer_id"])
    row = _lookup(np.asarray(trad["passer_id"])[order], order, np.asarray(season["passer_id"]))
    view = report.select(season, slice(None), report.LEADERBOARD_VIEW)
    view["passer_rating"] = trad["passer_rating"][row]
    view["yards_per_attempt"] = trad["yards_per_attempt"][row]
    return view


def _metrics_table(held_out: Mapping[str, Mapping]) -> dict[str, np.ndarray]:
    names = list(held_out)
    cov = list(next(iter(held_out.values()))["coverage"])
    table = {
        "model": np.asarray(names, object),
        "plays": np.asarray([held_out[n]["n_plays"] for n in names]),
    }
    for key in ("nll", "crps", "mae_median", "pit_ks"):
        table[key] = np.asarray([held_out[n].get(key, np.nan) for n in names], np.float64)
    for c in cov:
        table[f"cover {c}"] = np.asarray([held_out[n]["coverage"][c] for n in names])
    return table


def _truth_html(truth_result) -> str:
    if truth_result is None:
        return report.paragraph("No ground truth found (truth/ next to the data or --truth).")
    p, q = truth_result["passer_level"], truth_result["play_level"]
    sp = p["spearman_skill"]
    passer_table = {
        "measure": np.asarray(list(sp), object),
        "spearman with true skill": np.asarray(list(sp.values()), np.float64),
    }
    play_rows = ("all", "held_out")
    play_table_ = {
        "plays": np.asarray(play_rows, object),
        "n": np.asarray([q[r]["n"] for r in play_rows]),
        "pearson": np.asarray([q[r]["pearson"] for r in play_rows], np.float64),
        "spearman": np.asarray([q[r]["spearman"] for r in play_rows], np.float64),
    }
    return (
        report.paragraph(
            f"{p['n_passers']} passers ({p['passers']}); the same plays feed every measure."
        )
        + report.html_table(passer_table, digits={"spearman with true skill": 3})
        + report.paragraph(
            f"{ORACLE}: each passer's mean of the generator's true "
            "percentiles, the score a perfect model of the league-average "
            "passer would give; the ceiling for mean_percentile."
        )
        + report.paragraph(
            "Play percentiles against the generator's true percentile under a league-average QB:"
        )
        + report.html_table(play_table_, digits={"pearson": 3, "spearman": 3})
    )


def _display(board: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Leaderboard for files: unranked passers (too few attempts) get an empty rank."""
    rank = np.asarray(board["rank"])
    return {**board, "rank": np.where(rank > 0, rank.astype(str), "").astype(object)}


def _write_outputs(out: Path, result, table, board, season, trad, figures) -> None:
    board, season = _display(board), _display(season)
    report.write_csv(out / "plays.csv", table)
    report.write_csv(
        out / "leaderboard.csv",
        report.select(
            board,
            slice(None),
            (
                "split",
                "passer_id",
                "passer_name",
                "team",
                "attempts",
                "mean_percentile",
                "score",
                "score_low",
                "score_high",
                "rank",
            ),
        ),
    )
    report.write_text(
        out / "leaderboard.md",
        report.leaderboard_markdown(board, title="QB passing score leaderboards"),
    )
    report.write_json(out / "metrics.json", result)
    digits = {**report.LEADERBOARD_DIGITS, **TRAD_DIGITS}
    situational = [
        lab
        for lab in dict.fromkeys(board["split"])
        if not lab.startswith(("week=", "game=")) and lab != "season"
    ]
    scale = result["score_scale"]
    sections = [
        (
            "Summary",
            report.paragraph(
                f"Model {result['model']['workdir']} (head {result['model']['head']}, step "
                f"{result['model']['step']}) on {result['data']['store']}: "
                f"{result['data']['n_plays']} plays scored in "
                f"{result['timings_s']['score_season']:.1f} s "
                f"({result['timings_s']['plays_per_second']:.0f} plays/s, including compilation "
                "and batch assembly). Metrics use the "
                f"{result['data']['n_held_out']} plays of held-out test games only; "
                "leaderboards use every play of the season, including the games the model was "
                "trained on."
            ),
        ),
        ("Held-out metrics", report.html_table(_metrics_table(result["held_out"]), digits={})),
        (
            "Point predictions (MAE, yards, held-out)",
            report.html_table(
                {
                    "model": np.asarray(list(result["point_mae"]), object),
                    "MAE": np.asarray(list(result["point_mae"].values()), np.float64),
                },
                digits={"MAE": 3},
            )
            + report.paragraph(f"XGBoost: {result['xgboost']}."),
        ),
        ("Does the score measure the quarterback?", _truth_html(result["truth"])),
        (
            "Calibration",
            report.image(figures["pit"].name, "PIT histogram")
            + report.image(figures["calibration"].name, "coverage of central intervals"),
        ),
    ]
    if "densities" in figures:
        sections.append(
            ("Predicted distributions", report.image(figures["densities"].name, "densities"))
        )
    sections += [
        (
            "Season leaderboard",
            report.paragraph(
                f"Score = 50 + 49·logistic((shrunk − league)/{scale['spread_used']:.4f}), mean "
                f"percentile shrunk toward the league with {scale['prior_attempts']:g} prior "
                "attempts; "
                f"{scale['interval']:.0%} bootstrap intervals; ranked with at least "
                f"{scale['min_attempts']['season']} attempts (see docs/passing_score.md)."
            )
            + report.image(figures["leaderboard"].name, "leaderboard")
            + report.html_table(_season_with_traditional(season, trad), digits=digits),
        ),
    ]
    for label in situational:
        rows = np.asarray(board["split"]) == label
        sections.append(
            (
                f"Split: {label}",
                report.html_table(
                    report.select(board, rows, report.LEADERBOARD_VIEW), digits=digits
                ),
            )
        )
    sections.append(
        (
            "Weeks and games",
            report.paragraph(
                "Week and game leaderboards: leaderboard.md and leaderboard.csv; per-play scores: "
                "plays.csv."
            ),
        )
    )
    report.write_text(out / "report.html", report.html_page("QB passing score report", sections))


def summary_text(result: Mapping, out) -> str:
    """What `evaluate.py` prints: held-out metrics, baselines, truth check, top of the season."""
    t = result["timings_s"]
    lines = [
        f"scored {result['data']['n_plays']} plays in {t['score_season']:.1f}"
        f" s ({t['plays_per_second']:.0f} plays/s incl. compile); metrics on "
        f"{result['data']['n_held_out']} held-out plays"
    ]
    for name, m in result["held_out"].items():
        cov = " ".join(f"{k}:{v:.2f}" for k, v in m["coverage"].items())
        lines.append(
            f"  {name:<28} NLL {m['nll']:.3f}  CRPS {m.get('crps', float('nan')):.3f}  "
            f"MAE {m['mae_median']:.2f}  PIT-KS {m['pit_ks']:.3f}  coverage {cov}"
        )
    lines.append("point MAE: " + ", ".join(f"{k} {v:.2f}" for k, v in result["point_mae"].items()))
    if result["truth"] is not None:
        sp = result["truth"]["passer_level"]["spearman_skill"]
        lines.append(
            "Spearman with true QB skill: "
            + ", ".join(f"{k} {v:.2f}" for k, v in sp.items() if k != ORACLE)
            + f"; ceiling {ORACLE} {sp[ORACLE]:.2f}"
        )
        pl = result["truth"]["play_level"]["all"]
        lines.append(f"play percentile vs true percentile: Pearson {pl['pearson']:.3f}")
    lines.append("season leaderboard (top 10):")
    for row in result["season_top"]:
        rank = row["rank"] if row["rank"] else "-"
        lines.append(
            f"  {rank:>3}  {row['passer_name']:<22} {row['team']:<4} "
            f"{row['attempts']:>4} att  score {row['score']:.1f} "
            f"[{row['score_low']:.1f}, {row['score_high']:.1f}]"
        )
    lines.append(f"report: {Path(out) / 'report.html'}")
    return "\n".join(lines)
