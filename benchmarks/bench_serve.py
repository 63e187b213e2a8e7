"""Load test of the scoring service: requests/s and p50/p99 latency with 1 and 8 clients.

    python benchmarks/bench_serve.py [--artifact DIR] [--config configs/demo.toml]
                                     [--requests 200] [--seconds 20] [--clients 1,8]

Starts `sbp-serve` (as `python -m sbp_jax.cli.serve`) in a subprocess on a free loopback port and
sends `POST /score/arrays` requests: random plays shaped like the play store's (raw features of 22
slots, 20-60 frames, i.e. 2-6 s from snap to release). Without `--artifact` it first exports a
randomly initialized model of the config's size (latency does not depend on the weights). Every
padded length is requested once before timing, so compilation is reported apart. Each client
keeps one connection open; a run stops after `--requests` requests or `--seconds` seconds,
whichever comes first. `/score` with raw rows adds `preprocess_play` on the host, not measured here.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def random_model_artifact(config: Path, num_static: int, out: Path) -> None:
    """Export a randomly initialized model of `config`'s size (unit normalization)."""
    import jax
    import jax.numpy as jnp

    from sbp_jax.config import load_config
    from sbp_jax.data import NormStats, input_feature_names
    from sbp_jax.model import PassModel
    from sbp_jax.model.trained import TrainedModel
    from sbp_jax.serve.export import export_trained

    cfg = load_config(config)
    model = PassModel(cfg.model)
    names = input_feature_names(cfg.data.relational_features)
    params = model.init(
        jax.random.key(0),
        jnp.zeros((1, 8, 22, len(names))),
        jnp.ones((1, 22)),
        jnp.ones((1,), jnp.int32),
        jnp.zeros((1, num_static)),
    )["params"]
    norm = NormStats(np.zeros(8), np.ones(8), np.zeros(num_static), np.ones(num_static))
    meta = {"static_names": [f"s{i}" for i in range(num_static)], "input_names": list(names)}
    export_trained(TrainedModel(cfg, model, params, norm, meta, 0, None), out, platforms=("cpu",))


def random_plays(n: int, num_static: int, seed: int = 0) -> list[bytes]:
    """Request bodies of n random plays (the store's raw arrays as JSON)."""
    rng = np.random.default_rng(seed)
    bodies = []
    for length in rng.integers(20, 61, n):
        play = {
            "tracking": rng.normal(20.0, 10.0, (int(length), 22, 8)).round(2).tolist(),
            "presence": [1] * 22,
            "length": int(length),
            "static": rng.normal(size=num_static).round(3).tolist(),
            "yards": float(rng.integers(-5, 40)),
        }
        bodies.append(json.dumps(play).encode())
    return bodies


class Client:
    """One keep-alive connection posting bodies and timing each answer."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def post(self, body: bytes) -> float:
        t0 = time.perf_counter()
        self.conn.request(
            "POST", "/score/arrays", body=body, headers={"Content-Type": "application/json"}
        )
        resp = self.conn.getresponse()
        text = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"status {resp.status}: {text[:200]!r}")
        return time.perf_counter() - t0


def load(port: int, bodies: list[bytes], clients: int, max_requests: int, seconds: float):
    """(requests/s, latencies in s) of `clients` concurrent clients."""
    latencies: list[float] = []
    lock = threading.Lock()
    sent = [0]
    deadline = time.perf_counter() + seconds

    def worker(k: int) -> None:
        client = Client(port)
        while time.perf_counter() < deadline:
            with lock:
                if sent[0] >= max_requests:
                    break
                i = sent[0]
                sent[0] += 1
            dt = client.post(bodies[(i + k) % len(bodies)])
            with lock:
                latencies.append(dt)
        client.conn.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies) / (time.perf_counter() - t0), np.asarray(latencies)


def start_server(artifact: Path) -> tuple[subprocess.Popen, int]:
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    cmd = [sys.executable, "-m", "sbp_jax.cli.serve", "--artifact", str(artifact), "--port", "0"]
    proc = subprocess.Popen([*cmd, "--quiet"], stdout=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()
    if "http://127.0.0.1:" not in line:
        proc.kill()
        raise SystemExit(f"sbp-serve did not start: {line!r}")
    return proc, int(line.split("http://127.0.0.1:")[1].split()[0])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--artifact", type=Path, help="artifact to serve (default: a random model)")
    p.add_argument("--config", type=Path, default=ROOT / "configs" / "demo.toml")
    p.add_argument("--static", type=int, default=7, help="static features of the random model")
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--clients", default="1,8")
    args = p.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        artifact = args.artifact
        if artifact is None:
            artifact = Path(tmp) / "artifact"
            random_model_artifact(args.config, args.static, artifact)
        manifest = json.loads((artifact / "manifest.json").read_text())
        num_static = len(manifest["static_names"])
        bodies = random_plays(64, num_static)
        proc, port = start_server(artifact)
        try:
            print(
                f"# {datetime.date.today()} {platform.machine()} {os.cpu_count()} CPUs, "
                f"load average {os.getloadavg()[0]:.1f}, python {platform.python_version()}"
            )
            print(
                f"# artifact: {'random ' + args.config.name if args.artifact is None else artifact}"
                f", {len(manifest['params'])} parameter arrays, body ~{len(bodies[0]) // 1024} KiB"
            )
            t0 = time.perf_counter()
            warm = Client(port)
            multiple = manifest["time_multiple"]
            seen = set()
            for body in bodies:  # one request per padded length: compile before timing
                t = -(-json.loads(body)["length"] // multiple)
                if t not in seen:
                    seen.add(t)
                    warm.post(body)
            print(
                f"warm-up: {len(seen)} padded lengths compiled in {time.perf_counter() - t0:.1f} s"
            )
            for clients in (int(c) for c in args.clients.split(",")):
                rps, lat = load(port, bodies, clients, args.requests, args.seconds)
                p50, p99 = np.percentile(lat, [50, 99]) * 1e3
                print(
                    f"{clients:2d} client(s): {len(lat):4d} requests, {rps:7.1f} requests/s, "
                    f"p50 {p50:6.1f} ms, p99 {p99:6.1f} ms"
                )
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
