"""Train a PassModel: python train.py --config C.toml --data STORE_OR_CSV_DIR --workdir W.

Thin command line over `sbp_jax.train.train`; see docs/training.md.
"""

from __future__ import annotations

import argparse
import sys

from sbp_jax.config import ConfigError, load_config
from sbp_jax.data import StoreError, open_data
from sbp_jax.train import NonFiniteLossError, initialize_distributed, train


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", required=True, help="TOML config (configs/*.toml)")
    p.add_argument("--data", required=True, help="play store, or a directory of BDB CSVs")
    p.add_argument("--workdir", required=True, help="checkpoints, metrics.jsonl, config.toml")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a config value (repeatable)",
    )
    p.add_argument("--coordinator", help="multi-host: host:port of process 0 (or SBP_COORDINATOR)")
    p.add_argument("--num-processes", type=int, help="multi-host: number of processes")
    p.add_argument("--process-id", type=int, help="multi-host: this process's index")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        cfg = load_config(args.config, args.set)
        initialize_distributed(args.coordinator, args.num_processes, args.process_id)
        store = open_data(args.data, args.workdir, progress=not args.no_progress)
        summary = train(cfg, store, args.workdir, progress=not args.no_progress)
    except (ConfigError, StoreError, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except NonFiniteLossError as e:
        print(f"error: {e}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print(
            f"interrupted; run the same command again to resume from {args.workdir}/checkpoints",
            file=sys.stderr,
        )
        return 130
    print(
        f"done: {summary['step']} steps, {summary['epochs']} epochs, "
        f"best valid NLL {summary['best_valid_nll']}"
        + (" (early stop)" if summary["stopped_early"] else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
