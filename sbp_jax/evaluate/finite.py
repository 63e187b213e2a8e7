"""No silently wrong number: a play percentile, median or passer score that is NaN or infinite stops
the evaluation before anything is written, naming the plays or passers at fault."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

SHOWN = 10


class NonFiniteScoreError(ValueError):
    """Scores that are not finite; the message names the plays (gameId, playId) or passers."""


def _listing(items: Sequence[str]) -> str:
    more = f" and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
    return ", ".join(items[:SHOWN]) + more


def check_plays(
    plays: Mapping[str, np.ndarray],
    scores: Mapping[str, np.ndarray],
    keys: Sequence[str] = ("percentile", "median"),
) -> None:
    """Raise NonFiniteScoreError naming the plays whose `keys` scores are not finite."""
    for key in keys:
        bad = np.flatnonzero(~np.isfinite(np.asarray(scores[key], np.float64)))
        if len(bad):
            names = [
                f"(gameId={plays['gameId'][i]}, playId={plays['playId'][i]}, "
                f"passer {plays['passer_name'][i]!s})"
                for i in bad
            ]
            raise NonFiniteScoreError(
                f"{len(bad)} play {key}s are not finite: {_listing(names)}; the store holds "
                "non-finite tracking, static features or yards for them (check and re-ingest)"
            )


def check_leaderboard(
    board: Mapping[str, np.ndarray],
    keys: Sequence[str] = ("mean_percentile", "score", "score_low", "score_high"),
) -> None:
    """Raise NonFiniteScoreError naming the (split, passer) rows with a non-finite score."""
    bad_G = np.zeros(len(board["split"]), bool)
    for key in keys:
        bad_G |= ~np.isfinite(np.asarray(board[key], np.float64))
    bad = np.flatnonzero(bad_G)
    if len(bad):
        names = [f"{board['passer_name'][i]!s} ({board['split'][i]!s})" for i in bad]
        raise NonFiniteScoreError(f"{len(bad)} passer scores are not finite: {_listing(names)}")
