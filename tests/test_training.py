"""The training loop: learning, exact resume, config checks on resume, non-finite guard, CLI."""

import json
import shutil
from pathlib import Path

import jax
import numpy as np
import pytest
from conftest import load_cli
from tiny_store import make_tiny_store

from sbp_jax.config import ConfigError, load_config
from sbp_jax.data import NormStats, PlayStore, split_by_game
from sbp_jax.model.checkpoint_reader import CheckpointFallbackWarning
from sbp_jax.model.trained import load_trained
from sbp_jax.train import loop as training
from sbp_jax.train.checkpoint import Checkpoints
from sbp_jax.train.loop import should_stop, track_best, train

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "configs" / "tiny.toml"
# One padded length (plays <= 16 frames) so each step function compiles once.
BASE = ["data.time_multiple=16"]


train_cli = load_cli("train")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return make_tiny_store(tmp_path_factory.mktemp("train") / "store", max_len=16)


def _records(workdir: Path) -> list[dict]:
    return [json.loads(line) for line in (workdir / "metrics.jsonl").read_text().splitlines()]


def _assert_same_params(a, b) -> None:
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


class Interrupt(Exception):
    pass


def test_loss_falls_and_workdir_holds_everything(store, tmp_path):
    cfg = load_config(TINY, [*BASE, "train.epochs=4"])
    result = train(cfg, store, tmp_path, progress=False)
    recs = _records(tmp_path)
    steps = [r for r in recs if "event" not in r]
    epochs = [r for r in recs if r.get("event") == "epoch_end"]
    assert [r["step"] for r in steps] == list(range(1, result["step"] + 1))
    assert len(epochs) == 4
    first = np.mean([r["loss"] for r in steps[:3]])
    assert epochs[-1]["train_loss"] < first - 0.3
    assert epochs[-1]["best_valid_nll"] < epochs[0]["valid_nll"]
    assert load_config(tmp_path / "config.toml") == cfg
    # `best` holds the epoch with the lowest validation NLL; `latest` the final state
    best = load_trained(tmp_path)
    assert best.valid_nll == min(r["valid_nll"] for r in epochs)
    latest = load_trained(tmp_path, which="latest")
    assert latest.step == result["step"]
    _assert_same_params(latest.params, result["params"])
    assert latest.config == cfg and latest.store_meta["static_names"] == ["a", "b", "c"]
    want = NormStats.compute(
        store, split_by_game(store, valid_fraction=0.2, test_fraction=0.1)["train"]
    )
    np.testing.assert_array_equal(latest.norm.track_mean_F, want.track_mean_F)
    np.testing.assert_array_equal(latest.norm.static_std_S, want.static_std_S)


RESUMED = [*BASE, "train.epochs=2", "train.checkpoint_every=4"]


@pytest.fixture(scope="module")
def uninterrupted(store, tmp_path_factory):
    """The summary of a run of the RESUMED config that nobody interrupts."""
    cfg = load_config(TINY, RESUMED)
    return train(cfg, store, tmp_path_factory.mktemp("full"), progress=False)


def test_interrupted_and_resumed_run_equals_uninterrupted(store, tmp_path, uninterrupted):
    cfg, full = load_config(TINY, RESUMED), uninterrupted

    def crash(step, _metrics):
        if step == 7:  # after the checkpoint at step 4: steps 5-7 are lost and redone
            raise Interrupt

    with pytest.raises(Interrupt):
        train(cfg, store, tmp_path / "cut", progress=False, on_step=crash)
    assert Checkpoints(tmp_path / "cut").latest_step() == 4
    resumed = train(cfg, store, tmp_path / "cut", progress=False)
    assert resumed["step"] == full["step"]
    _assert_same_params(resumed["params"], full["params"])
    steps = [r["step"] for r in _records(tmp_path / "cut") if "event" not in r]
    assert steps == list(range(1, full["step"] + 1))  # redone steps are not logged twice


def test_resume_past_a_damaged_checkpoint_equals_an_uninterrupted_run(
    store, tmp_path, uninterrupted
):
    cfg, full = load_config(TINY, RESUMED), uninterrupted

    def crash(step, _metrics):
        if step == 9:  # after the checkpoints at steps 4 and 8
            raise Interrupt

    with pytest.raises(Interrupt):
        train(cfg, store, tmp_path / "cut", progress=False, on_step=crash)
    latest = tmp_path / "cut" / "checkpoints" / "latest"
    assert sorted(p.name for p in latest.iterdir()) == ["4", "8"]
    meta = latest / "8" / "meta" / "metadata"
    meta.write_bytes(meta.read_bytes()[:50])  # the disk lost the end of the newest checkpoint
    with pytest.warns(CheckpointFallbackWarning, match=f"{latest / '8'}: JSONDecodeError"):
        resumed = train(cfg, store, tmp_path / "cut", progress=False)
    _assert_same_params(resumed["params"], full["params"])
    assert any(p.name.startswith("8.corrupt-") for p in latest.iterdir())


def test_resume_checks_the_config(store, tmp_path):
    cfg = load_config(TINY, [*BASE, "train.epochs=1"])
    first = train(cfg, store, tmp_path, progress=False)
    with pytest.raises(ConfigError, match="train.learning_rate"):
        train(
            load_config(TINY, [*BASE, "train.epochs=1", "train.learning_rate=0.1"]),
            store,
            tmp_path,
            progress=False,
        )
    # more epochs may be added: training continues where it stopped
    more = train(load_config(TINY, [*BASE, "train.epochs=2"]), store, tmp_path, progress=False)
    assert more["step"] == 2 * first["step"] and more["epochs"] == 2


def test_non_finite_loss_stops_names_the_play_and_keeps_last_good_checkpoint(tmp_path, capsys):
    store = make_tiny_store(tmp_path / "store", max_len=16, nan_play=37)
    workdir = tmp_path / "w"
    code = train_cli.main(
        [
            "--config",
            str(TINY),
            "--data",
            str(store.path),
            "--workdir",
            str(workdir),
            "--no-progress",
            "--set",
            "train.checkpoint_every=1",
            *[f"--set={o}" for o in BASE],
        ]
    )
    assert code == 3
    game, play = store.plays["gameId"][37], store.plays["playId"][37]
    err = capsys.readouterr().err
    assert f"(gameId={game}, playId={play})" in err
    event = _records(workdir)[-1]
    assert event["event"] == "non_finite_loss" and event["plays"] == [[int(game), int(play)]]
    good = load_trained(workdir, which="latest")
    assert good.step == event["step"] - 1
    assert all(np.all(np.isfinite(x)) for x in jax.tree.leaves(good.params))
    kept = f"The last good checkpoint (step {good.step} in {workdir / 'checkpoints' / 'latest'})"
    assert f"{kept} was kept" in err
    # Without mid-epoch checkpoints the same play stops the run before its first checkpoint:
    # the message must not promise one.
    with pytest.raises(training.NonFiniteLossError) as stopped:
        train(
            load_config(TINY, [*BASE, "train.checkpoint_every=0"]),
            store,
            tmp_path / "none",
            progress=False,
        )
    assert stopped.value.step == event["step"] and stopped.value.last_checkpoint is None
    assert "kept" not in str(stopped.value) and "nothing to resume from" in str(stopped.value)
    assert not list((tmp_path / "none" / "checkpoints" / "latest").iterdir())


def test_cli_reports_config_errors(tmp_path, capsys):
    code = train_cli.main(
        [
            "--config",
            str(TINY),
            "--data",
            str(tmp_path),
            "--workdir",
            str(tmp_path / "w"),
            "--set",
            "train.epoch=3",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "train.epoch" in err and "override" in err
    bad = tmp_path / "bad.toml"
    bad.write_text("[model]\nchannels = 'wide'\n")
    assert (
        train_cli.main(
            ["--config", str(bad), "--data", str(tmp_path), "--workdir", str(tmp_path / "w")]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "model.channels" in err and str(bad) in err


def test_cli_ingests_a_csv_directory_trains_and_resumes(tmp_path, capsys):
    from sbp_jax.synth import generate_league

    generate_league(tmp_path / "csv", weeks=2, seed=0, n_teams=4, dropbacks_per_team_game=10)
    workdir = tmp_path / "w"
    argv = [
        "--config",
        str(TINY),
        "--data",
        str(tmp_path / "csv"),
        "--workdir",
        str(workdir),
        "--no-progress",
        "--set",
        "data.time_multiple=64",
        "--set",
        "train.epochs=1",
    ]
    assert train_cli.main(argv) == 0
    assert (workdir / "store" / "meta.json").is_file()
    first = _records(workdir)
    trained = load_trained(workdir)
    assert trained.store_meta["n_plays"] == PlayStore.open(workdir / "store").n_plays
    # Run again: the store is reused, training resumes from the checkpoint and has nothing left.
    assert train_cli.main(argv) == 0
    assert _records(workdir) == first
    assert "done: " in capsys.readouterr().out
    # The same workdir with other CSVs: refused, naming the directory its store came from.
    shutil.copytree(tmp_path / "csv", tmp_path / "other")
    argv[argv.index(str(tmp_path / "csv"))] = str(tmp_path / "other")
    assert train_cli.main(argv) == 2
    assert str(tmp_path / "csv") in capsys.readouterr().err


def test_track_best_and_should_stop():
    assert track_best(None, 0, 3.0) == (3.0, 0, True)
    assert track_best(3.0, 0, 3.0) == (3.0, 1, False)  # equal is no improvement
    assert track_best(3.0, 2, 2.9) == (2.9, 0, True)
    assert track_best(3.0, 1, float("nan")) == (3.0, 2, False)
    assert track_best(None, 0, float("inf")) == (None, 1, False)
    assert should_stop(2, 2) and not should_stop(1, 2) and not should_stop(50, 0)


def test_early_stopping_keeps_the_best_epoch(store, tmp_path, monkeypatch):
    scripted = iter([3.0, 2.5, 2.6, 2.7, 1.0, 1.0])
    monkeypatch.setattr(training, "evaluate", lambda *args, **kwargs: next(scripted))
    cfg = load_config(TINY, [*BASE, "train.epochs=6", "train.patience=2"])
    result = train(cfg, store, tmp_path, progress=False)
    epochs = [r for r in _records(tmp_path) if r.get("event") == "epoch_end"]
    assert [r["valid_nll"] for r in epochs] == [3.0, 2.5, 2.6, 2.7]
    assert result["stopped_early"] and epochs[-1]["stopped_early"]
    assert result["best_valid_nll"] == 2.5
    assert load_trained(tmp_path).step == epochs[1]["step"]
    # a rerun sees the stopped state in the checkpoint and trains no further
    assert train(cfg, store, tmp_path, progress=False)["step"] == result["step"]


def test_crash_between_epoch_end_checkpoints_still_leaves_a_best_checkpoint(
    store, tmp_path, monkeypatch
):
    # A run killed while writing the epoch-end checkpoints must not resume into a state that
    # believes the epoch's best model is saved when it is not.
    cfg = load_config(TINY, [*BASE, "train.epochs=1"])
    save = Checkpoints.save

    def save_or_crash(self, which, *args, **kwargs):
        if which == "best":
            raise Interrupt
        return save(self, which, *args, **kwargs)

    monkeypatch.setattr(Checkpoints, "save", save_or_crash)
    with pytest.raises(Interrupt):
        train(cfg, store, tmp_path, progress=False)
    monkeypatch.setattr(Checkpoints, "save", save)
    result = train(cfg, store, tmp_path, progress=False)
    best = load_trained(tmp_path)
    assert best.step == result["step"]
    assert best.valid_nll == result["best_valid_nll"]


def test_metrics_log_resume_drops_redone_steps_and_a_half_written_last_line(tmp_path):
    path = tmp_path / "metrics.jsonl"
    log = training.MetricsLog(path, enabled=True)
    for step in (10, 20, 30):
        log.write(step=step, loss=float(step))
    with path.open("a") as f:
        f.write('{"step": 40, "lo')  # the process died in the middle of a line
    log.truncate_after(20)
    assert [r["step"] for r in _records(tmp_path)] == [10, 20]
    log.write(step=30, loss=float("nan"))
    assert _records(tmp_path)[-1] == {"step": 30, "loss": None}


def test_many_steps_per_call_follow_the_same_path_as_one(store, tmp_path):
    # Without bucketing, batches and their order do not depend on steps_per_call: scanning 4
    # steps in one call must land where 4 separate calls do (dropout keys follow the step).
    over = [*BASE, "train.epochs=1", "data.bucket_by_length=false", "model.dropout=0.2"]
    one = train(load_config(TINY, over), store, tmp_path / "k1", progress=False)
    four = train(
        load_config(TINY, [*over, "train.steps_per_call=4"]), store, tmp_path / "k4", progress=False
    )
    assert four["step"] == one["step"] == len(_records(tmp_path / "k1")) - 1
    for x, y in zip(jax.tree.leaves(one["params"]), jax.tree.leaves(four["params"]), strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=2e-5, atol=2e-6)
    steps = [r["step"] for r in _records(tmp_path / "k4") if "event" not in r]
    assert steps == list(range(1, four["step"] + 1))  # every step logged, in order


def test_resume_with_steps_per_call_and_dropout_equals_uninterrupted(store, tmp_path):
    over = [*BASE, "train.epochs=2", "train.checkpoint_every=4", "train.steps_per_call=3"]
    cfg = load_config(TINY, [*over, "model.dropout=0.3"])
    full = train(cfg, store, tmp_path / "full", progress=False)

    def crash(step, _metrics):
        if step == 8:  # inside the call of steps 7-9: the checkpoint after step 6 survives
            raise Interrupt

    with pytest.raises(Interrupt):
        train(cfg, store, tmp_path / "cut", progress=False, on_step=crash)
    assert Checkpoints(tmp_path / "cut").latest_step() == 6  # call boundary after crossing 4
    resumed = train(cfg, store, tmp_path / "cut", progress=False)
    _assert_same_params(resumed["params"], full["params"])
    with pytest.raises(ConfigError, match="train.steps_per_call"):
        train(
            load_config(TINY, [*over, "model.dropout=0.3", "train.steps_per_call=2"]),
            store,
            tmp_path / "cut",
            progress=False,
        )


def test_non_finite_step_inside_a_call_is_the_one_named(tmp_path):
    store = make_tiny_store(tmp_path / "store", max_len=16, nan_play=37)
    game, play = store.plays["gameId"][37].item(), store.plays["playId"][37].item()
    errors = {}
    for k in (1, 4):
        over = [
            f"train.steps_per_call={k}",
            "train.checkpoint_every=0",
            "data.bucket_by_length=false",
        ]
        cfg = load_config(TINY, [*BASE, *over])
        with pytest.raises(training.NonFiniteLossError) as e:
            train(cfg, store, tmp_path / f"k{k}", progress=False)
        errors[k] = e.value
        assert e.value.plays == [(game, play)]
    # the same batch order either way: the first bad step is named, not the end of its call
    assert errors[4].step == errors[1].step and errors[4].step % 4 != 0


def test_device_resident_and_host_batches_train_identically(store, tmp_path):
    over = [*BASE, "train.epochs=1", "train.steps_per_call=2"]
    resident = train(
        load_config(TINY, [*over, "data.device_resident=true"]),
        store,
        tmp_path / "d",
        progress=False,
    )
    host = train(
        load_config(TINY, [*over, "data.device_resident=false"]),
        store,
        tmp_path / "h",
        progress=False,
    )
    assert resident["device_resident"] and not host["device_resident"]
    _assert_same_params(resident["params"], host["params"])
