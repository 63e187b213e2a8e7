"""CLI: python -m sbp_jax.synth --weeks 8 --seed 0 --out DIR [--teams N] [--dropbacks N]."""

from __future__ import annotations

import argparse
import json
import sys

from tqdm import tqdm

from sbp_jax.synth import generate_league


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sbp_jax.synth", description=__doc__)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--teams", type=int, default=32)
    parser.add_argument("--dropbacks", type=int, default=38, help="dropbacks per team and game")
    args = parser.parse_args(argv)
    try:
        with tqdm(total=args.weeks, unit="week", desc="synth") as bar:
            summary = generate_league(
                args.out,
                weeks=args.weeks,
                seed=args.seed,
                n_teams=args.teams,
                dropbacks_per_team_game=args.dropbacks,
                progress=lambda _week: bar.update(1),
            )
    except ValueError as err:
        parser.error(str(err))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
