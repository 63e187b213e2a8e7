"""Train/validation/test splits by game, so plays of one game never straddle two splits."""

from __future__ import annotations

import numpy as np

from sbp_jax.data.store import PlayStore


def split_by_game(
    store: PlayStore, *, valid_fraction: float = 0.1, test_fraction: float = 0.1, seed: int = 0
) -> dict[str, np.ndarray]:
    """Sorted play indices of the train/valid/test splits; games are shuffled and assigned whole.

    Each non-zero fraction gets at least one game when there are at least three games.
    """
    if valid_fraction < 0 or test_fraction < 0 or valid_fraction + test_fraction >= 1:
        raise ValueError(
            f"split fractions valid={valid_fraction}, test={test_fraction} must be >= 0 and "
            "sum to < 1"
        )
    game_N = np.asarray(store.plays["gameId"])
    games, game_idx_N = np.unique(game_N, return_inverse=True)
    n = len(games)
    order = np.random.default_rng(seed).permutation(n)

    def count(frac: float) -> int:
        k = int(round(frac * n))
        return max(k, 1) if frac > 0 and n >= 3 else k

    n_test, n_valid = count(test_fraction), count(valid_fraction)
    split_of_game = np.zeros(n, np.int8)  # 0 train, 1 valid, 2 test
    split_of_game[order[:n_test]] = 2
    split_of_game[order[n_test : n_test + n_valid]] = 1
    split_N = split_of_game[game_idx_N]
    return {name: np.flatnonzero(split_N == k) for k, name in enumerate(("train", "valid", "test"))}
