"""One process of the two-process training test (run by tests/test_parallel.py, not by pytest).

usage: multiprocess_worker.py PORT PROCESS_ID NUM_PROCESSES DEVICES STORE WORKDIR [--set k=v ...]
Trains with `sbp_jax.train.train` on CPU devices joined over gloo collectives.
"""

import sys
import time

import jax

T0 = time.perf_counter()


def say(pid: str, what: str) -> None:
    """A timestamped line, so a failed run shows which process lagged where."""
    print(f"process {pid} at {time.perf_counter() - T0:6.1f} s: {what}", flush=True)


def main() -> None:
    port, pid, nproc, ndev, store_path, workdir, *overrides = sys.argv[1:]
    jax.config.update("jax_platforms", "cpu")
    jax.config.update("jax_num_cpu_devices", int(ndev))
    jax.config.update("jax_cpu_collectives_implementation", "gloo")

    from sbp_jax.train.parallel import initialize_distributed

    say(pid, "imported jax")
    initialize_distributed(f"127.0.0.1:{port}", int(nproc), int(pid))
    say(pid, "joined the coordinator")
    assert jax.process_count() == int(nproc) and jax.device_count() == int(nproc) * int(ndev)

    from sbp_jax.config import load_config
    from sbp_jax.data import PlayStore
    from sbp_jax.train.loop import train

    cfg = load_config("configs/tiny.toml", [o for o in overrides if o != "--set"])
    say(pid, "training")
    summary = train(cfg, PlayStore.open(store_path), workdir, progress=False)
    say(pid, f"{summary['step']} steps")
    jax.distributed.shutdown()


if __name__ == "__main__":
    main()
