"""End to end: tiny league -> tiny trained model (shared fixtures in conftest) -> evaluate.py.

Checks the files, their columns and their consistency with each other; that a checkpoint and a
store that do not belong together are refused with both sides named; that --out is only written
when the evaluation owns it; and that a store other than the training store is scored but its
metrics are never called held-out.
"""

import csv
import dataclasses
import json
import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from conftest import load_cli
from store_edits import rewrite_store
from store_fixtures import write_random_store

from sbp_jax.data import PlayStore
from sbp_jax.evaluate import run
from sbp_jax.evaluate.metrics import mean_by, spearman
from sbp_jax.evaluate.passing_score import ScoreScale
from sbp_jax.evaluate.report import summary_text
from sbp_jax.evaluate.run import EvalOptions
from sbp_jax.evaluate.truth import ORACLE
from sbp_jax.model.trained import (
    MismatchError,
    StoreCheck,
    check_compatible,
    check_same_split,
    check_same_store,
    load_trained,
    store_fingerprint,
)

evaluate = load_cli("evaluate")
PLAYS_COLUMNS = ["gameId", "playId", "passer_id", "passer_name", "yards", "percentile", "median"]
BOARD_COLUMNS = [
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
]


def _read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_outputs_exist_with_contract_columns(evaluated):
    _, workdir, out = evaluated
    for name in (
        "plays.csv",
        "leaderboard.csv",
        "leaderboard.md",
        "metrics.json",
        "report.html",
        "pit_histogram.png",
        "calibration.png",
        "densities.png",
        "leaderboard.png",
    ):
        assert (out / name).stat().st_size > 0, name
    # no temporary files left; the only hidden files are the output marker and lock
    hidden = sorted(p.name for p in out.iterdir() if p.name.startswith("."))
    assert hidden == [".sbp_jax-output", ".sbp_jax-output.lock"]
    plays = _read(out / "plays.csv")
    assert set(PLAYS_COLUMNS) <= set(plays[0])
    assert len(plays) == PlayStore.open(workdir / "store").n_plays
    assert all(0.0 <= float(r["percentile"]) <= 1.0 for r in plays)
    board = _read(out / "leaderboard.csv")
    assert list(board[0]) == BOARD_COLUMNS
    labels = {r["split"] for r in board}
    assert {"season", "week=1", "week=2", "pressure", "clean", "short"} <= labels
    assert any(lab.startswith("game=") for lab in labels)
    html = (out / "report.html").read_text()
    assert "<img src='data:image/png;base64," in html and "Metrics (held-out)" in html


def test_leaderboard_agrees_with_plays_csv(evaluated):
    _, _, out = evaluated
    by_passer = defaultdict(list)
    for r in _read(out / "plays.csv"):
        by_passer[r["passer_id"]].append(float(r["percentile"]))
    season = [r for r in _read(out / "leaderboard.csv") if r["split"] == "season"]
    assert len(season) == len(by_passer)
    for r in season:
        vals = by_passer[r["passer_id"]]
        assert int(r["attempts"]) == len(vals)
        assert float(r["mean_percentile"]) == pytest.approx(np.mean(vals), abs=2e-6)
        assert float(r["score_low"]) <= float(r["score"]) + 1e-6 <= float(r["score_high"]) + 2e-6
        assert 50.0 < float(r["score"]) < 99.0


def test_metrics_are_on_held_out_games_and_truth_is_used(evaluated):
    _, workdir, out = evaluated
    m = json.loads((out / "metrics.json").read_text())
    held = [r for r in _read(out / "plays.csv") if r["held_out"] == "1"]
    assert m["data"]["n_held_out"] == len(held) > 0
    (head_metrics,) = m["held_out"].values()
    assert head_metrics["n_plays"] == len(held)
    assert set(head_metrics["coverage"]) == {"0.5", "0.8", "0.9", "0.98"}
    assert np.isfinite(head_metrics["crps"]) and np.isfinite(head_metrics["nll"])
    # MAE of the median, recomputed from plays.csv.
    mae = np.mean([abs(float(r["median"]) - float(r["yards"])) for r in held])
    assert head_metrics["mae_median"] == pytest.approx(mae, abs=1e-4)
    truth = m["truth"]
    assert truth is not None and truth["play_level"]["n_plays"] == m["data"]["n_plays"]
    assert set(truth["passer_level"]["spearman_skill"]) == {
        "qb_passing_score",
        "mean_percentile",
        "passer_rating",
        "yards_per_attempt",
        ORACLE,
    }


def test_oracle_ceiling_matches_an_independent_computation(evaluated, capsys):
    """Spearman(per-passer mean TRUE percentile, skill), from the CSVs with scipy."""
    stats = pytest.importorskip("scipy.stats")
    league, _, out = evaluated
    true_pct = {
        (r["gameId"], r["playId"]): float(r["true_percentile"])
        for r in _read(league / "truth" / "plays.csv")
        if r["true_percentile"]
    }
    skill = {r["nflId"]: float(r["skill"]) for r in _read(league / "truth" / "passers.csv")}
    by_passer = defaultdict(list)
    for r in _read(out / "plays.csv"):
        if (r["gameId"], r["playId"]) in true_pct:
            by_passer[r["passer_id"]].append(true_pct[r["gameId"], r["playId"]])
    season = [r for r in _read(out / "leaderboard.csv") if r["split"] == "season"]
    ranked = [r["passer_id"] for r in season if r["rank"]]
    ids = ranked if len(ranked) >= 5 else [r["passer_id"] for r in season]
    expected = stats.spearmanr(
        [np.mean(by_passer[i]) for i in ids], [skill[i] for i in ids]
    ).statistic
    m = json.loads((out / "metrics.json").read_text())["truth"]["passer_level"]
    assert m["n_passers"] == len(ids) >= 5
    assert m["spearman_skill"][ORACLE] == pytest.approx(expected, abs=1e-12)
    assert ORACLE in (out / "report.html").read_text()
    print(summary_text(json.loads((out / "metrics.json").read_text()), out))
    assert f"ceiling {ORACLE} {expected:.2f}" in capsys.readouterr().out


def test_passer_mean_against_a_loop():
    rng = np.random.default_rng(1)
    ids, vals = rng.integers(0, 7, 60) * 11, rng.uniform(size=60)
    want = [5 * 11, 99, 0]  # 99 never passes: NaN
    got = mean_by(ids, vals, np.asarray(want))
    assert got[0] == pytest.approx(vals[ids == 55].mean(), abs=1e-12)
    assert np.isnan(got[1]) and got[2] == pytest.approx(vals[ids == 0].mean(), abs=1e-12)


def test_mismatched_store_is_refused_naming_both_sides(evaluated, tmp_path, capsys):
    _, workdir, _ = evaluated
    write_random_store(tmp_path / "other", n_plays=20)  # 3 static features, not the league's 7
    rc = evaluate.main(
        [
            "--workdir",
            str(workdir),
            "--data",
            str(tmp_path / "other"),
            "--out",
            str(tmp_path / "o"),
            "--no-progress",
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "static_names" in err and str(workdir) in err and "other" in err


def test_format_version_and_split_mismatches(evaluated):
    _, workdir, _ = evaluated
    trained = load_trained(workdir)
    store = PlayStore.open(workdir / "store")
    old = dataclasses.replace(trained, store_meta={**trained.store_meta, "format_version": 0})
    with pytest.raises(MismatchError, match="format_version=0.*format_version=1"):
        check_compatible(old, store, workdir="W", data="S")
    other_cfg = dataclasses.replace(
        trained.config, data=dataclasses.replace(trained.config.data, split_seed=7)
    )
    other = dataclasses.replace(trained, config=other_cfg)
    with pytest.raises(MismatchError, match="W2: data.split_seed=7 but W has"):
        check_same_split(trained, other, "W", "W2")


def test_spearman_against_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 6, 40).astype(float), rng.normal(size=40)  # ties in a
    assert spearman(a, b) == pytest.approx(stats.spearmanr(a, b).statistic, abs=1e-12)


FAST = EvalOptions(
    scale=ScoreScale(n_bootstrap=20), use_xgboost=False, progress=False, examples_per_kind=0
)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("kind", ["data directory", "other files", "train workdir", "a file"])
def test_out_is_refused_unless_the_evaluation_owns_it(evaluated, tmp_path, capsys, kind):
    # `--out data/league` used to replace the league's plays.csv; now nothing is touched.
    league, workdir, _ = evaluated
    out = tmp_path / "out"
    if kind == "data directory":
        shutil.copytree(league, out)
    elif kind == "other files":
        out.mkdir()
        (out / "notes.txt").write_text("mine")
    elif kind == "train workdir":
        out = workdir
    else:
        out.write_text("not a directory")
    before = _files(out) if out.is_dir() else out.read_bytes()
    argv = ["--workdir", str(workdir), "--data", str(league), "--out", str(out), "--no-progress"]
    assert evaluate.main(argv) == 2
    err = capsys.readouterr().err
    assert str(out) in err and ("refusing" in err or "not a directory" in err or "`train`" in err)
    assert (_files(out) if out.is_dir() else out.read_bytes()) == before


def test_store_check_without_a_fingerprint_falls_back_to_the_play_count(evaluated):
    _, workdir, _ = evaluated
    trained = load_trained(workdir)
    store = PlayStore.open(workdir / "store")
    assert trained.store_meta["fingerprint"] == store_fingerprint(store)
    assert check_same_store(trained, store, workdir="W", data="S") == StoreCheck(True)
    old_meta = {k: v for k, v in trained.store_meta.items() if k != "fingerprint"}
    old = dataclasses.replace(trained, store_meta=old_meta)
    check = check_same_store(old, store, workdir="W", data="S")
    assert (
        check.same
        and "no store fingerprint" in check.message
        and "number of plays" in check.message
    )
    fewer = dataclasses.replace(old, store_meta={**old_meta, "n_plays": store.n_plays + 1})
    check = check_same_store(fewer, store, workdir="W", data="S")
    assert not check.same and f"{store.n_plays + 1}" in check.message


def test_a_store_other_than_the_training_store_is_scored_but_never_called_held_out(
    evaluated, tmp_path
):
    _, workdir, _ = evaluated
    store = PlayStore.open(workdir / "store")
    first_game = store.plays["gameId"] == store.plays["gameId"][0]
    other = rewrite_store(store, tmp_path / "other", keep_N=np.flatnonzero(~first_game))
    check = check_same_store(load_trained(workdir), other, workdir=workdir, data=other.path)
    assert not check.same and "not the store" in check.message

    out = tmp_path / "out"
    result = run.run(workdir, other.path, out, options=FAST)
    assert result["metrics_scope"] == "all_plays" and "held_out" not in result
    assert result["data"]["n_metric_plays"] == other.n_plays and "n_held_out" not in result["data"]
    assert any("not the store" in w for w in result["warnings"])
    m = json.loads((out / "metrics.json").read_text())
    (summary,) = m["all_plays"].values()
    assert summary["n_plays"] == other.n_plays and "held_out" not in m
    assert "held_out" not in _read(out / "plays.csv")[0]
    html = (out / "report.html").read_text()
    assert "Metrics (all plays)" in html and "held-out" not in html.lower().replace(
        "no play is known to be held out", ""
    )
    text = summary_text(result, out)
    assert text.startswith("WARNING: ") and "metrics on" in text and "held-out" not in text
