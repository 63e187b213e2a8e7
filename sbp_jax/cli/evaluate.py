"""sbp-evaluate: score a season and report, `sbp-evaluate --workdir W --data STORE_OR_CSV_DIR
--out DIR` (also `python evaluate.py ...`); see docs/passing_score.md.

A folds workdir (`train.py --folds K`) is scored out of fold: every play by the fold model that
held its game out. A single model's leaderboards use only its held-out test games, unless
`--in-sample` asks to score every play (its training plays included). Each model is recalibrated
on its own validation games unless `--no-recalibrate`.

Plots need the `plots` extra (matplotlib) and the XGBoost baseline the `xgboost` extra; without
them the evaluation runs and says in one line what it skipped. `--print-config` prints the config
the checkpoint was trained with and exits.
"""

from __future__ import annotations

import sys

from sbp_jax.cli import common, config_help
from sbp_jax.evaluate.passing_score import ScoreScale
from sbp_jax.host_heap import keep_freed_memory


def build_parser() -> common.Parser:
    p = common.parser("sbp-evaluate", __doc__.split("\n\n")[0], epilog=config_help.epilog())
    p.add_argument(
        "--workdir", required=True, help="training workdir (checkpoints/), or a folds workdir"
    )
    p.add_argument("--data", help="play store, or the directory of BDB CSVs")
    p.add_argument("--out", help="output directory (created)")
    p.add_argument(
        "--compare",
        nargs="*",
        default=[],
        metavar="W",
        help="workdirs of other heads trained on the same data and the same folds (K, mode, "
        "split seed) or split",
    )
    p.add_argument(
        "--in-sample",
        action="store_true",
        help="single model: score every play for the leaderboards, its training plays too "
        "(default: its held-out test games only)",
    )
    p.add_argument(
        "--no-recalibrate",
        action="store_true",
        help="report the models' own percentiles (default: recalibrated on validation games)",
    )
    p.add_argument("--truth", help="ground-truth directory (default: truth/ next to --data)")
    p.add_argument(
        "--players",
        metavar="FILE",
        help="an nflverse players export (CSV or Parquet with nfl_id, gsis_id): adds "
        "passer_gsis_id to plays and leaderboard tables",
    )
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
    p.add_argument(
        "--print-config", action="store_true", help="print the checkpoint's config, exit"
    )
    return p


def main(argv: list[str] | None = None) -> int:
    keep_freed_memory()  # first, before any thread starts: see sbp_jax.host_heap
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.print_config and not (args.data and args.out):
        parser.error("--data and --out are required (unless --print-config)")
    # after argument parsing: --help and --version stay fast
    from sbp_jax.evaluate import report
    from sbp_jax.evaluate import run as evaluation
    from sbp_jax.model.trained import load_trained

    if args.print_config:
        from sbp_jax.data.splits import fold_dir, read_folds_file

        def print_config() -> int:
            folds = read_folds_file(args.workdir)  # a folds workdir: its first fold model's
            w = (
                args.workdir
                if folds is None
                else fold_dir(args.workdir, folds["models"][0]["fold"])
            )
            return config_help.print_config(load_trained(w, args.checkpoint).config)

        return common.run(print_config)
    options = evaluation.EvalOptions(
        which=args.checkpoint,
        scale=ScoreScale(prior_attempts=args.prior_attempts, n_bootstrap=args.bootstrap),
        use_xgboost=not args.no_xgboost,
        progress=not args.quiet,
        in_sample=args.in_sample,
        recalibrate=not args.no_recalibrate,
        players=args.players,
    )

    def body() -> int:
        result = evaluation.run(
            args.workdir,
            args.data,
            args.out,
            compare=args.compare,
            truth=args.truth,
            options=options,
        )
        print(report.summary_text(result, args.out))
        if "xgboost (absolute error)" not in result["point_mae"]:  # one line on what was skipped
            hint = "" if args.no_xgboost else " (pip install 'sbp_jax[xgboost]')"
            print(f"XGBoost baseline {result['xgboost']}{hint}")
        return 0

    return common.run(body, interrupted=f"interrupted; outputs in {args.out} may be incomplete")


if __name__ == "__main__":
    sys.exit(main())
