"""Ingest speed and memory, and batch-building throughput, on a generated synthetic league.

    python benchmarks/bench_ingest.py [--weeks 2] [--teams 32] [--src DIR] [--batch-size 256]

Ingest runs in a child process (the CLI), so its peak RSS is measured alone
(``resource.getrusage(RUSAGE_CHILDREN)``); rows/s comes from the ingest report. make_batch
throughput and padding efficiency are compared with and without length bucketing, and with 1
and ``--threads`` loader threads (``data.loader_threads``), in the same run.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from sbp_jax.data import BatchIterator, PlayStore


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--weeks", type=int, default=2)
    ap.add_argument("--teams", type=int, default=32)
    ap.add_argument("--src", type=Path, help="reuse a BDB directory instead of generating one")
    ap.add_argument("--threads", type=int, default=2, help="loader threads to compare with 1")
    ap.add_argument("--batch-size", type=int, default=256)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp:
        src = args.src
        if src is None:
            from sbp_jax.synth import generate_league

            src = Path(tmp) / "src"
            t0 = time.perf_counter()
            summary = generate_league(src, weeks=args.weeks, seed=0, n_teams=args.teams)
            print(
                f"generated {summary['tracking_rows']:,} tracking rows, {summary['plays']} plays "
                f"in {time.perf_counter() - t0:.1f} s"
            )
        out = Path(tmp) / "store"
        t0 = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "sbp_jax.data",
                "ingest",
                str(src),
                "--out",
                str(out),
                "--quiet",
            ],
            check=True,
        )
        wall = time.perf_counter() - t0
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        rep = json.loads((out / "ingest_report.json").read_text())
        print(
            f"ingest: {rep['tracking_rows']:,} rows in {rep['seconds']:.2f} s = "
            f"{rep['rows_per_second']:,} rows/s (process wall {wall:.2f} s incl. start-up), "
            f"peak RSS {peak_mb:,.0f} MB, {rep['plays_kept']} plays kept"
        )

        store = PlayStore.open(out)
        plays = np.arange(store.n_plays)
        # warm-up epoch (page cache, allocator), so both variants are timed in the same state
        for _ in BatchIterator(store, plays, batch_size=args.batch_size, seed=1).epoch(0):
            pass
        results = {}
        for bucket, workers in ((True, 1), (False, 1), (True, args.threads)):
            it = BatchIterator(
                store,
                plays,
                batch_size=args.batch_size,
                seed=0,
                bucket_by_length=bucket,
                workers=workers,
            )
            t0 = time.perf_counter()
            n = sum(int(b.weight.sum()) for b in it.epoch(0))
            dt = time.perf_counter() - t0
            results[bucket, workers] = (n / dt, it.padding_efficiency(0))
            print(
                f"make_batch (bucket_by_length={bucket}, B={args.batch_size}, "
                f"{workers} thread(s)): {n / dt:,.0f} plays/s, "
                f"padding efficiency {results[bucket, workers][1]:.3f}"
            )
        bucketed, unbucketed = results[True, 1], results[False, 1]
        threaded = results[True, args.threads]
        print(
            f"bucketing: padding efficiency x{bucketed[1] / unbucketed[1]:.2f}, "
            f"throughput x{bucketed[0] / unbucketed[0]:.2f}; "
            f"{args.threads} loader threads: throughput x{threaded[0] / bucketed[0]:.2f}"
        )


if __name__ == "__main__":
    main()
