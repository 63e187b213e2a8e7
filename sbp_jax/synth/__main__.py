"""CLI: python -m sbp_jax.synth --weeks 8 --seed 0 --out DIR [--teams N] [--dropbacks N]
[--world NAME] [--format bdb2023|bdb2026]; --list-worlds prints the presets."""

from __future__ import annotations

import argparse
import json
import sys

from tqdm import tqdm

from sbp_jax.synth import generate_league
from sbp_jax.synth.generate import FORMATS
from sbp_jax.synth.world import WORLDS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sbp_jax.synth", description=__doc__)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="output directory")
    parser.add_argument("--teams", type=int, default=32)
    parser.add_argument("--dropbacks", type=int, default=38, help="dropbacks per team and game")
    parser.add_argument("--world", default="default", help="a preset (see --list-worlds)")
    parser.add_argument("--format", default="bdb2023", help=f"one of {', '.join(FORMATS)}")
    parser.add_argument("--list-worlds", action="store_true", help="print the presets and exit")
    args = parser.parse_args(argv)
    if args.list_worlds:
        for name, world in WORLDS.items():
            print(f"{name:12s} {world.description}")
        return 0
    if args.out is None:
        parser.error("the following arguments are required: --out")
    try:
        with tqdm(total=args.weeks, unit="week", desc="synth") as bar:
            summary = generate_league(
                args.out,
                weeks=args.weeks,
                seed=args.seed,
                n_teams=args.teams,
                dropbacks_per_team_game=args.dropbacks,
                world=args.world,
                fmt=args.format,
                progress=lambda _week: bar.update(1),
            )
    except ValueError as err:
        parser.error(str(err))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
