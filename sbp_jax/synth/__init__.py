"""Synthetic league: a season of Big Data Bowl 2023-schema files from a known model of football,
with the ground truth (passer skills, true play percentiles). See docs/synthetic_league.md."""

from sbp_jax.synth.generate import generate_league

__all__ = ["generate_league"]
