"""sbp-synth: generate a synthetic league, `sbp-synth --weeks 8 --seed 0 --out DIR [--teams N]
[--dropbacks N] [--world NAME] [--format bdb2023|bdb2026]` (also `python -m sbp_jax.synth ...`);
`--list-worlds` prints the presets. Prints the league summary as JSON."""

from __future__ import annotations

import json
import os
import sys

from tqdm import tqdm

from sbp_jax.cli import common


def build_parser(prog: str = "sbp-synth") -> common.Parser:
    p = common.parser(prog, __doc__.split("\n\n")[0])
    p.add_argument("--weeks", type=int, default=8, help="regular-season weeks")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="output directory (the release's CSVs and truth/)")
    p.add_argument("--teams", type=int, default=32)
    p.add_argument("--dropbacks", type=int, default=38, help="dropbacks per team and game")
    p.add_argument("--world", default="default", help="a preset world (see --list-worlds)")
    p.add_argument("--format", default="bdb2023", help="bdb2023 or bdb2026 file layout")
    p.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes simulating weeks (the files do not depend on it; default: CPU count)",
    )
    p.add_argument("--list-worlds", action="store_true", help="print the preset worlds and exit")
    return p


def main(argv: list[str] | None = None, prog: str = "sbp-synth") -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    from sbp_jax.synth import generate_league
    from sbp_jax.synth.world import WORLDS

    if args.list_worlds:
        for name, world in WORLDS.items():
            print(f"{name:12s} {world.description}")
        return 0
    if args.out is None:
        parser.error("the following arguments are required: --out")

    def body() -> int:
        # delay: no bar (and no stray bar line before an error) for a league refused at once
        bar = tqdm(total=args.weeks, unit="week", desc="synth", disable=args.quiet, delay=0.5)
        with bar:
            try:
                summary = generate_league(
                    args.out,
                    weeks=args.weeks,
                    seed=args.seed,
                    n_teams=args.teams,
                    dropbacks_per_team_game=args.dropbacks,
                    world=args.world,
                    fmt=args.format,
                    progress=lambda _week: bar.update(1),
                    workers=args.workers,
                )
            except ValueError as err:  # a flag out of range: a usage error
                parser.error(common.one_line(err))
        print(json.dumps(summary))
        return 0

    return common.run(body)


if __name__ == "__main__":
    sys.exit(main())
