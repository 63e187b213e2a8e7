"""Fault injection: damaged inputs of many kinds, kills at random points, two writers, a full disk.

Every case asserts that nothing the user had is lost (files byte-identical, or whole new versions)
and that the message names the culprit (file, step directory, play, feature or directory). The
tiny trained model is the shared one of conftest; processes that are killed or raced are
tests/fault_workers.py.
"""

import csv
import errno
import hashlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import jax
import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import ROOT, load_cli
from fault_workers import checkpoint_meta, checkpoint_state
from store_edits import rewrite_store
from tiny_store import make_tiny_store

from sbp_jax import outdir
from sbp_jax.config import load_config
from sbp_jax.data import FEATURE_NAMES, PlayStore, StoreError
from sbp_jax.evaluate import plots, run, tables
from sbp_jax.evaluate.report import summary_text
from sbp_jax.evaluate.truth import find_truth, read_truth
from sbp_jax.model.checkpoint_reader import (
    CheckpointError,
    CheckpointFallbackWarning,
    read_step,
    restore_newest,
)
from sbp_jax.model.trained import load_trained
from sbp_jax.train.checkpoint import Checkpoints, claim_workdir
from sbp_jax.train.loop import train

evaluate = load_cli("evaluate")
WORKER = str(Path(__file__).with_name("fault_workers.py"))


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """Environment of the worker processes: this tree first on the path, and one persistent JAX
    compilation cache, so that only the first of them compiles the scorer."""
    cache = tmp_path_factory.mktemp("jax_cache")
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "JAX_COMPILATION_CACHE_DIR": str(cache),
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
    }


def worker(env, *args, **kwargs) -> subprocess.CompletedProcess:
    """Run fault_workers.py to its end (text output captured)."""
    cmd = [sys.executable, WORKER, *map(str, args)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, **kwargs)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


# ---- checkpoints: damage to the newest `latest` step (8); step 4 is the intact one before it ----


def _cut(path: Path, keep: float = 0.0) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def _edit_meta(edit):
    def damage(step: Path) -> None:
        meta = json.loads((step / "meta" / "metadata").read_text())
        (step / "meta" / "metadata").write_text(json.dumps(edit(meta)))

    return damage


def _garble(step: Path) -> None:
    """Flip every 97th byte of the second half of every array file."""
    for f in (step / "state" / "ocdbt.process_0" / "d").iterdir():
        data = bytearray(f.read_bytes())
        part = slice(len(data) // 2, None, 97)
        data[part] = bytes(b ^ 0xFF for b in data[part])
        f.write_bytes(bytes(data))


def _state_of_step_4(step: Path) -> None:
    """Whole, readable array files that are not this step's (e.g. a copy mixed from two runs):
    only the parameter hash in the meta can tell."""
    shutil.rmtree(step / "state")
    shutil.copytree(step.parent / "4" / "state", step / "state")


def _nan_norm(meta):
    meta["norm"]["track_mean_F"][2] = float("nan")
    return meta


def _replace_by_file(step: Path) -> None:
    shutil.rmtree(step)
    step.write_text("not a checkpoint")


# damage -> what the warning must name besides the step directory
DAMAGE = {
    "meta empty": (lambda s: _cut(s / "meta" / "metadata"), "JSONDecodeError"),
    "meta cut in half": (lambda s: _cut(s / "meta" / "metadata", 0.5), "JSONDecodeError"),
    "meta garbled": (
        lambda s: (s / "meta" / "metadata").write_bytes(b"\x00\xff{]" * 9),
        "UnicodeDecodeError",
    ),
    "meta missing": (lambda s: (s / "meta" / "metadata").unlink(), "metadata"),
    "meta a list": (lambda s: (s / "meta" / "metadata").write_text("[1, 2]"), "list"),
    "config wrong type": (_edit_meta(lambda m: {**m, "config": "wide"}), "meta.config is str"),
    "norm missing": (_edit_meta(lambda m: {k: v for k, v in m.items() if k != "norm"}), "norm"),
    "norm NaN": (_edit_meta(_nan_norm), f"feature '{FEATURE_NAMES[2]}'"),
    "state missing": (lambda s: shutil.rmtree(s / "state"), "state"),
    "array index cut": (lambda s: _cut(s / "state" / "manifest.ocdbt", 0.1), "manifest"),
    "array data cut": (
        lambda s: [_cut(f, 0.1) for f in (s / "state" / "ocdbt.process_0" / "d").iterdir()],
        "state",
    ),
    "array bytes garbled": (_garble, "state"),
    "another step's arrays": (_state_of_step_4, "do not match the hash"),
    "step is a file": (_replace_by_file, ""),
}


@pytest.fixture
def workdir(tiny_run, tmp_path):
    """A copy of the shared run's checkpoints: latest holds steps 4 and 8, best step 8."""
    _, src = tiny_run
    shutil.copytree(src / "checkpoints", tmp_path / "w" / "checkpoints")
    return tmp_path / "w"


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_newest_step_falls_back_to_the_one_before_naming_it(workdir, damage):
    step8 = workdir / "checkpoints" / "latest" / "8"
    intact, _ = read_step(workdir / "checkpoints" / "latest" / "4")
    apply, culprit = DAMAGE[damage]
    apply(step8)
    with pytest.warns(CheckpointFallbackWarning) as record:
        trained = load_trained(workdir, "latest")
    message = str(record[0].message)
    assert str(step8) in message and culprit in message
    assert trained.step == 4 and trained.path == workdir / "checkpoints" / "latest" / "4"
    want, got = jax.tree.leaves(intact["params"]), jax.tree.leaves(trained.params)
    assert len(got) == len(want) > 0
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_a_damaged_best_falls_back_to_latest_and_all_damaged_names_every_step(workdir):
    ckpts = workdir / "checkpoints"
    _cut(ckpts / "best" / "8" / "meta" / "metadata")
    with pytest.warns(CheckpointFallbackWarning, match="no intact step, so the latest one"):
        assert load_trained(workdir).path == ckpts / "latest" / "8"
    for step in ("latest/8", "latest/4"):
        shutil.rmtree(ckpts / step / "state")
    with pytest.raises(CheckpointError) as err:
        load_trained(workdir)
    for step in ("best/8", "latest/8", "latest/4"):
        assert str(ckpts / step) in str(err.value)


def test_leftovers_of_a_killed_save_and_noise_are_ignored(workdir):
    latest = workdir / "checkpoints" / "latest"
    partial = latest / "12.orbax-checkpoint-tmp-1700000000"  # a save killed before its rename
    shutil.copytree(latest / "8", partial)
    shutil.rmtree(partial / "state")
    _cut(latest / "8" / "_CHECKPOINT_METADATA", 0.3)  # bookkeeping orbax can do without
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning
        trained = load_trained(workdir, "latest")
    assert trained.step == 8 and trained.skipped == ()


def test_no_checkpoint_at_all_names_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "checkpoints" / "best")):
        load_trained(tmp_path)


def test_resume_sets_a_damaged_step_aside_and_can_write_it_again(workdir):
    step8 = workdir / "checkpoints" / "latest" / "8"
    _cut(step8 / "meta" / "metadata", 0.5)
    ckpt = Checkpoints(workdir)
    with pytest.warns(CheckpointFallbackWarning, match=str(step8)):
        state, meta = ckpt.restore("latest")
    assert int(state["step"]) == 4 and meta["step_in_epoch"] == 4
    aside = [p.name for p in step8.parent.iterdir() if p.name.startswith("8.corrupt-")]
    assert len(aside) == 1 and not step8.exists()  # kept for inspection, out of the way
    ckpt.save("latest", 8, checkpoint_state(8), checkpoint_meta(8))
    ckpt.close()
    assert int(restore_newest([step8.parent]).state["step"]) == 8


# ---- checkpoints: a writer killed at a random point, with a reader reading all along ----


@pytest.mark.parametrize("seed", [0, 1])
def test_reader_during_writes_and_a_writer_killed_at_a_random_point(env, tmp_path, seed):
    latest = tmp_path / "checkpoints" / "latest"
    writer = subprocess.Popen(
        [sys.executable, WORKER, "checkpoints", str(tmp_path)], env=env, stdout=subprocess.PIPE
    )
    try:
        assert writer.stdout.readline()  # the first step is written
        reads, deadline = 0, time.monotonic() + np.random.default_rng(seed).uniform(0.5, 1.5)
        while time.monotonic() < deadline or reads < 5:  # each read: a whole, consistent step
            r = restore_newest([latest])
            step = int(r.state["step"])
            assert r.meta["step"] == step and r.path.name == str(step)
            assert np.all(np.asarray(r.state["params"]["w"]) == step)
            reads += 1
        writer.send_signal(signal.SIGKILL)
    finally:
        writer.kill()
        writer.wait()
    r = restore_newest([latest])
    assert np.all(np.asarray(r.state["params"]["w"]) == int(r.state["step"]))
    ckpt = Checkpoints(tmp_path)  # the next run continues where the killed one stopped
    step = ckpt.latest_step() + 1
    ckpt.save("latest", step, checkpoint_state(step), checkpoint_meta(step))
    ckpt.close()
    assert int(restore_newest([latest]).state["step"]) == step


# ---- evaluation inputs ----


def _evaluate(workdir, data, out) -> list[str]:
    return ["--workdir", str(workdir), "--data", str(data), "--out", str(out), "--no-progress"]


@pytest.mark.parametrize(
    "damage, culprit",
    [
        (lambda s: _cut(s / "meta.json", 0.5), "meta.json"),
        (lambda s: (s / "plays.parquet").write_bytes(b"PAR1 garbage"), "plays.parquet"),
        (lambda s: (s / "yards.npy").unlink(), "yards.npy"),
    ],
    ids=["store meta cut", "store table garbled", "store array missing"],
)
def test_a_damaged_store_is_named_and_nothing_is_written(
    tiny_run, tmp_path, capsys, damage, culprit
):
    _, workdir = tiny_run
    shutil.copytree(workdir / "store", tmp_path / "store")
    damage(tmp_path / "store")
    assert evaluate.main(_evaluate(workdir, tmp_path / "store", tmp_path / "out")) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "store") in err and culprit in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [outdir.MARKER, outdir.LOCK]


def test_nan_yards_are_an_error_naming_the_play_not_nan_scores(env, tiny_run, tmp_path):
    _, workdir = tiny_run
    store = PlayStore.open(workdir / "store")
    yards = store.yards.copy()
    yards[7] = np.nan
    rewrite_store(store, tmp_path / "nan_store", yards_N=yards)
    done = worker(env, "evaluate", workdir, tmp_path / "nan_store", tmp_path / "out", 0)
    assert done.returncode == 2, done.stderr[-2000:]
    err = done.stderr
    game, play = store.plays["gameId"][7], store.plays["playId"][7]
    assert f"(gameId={game}, playId={play}" in err and "percentile" in err
    assert not (tmp_path / "out" / "metrics.json").exists()


@pytest.mark.parametrize("where", ["static", "tracking"])
def test_non_finite_values_are_refused_naming_store_and_feature(tmp_path, where):
    """The writer refuses them; a store whose arrays were altered on disk after writing (its meta
    still finite) is refused by training, which recomputes the statistics on its own split."""
    store = make_tiny_store(tmp_path / "store", max_len=16)
    static, tracking = store.static.copy(), np.asarray(store.tracking).copy()
    if where == "static":
        static[:, 1] = np.inf  # "b"
        feature = "'b'"
    else:
        tracking[:, 0, 3] = np.nan
        feature = repr(FEATURE_NAMES[3])
    bad = tmp_path / "bad"
    expected = f"store {bad}.*{where} feature {feature}"
    with pytest.raises(StoreError, match=expected):
        rewrite_store(store, bad, static_NxS=static, tracking_RxPxF=tracking)
    assert not bad.exists()

    rewrite_store(store, bad)
    name, values = ("static", static) if where == "static" else ("tracking", tracking)
    on_disk = np.load(bad / f"{name}.npy", mmap_mode="r+")
    on_disk[:] = values
    on_disk.flush()
    del on_disk
    cfg = load_config(ROOT / "configs" / "tiny.toml", ["data.time_multiple=16"])
    with pytest.raises(StoreError, match=expected):
        train(cfg, PlayStore.open(bad), tmp_path / "w", progress=False)


def test_a_damaged_truth_directory_is_named(tiny_run, tmp_path):
    league, _ = tiny_run
    truth = tmp_path / "truth"
    shutil.copytree(league / "truth", truth)
    (truth / "passers.csv").unlink()
    with pytest.raises(FileNotFoundError, match=f"--truth {truth}: missing passers.csv"):
        find_truth(league, truth)
    shutil.copy(league / "truth" / "passers.csv", truth)
    (truth / "plays.csv").write_text("gameId,playId\n1,2\n")
    with pytest.raises(ValueError, match=rf"{truth / 'plays.csv'}: missing columns \['true_per"):
        read_truth(truth)


# passer names (the first six are used: the tiny league has six passers) and team names
HOSTILE = [
    "Cash $\\notacommand$ Money",  # mathtext that matplotlib cannot parse
    "<script>alert(1)</script>",
    '=HYPERLINK("http://x.invalid","click")',
    "Pipe | Name\nwith a newline",
    "\x1b[31mRed\x1b[0m\tTab",
    "+1+cmd|' /C calc'!A0",
]
HOSTILE_TEAMS = ["=1+1", "@SUM(A1:A9)", "-2+3"]


def test_hostile_names_are_inert_in_every_output(env, tiny_run, tmp_path):
    _, workdir = tiny_run
    store = PlayStore.open(workdir / "store")
    ids = np.unique(store.plays["passer_id"])
    assert len(ids) == len(HOSTILE)
    names = dict(zip(ids.tolist(), HOSTILE, strict=True))
    teams = dict(zip(ids.tolist(), HOSTILE_TEAMS, strict=False))
    plays = dict(store.plays)
    plays["passer_name"] = np.asarray([names[p] for p in plays["passer_id"].tolist()], object)
    plays["team"] = np.asarray(
        [teams.get(p, t) for p, t in zip(plays["passer_id"].tolist(), plays["team"], strict=True)],
        object,
    )
    hostile = rewrite_store(store, tmp_path / "store", plays=plays)
    out = tmp_path / "out"
    done = worker(env, "evaluate", workdir, hostile.path, out, 0)
    assert done.returncode == 0, done.stderr[-2000:]  # the plots must not crash
    result = json.loads((out / "metrics.json").read_text())
    assert result["metrics_scope"] == "held_out"  # same plays: names are not part of the check
    for name in ("plays.csv", "leaderboard.csv"):
        with open(out / name, newline="") as f:
            cells = [c for row in csv.reader(f) for c in row]
        for c in cells:
            assert not c.startswith(("=", "+", "@", "\t", "\r")), c
            assert not c.startswith("-") or _is_number(c), c
        texts = {c[1:] if c.startswith("'") else c for c in cells}
        assert set(HOSTILE + HOSTILE_TEAMS) <= texts  # the names themselves survive
    md = (out / "leaderboard.md").read_text()
    assert "<script>" not in md
    for line in md.splitlines():
        if line.startswith("|"):
            assert len(line.replace("\\|", "").split("|")) == 10, line  # 8 columns, no extra
    html_text = (out / "report.html").read_text()
    assert "<script>alert(1)" not in html_text and html_text.count("<script") == 2
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_text
    table = pq.read_table(out / "leaderboard.parquet").to_pydict()
    assert set(HOSTILE) <= set(table["passer_name"])  # typed data: the exact names
    assert "\x1b" not in summary_text(result, out)


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


# ---- output directories: a full disk, concurrent writers, kills ----


@pytest.mark.parametrize("writer", ["csv", "parquet", "json", "png"])
def test_a_full_disk_keeps_the_previous_file_and_names_the_new_one(tmp_path, monkeypatch, writer):
    path = tmp_path / f"out.{writer}"
    path.write_bytes(b"previous version")
    write = {
        "csv": lambda: tables.write_csv(path, {"a": np.arange(3)}),
        "parquet": lambda: tables.write_parquet(path, {"a": np.arange(3)}),
        "json": lambda: tables.write_json(path, {"a": [1.0, float("nan")]}),
        "png": lambda: plots.leaderboard_plot(["a"], np.ones(1) * 70, np.ones(1) * 60, 80, path),
    }[writer]

    def no_space(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(outdir.os, "fsync", no_space)
    with pytest.raises(outdir.OutputDirError, match=f"could not write {path}: No space left"):
        write()
    assert path.read_bytes() == b"previous version"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left behind


def test_too_little_free_space_is_refused_before_any_work(tiny_run, tmp_path, monkeypatch):
    league, workdir = tiny_run
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(outdir.shutil, "disk_usage", lambda p: usage._replace(free=10 * 2**20))
    with pytest.raises(outdir.OutputDirError, match=f"{tmp_path / 'out'}: 10 MiB free.*64 MiB"):
        run.run(workdir, league, tmp_path / "out", options=run.EvalOptions(progress=False))


def test_concurrent_atomic_writes_never_show_a_partial_file(tmp_path):
    path = tmp_path / "report.html"
    texts = [f"<html>{c * 200_000}</html>" for c in "ab"]
    seen, errors = set(), []

    def write(text):
        try:
            for _ in range(30):
                tables.write_text(path, text)
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(e)

    threads = [threading.Thread(target=write, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        if path.exists():
            seen.add(path.read_text())
    for t in threads:
        t.join()
    assert errors == [] and seen <= set(texts)
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_kill_during_writing_then_two_evaluations_race_for_the_directory(
    env, evaluated, tmp_path, capsys
):
    """A run killed at a random write leaves only whole files (old or new) and a manifest that
    matches its files or none; the next run cleans up, and a second one is refused while it
    writes, naming it."""
    _, workdir, previous = evaluated
    out = tmp_path / "out"
    shutil.copytree(previous, out)
    old = _files(out)
    n_files = len([n for n in old if not n.startswith(".") and n != "densities.png"])
    # claim's writability probe (2 fsyncs), then a file and its directory per output file
    kill_at = int(np.random.default_rng(0).integers(3, 2 + 2 * n_files + 1))
    data = workdir / "store"
    killed = worker(env, "evaluate", workdir, data, out, kill_at)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    after_kill = _files(out)

    first = subprocess.Popen(
        [sys.executable, WORKER, "evaluate", str(workdir), str(data), str(out), "0"],
        env=env,
        stderr=subprocess.PIPE,
    )
    holder = _wait_for_lock_holder(out, first)
    # a second writer (this process) while the first holds the directory: refused at once
    assert evaluate.main(_evaluate(workdir, data, out)) == 2
    err = capsys.readouterr().err
    assert first.wait() == 0, first.stderr.read().decode()[-2000:]
    assert str(out) in err and holder in err
    new = _files(out)

    assert not [n for n in new if outdir.is_stale_temporary(out / n) or ".sbp-tmp." in n]
    _assert_manifest_matches(out, new)
    for name, data_bytes in after_kill.items():
        if ".sbp-tmp." in name or name.startswith("."):
            continue  # a temporary of the killed run, or the marker and lock
        assert data_bytes in (old.get(name), new.get(name)) or name in (
            "metrics.json",
            "report.html",
            "manifest.json",
        ), name
        if name.endswith(".json"):
            json.loads(data_bytes, parse_constant=_refuse)  # whole, strict JSON
        if name == "report.html":
            assert data_bytes.endswith(b"</html>\n")
    if "manifest.json" in after_kill:
        _assert_manifest_matches(out, after_kill)


def _wait_for_lock_holder(out: Path, proc: subprocess.Popen) -> str:
    """Wait until `proc` holds `out`'s lock; returns what the lock file says ("pid N on HOST")."""
    lock = out / outdir.LOCK
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the first evaluation ended before it was raced"
        text = lock.read_text().strip() if lock.exists() else ""
        if text.startswith(f"pid {proc.pid} "):
            return text
        time.sleep(0.05)
    raise AssertionError("the first evaluation never took the lock")


def _assert_manifest_matches(out: Path, files: dict[str, bytes]) -> None:
    manifest = json.loads(files["manifest.json"])
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(files[name]).hexdigest() == digest, name


def _refuse(constant):
    raise ValueError(f"non-standard JSON constant {constant}")


def test_stale_temporaries_are_those_whose_writer_is_gone(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], **_TEXT)
    host = outdir._host()
    mine = tmp_path / f".plays.csv.sbp-tmp.{host}.{os.getpid()}.abc.csv"
    gone = tmp_path / f".plays.csv.sbp-tmp.{host}.{dead.stdout.strip()}.abc.csv"
    old_foreign = tmp_path / ".report.html.sbp-tmp.elsewhere.1.xyz.html"
    new_foreign = tmp_path / ".report.html.sbp-tmp.elsewhere.2.xyz.html"
    user_file = tmp_path / ".plays.csv.tmp"  # not one of ours: never touched
    for p in (mine, gone, old_foreign, new_foreign, user_file):
        p.write_text("partial")
    day_ago = time.time() - outdir.FOREIGN_TMP_MAX_AGE_S - 60
    os.utime(old_foreign, (day_ago, day_ago))
    assert sorted(outdir.remove_stale_temporaries(tmp_path)) == sorted([gone, old_foreign])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (mine, new_foreign, user_file)
    )


_TEXT = {"capture_output": True, "text": True, "check": True}


def test_a_claim_in_flight_is_not_a_foreign_file(tmp_path):
    """Another process (here: the parent) is writing the directory's marker when this one claims
    it: its temporary is bookkeeping, not someone else's file."""
    work = tmp_path / "w"
    work.mkdir()
    in_flight = work / f".{outdir.MARKER}{outdir._TMP_TAG}{outdir._host()}.{os.getppid()}.x"
    in_flight.write_text("{}")
    assert claim_workdir(work) == work and outdir.marker_tool(work) == "train"
    assert in_flight.exists()  # its writer runs: not removed as stale
    (work / "notes.txt").write_text("a user's file")
    (work / outdir.MARKER).unlink()
    with pytest.raises(outdir.OutputDirError, match="notes.txt"):
        claim_workdir(work)


def test_an_earlier_versions_evaluation_output_is_adopted_and_nothing_else(evaluated, tmp_path):
    _, _, previous = evaluated
    earlier = tmp_path / "earlier"
    shutil.copytree(previous, earlier)
    for name in (outdir.MARKER, outdir.LOCK, "manifest.json", "plays.parquet"):
        (earlier / name).unlink()
    (earlier / ".plays.csv.tmp").write_text("half")  # that version's fixed temporary name
    assert run.earlier_evaluation(earlier, list(earlier.iterdir()))
    assert outdir.claim(earlier, run.TOOL, adopt=run.earlier_evaluation) == earlier
    assert outdir.marker_tool(earlier) == run.TOOL
    (earlier / outdir.MARKER).unlink()
    (earlier / "games.csv").write_text("gameId\n1\n")  # a file evaluation never writes
    assert not run.earlier_evaluation(earlier, list(earlier.iterdir()))
    (earlier / "games.csv").unlink()
    (earlier / "metrics.json").write_text('{"not": "ours"}')
    assert not run.earlier_evaluation(earlier, list(earlier.iterdir()))


def test_training_refuses_a_workdir_it_did_not_write(tmp_path):
    store = make_tiny_store(tmp_path / "store", max_len=16)
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("years of work")
    cfg = load_config(ROOT / "configs" / "tiny.toml", ["data.time_multiple=16"])
    with pytest.raises(outdir.OutputDirError, match=f"{home} already exists.*thesis.tex"):
        train(cfg, store, home, progress=False)
    assert sorted(p.name for p in home.iterdir()) == ["thesis.tex"]
    # a workdir of a version before markers, with the demo's evaluation in it, is training's
    earlier = tmp_path / "earlier"
    for sub in ("checkpoints/latest", "store", "report"):
        (earlier / sub).mkdir(parents=True)
    (earlier / "metrics.jsonl").write_text("")
    outdir.claim(earlier / "report", "evaluate")
    assert claim_workdir(earlier) == earlier and outdir.marker_tool(earlier) == "train"
