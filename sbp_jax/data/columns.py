"""Columns of a Big Data Bowl CSV (read by pyarrow) as NumPy arrays, and the ingest error.

Low-cardinality strings (team, event, position) are read dictionary-encoded and compared by code, so
no Python loop runs over rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sbp_jax.data.keys import play_key
from sbp_jax.data.schemas import TRUE_TEXT

DICT = pa.dictionary(pa.int32(), pa.string())  # low-cardinality strings are parsed to codes


class IngestError(ValueError):
    """The source directory cannot be ingested (a file-level problem, not a single bad play)."""


def file_play_key(game, play, path: Path) -> np.ndarray:
    try:
        return play_key(game, play, source=str(path))
    except ValueError as e:
        raise IngestError(str(e)) from None


def ids_of(table: pa.Table, col: str, path: Path) -> np.ndarray:
    """An integer id column (gameId, playId, frameId) as int64; an empty value is an IngestError
    naming the file and column."""
    column = table.column(col)
    if column.null_count:
        row = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
        raise IngestError(f"{path}: column {col!r} is empty in data row {row + 1}")
    return column.to_numpy().astype(np.int64)


def values_of(table: pa.Table, col: str, dtype=None) -> np.ndarray:
    arr = table.column(col).to_numpy()
    return arr if dtype is None else arr.astype(dtype)


def strings_of(table: pa.Table, col: str) -> np.ndarray:
    return np.array(table.column(col).to_pylist(), dtype=object)


def codes_of(table: pa.Table, col: str) -> tuple[np.ndarray, list]:
    """Dictionary codes (-1 for null) and the dictionary of a (dictionary-typed) string column."""
    enc = table.column(col).unify_dictionaries().combine_chunks()
    if not pa.types.is_dictionary(enc.type):
        enc = enc.dictionary_encode()
    return pc.fill_null(enc.indices, -1).to_numpy().astype(np.int64), enc.dictionary.to_pylist()


def code_mask(codes: np.ndarray, dictionary: list, values) -> np.ndarray:
    hit = np.array([v in values for v in dictionary] + [False], bool)  # index -1 -> False
    return hit[codes]


def truthy_of(t: pa.Table, col: str) -> np.ndarray:
    v = t.column(col)
    if pa.types.is_boolean(v.type):
        return pc.fill_null(v, False).to_numpy(zero_copy_only=False)
    if pa.types.is_string(v.type):
        return np.isin(strings_of(t, col), TRUE_TEXT)
    return np.nan_to_num(values_of(t, col, float)) > 0
