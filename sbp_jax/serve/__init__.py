"""Serving: a trained model exported with `jax.export` (`export`), loaded and scored with JAX and
NumPy only (`artifact`), and an HTTP scoring service over it (`service`). See docs/serving.md.

Importing this package (and `artifact`) never imports flax or `sbp_jax.model`; `export` does."""

from sbp_jax.serve.artifact import Artifact, ArtifactError, load_artifact

__all__ = ["Artifact", "ArtifactError", "load_artifact"]
