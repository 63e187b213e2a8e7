"""sbp-train: train a PassModel, `sbp-train --config C --data STORE_OR_CSV_DIR --workdir W`
(also `python train.py ...`). Rerunning the same command resumes; see docs/training.md.

`--config` is a TOML file or a built-in config's name (tiny, demo, nfl); `--set section.key=value`
overrides one key; `--print-config` prints the resolved config and exits. `--folds K` trains K
fold models into W/fold0 ... (out-of-fold scoring, see docs/training.md, "Folds").
"""

from __future__ import annotations

import sys
from pathlib import Path

from sbp_jax.cli import common, config_help
from sbp_jax.config import Config, load_config
from sbp_jax.host_heap import keep_freed_memory


def build_parser() -> common.Parser:
    p = common.parser("sbp-train", __doc__.split("\n\n")[0], epilog=config_help.epilog())
    p.add_argument("--config", required=True, help="TOML config file, or tiny | demo | nfl")
    p.add_argument("--data", help="play store, or a directory of BDB CSVs (ingested once)")
    p.add_argument("--workdir", help="checkpoints, metrics.jsonl, config.toml")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a config value (repeatable)",
    )
    p.add_argument(
        "--folds",
        type=int,
        nargs="?",
        const=5,
        metavar="K",
        help="train K fold models (K-fold by game; default K 5 when given without a number) into "
        "W/fold0 ... W/fold{K-1} and write W/folds.json; rerunning resumes unfinished folds",
    )
    p.add_argument(
        "--fold-mode",
        choices=("kfold", "walk_forward"),
        help="with --folds: kfold (default: data.fold_mode) or walk_forward (weeks in K blocks, "
        "each fold trained on earlier weeks only; block 0 is not scored)",
    )
    p.add_argument("--print-config", action="store_true", help="print the resolved config, exit")
    p.add_argument("--coordinator", help="multi-host: host:port of process 0 (or SBP_COORDINATOR)")
    p.add_argument("--num-processes", type=int, help="multi-host: number of processes")
    p.add_argument("--process-id", type=int, help="multi-host: this process's index")
    return p


def resolved_config(args) -> Config:
    """`--config` (a file or a built-in name) with the `--set` overrides applied."""
    return load_config(config_help.config_path(args.config), args.set)


def main(argv: list[str] | None = None) -> int:
    keep_freed_memory()  # first, before any thread starts: see sbp_jax.host_heap
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.print_config:
        return common.run(lambda: config_help.print_config(resolved_config(args)))
    if not (args.data and args.workdir):
        parser.error("--data and --workdir are required (unless --print-config)")
    if args.fold_mode is not None and args.folds is None:
        parser.error("--fold-mode needs --folds")
    # after argument parsing: --help, --version and --print-config stay fast
    from sbp_jax.config import ConfigError
    from sbp_jax.data import open_data
    from sbp_jax.data.splits import FOLDS_FILE
    from sbp_jax.train import NonFiniteLossError, initialize_distributed, train
    from sbp_jax.train.checkpoint import claim_workdir
    from sbp_jax.train.folds import train_folds

    def body() -> int:
        cfg = resolved_config(args)
        initialize_distributed(args.coordinator, args.num_processes, args.process_id)
        claim_workdir(args.workdir)  # before a CSV folder is ingested into W/store
        if args.folds is None and (Path(args.workdir) / FOLDS_FILE).is_file():
            raise ConfigError(f"{args.workdir} holds fold models ({FOLDS_FILE}): pass --folds K")
        store = open_data(args.data, args.workdir, progress=not args.quiet)
        if args.folds is not None:
            folds = train_folds(
                cfg, store, args.workdir, args.folds, mode=args.fold_mode, progress=not args.quiet
            )
            print(f"done: {len(folds['models'])} fold models in {args.workdir} ({FOLDS_FILE})")
            return 0
        summary = train(cfg, store, args.workdir, progress=not args.quiet)
        print(
            f"done: {summary['step']} steps, {summary['epochs']} epochs, "
            f"best valid NLL {summary['best_valid_nll']}"
            + (" (early stop)" if summary["stopped_early"] else "")
        )
        return 0

    return common.run(
        body,
        codes={NonFiniteLossError: common.EXIT_NON_FINITE},
        interrupted=f"interrupted; run the same command again to resume from "
        f"{args.workdir}/checkpoints",
    )


if __name__ == "__main__":
    sys.exit(main())
