"""Expected points and win probability for the BDB 2026 supplementary columns.

Smooth stand-ins for the league's models (not nflfastR): the synthetic league has no drives, so
these only need to move sensibly with field position, down, distance, score and clock.
"""

from __future__ import annotations

import numpy as np

TOUCHDOWN = 7.0
GAME_SECONDS = 3600.0


def expected_points(own: np.ndarray, down: np.ndarray, to_go: np.ndarray) -> np.ndarray:
    """EP of the offense at ``own`` yards from its goal line: ~0.6 at the own 25 on 1st & 10,
    ~2.3 at midfield, ~5.3 at the opponent 5; each later down costs 0.45, each yard to go 0.04."""
    ep = -1.1 + 0.068 * own - 0.45 * (down - 1) - 0.04 * (to_go - 10)
    return np.clip(ep, -2.5, 6.5)


def expected_points_added(
    own: np.ndarray,
    down: np.ndarray,
    to_go: np.ndarray,
    result: np.ndarray,
    yards: np.ndarray,
    air: np.ndarray,
) -> np.ndarray:
    """EP after a pass (C / I / IN) minus EP before, from the offense's point of view.

    A touchdown is worth 7; a failed fourth down or an interception hands the defense the ball
    where the play ends (the return's end for an interception; a pick-six is -7)."""
    new_own = own + yards
    first = yards >= to_go
    kept = np.where(
        first,
        expected_points(new_own, 1, np.minimum(10, 100 - new_own)),
        expected_points(new_own, down + 1, to_go - yards),
    )
    downs = -expected_points(100 - new_own, 1, 10)
    after = np.where(new_own >= 100, TOUCHDOWN, np.where(~first & (down == 4), downs, kept))
    spot = own + air + yards  # where the interception return ends (offense's coordinates)
    picked = np.where(spot <= 0, -TOUCHDOWN, -expected_points(np.clip(100 - spot, 1, 99), 1, 10))
    after = np.where(result == "IN", picked, after)
    return after - expected_points(own, down, to_go)


def home_win_probability(home_margin: np.ndarray, seconds_left: np.ndarray) -> np.ndarray:
    """P(home wins) given the home team's margin in points (expected points of the team with the
    ball included) and the seconds left: logistic in margin / (13.5 sqrt(fraction left) + 0.5)."""
    scale = 13.5 * np.sqrt(np.maximum(seconds_left, 0.0) / GAME_SECONDS) + 0.5
    return 1.0 / (1.0 + np.exp(-1.702 * home_margin / scale))
