"""Test-wide JAX setup (four CPU devices so pmap code runs without accelerators) and the one tiny
trained model that the evaluation, fault and report tests share."""

import importlib.util
from pathlib import Path

import jax
import pytest

# Must happen before the backend starts (i.e. before any array is created).
jax.config.update("jax_num_cpu_devices", 4)
jax.config.update("jax_platforms", "cpu")

ROOT = Path(__file__).resolve().parents[1]


def load_cli(name: str):
    """A command-line script of the repository root (train.py, evaluate.py) as a module."""
    spec = importlib.util.spec_from_file_location(f"{name}_cli", ROOT / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """(league, workdir): a tiny synthetic league (with truth/) and a model trained on it for one
    epoch of 8 steps, with a mid-epoch checkpoint, so `latest` holds two steps (4 and 8)."""
    from sbp_jax.config import load_config
    from sbp_jax.data.ingest import ingest
    from sbp_jax.synth import generate_league
    from sbp_jax.train.loop import train

    root = tmp_path_factory.mktemp("e2e")
    league = root / "league"
    generate_league(league, weeks=2, seed=0, n_teams=6, dropbacks_per_team_game=16)
    workdir = root / "run"
    cfg = load_config(
        ROOT / "configs" / "tiny.toml", ["train.epochs=1", "train.checkpoint_every=4"]
    )
    store = ingest(league, workdir / "store", progress=False)  # where train.py would ingest CSVs
    train(cfg, store, workdir, progress=False)
    return league, workdir


@pytest.fixture(scope="session")
def evaluated(tiny_run, tmp_path_factory):
    """(league, workdir, out): `evaluate.py --in-sample` run on the tiny model into `out` (every
    play scored; read-only for tests: copy it before changing anything)."""
    league, workdir = tiny_run
    out = tmp_path_factory.mktemp("eval") / "eval"
    argv = ["--workdir", str(workdir), "--data", str(league), "--out", str(out), "--in-sample"]
    assert load_cli("evaluate").main([*argv, "--bootstrap", "50", "--no-progress"]) == 0
    return league, workdir, out
