"""Integer play keys and vectorized joins on them, shared by ingest, evaluation and the truth check.

A play is keyed by ``gameId * KEY_MULT + playId``; joins are ``searchsorted`` over sorted keys, so
no Python loop runs over rows."""

from __future__ import annotations

import numpy as np

KEY_MULT = 100_000  # playId < KEY_MULT in every Big Data Bowl release


def play_key(game_id, play_id, *, source: str = "") -> np.ndarray:
    """int64 key of each (gameId, playId); a playId outside [0, KEY_MULT) is a ValueError naming
    ``source`` (the file it came from)."""
    play = np.asarray(play_id, np.int64)
    if play.size and (play.min() < 0 or play.max() >= KEY_MULT):
        bad = play[(play < 0) | (play >= KEY_MULT)][0]
        where = f"{source}: " if source else ""
        raise ValueError(f"{where}playId {bad} outside [0, {KEY_MULT})")
    return np.asarray(game_id, np.int64) * KEY_MULT + play


def split_key(key) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of `play_key`: (gameId, playId)."""
    key = np.asarray(key, np.int64)
    return key // KEY_MULT, key % KEY_MULT


def lookup(sorted_keys: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of each key in ``sorted_keys`` and whether it was found."""
    keys = np.asarray(keys)
    if len(sorted_keys) == 0:
        return np.zeros(len(keys), np.int64), np.zeros(len(keys), bool)
    idx = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return idx, sorted_keys[idx] == keys


def run_lookup(sorted_keys: np.ndarray, key_R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``lookup`` for rows that come in runs of equal keys (one play after another): one search
    per run instead of one per row."""
    starts = np.flatnonzero(np.r_[len(key_R) > 0, key_R[1:] != key_R[:-1]])
    reps = np.diff(np.r_[starts, len(key_R)])
    idx, found = lookup(sorted_keys, key_R[starts])
    return np.repeat(idx, reps), np.repeat(found, reps)


def rows_of(table_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Row of each key in an unsorted key column ``table_keys``; -1 where absent."""
    table_keys = np.asarray(table_keys)
    order = np.argsort(table_keys, kind="stable")
    idx, found = lookup(table_keys[order], keys)
    return np.where(found, order[idx], -1)
