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


# nflverse interop: a BDB gameId is nflverse's ``old_game_id`` (text, e.g. "2021090900"), a BDB
# playId is nflverse's ``play_id``, and a BDB nflId is nflverse players' ``nfl_id``, which the
# players table maps to ``gsis_id`` (e.g. "00-0033873"), the id nflverse's play-by-play uses.


def integer_ids(values, *, what: str = "id") -> np.ndarray:
    """Ids given as numbers or text ("43290", 43290.0, None, "") as int64, -1 where missing; a
    value that is not a whole number is a ValueError naming ``what``."""
    arr = np.asarray(values, dtype=object).ravel()
    missing = np.array([v is None or str(v).strip() in ("", "NA", "nan", "NaN") for v in arr], bool)
    out = np.full(len(arr), -1, np.int64)
    try:
        as_float = np.array([float(v) for v in arr[~missing]], np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{what}: not a number ({e})") from None
    if not np.all(as_float == np.round(as_float)):
        bad = float(as_float[as_float != np.round(as_float)][0])
        raise ValueError(f"{what}: {bad!r} is not a whole number")
    out[~missing] = as_float.astype(np.int64)
    return out


def nflverse_play_key(old_game_id, play_id) -> np.ndarray:
    """Play keys (as `play_key`) of nflverse play-by-play rows, from ``old_game_id`` and
    ``play_id``; joins them to a store's plays with `rows_of`."""
    return play_key(
        integer_ids(old_game_id, what="old_game_id"),
        integer_ids(play_id, what="play_id"),
        source="nflverse",
    )


def map_ids(ids_N, table_ids, table_values, fill=""):
    """Each of ``ids_N``'s value in a lookup table (e.g. nflverse players: ``nfl_id`` ->
    ``gsis_id``); ``fill`` where the id is absent (or -1)."""
    ids = integer_ids(ids_N)
    values = np.asarray(table_values, dtype=object)
    if not len(values):
        return np.full(len(ids), fill, dtype=object)
    row = rows_of(integer_ids(table_ids, what="table ids"), ids)
    return np.where((row >= 0) & (ids >= 0), values[np.maximum(row, 0)], fill)
