"""The wheel, installed without extras into a clean virtual environment, runs the whole pipeline
from its console scripts: sbp-synth -> sbp-ingest -> sbp-train (the built-in tiny config) ->
sbp-evaluate (plots and XGBoost skipped, each with a one-line note) -> sbp-export.

Dependencies come from the package index or pip's cache; the test is skipped, saying why, only
when they cannot be installed. About 2 minutes, most of it installing jax and its dependencies.
"""

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# what the wheel is built from: the source tree without local environments and outputs
TOP_LEVEL_OUTPUTS = {".git", ".venv", "data", "runs", "build", "dist"}
ANYWHERE = shutil.ignore_patterns("*.egg-info", "__pycache__", ".*_cache")


def ignore(directory: str, names: list[str]) -> set[str]:
    top = TOP_LEVEL_OUTPUTS & set(names) if Path(directory) == ROOT else set()
    return top | ANYWHERE(directory, names)


INSTALL_FAILURES = (
    "No matching distribution",
    "Could not find a version",
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Network is unreachable",
)


def run(cmd, cwd, env, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def ok(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, f"{proc.args}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(bin directory of a fresh venv with the wheel installed, environment to run it in)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(ROOT, src, symlinks=True, ignore=ignore)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    build = [sys.executable, "-m", "pip", "wheel", src, "-w", tmp / "dist", "--no-deps", "-q"]
    # this environment's setuptools if it can build wheels (fast, offline), else an isolated build
    if run([*build, "--no-build-isolation"], tmp, env).returncode != 0:
        skip_if_unreachable(run(build, tmp, env))
    (wheel,) = (tmp / "dist").glob("sbp_jax-*.whl")
    venv.create(tmp / "venv")  # no pip inside: this pip installs into it (--python)
    bin_dir = tmp / "venv" / "bin"
    pip = [sys.executable, "-m", "pip", "--python", bin_dir / "python", "install", "-q"]
    skip_if_unreachable(run([*pip, "--no-compile", wheel], tmp, env, timeout=600))
    return bin_dir, env, tmp


def skip_if_unreachable(proc: subprocess.CompletedProcess) -> None:
    """Skip when pip failed for want of the index (no network, no cache), else check success."""
    if proc.returncode != 0 and any(s in proc.stderr for s in INSTALL_FAILURES):
        pytest.skip(f"the wheel's dependencies cannot be installed here: {proc.stderr[-500:]}")
    ok(proc)


def test_installed_wheel_runs_the_pipeline_without_extras(installed):
    bin_dir, env, tmp = installed
    work = tmp / "work"
    work.mkdir()

    def sbp(command, *args) -> str:
        return ok(run([bin_dir / command, *args, "--quiet"], work, env))

    # installed without extras, and not importing this source tree
    probe = "import importlib.util as u, sbp_jax; print(sbp_jax.__file__); "
    probe += "print([m for m in ('matplotlib', 'xgboost') if u.find_spec(m)])"
    out = ok(run([bin_dir / "python", "-c", probe], work, env)).splitlines()
    assert str(tmp / "venv") in out[0] and out[1] == "[]"
    assert sbp("sbp-train", "--version").startswith("sbp_jax ")

    league = json.loads(
        sbp(
            "sbp-synth",
            "--weeks",
            "2",
            "--teams",
            "6",
            "--dropbacks",
            "16",
            "--seed",
            "0",
            "--out",
            "league",
        )
    )
    assert league["games"] == 6 and (work / "league" / "truth").is_dir()
    assert "plays (bdb2023" in sbp("sbp-ingest", "league", "--out", "store")
    train = sbp(
        "sbp-train",
        "--config",
        "tiny",
        "--data",
        "store",
        "--workdir",
        "w",
        "--set",
        "train.epochs=1",
        "--set",
        "data.time_multiple=64",
    )
    assert train.startswith("done: ") and (work / "w" / "checkpoints" / "best").is_dir()
    truth = ["--truth", "league/truth"]
    report = sbp(
        "sbp-evaluate",
        "--workdir",
        "w",
        "--data",
        "store",
        "--out",
        "eval",
        "--bootstrap",
        "20",
        *truth,
    )
    lines = report.splitlines()
    assert "plots skipped: matplotlib is not installed (pip install 'sbp_jax[plots]')" in lines
    assert any(ln.startswith("XGBoost baseline skipped: xgboost is not") for ln in lines)
    for name in ("plays.csv", "leaderboard.csv", "leaderboard.md", "metrics.json", "report.html"):
        assert (work / "eval" / name).is_file(), name
    assert not list((work / "eval").glob("*.png"))
    metrics = json.loads((work / "eval" / "metrics.json").read_text())
    assert metrics["truth"] is not None and metrics["data"]["n_plays"] > 100
    assert sbp("sbp-export", "--workdir", "w", "--out", "artifact").startswith("exported sbp")
    manifest = json.loads((work / "artifact" / "manifest.json").read_text())
    assert manifest["static_names"] and manifest["model"]["checkpoint"] == "best"
