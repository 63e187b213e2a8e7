"""sbp-ingest: Big Data Bowl CSV directory -> play store, `sbp-ingest SRC --out STORE [--force]`
(also `python -m sbp_jax.data ingest SRC --out STORE`). Prints what was kept and dropped."""

from __future__ import annotations

import sys

from sbp_jax.cli import common


def _add_arguments(p: common.Parser) -> None:
    p.add_argument(
        "src",
        help="a release's folder: tracking CSVs, plays.csv, games.csv, players.csv "
        "(BDB 2026: train/input_*.csv and supplementary_data.csv)",
    )
    p.add_argument("--out", required=True, help="store directory to create (outside SRC)")
    p.add_argument(
        "--force", action="store_true", help="replace an existing play store (never other files)"
    )


def _ingest(args) -> int:
    from sbp_jax.data.ingest import ingest, report_json

    store = ingest(args.src, args.out, overwrite=args.force, progress=not args.quiet)
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


def build_parser() -> common.Parser:
    p = common.parser("sbp-ingest", __doc__.split("\n\n")[0])
    _add_arguments(p)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return common.run(lambda: _ingest(args))


def module_main(argv: list[str] | None = None) -> int:
    """`python -m sbp_jax.data ingest ...`: the same command under an `ingest` subcommand."""
    p = common.Parser(prog="python -m sbp_jax.data", description="Play data command line.")
    p.add_argument("--version", action="version", version=common.version_text())
    sub = p.add_subparsers(dest="command", required=True, parser_class=common.Parser)
    ingest = sub.add_parser("ingest", help="Big Data Bowl CSV directory -> play store")
    common.add_common(ingest)
    _add_arguments(ingest)
    args = p.parse_args(argv)
    return common.run(lambda: _ingest(args))


if __name__ == "__main__":
    sys.exit(main())
