"""The whole story in one command (`make demo` = `python -m sbp_jax.demo`).

1. generate a synthetic league (`--world`, `--weeks`) into data/demo_league (reused if present);
2. ingest it into the play store data/demo_store (reused if present);
3. train `--folds` K fold models of the SBP head (configs/demo.toml) into runs/demo: every game is
   held out by exactly one of them (resumes, or returns at once when already trained);
4. train the Gaussian and binned heads with the same config, folds and budget (only the head
   differs) into runs/demo_gaussian and runs/demo_binned, unless `--no-baselines`;
5. evaluate out of fold with those as --compare and the generator's truth, into runs/demo/eval:
   every play is scored by the model that did not see its game, recalibrated on that model's
   validation games, and the heads are compared fold by fold;
6. print the out-of-fold leaderboard, the comparison, the stage timings and the report path.

JAX's compiled programs are kept in runs/jax_cache (JAX_COMPILATION_CACHE_DIR, unless set), so a
rerun skips most compilation.

Training and evaluation run as subprocesses of the same command-line tools a user runs, so the demo
shows exactly what `train.py` and `evaluate.py` print.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Baseline heads of the same network and bins (the histogram censors yards beyond its range into
# its edge bins, see sbp_jax.model.likelihood.nll).
BASELINE_HEADS = ("gaussian", "binned")


def league_weeks(league: Path) -> int:
    """Number of weeks of a generated league, from its games.csv."""
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    return int(pc.max(pacsv.read_csv(league / "games.csv")["week"]).as_py())


def league_world(league: Path) -> str | None:
    """The preset world a league was generated in (truth/world.json), None if not recorded."""
    try:
        return str(json.loads((league / "truth" / "world.json").read_text())["name"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


class Stages:
    """Prints each stage's title with the time so far, and records how long each took."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.timings: dict[str, float] = {}
        self._open: tuple[str, float] | None = None

    def begin(self, key: str, title: str) -> None:
        self.end()
        print(f"\n=== {title}  (t = {time.perf_counter() - self.start:.0f} s) ===", flush=True)
        self._open = (key, time.perf_counter())

    def end(self) -> None:
        if self._open is not None:
            key, t = self._open
            self.timings[key] = time.perf_counter() - t
            print(f"[{key}: {self.timings[key]:.0f} s]", flush=True)
            self._open = None


# JAX's persistent compilation cache for the demo's commands (unless the caller set one): a rerun,
# in another world or with another budget, reuses the ~40 s of compilation per training process.
COMPILATION_CACHE = ROOT / "runs" / "jax_cache"


def run(cmd: list[str]) -> None:
    print("$ " + " ".join(cmd), flush=True)
    env = {"JAX_COMPILATION_CACHE_DIR": str(COMPILATION_CACHE), **os.environ}
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)


def main(argv: list[str] | None = None) -> int:
    try:
        return demo(argv)
    except subprocess.CalledProcessError as e:
        print(
            f"\ndemo stopped: `{' '.join(map(str, e.cmd[1:]))}` exited with {e.returncode} "
            "(its error is printed above)",
            file=sys.stderr,
        )
        return e.returncode


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--weeks", type=int, default=14, help="weeks of the synthetic league")
    p.add_argument("--world", default="default", help="a synthetic preset world (sbp-synth)")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic league")
    p.add_argument("--folds", type=int, default=3, help="fold models per head (K-fold by game)")
    p.add_argument("--league", default="data/demo_league")
    p.add_argument("--store", default="data/demo_store")
    p.add_argument("--workdir", default="runs/demo", help="the SBP head's folds workdir")
    p.add_argument("--config", default="configs/demo.toml")
    p.add_argument("--no-baselines", action="store_true", help="skip the Gaussian and binned heads")
    return p.parse_args(argv)


def ensure_league(args: argparse.Namespace) -> Path:
    """The league of `--world` and `--weeks`, generated unless already there."""
    league = ROOT / args.league
    if not (league / "truth" / "passers.csv").is_file():
        from sbp_jax.synth import generate_league

        summary = generate_league(
            league, weeks=args.weeks, seed=args.seed, world=args.world, workers=os.cpu_count() or 1
        )
        print(summary)
        return league
    weeks, world = league_weeks(league), league_world(league)
    if weeks != args.weeks or world not in (None, args.world):
        raise SystemExit(
            f"{league} holds a {weeks}-week league of world {world!r}, not {args.weeks} weeks of "
            f"{args.world!r}: delete it with {args.store} and {args.workdir}* (make clean), or "
            f"pass --weeks {weeks} --world {world}"
        )
    print(f"reusing {league}")
    return league


def train_cmd(args: argparse.Namespace, store: Path, workdir: str, *extra: str) -> list[str]:
    return [
        sys.executable,
        "train.py",
        "--config",
        args.config,
        "--data",
        str(store),
        "--workdir",
        workdir,
        "--folds",
        str(args.folds),
        *extra,
    ]


def demo(argv: list[str] | None = None) -> int:
    """The stages above; raises CalledProcessError when a required stage fails."""
    args = parse(argv)
    stages = Stages()

    stages.begin("generate", f"1. synthetic league: {args.weeks} weeks of {args.world}")
    league = ensure_league(args)

    stages.begin("ingest", f"2. ingest -> {args.store}")
    store = ROOT / args.store
    if (store / "meta.json").is_file():
        print(f"reusing {store}")
    else:
        run([sys.executable, "-m", "sbp_jax.data", "ingest", str(league), "--out", str(store)])

    stages.begin(
        "train_sbp", f"3. train {args.folds} fold models of {args.config} -> {args.workdir}"
    )
    run(train_cmd(args, store, args.workdir))

    compare = []
    for head in () if args.no_baselines else BASELINE_HEADS:
        workdir = f"{args.workdir}_{head}"
        stages.begin(f"train_{head}", f"4. {head} head, same folds and budget -> {workdir}")
        try:
            run(train_cmd(args, store, workdir, "--set", f"model.head={head}", "--quiet"))
        except subprocess.CalledProcessError as e:  # a baseline must not sink the demo
            print(f"the {head} head failed (exit {e.returncode}); evaluating without it")
            continue
        compare.append(workdir)

    out = f"{args.workdir}/eval"
    stages.begin("evaluate", f"5. evaluate out of fold -> {out}")
    run(
        [
            sys.executable,
            "evaluate.py",
            "--workdir",
            args.workdir,
            "--data",
            str(store),
            "--out",
            out,
            "--truth",
            str(league / "truth"),
            *(["--compare", *compare] if compare else []),
        ]
    )
    stages.end()
    total = time.perf_counter() - stages.start
    print("\nstage timings: " + ", ".join(f"{k} {v:.0f} s" for k, v in stages.timings.items()))
    print(f"total {total:.0f} s; report: {ROOT / out / 'report.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
