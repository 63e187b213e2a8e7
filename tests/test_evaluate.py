"""End to end (the one slow-ish test module): tiny league -> tiny trained model -> evaluate.py.

Checks the files, their columns and their consistency with each other, and that a checkpoint and a
store that do not belong together are refused with both sides named.
"""

import csv
import dataclasses
import importlib.util
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from store_fixtures import write_random_store

from sbp_jax.config import load_config
from sbp_jax.data import PlayStore
from sbp_jax.data.ingest import ingest
from sbp_jax.evaluate.metrics import mean_by, spearman
from sbp_jax.evaluate.report import summary_text
from sbp_jax.evaluate.truth import ORACLE
from sbp_jax.model.trained import MismatchError, check_compatible, check_same_split, load_trained
from sbp_jax.synth import generate_league
from sbp_jax.train.loop import train

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("evaluate_cli", ROOT / "evaluate.py")
evaluate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(evaluate)
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


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    league = root / "league"
    generate_league(league, weeks=2, seed=0, n_teams=6, dropbacks_per_team_game=16)
    workdir = root / "run"
    cfg = load_config(ROOT / "configs" / "tiny.toml", ["train.epochs=1"])
    store = ingest(league, workdir / "store")  # where train.py would ingest a CSV directory
    train(cfg, store, workdir, progress=False)
    out = root / "eval"
    rc = evaluate.main(
        [
            "--workdir",
            str(workdir),
            "--data",
            str(league),
            "--out",
            str(out),
            "--bootstrap",
            "50",
            "--no-progress",
        ]
    )
    assert rc == 0
    return league, workdir, out


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
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no temp files left
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
    assert "<img src='leaderboard.png'" in html and "Held-out metrics" in html


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
