"""sbp_jax: masked TCN + spliced binned-Pareto model of yards gained, and the QB passing score.

Subpackages, in the direction data flows (each imports only those before it, `config` aside):
`distributions` and `synth`, `data`, `model`, `train`, `evaluate`. See docs/architecture.md."""

from sbp_jax import _deprecated

__version__ = "0.1.0"

_deprecated.install()
