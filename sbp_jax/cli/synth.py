"""sbp-synth: generate a synthetic league, `sbp-synth --weeks 8 --seed 0 --out DIR [--teams N]
[--dropbacks N]` (also `python -m sbp_jax.synth ...`). Prints the league summary as JSON."""

from __future__ import annotations

import json
import sys

from tqdm import tqdm

from sbp_jax.cli import common


def build_parser(prog: str = "sbp-synth") -> common.Parser:
    p = common.parser(prog, __doc__.split("\n\n")[0])
    p.add_argument("--weeks", type=int, default=8, help="regular-season weeks")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output directory (BDB 2023 CSVs and truth/)")
    p.add_argument("--teams", type=int, default=32)
    p.add_argument("--dropbacks", type=int, default=38, help="dropbacks per team and game")
    return p


def main(argv: list[str] | None = None, prog: str = "sbp-synth") -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    from sbp_jax.synth import generate_league

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
                    progress=lambda _week: bar.update(1),
                )
            except ValueError as err:  # a flag out of range: a usage error
                parser.error(common.one_line(err))
        print(json.dumps(summary))
        return 0

    return common.run(body)


if __name__ == "__main__":
    sys.exit(main())
