"""Splits by game, so plays of one game never straddle two splits: one train/valid/test split by
fractions (`split_by_game`), or K folds of whole games (`fold_split`), and the `folds.json` file
that describes a set of fold models trained by `sbp_jax.train.folds`.

Two fold modes (`data.fold_mode`):

- `kfold`: games are dealt into K folds (seeded, balanced by plays). Fold i tests its own games;
  a `data.valid_fraction` share of the other games (seeded) validates, the rest train. Every game
  is tested by exactly one fold model, so every play can be scored out of fold.
- `walk_forward`: the season's weeks form K consecutive blocks. Fold i (i >= 1) tests block i and
  trains and validates on the games of earlier weeks only, as a production system does season to
  season. Block 0 has no earlier weeks: it is never tested, so it cannot be scored out of fold.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from sbp_jax.config import DataConfig
from sbp_jax.data.store import PlayStore

FOLD_MODES = ("kfold", "walk_forward")
FOLDS_FILE = "folds.json"  # in a folds workdir, next to fold0/ ... fold{K-1}/
FOLDS_FORMAT = "sbp_jax-folds-v1"
SPLIT_NAMES = ("train", "valid", "test")


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
    games, game_idx_N = _games(store)
    n = len(games)
    order = np.random.default_rng(seed).permutation(n)

    def count(frac: float) -> int:
        k = int(round(frac * n))
        return max(k, 1) if frac > 0 and n >= 3 else k

    n_test, n_valid = count(test_fraction), count(valid_fraction)
    split_of_game = np.zeros(n, np.int8)  # 0 train, 1 valid, 2 test
    split_of_game[order[:n_test]] = 2
    split_of_game[order[n_test : n_test + n_valid]] = 1
    return _by_split(split_of_game[game_idx_N])


def _games(store: PlayStore) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct gameIds, each play's index into them)."""
    return np.unique(np.asarray(store.plays["gameId"]), return_inverse=True)


def _by_split(split_N: np.ndarray) -> dict[str, np.ndarray]:
    return {name: np.flatnonzero(split_N == k) for k, name in enumerate(SPLIT_NAMES)}


def kfold_games(plays_G: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Fold of each game, balanced by plays: the games in a seeded random order, largest first
    (ties keep the random order), each dealt to the fold with the fewest plays so far."""
    plays_G = np.asarray(plays_G, np.int64)
    if len(plays_G) < folds:
        raise ValueError(f"data.folds={folds}: only {len(plays_G)} games to deal into folds")
    order = np.random.default_rng(seed).permutation(len(plays_G))
    order = order[np.argsort(-plays_G[order], kind="stable")]
    totals_K = np.zeros(folds, np.int64)
    fold_G = np.empty(len(plays_G), np.int64)
    for g in order:
        f = int(np.argmin(totals_K))
        fold_G[g] = f
        totals_K[f] += plays_G[g]
    return fold_G


def week_blocks(week_G: np.ndarray, folds: int) -> np.ndarray:
    """Block of each game for walk-forward folds: the distinct weeks, in order, cut into `folds`
    consecutive blocks of (nearly) equal numbers of weeks."""
    weeks_W, week_idx_G = np.unique(np.asarray(week_G), return_inverse=True)
    if len(weeks_W) < folds:
        raise ValueError(
            f"data.folds={folds} with data.fold_mode=walk_forward needs at least {folds} weeks; "
            f"the store has {len(weeks_W)}"
        )
    block_W = np.concatenate(
        [np.full(len(part), k) for k, part in enumerate(np.array_split(weeks_W, folds))]
    )
    return block_W[week_idx_G]


def game_folds(store: PlayStore, folds: int, mode: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(fold or week block of each game, each play's game index)."""
    if mode not in FOLD_MODES:
        raise ValueError(f"data.fold_mode={mode!r}: expected one of {FOLD_MODES}")
    games_G, game_idx_N = _games(store)
    if mode == "kfold":
        return kfold_games(np.bincount(game_idx_N, minlength=len(games_G)), folds, seed), game_idx_N
    week_N = np.asarray(store.plays["week"])
    week_G = np.zeros(len(games_G), week_N.dtype)
    week_G[game_idx_N] = week_N  # a game is played in one week
    return week_blocks(week_G, folds), game_idx_N


def fold_split(
    store: PlayStore,
    *,
    folds: int,
    fold: int,
    mode: str = "kfold",
    valid_fraction: float = 0.1,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Sorted play indices of fold `fold`'s train/valid/test splits (see the module docstring).

    Test: the fold's games (walk-forward: week block `fold`). Validation: a `valid_fraction` share
    of the games it may learn from (all other folds; walk-forward: earlier blocks), at least one
    when it may learn from two or more, drawn with a seed of (`seed`, `fold`). Train: the rest.
    """
    if folds < 2 or not 0 <= fold < folds:
        raise ValueError(
            f"data.fold={fold} must be in [0, data.folds) with data.folds={folds} >= 2"
        )
    if mode == "walk_forward" and fold == 0:
        raise ValueError(
            "data.fold=0 with data.fold_mode=walk_forward: week block 0 has no earlier weeks to "
            "train on (walk-forward folds are 1 ... data.folds - 1)"
        )
    fold_G, game_idx_N = game_folds(store, folds, mode, seed)
    learn_G = fold_G < fold if mode == "walk_forward" else fold_G != fold
    learn = np.flatnonzero(learn_G)
    n_valid = int(round(valid_fraction * len(learn)))
    if valid_fraction > 0 and len(learn) >= 2:
        n_valid = min(max(n_valid, 1), len(learn) - 1)
    split_G = np.full(len(fold_G), -1, np.int8)  # -1: neither (walk-forward: later weeks)
    split_G[fold_G == fold] = 2
    split_G[learn] = 0
    split_G[np.random.default_rng((seed, fold)).permutation(learn)[:n_valid]] = 1
    return _by_split(split_G[game_idx_N])


def config_split(store: PlayStore, data: DataConfig) -> dict[str, np.ndarray]:
    """The split a config trains with: fold `data.fold` of `data.folds` when folds > 0, else the
    train/valid/test fractions of `split_by_game`."""
    if data.folds > 0:
        return fold_split(
            store,
            folds=data.folds,
            fold=data.fold,
            mode=data.fold_mode,
            valid_fraction=data.valid_fraction,
            seed=data.split_seed,
        )
    return split_by_game(
        store,
        valid_fraction=data.valid_fraction,
        test_fraction=data.test_fraction,
        seed=data.split_seed,
    )


def trained_folds(folds: int, mode: str) -> list[int]:
    """The folds that get a model: all K, or 1 ... K-1 walk-forward (block 0 only trains)."""
    return list(range(1 if mode == "walk_forward" else 0, folds))


def fold_dir(workdir: str | os.PathLike, fold: int) -> Path:
    """Workdir of fold `fold`'s model inside a folds workdir."""
    return Path(workdir) / f"fold{fold}"


_MANIFEST_TYPES = {
    "format": str,
    "folds": int,
    "fold_mode": str,
    "split_seed": int,
    "models": list,
}


def read_folds_file(workdir: str | os.PathLike) -> dict[str, Any] | None:
    """The `folds.json` of a folds workdir (None when `workdir` has none); a file that is not
    one of ours, or inconsistent, raises ValueError naming it and the key."""
    path = Path(workdir) / FOLDS_FILE
    if not path.is_file():
        return None
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: unreadable ({e}); rerun train.py --folds to rewrite it") from e
    if not isinstance(found, dict):
        raise ValueError(f"{path}: expected a JSON object")
    for key, typ in _MANIFEST_TYPES.items():
        if not isinstance(found.get(key), typ) or isinstance(found.get(key), bool):
            raise ValueError(f"{path}: key {key!r} missing or not a {typ.__name__}")
    if found["format"] != FOLDS_FORMAT or found["fold_mode"] not in FOLD_MODES:
        raise ValueError(
            f"{path}: format {found['format']!r} / fold_mode {found['fold_mode']!r} not known "
            f"(expected {FOLDS_FORMAT!r} and one of {FOLD_MODES})"
        )
    want = trained_folds(found["folds"], found["fold_mode"])
    got = [m.get("fold") if isinstance(m, dict) else None for m in found["models"]]
    if got != want:
        raise ValueError(f"{path}: models are folds {got}, expected {want}")
    return found
