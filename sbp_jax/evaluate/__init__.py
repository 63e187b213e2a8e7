"""Evaluation: the season scorer, the 50-99 passing score, forecast metrics, baselines, the
synthetic-truth check, plots and the report. Imports nothing from training."""

from sbp_jax.evaluate.passing_score import ScoreScale, leaderboard
from sbp_jax.evaluate.scoring import LEVELS, play_scorer, score_plays, season_scorer

__all__ = ["LEVELS", "ScoreScale", "leaderboard", "play_scorer", "score_plays", "season_scorer"]
