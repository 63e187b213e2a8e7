"""Synthetic league generation speed: tracking rows/s, wall time and peak memory for N weeks.

.venv/bin/python benchmarks/bench_synth.py [--weeks 2] [--teams 32] [--dropbacks 38]
    [--world default] [--format bdb2023]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from sbp_jax.synth import generate_league


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=2)
    parser.add_argument("--teams", type=int, default=32)
    parser.add_argument("--dropbacks", type=int, default=38)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--world", default="default")
    parser.add_argument("--format", default="bdb2023")
    parser.add_argument("--keep", help="write here and keep the files (default: a temp dir)")
    args = parser.parse_args(argv)

    out = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_synth_"))
    start = time.perf_counter()
    summary = generate_league(
        out,
        weeks=args.weeks,
        seed=args.seed,
        n_teams=args.teams,
        dropbacks_per_team_game=args.dropbacks,
        world=args.world,
        fmt=args.format,
    )
    wall = time.perf_counter() - start
    size_mb = sum(p.stat().st_size for p in out.rglob("*.csv")) / 2**20
    if not args.keep:
        shutil.rmtree(out)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    print(
        f"synth: weeks={args.weeks} teams={args.teams} dropbacks={args.dropbacks} "
        f"world={args.world} format={args.format}"
    )
    print(f"  plays            {summary['plays']:>12,d}")
    print(f"  released passes  {summary['released']:>12,d}")
    print(f"  plays in files   {summary['plays_written']:>12,d}")
    print(f"  tracking rows    {summary['tracking_rows']:>12,d}")
    print(f"  wall time        {wall:>12.1f} s")
    print(f"  rows/s           {summary['tracking_rows'] / wall:>12,.0f}")
    print(f"  plays/s          {summary['plays'] / wall:>12,.0f}")
    print(f"  CSV written      {size_mb:>12,.0f} MiB")
    print(f"  peak RSS         {peak_mb:>12,.0f} MiB")


if __name__ == "__main__":
    sys.exit(main())
