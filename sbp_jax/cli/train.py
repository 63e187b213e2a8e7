"""sbp-train: train a PassModel, `sbp-train --config C --data STORE_OR_CSV_DIR --workdir W`
(also `python train.py ...`). Rerunning the same command resumes; see docs/training.md.

`--config` is a TOML file or a built-in config's name (tiny, demo, nfl); `--set section.key=value`
overrides one key; `--print-config` prints the resolved config and exits.
"""

from __future__ import annotations

import sys

from sbp_jax.cli import common, config_help
from sbp_jax.config import Config, load_config


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
    p.add_argument("--print-config", action="store_true", help="print the resolved config, exit")
    p.add_argument("--coordinator", help="multi-host: host:port of process 0 (or SBP_COORDINATOR)")
    p.add_argument("--num-processes", type=int, help="multi-host: number of processes")
    p.add_argument("--process-id", type=int, help="multi-host: this process's index")
    return p


def resolved_config(args) -> Config:
    """`--config` (a file or a built-in name) with the `--set` overrides applied."""
    return load_config(config_help.config_path(args.config), args.set)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.print_config:
        return common.run(lambda: config_help.print_config(resolved_config(args)))
    if not (args.data and args.workdir):
        parser.error("--data and --workdir are required (unless --print-config)")
    # after argument parsing: --help, --version and --print-config stay fast
    from sbp_jax.data import open_data
    from sbp_jax.train import NonFiniteLossError, initialize_distributed, train
    from sbp_jax.train.checkpoint import claim_workdir

    def body() -> int:
        cfg = resolved_config(args)
        initialize_distributed(args.coordinator, args.num_processes, args.process_id)
        claim_workdir(args.workdir)  # before a CSV folder is ingested into W/store
        store = open_data(args.data, args.workdir, progress=not args.quiet)
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
