"""The whole story in one command (`make demo` = `python -m sbp_jax.demo`), < 10 min on 2 CPU cores.

1. generate a 17-week synthetic league into data/demo_league (reused if present): a regular
   season of ~18k targeted passes, twice the plays per passer of 8 weeks, so the season ranking
   is less dominated by sampling noise;
2. ingest it into the play store data/demo_store (reused if present);
3. train configs/demo.toml into runs/demo (resumes, or returns at once when already trained);
4. train the Gaussian and binned heads of the same network for fewer epochs (runs/demo_gaussian,
   runs/demo_binned), if the time spent so far leaves room in the budget;
5. evaluate with those as --compare baselines and the generator's truth, into runs/demo/eval;
6. print the top of the season leaderboard and the report path.

Training and evaluation run as subprocesses of the same command-line tools a user runs, so the demo
shows exactly what `train.py` and `evaluate.py` print.
"""

from __future__ import annotations

import argparse
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


def stage(title: str, start: float) -> float:
    print(f"\n=== {title}  (t = {time.perf_counter() - start:.0f} s) ===", flush=True)
    return time.perf_counter()


def run(cmd: list[str]) -> None:
    print("$ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


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


def demo(argv: list[str] | None = None) -> int:
    """The stages above; raises CalledProcessError when a required stage fails."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--weeks", type=int, default=17)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--league", default="data/demo_league")
    p.add_argument("--store", default="data/demo_store")
    p.add_argument("--workdir", default="runs/demo")
    p.add_argument("--config", default="configs/demo.toml")
    p.add_argument("--baseline-epochs", type=int, default=2)
    p.add_argument(
        "--budget-minutes",
        type=float,
        default=10.0,
        help="skip the baseline heads if less than half the budget is left",
    )
    args = p.parse_args(argv)
    start = time.perf_counter()
    python = sys.executable
    timings: dict[str, float] = {}

    t = stage(f"1. synthetic league: {args.weeks} weeks -> {args.league}", start)
    league = ROOT / args.league
    if (league / "truth" / "passers.csv").is_file():
        weeks = league_weeks(league)
        if weeks != args.weeks:
            raise SystemExit(
                f"{league} holds a {weeks}-week league, not {args.weeks}: delete it with "
                f"{args.store} and {args.workdir}* (make clean), or pass --weeks {weeks}"
            )
        print(f"reusing {league}")
    else:
        from sbp_jax.synth import generate_league

        print(generate_league(league, weeks=args.weeks, seed=args.seed))
    timings["generate"] = time.perf_counter() - t

    t = stage(f"2. ingest -> {args.store}", start)
    store = ROOT / args.store
    if (store / "meta.json").is_file():
        print(f"reusing {store}")
    else:
        run([python, "-m", "sbp_jax.data", "ingest", str(league), "--out", str(store)])
    timings["ingest"] = time.perf_counter() - t

    t = stage(f"3. train {args.config} -> {args.workdir}", start)
    run(
        [
            python,
            "train.py",
            "--config",
            args.config,
            "--data",
            str(store),
            "--workdir",
            args.workdir,
        ]
    )
    timings["train"] = time.perf_counter() - t

    compare = []
    for head in BASELINE_HEADS:
        workdir = f"{args.workdir}_{head}"
        elapsed_min = (time.perf_counter() - start) / 60
        if elapsed_min > args.budget_minutes / 2:
            print(
                f"\nskipping the {head} baseline: {elapsed_min:.1f} of "
                f"{args.budget_minutes:g} budget minutes used"
            )
            continue
        t = stage(f"4. baseline head {head} ({args.baseline_epochs} epochs) -> {workdir}", start)
        sets = [f"model.head={head}", f"train.epochs={args.baseline_epochs}"]
        try:
            run(
                [
                    python,
                    "train.py",
                    "--config",
                    args.config,
                    "--data",
                    str(store),
                    "--workdir",
                    workdir,
                    *[a for s in sets for a in ("--set", s)],
                    "--no-progress",
                ]
            )
        except subprocess.CalledProcessError as e:  # a baseline must not sink the demo
            print(f"the {head} baseline failed (exit {e.returncode}); evaluating without it")
            continue
        finally:
            timings[f"train_{head}"] = time.perf_counter() - t
        compare.append(workdir)

    out = f"{args.workdir}/eval"
    t = stage(f"5. evaluate -> {out}", start)
    run(
        [
            python,
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
    timings["evaluate"] = time.perf_counter() - t

    stage("done", start)
    print("stage timings: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    print(f"total {time.perf_counter() - start:.0f} s; report: {ROOT / out / 'report.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
