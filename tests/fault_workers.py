"""Processes that tests/test_faults.py kills or races (run as scripts, not by pytest).

usage:
  fault_workers.py evaluate WORKDIR DATA OUT KILL_AT
      `evaluate.run.run` with quick options, every play scored (in-sample); with KILL_AT > 0
      the process SIGKILLs itself at its KILL_AT-th fsync (every atomic write flushes its
      temporary file, then its directory), i.e. in the middle of writing its outputs. Exit
      status as evaluate.py's (2: refused).
  fault_workers.py checkpoints WORKDIR
      Saves checkpoints 1, 2, 3, ... into WORKDIR/checkpoints/latest as fast as it can until
      killed; step s has every parameter equal to s, so a reader can tell a mixed step.
"""

import os
import signal
import sys

import jax
import numpy as np

PARAMS_SHAPE = (256, 256)


def checkpoint_meta(step: int) -> dict:
    """Meta that passes the reader's checks (the values are not a real run's)."""
    return {
        "epoch": 0,
        "step_in_epoch": step,
        "config": {},
        "norm": {
            "track_mean_F": [0.0],
            "track_std_F": [1.0],
            "static_mean_S": [0.0],
            "static_std_S": [1.0],
        },
        "store_meta": {"feature_names": ["x"], "static_names": ["s"]},
        "step": step,
    }


def checkpoint_state(step: int) -> dict:
    return {
        "step": np.int64(step),
        "params": {"w": np.full(PARAMS_SHAPE, step, np.float32), "b": np.full(8, step, np.int32)},
    }


def write_checkpoints(workdir: str) -> None:
    from sbp_jax.train.checkpoint import Checkpoints

    ckpt = Checkpoints(workdir)
    step = ckpt.latest_step() or 0
    while True:
        step += 1
        ckpt.save("latest", step, checkpoint_state(step), checkpoint_meta(step))
        print(step, flush=True)


def kill_at_fsync(k: int) -> None:
    real = os.fsync
    calls = [0]

    def fsync(fd):
        calls[0] += 1
        if calls[0] == k:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(fd)

    os.fsync = fsync


def evaluate(workdir: str, data: str, out: str, kill_at: str) -> int:
    from sbp_jax.evaluate import run
    from sbp_jax.evaluate.passing_score import ScoreScale

    if int(kill_at) > 0:
        kill_at_fsync(int(kill_at))
    options = run.EvalOptions(
        scale=ScoreScale(n_bootstrap=20),
        use_xgboost=False,
        progress=False,
        examples_per_kind=0,
        in_sample=True,
    )
    try:
        run.run(workdir, data, out, options=options)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


def main() -> int:
    jax.config.update("jax_platforms", "cpu")
    mode, *args = sys.argv[1:]
    if mode == "checkpoints":
        write_checkpoints(*args)
        return 0
    return evaluate(*args)


if __name__ == "__main__":
    sys.exit(main())
