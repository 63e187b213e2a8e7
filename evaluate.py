"""Score a season and report: python evaluate.py --workdir W --data STORE_OR_CSV_DIR --out DIR.

Thin command line over `sbp_jax.evaluate.run`; see docs/passing_score.md for the score.
"""

from __future__ import annotations

import argparse
import sys

from sbp_jax.data import StoreError
from sbp_jax.evaluate.passing_score import ScoreScale


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workdir", required=True, help="training workdir (checkpoints/)")
    p.add_argument("--data", required=True, help="play store, or the directory of BDB CSVs")
    p.add_argument("--out", required=True, help="output directory (created)")
    p.add_argument(
        "--compare",
        nargs="*",
        default=[],
        metavar="W",
        help="workdirs of baseline heads trained on the same data and split",
    )
    p.add_argument("--truth", help="ground-truth directory (default: truth/ next to --data)")
    p.add_argument("--checkpoint", default="best", choices=("best", "latest"))
    p.add_argument(
        "--prior-attempts",
        type=float,
        default=ScoreScale.prior_attempts,
        help="shrinkage strength of the 50-99 score, in attempts",
    )
    p.add_argument(
        "--bootstrap",
        type=int,
        default=ScoreScale.n_bootstrap,
        help="bootstrap replicates for the score intervals",
    )
    p.add_argument("--no-xgboost", action="store_true", help="skip the XGBoost point baseline")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # after argument parsing: --help stays fast
    from sbp_jax.evaluate import report
    from sbp_jax.evaluate import run as evaluation

    options = evaluation.EvalOptions(
        which=args.checkpoint,
        scale=ScoreScale(prior_attempts=args.prior_attempts, n_bootstrap=args.bootstrap),
        use_xgboost=not args.no_xgboost,
        progress=not args.no_progress,
    )
    try:
        result = evaluation.run(
            args.workdir,
            args.data,
            args.out,
            compare=args.compare,
            truth=args.truth,
            options=options,
        )
    except (StoreError, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(report.summary_text(result, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
