"""Fold assignment by game (K-fold and walk-forward), the fold config keys, folds.json, and
training K fold models with resume (`train.py --folds`)."""

import json
import shutil
import types
from pathlib import Path

import jax
import numpy as np
import pytest
from conftest import load_cli
from tiny_store import make_tiny_store

from sbp_jax.config import Config, ConfigError, load_config
from sbp_jax.data.splits import (
    FOLDS_FILE,
    config_split,
    fold_split,
    read_folds_file,
    split_by_game,
)
from sbp_jax.model.trained import load_trained
from sbp_jax.train.checkpoint import claim_workdir
from sbp_jax.train.folds import train_folds

ROOT = Path(__file__).resolve().parents[1]
train_cli = load_cli("train")


def _plays(n_games: int = 37, n_weeks: int = 10, seed: int = 0):
    """A play table (gameId, week) of games of uneven sizes, in no particular order."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(5, 60, n_games)
    game_N = np.repeat(rng.permutation(n_games) * 7 + 2021000000, sizes)
    week_of = {g: 1 + i % n_weeks for i, g in enumerate(np.unique(game_N))}
    order = rng.permutation(len(game_N))
    game_N = game_N[order]
    week_N = np.asarray([week_of[g] for g in game_N])
    return types.SimpleNamespace(plays={"gameId": game_N, "week": week_N}, path="S")


def _games(store, idx):
    return set(np.asarray(store.plays["gameId"])[idx].tolist())


@pytest.mark.parametrize("k", [2, 3, 5])
def test_kfold_every_game_is_tested_once_and_never_seen_by_its_model(k):
    store = _plays()
    all_games = set(store.plays["gameId"].tolist())
    tested = []
    for fold in range(k):
        s = fold_split(store, folds=k, fold=fold, mode="kfold", valid_fraction=0.2, seed=3)
        train, valid, test = (_games(store, s[n]) for n in ("train", "valid", "test"))
        assert not (train & valid) and not (train & test) and not (valid & test)
        assert train | valid | test == all_games  # K-fold: every play in one of the three
        rows = np.concatenate([s["train"], s["valid"], s["test"]])
        assert sorted(rows.tolist()) == list(range(len(store.plays["gameId"])))
        # a game's plays are never split
        assert all(np.isin(store.plays["gameId"][s["test"]], list(test)))
        learn = len(train) + len(valid)
        assert len(valid) == max(1, round(0.2 * learn))
        tested.append(test)
    assert sum(len(t) for t in tested) == len(all_games) and set().union(*tested) == all_games


def test_kfold_is_deterministic_seeded_and_balanced_by_plays():
    store = _plays()
    a = fold_split(store, folds=4, fold=1, seed=5)
    b = fold_split(store, folds=4, fold=1, seed=5)
    c = fold_split(store, folds=4, fold=1, seed=6)
    assert all(np.array_equal(a[n], b[n]) for n in a)
    assert not np.array_equal(a["test"], c["test"])
    sizes = [len(fold_split(store, folds=4, fold=f, seed=5)["test"]) for f in range(4)]
    _, per_game = np.unique(store.plays["gameId"], return_counts=True)
    # dealing the largest games first to the emptiest fold: folds differ by at most one game
    assert sum(sizes) == len(store.plays["gameId"]) and max(sizes) - min(sizes) <= per_game.max()


def test_walk_forward_tests_a_block_of_weeks_and_learns_from_earlier_weeks_only():
    store = _plays(n_games=40, n_weeks=10)
    week = np.asarray(store.plays["week"])
    blocks = [(1, 2, 3), (4, 5, 6), (7, 8), (9, 10)]  # 10 weeks in 4 consecutive blocks
    for fold in range(1, 4):
        s = fold_split(store, folds=4, fold=fold, mode="walk_forward", valid_fraction=0.25)
        assert set(week[s["test"]].tolist()) == set(blocks[fold])
        first = min(blocks[fold])
        assert week[s["train"]].max() < first and week[s["valid"]].max() < first
        learn = np.concatenate([s["train"], s["valid"]])
        assert set(week[learn].tolist()) == {w for b in blocks[:fold] for w in b}
        later = np.setdiff1d(np.arange(len(week)), np.concatenate([learn, s["test"]]))
        assert np.all(week[later] > max(blocks[fold]))  # later weeks: in no split
    with pytest.raises(ValueError, match="block 0 has no earlier weeks"):
        fold_split(store, folds=4, fold=0, mode="walk_forward")
    with pytest.raises(ValueError, match="needs at least 11 weeks"):
        fold_split(store, folds=11, fold=1, mode="walk_forward")


def test_config_split_without_folds_is_the_old_split():
    store = _plays()
    d = Config().data
    old = split_by_game(store, valid_fraction=0.1, test_fraction=0.1, seed=0)
    assert all(np.array_equal(old[n], config_split(store, d)[n]) for n in old)


@pytest.mark.parametrize(
    "overrides, key",
    [
        (["data.folds=1"], "data.folds"),
        (["data.folds=3", "data.fold=3"], "data.fold"),
        (["data.folds=3", "data.fold=-1"], "data.fold"),
        (["data.folds=3", "data.fold_mode=walk_forward"], "data.fold"),  # fold 0
        (["data.fold_mode=rolling"], "data.fold_mode"),
    ],
)
def test_fold_keys_are_checked(overrides, key):
    with pytest.raises(ConfigError, match=key):
        load_config(None, overrides)


def test_a_damaged_folds_file_is_named(tmp_path):
    (tmp_path / FOLDS_FILE).write_text("{")
    with pytest.raises(ValueError, match=f"{tmp_path / FOLDS_FILE}: unreadable"):
        read_folds_file(tmp_path)
    (tmp_path / FOLDS_FILE).write_text(json.dumps({"format": "sbp_jax-folds-v1", "folds": 3}))
    with pytest.raises(ValueError, match="key 'fold_mode' missing"):
        read_folds_file(tmp_path)
    assert read_folds_file(tmp_path / "elsewhere") is None


@pytest.fixture(scope="module")
def small_store(tmp_path_factory):
    return make_tiny_store(
        tmp_path_factory.mktemp("folds") / "store", n_games=6, plays_per_game=12, max_len=16
    )


def _cfg(*extra):
    overrides = ["train.epochs=1", "data.time_multiple=16", *extra]
    return load_config(ROOT / "configs" / "tiny.toml", overrides)


def test_train_folds_trains_one_seeded_model_per_fold_and_resumes(small_store, tmp_path):
    said = []
    w = tmp_path / "w"
    folds = train_folds(_cfg(), small_store, w, 2, say=said.append)
    on_disk = json.loads((w / FOLDS_FILE).read_text())
    assert on_disk == folds and folds["folds"] == 2 and folds["fold_mode"] == "kfold"
    assert [m["workdir"] for m in folds["models"]] == ["fold0", "fold1"]
    assert all(m["status"] == "done" for m in folds["models"]) and len(said) == 2
    assert "fold 1/2 (data.fold=0)" in said[0] and "fold 2/2 (data.fold=1)" in said[1]
    models = [load_trained(w / f"fold{i}") for i in range(2)]
    assert [t.config.train.seed for t in models] == [0, 1]
    assert [(t.config.data.folds, t.config.data.fold) for t in models] == [(2, 0), (2, 1)]
    test0 = config_split(small_store, models[0].config.data)["test"]
    seen1 = np.concatenate(list(config_split(small_store, models[1].config.data).values()))
    assert np.isin(test0, seen1).all()  # fold 1 learns from (or tests) fold 0's games
    params0 = models[1].params

    # a fold killed before it finished: rerunning skips fold 0 and trains fold 1 again
    on_disk["models"][1]["status"] = "running"
    (w / FOLDS_FILE).write_text(json.dumps(on_disk))
    shutil.rmtree(w / "fold1")
    stamp = (w / "fold0" / "checkpoints").stat().st_mtime_ns
    said.clear()
    train_folds(_cfg(), small_store, w, 2, say=said.append)
    assert "already trained" in said[0] and "seed 1" in said[1]
    assert (w / "fold0" / "checkpoints").stat().st_mtime_ns == stamp
    again = load_trained(w / "fold1").params
    for a, b in zip(jax.tree.leaves(params0), jax.tree.leaves(again), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))  # same seed and data

    with pytest.raises(ConfigError, match="data.folds"):
        train_folds(_cfg(), small_store, w, 3)
    with pytest.raises(ConfigError, match="data.split_seed"):
        train_folds(_cfg("data.split_seed=4"), small_store, w, 2)


def test_train_cli_refuses_mixing_a_folds_workdir_and_a_single_model(small_store, tmp_path, capsys):
    w = claim_workdir(tmp_path / "w")
    (w / FOLDS_FILE).write_text("{}")
    argv = ["--config", "tiny", "--data", str(small_store.path), "--workdir", str(w), "--quiet"]
    assert train_cli.main(argv) == 2
    assert "pass --folds K" in capsys.readouterr().err
    assert not (w / "checkpoints").exists()
    with pytest.raises(SystemExit) as stop:
        train_cli.main([*argv, "--fold-mode", "kfold"])
    assert stop.value.code == 2 and "--fold-mode needs --folds" in capsys.readouterr().err
