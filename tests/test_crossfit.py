"""Out-of-fold evaluation end to end on the tiny league: K = 3 fold models, every play scored by
the one model that did not see its game (checked against the fold splits and by scoring plays
again), recalibrated on validation games; a single model's leaderboards use its held-out games
only; compared workdirs must hold out the same games."""

import csv
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from sbp_jax.config import load_config
from sbp_jax.data import PlayStore
from sbp_jax.data.splits import config_split, fold_split
from sbp_jax.evaluate import calibration, crossfit, run, scoring
from sbp_jax.evaluate.passing_score import ScoreScale
from sbp_jax.evaluate.report import summary_text
from sbp_jax.model.trained import MismatchError, load_trained
from sbp_jax.train.folds import train_folds

ROOT = Path(__file__).resolve().parents[1]
K = 3
FAST = run.EvalOptions(
    scale=ScoreScale(n_bootstrap=30), use_xgboost=False, progress=False, examples_per_kind=0
)


def _read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def oof(tiny_run, tmp_path_factory):
    """(league, store, folds workdir, evaluation output) of K fold models of the tiny league."""
    league, single = tiny_run
    store = PlayStore.open(single / "store")
    root = tmp_path_factory.mktemp("oof")
    cfg = load_config(ROOT / "configs" / "tiny.toml", ["train.epochs=1", "data.time_multiple=64"])
    train_folds(cfg, store, root / "w", K, progress=False, say=lambda _: None)
    run.run(root / "w", store.path, root / "eval", truth=league / "truth", options=FAST)
    return league, store, root / "w", root / "eval"


def test_every_play_is_scored_once_by_the_model_that_did_not_see_its_game(oof):
    _, store, w, out = oof
    rows = _read(out / "plays.csv")
    keys = [(int(r["gameId"]), int(r["playId"])) for r in rows]
    assert len(set(keys)) == len(keys) == store.n_plays  # every play, once
    row_of = {
        (g, p): i
        for i, (g, p) in enumerate(zip(store.plays["gameId"], store.plays["playId"], strict=True))
    }
    splits = [config_split(store, load_trained(w / f"fold{f}").config.data) for f in range(K)]
    for r, key in zip(rows, keys, strict=True):
        i, f = row_of[key], int(r["fold"])
        assert i in splits[f]["test"] and r["held_out"] == "1"
        # every other fold model trained or validated on this game
        assert all(i in np.r_[s["train"], s["valid"]] for j, s in enumerate(splits) if j != f)
    # the folds are those of the split function, independently of the models' configs
    for f in range(K):
        want = fold_split(store, folds=K, fold=f, mode="kfold", valid_fraction=0.2, seed=0)
        assert np.array_equal(want["test"], splits[f]["test"])


def test_percentiles_are_the_recalibrated_ones_of_the_fold_model_that_held_the_game_out(oof):
    _, store, w, out = oof
    rows = {(int(r["gameId"]), int(r["playId"])): r for r in _read(out / "plays.csv")}
    maps = json.loads((out / "calibration.json").read_text())["models"]
    (per_fold,) = maps.values()
    test0 = config_split(store, load_trained(w / "fold0").config.data)["test"][:6]
    got = np.asarray(
        [
            float(rows[int(store.plays["gameId"][i]), int(store.plays["playId"][i])]["percentile"])
            for i in test0
        ]
    )
    expected = {}
    for f in (0, 1):
        t = load_trained(w / f"fold{f}")
        g = calibration.Recalibration.from_dict(per_fold[f"fold{f}"])
        s = scoring.score_plays(
            t.model, t.params, store, test0, norm=t.norm, spec=t.inputs, progress=False
        )
        expected[f] = 0.5 * (g(s["pit_low"]) + g(s["pit_high"]))
    np.testing.assert_allclose(got, expected[0], atol=2e-6)
    assert np.max(np.abs(got - expected[1])) > 1e-3  # another fold's model scores differently
    assert per_fold["fold0"]["n_plays"] == len(
        config_split(store, load_trained(w / "fold0").config.data)["valid"]
    )


def test_metrics_report_and_manifest_say_out_of_fold(oof):
    _, store, _, out = oof
    m = json.loads((out / "metrics.json").read_text())
    label = "out-of-fold (K-fold by game)"
    assert m["metrics_scope"] == "out_of_fold" and set(m["modes"].values()) == {label}
    assert m["folds"]["folds"] == K and len(m["model"]["members"]) == K
    assert [x["seed"] for x in m["model"]["members"]] == [0, 1, 2]
    (summary,) = m["out_of_fold"].values()
    assert summary["n_plays"] == m["data"]["n_scored"] == store.n_plays
    assert m["calibration"]["recalibrated"] and m["calibration"]["after"] == m["out_of_fold"]
    assert m["comparison"]["k"] == K and m["comparison"]["spread_reported"]
    assert m["truth_comparison"]["n_plays"] == store.n_plays
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["fold"] == label and len(manifest["models"]) == K
    assert "calibration.json" in manifest["files"]
    html = (out / "report.html").read_text()
    assert f"Leaderboards: {label}" in html and "Metrics (out-of-fold)" in html
    assert label in summary_text(m, out)
    season = [r for r in _read(out / "leaderboard.csv") if r["split"] == "season"]
    by_passer = {}
    for r in _read(out / "plays.csv"):
        by_passer.setdefault(r["passer_id"], []).append(float(r["percentile"]))
    for r in season:
        assert float(r["mean_percentile"]) == pytest.approx(
            np.mean(by_passer[r["passer_id"]]), abs=2e-6
        )


def test_a_single_models_leaderboards_use_its_held_out_games_and_compare_itself_unflagged(
    tiny_run, tmp_path
):
    league, single = tiny_run
    own = dataclasses.replace(FAST, recalibrate=False)  # --no-recalibrate: the models' own scores
    result = run.run(single, league, tmp_path / "o", compare=[single], options=own)
    store = PlayStore.open(single / "store")
    test = config_split(store, load_trained(single).config.data)["test"]
    rows = _read(tmp_path / "o" / "plays.csv")
    assert len(rows) == result["data"]["n_scored"] == len(test) < store.n_plays
    assert {r["held_out"] for r in rows} == {"1"} and "fold" not in rows[0]
    assert result["modes"]["leaderboards"] == "held-out games only"
    main, twin = result["comparison"]["models"]
    assert twin == f"{main} #2"
    for row in result["comparison"]["models"][twin].values():  # one model: no spread, no verdict
        assert row["differs"] is None and row["diff_mean"] is None
    assert result["held_out"][main] == result["held_out"][twin]
    calib = result["calibration"]
    assert not calib["recalibrated"] and calib["before"] == calib["after"]
    maps = json.loads((tmp_path / "o" / "calibration.json").read_text())["models"]
    assert all(m["identity"] for per in maps.values() for m in per.values())


def test_compared_workdirs_must_hold_out_the_same_games(oof, tiny_run):
    _, _, w, _ = oof
    notes = []
    folds = crossfit.load_set(w, "best", notes)
    single = crossfit.load_set(tiny_run[1], "best", notes)
    crossfit.check_same_folds(folds, folds)
    for key, value in (("folds", 5), ("fold_mode", "walk_forward"), ("split_seed", 9)):
        other = dataclasses.replace(folds, folds={**folds.folds, key: value})
        with pytest.raises(MismatchError, match=f"data.{key}={value!r} but"):
            crossfit.check_same_folds(folds, other)
    with pytest.raises(MismatchError, match="data.folds=0 but"):
        crossfit.check_same_folds(folds, single)


def test_walk_forward_scores_no_play_of_the_first_block(tiny_run):
    _, single = tiny_run
    store = PlayStore.open(single / "store")
    base = load_trained(single)
    data = dataclasses.replace(
        base.config.data, folds=2, fold=1, fold_mode="walk_forward", valid_fraction=0.3
    )
    t = dataclasses.replace(base, config=dataclasses.replace(base.config, data=data))
    member = crossfit.Member("fold1", single, t, 1, config_split(store, data))
    folds = {"folds": 2, "fold_mode": "walk_forward", "split_seed": 0}
    (rows,) = crossfit.plan(
        crossfit.ModelSet("wf", single, (member,), folds), store, "walk_forward"
    )
    week = np.asarray(store.plays["week"])  # 2 weeks: block 0 is week 1, block 1 week 2
    assert set(week[rows].tolist()) == {2} and np.sum(week == 2) == len(rows)
    learned = np.r_[member.splits["train"], member.splits["valid"]]
    assert set(week[learned].tolist()) == {1}
    assert crossfit.MODES["walk_forward"] == "walk-forward"


def test_in_sample_is_refused_for_a_folds_workdir(oof, tmp_path):
    _, store, w, _ = oof
    in_sample = dataclasses.replace(FAST, in_sample=True)
    with pytest.raises(ValueError, match="--in-sample: .* holds fold models"):
        run.run(w, store.path, tmp_path / "o", options=in_sample)
