"""sbp-export: a training workdir's checkpoint -> a scoring artifact (`jax.export` StableHLO of the
single-play and batch scorers, parameters, normalization, config, names; docs/serving.md),
`sbp-export --workdir W --out DIR [--checkpoint best|latest] [--force]`."""

from __future__ import annotations

import sys

from sbp_jax.cli import common


def build_parser() -> common.Parser:
    from sbp_jax.serve.export import DEFAULT_MAX_FRAMES, DEFAULT_PLATFORMS

    p = common.parser("sbp-export", __doc__.split("\n\n")[0])
    p.add_argument("--workdir", required=True, help="training workdir (checkpoints/)")
    p.add_argument("--out", required=True, help="artifact directory to create")
    p.add_argument("--checkpoint", default="best", choices=("best", "latest"))
    p.add_argument("--force", action="store_true", help="replace an existing artifact")
    p.add_argument(
        "--max-frames",
        type=int,
        default=DEFAULT_MAX_FRAMES,
        help="longest snap-to-release window the artifact scores (frames at 10 Hz)",
    )
    p.add_argument(
        "--platforms",
        default=",".join(DEFAULT_PLATFORMS),
        help="comma-separated jax.export platforms the artifact runs on",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from sbp_jax.model.trained import load_trained
    from sbp_jax.serve.export import export_trained

    def body() -> int:
        trained = load_trained(args.workdir, args.checkpoint)
        manifest = export_trained(
            trained,
            args.out,
            max_frames=args.max_frames,
            platforms=[p.strip() for p in args.platforms.split(",") if p.strip()],
            overwrite=args.force,
            source={"workdir": str(args.workdir), "checkpoint": args.checkpoint},
        )
        print(
            f"exported {manifest['model']['head']} model (step {manifest['model']['step']}, "
            f"{len(manifest['params'])} parameter arrays, {', '.join(manifest['platforms'])}) "
            f"-> {args.out}"
        )
        return 0

    return common.run(body)


if __name__ == "__main__":
    sys.exit(main())
