"""A store's fingerprint: a short stable hash of its play keys and arrays, so a checkpoint can
record which data it was trained on and an evaluation can check it is given the same."""

from __future__ import annotations

import hashlib

import numpy as np

from sbp_jax.data.keys import play_key

_VERSION = b"sbp_jax store fingerprint 1"
_CHUNK_ROWS = 1 << 14


def _update(h, name: str, arr: np.ndarray, dtype: str) -> None:
    """Feed name, dtype, shape and the little-endian bytes of ``arr`` (in row chunks)."""
    h.update(f"{name}:{dtype}:{tuple(arr.shape)};".encode())
    for start in range(0, max(len(arr), 1), _CHUNK_ROWS):
        h.update(np.ascontiguousarray(arr[start : start + _CHUNK_ROWS], dtype=dtype).tobytes())


def fingerprint(
    game_N: np.ndarray | None,
    play_N: np.ndarray | None,
    tracking: np.ndarray,
    lengths: np.ndarray,
    presence: np.ndarray,
    static: np.ndarray,
    yards: np.ndarray,
) -> str:
    """16 hex digits (BLAKE2b-64) of the play keys and the stored arrays; the same data gives the
    same fingerprint on any machine, however it was chunked when written."""
    h = hashlib.blake2b(_VERSION, digest_size=8)
    keys = play_key(game_N, play_N) if game_N is not None and play_N is not None else np.zeros(0)
    _update(h, "keys", np.asarray(keys), "<i8")
    _update(h, "tracking", tracking, "<f4")
    _update(h, "lengths", lengths, "<i4")
    _update(h, "presence", presence, "|b1")
    _update(h, "static", static, "<f4")
    _update(h, "yards", yards, "<f4")
    return h.hexdigest()
