"""Data parallelism: pmapped step == single-device step; two processes over gloo == one process."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest
from tiny_store import make_tiny_store

from sbp_jax import outdir
from sbp_jax.config import load_config
from sbp_jax.data import make_batch, shard
from sbp_jax.model.trained import load_trained
from sbp_jax.train import checkpoint
from sbp_jax.train.loop import train
from sbp_jax.train.parallel import (
    initialize_distributed,
    p_train_step,
    replicate,
    unreplicate,
)
from sbp_jax.train.step import create_train_state, train_step

ROOT = Path(__file__).resolve().parents[1]
CFG = load_config(ROOT / "configs" / "tiny.toml", ["train.grad_clip=0.5"])


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return make_tiny_store(tmp_path_factory.mktemp("par") / "store", n_games=8, max_len=16)


def test_pmapped_step_equals_single_device_step(store):
    n = jax.local_device_count()
    assert n == 4
    # 11 real plays + 5 filler rows: device 2 holds one filler row, device 3 four.
    batches = [make_batch(store, np.arange(s, s + 11), batch_size=16) for s in (0, 40)]
    state = create_train_state(CFG, num_static=3)
    single = jax.jit(train_step)
    ref = state
    rstate = replicate(state)
    for batch in batches:
        ref, ref_m = single(ref, batch)
        rstate, m = p_train_step(rstate, shard(batch, n))
        np.testing.assert_allclose(unreplicate(m["loss"]), ref_m["loss"], rtol=1e-6)
        np.testing.assert_allclose(unreplicate(m["grad_norm"]), ref_m["grad_norm"], rtol=1e-5)
    # every replica holds the same parameters, equal to the single-device ones
    got = jax.tree.map(np.asarray, rstate.params)
    for want, replicas in zip(jax.tree.leaves(ref.params), jax.tree.leaves(got), strict=True):
        for r in replicas:
            np.testing.assert_allclose(r, want, rtol=1e-5, atol=1e-5)
    assert int(unreplicate(rstate.step)) == 2
    # the global mean ignores filler rows: loss equals the mean NLL of the 11 real rows
    assert ref_m["weight"] == 11.0


def test_initialize_distributed_arguments(monkeypatch):
    for var in ("SBP_COORDINATOR", "SBP_NUM_PROCESSES", "SBP_PROCESS_ID"):
        monkeypatch.delenv(var, raising=False)
    assert initialize_distributed() is False  # single process: nothing to do
    with pytest.raises(ValueError, match="coordinator"):
        initialize_distributed(num_processes=2, process_id=1)
    with pytest.raises(ValueError, match="num-processes"):
        initialize_distributed("127.0.0.1:1234")
    with pytest.raises(ValueError, match="process-id 2"):
        initialize_distributed("127.0.0.1:1234", 2, 2)
    monkeypatch.setenv("SBP_NUM_PROCESSES", "3")
    with pytest.raises(ValueError, match="coordinator"):
        initialize_distributed()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Gloo's rendezvous waits 30 s by default for the other process to reach the same collective; on
# a loaded 2-core CI machine one process can compile that much later. Both timeouts are raised,
# and a run that still dies in the rendezvous (not in the arithmetic) is retried once.
_GLOO_FLAGS = "--xla_cpu_collective_timeout_seconds=600"
_RENDEZVOUS_TIMEOUT = ("DEADLINE_EXCEEDED", "GetKeyValue")


def _run_two_workers(store_path, workdir, overrides) -> list[tuple[int, str]]:
    port = _free_port()
    # The workers import sbp_jax from this tree (not whatever checkout is installed editable).
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(ROOT / "tests"), str(ROOT)]),
        XLA_FLAGS=f"{os.environ.get('XLA_FLAGS', '')} {_GLOO_FLAGS}".strip(),
    )
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "tests" / "multiprocess_worker.py"),
                str(port),
                str(pid),
                "2",
                "2",
                str(store_path),
                str(workdir),
                *overrides,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for pid in range(2)
    ]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    return [(p.returncode, out) for p, out in zip(procs, outs, strict=True)]


def test_two_processes_over_gloo_match_one_process(tmp_path):
    # A few plays and one time length: two steps and one compiled shape keep this quick.
    store = make_tiny_store(tmp_path / "store", n_games=5, plays_per_game=10, max_len=16)
    overrides = ["train.epochs=1", "train.checkpoint_every=0", "data.time_multiple=16"]
    workdir = tmp_path / "multi"
    results = _run_two_workers(store.path, workdir, overrides)
    if any(rc != 0 and all(m in out for m in _RENDEZVOUS_TIMEOUT) for rc, out in results):
        workdir = tmp_path / "multi_retry"
        results = _run_two_workers(store.path, workdir, overrides)
    assert all(rc == 0 for rc, _ in results), "\n\n".join(
        f"process {pid} exited {rc}:\n{out[-2500:]}" for pid, (rc, out) in enumerate(results)
    )
    one = train(
        load_config(ROOT / "configs" / "tiny.toml", overrides),
        store,
        tmp_path / "one",
        progress=False,
    )
    multi = load_trained(workdir, which="latest")
    assert multi.step == one["step"] > 0
    for a, b in zip(jax.tree.leaves(multi.params), jax.tree.leaves(one["params"]), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_only_process_0_claims_the_workdir_and_the_others_take_its_verdict(tmp_path, monkeypatch):
    sent = []

    def as_process(index: int, verdict_of_process_0: int | None = None) -> None:
        """Pretend to be process `index` of 2; the broadcast returns process 0's verdict."""
        monkeypatch.setattr(jax, "process_count", lambda: 2)
        monkeypatch.setattr(jax, "process_index", lambda: index)

        def broadcast(x):
            sent.append(int(x))
            return x if index == 0 else np.int32(verdict_of_process_0)

        monkeypatch.setattr(checkpoint.multihost_utils, "broadcast_one_to_all", broadcast)

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("not training's")
    as_process(0)
    with pytest.raises(outdir.OutputDirError, match="not written by"):
        checkpoint.claim_workdir(foreign)
    assert sent == [1]  # the refusal is broadcast before process 0 raises
    as_process(1, verdict_of_process_0=1)
    with pytest.raises(outdir.OutputDirError, match="process 0 refused"):
        checkpoint.claim_workdir(foreign)

    fresh = tmp_path / "fresh"
    as_process(1, verdict_of_process_0=0)
    assert checkpoint.claim_workdir(fresh) == fresh
    assert not fresh.exists()  # process 1 leaves the directory to process 0
    sent.clear()
    as_process(0)
    assert checkpoint.claim_workdir(fresh) == fresh and (fresh / outdir.MARKER).is_file()
    assert sent == [0]
