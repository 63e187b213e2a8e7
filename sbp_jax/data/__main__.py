"""Command line: ``python -m sbp_jax.data ingest SRC --out STORE [--force] [--quiet]``."""

from __future__ import annotations

import argparse
import sys

from sbp_jax.data.ingest import ingest, report_json


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sbp_jax.data", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", help="Big Data Bowl CSV directory -> play store")
    p.add_argument(
        "src",
        help="a release's folder: tracking CSVs, plays.csv, games.csv, players.csv "
        "(BDB 2026: train/input_*.csv and supplementary_data.csv)",
    )
    p.add_argument("--out", required=True, help="store directory to create (outside SRC)")
    p.add_argument(
        "--force", action="store_true", help="replace an existing play store (never other files)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        store = ingest(args.src, args.out, overwrite=args.force, progress=not args.quiet)
    except (ValueError, OSError) as e:  # bad input, an existing --out, a failed write
        print(f"error: {e}", file=sys.stderr)
        return 2
    rep = report_json(store)
    for warning in rep["warnings"]:
        print(f"WARNING: {warning}", file=sys.stderr)
    print(
        f"{store.n_plays} plays ({rep['release']}, {rep['tracking_rows']:,} tracking rows, "
        f"{rep['rows_per_second']:,} rows/s) -> {store.path}"
    )
    for reason, n in rep["dropped_counts"].items():
        print(f"  dropped {n:6d}  {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
