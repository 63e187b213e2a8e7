"""Command lines of the installed package, one module per command, each a `main(argv) -> int`.

| command | module | what |
|---|---|---|
| `sbp-synth` | `synth` | generate a synthetic league (BDB CSVs and its ground truth) |
| `sbp-ingest` | `ingest` | Big Data Bowl CSV directory -> play store |
| `sbp-train` | `train` | train a model into a workdir (resumes) |
| `sbp-evaluate` | `evaluate` | score a season, leaderboards, metrics, plots, report |
| `sbp-export` | `export` | a workdir's checkpoint -> a `jax.export` artifact |
| `sbp-serve` | `serve` | an HTTP scoring service over an artifact |

Every command takes `--quiet` (no progress bars) and `--version`; usage errors and bad input exit 2
with one `error: ...` line on stderr (`common`).
"""
