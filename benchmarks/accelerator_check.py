"""One script for an accelerator machine: the figures issue-level goals are judged by, in < 5 min.

    PYTHONPATH=. python benchmarks/accelerator_check.py --out "$OUT"      # on the GPU machine
    PYTHONPATH=. python benchmarks/accelerator_check.py --out /tmp/acc --small   # CPU smoke run

Runs, at the configs/nfl.toml size on a random 50,000-play store (every play padded to one length,
so each variant compiles once):
1. `bench_train.py`: device-side and end-to-end train step, float32 and bfloat16, host batching vs
   a device-resident store, 1 vs 32 steps per call;
2. `bench_score.py`: a 50,000-play season in one call and single-play latency (jit and AOT);
and writes `accelerator_check.json` and `accelerator_check.md` (one table) under --out. Each part
runs in its own process with a time limit, so one failure still leaves the other's figures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(cmd: list[str], timeout: float) -> tuple[int, str]:
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        code, text = p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired as e:
        code, text = 124, f"timed out after {timeout:.0f} s\n{e.stdout or ''}{e.stderr or ''}"
    print(f"$ {' '.join(cmd)}  ({time.perf_counter() - t0:.0f} s, exit {code})\n{text}", flush=True)
    return code, text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--small", action="store_true", help="tiny sizes, for a CPU smoke run")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    plays, steps, season = ("2048", "4", "2048") if args.small else ("50000", "64", "50000")
    config = "configs/demo.toml" if args.small else "configs/nfl.toml"
    train_cmd = [
        py, str(HERE / "bench_train.py"), "--config", config, "--plays", plays,
        "--steps", steps, "--k", "1", "32" if not args.small else "2",
        "--dtype", "float32", "bfloat16", "--paths", "host", "resident",
        "--set", "data.time_multiple=64", "--json", str(out / "train.json"),
    ]  # fmt: skip
    score_cmd = [
        py, str(HERE / "bench_score.py"), "--config", config, "--plays", season,
        "--json", str(out / "score.json"),
    ]  # fmt: skip
    codes = {"train": run(train_cmd, 200)[0], "score": run(score_cmd, 80)[0]}
    result = {"exit_codes": codes}
    for name in ("train", "score"):
        path = out / f"{name}.json"
        result[name] = json.loads(path.read_text()) if path.is_file() else None
    (out / "accelerator_check.json").write_text(json.dumps(result, indent=2))
    lines = ["| figure | value |", "|---|---|"]
    if result["train"]:
        info = result["train"]["info"]
        lines.append(f"| platform | {info['platform']} x {info['devices']}, jax {info['jax']} |")
        for name, r in result["train"]["results"].items():
            lines.append(
                f"| train {name}: device / end-to-end plays/s | {r['device_plays_per_s']:,.0f} / "
                f"{r['end_to_end_plays_per_s']:,.0f} |"
            )
    if result["score"]:
        s = result["score"]
        lines.append(f"| season scoring, plays/s | {s['season_plays_per_s']:,.0f} |")
        lines.append(
            f"| single play p50 jit / AOT, ms | {s['single_jit_p50_ms']:.3f} / "
            f"{s['single_aot_p50_ms']:.3f} |"
        )
    (out / "accelerator_check.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if all(c == 0 for c in codes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
