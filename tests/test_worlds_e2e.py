"""End to end on differently built synthetic leagues, in both file layouts: the generator writes
a league (a world the configs were not tuned on; BDB 2023 or BDB 2026 files), ingest reads it with
the targeted receiver, a tiny model trains, and evaluation scores its held-out games against the
truth."""

import json
from pathlib import Path

import numpy as np
import pytest

from sbp_jax.config import load_config
from sbp_jax.data import PlayStore, open_data
from sbp_jax.data.ingest import report_json
from sbp_jax.data.keys import play_key, rows_of
from sbp_jax.evaluate import run as evaluation
from sbp_jax.synth import generate_league
from sbp_jax.train import train

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("world, fmt", [("spread_zone", "bdb2026"), ("power_man", "bdb2023")])
def test_a_league_of_another_world_goes_through_ingest_train_and_evaluate(tmp_path, world, fmt):
    league = tmp_path / "league"
    generate_league(
        league, weeks=2, seed=3, n_teams=6, dropbacks_per_team_game=16, world=world, fmt=fmt
    )
    workdir = tmp_path / "run"
    store = open_data(league, workdir, progress=False)  # what train.py does with a CSV folder
    rep = report_json(store)
    assert rep["release"] == fmt
    truth = np.genfromtxt(league / "truth" / "plays.csv", delimiter=",", names=True)
    # every kept play knows its target: from player_role (2026) or inferred from the flight (2023)
    source = np.asarray(store.plays["target_source"]).astype(str)
    assert set(source) == {"release" if fmt == "bdb2026" else "inferred"}
    row = rows_of(
        play_key(truth["gameId"], truth["playId"]),
        play_key(store.plays["gameId"], store.plays["playId"]),
    )
    known = truth["target_nflId"][row] == store.plays["target_id"]
    assert np.all(row >= 0) and np.mean(known) > 0.97
    assert np.all((store.plays["target_slot"] >= 1) & (store.plays["target_slot"] <= 10))

    cfg = load_config(ROOT / "configs" / "tiny.toml", ["train.epochs=1"])
    summary = train(cfg, store, workdir, progress=False)
    assert summary["step"] > 0
    out = tmp_path / "eval"
    options = evaluation.EvalOptions(
        scale=evaluation.passing_score.ScoreScale(n_bootstrap=20),
        use_xgboost=False,
        progress=False,
    )
    result = evaluation.run(workdir, league, out, options=options)
    assert result["truth"] is not None
    plays = PlayStore.open(workdir / "store").n_plays
    assert result["data"]["n_plays"] == plays
    scored = json.loads((out / "metrics.json").read_text())
    held_out = scored["data"]["n_held_out"]
    assert scored["data"]["n_scored"] == held_out < plays  # only games the model did not see
    pl = scored["truth"]["play_level"]["all"]
    assert pl["n"] == held_out and -1.0 <= pl["pearson"] <= 1.0
