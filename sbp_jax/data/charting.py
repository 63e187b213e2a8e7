"""Charted per-player facts of a release: passer and pressure (pffScoutingData.csv, 2023;
player_play.csv, 2025) and the targeted receiver (targetedReceiver.csv, 2021;
player_play.csv ``wasTargettedReceiver``, 2025). BDB 2026 charts passer and target in its tracking
rows (``player_role``, read in `tracking_rows`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pyarrow as pa

from sbp_jax.data.columns import file_play_key, ids_of, strings_of, truthy_of, values_of
from sbp_jax.data.keys import lookup
from sbp_jax.data.schemas import (
    PFF_COLUMNS,
    PFF_PRESSURE_COLUMNS,
    PLAYER_PLAY_COLUMNS,
    PLAYER_PLAY_PRESSURE_COLUMN,
    PLAYER_PLAY_TARGET_COLUMN,
    TARGETED_RECEIVER_COLUMNS,
    read_csv,
    read_header,
)


@dataclasses.dataclass
class Charting:
    """Per candidate play: charted passer and target nflIds (-1: not charted) and pressure (1/0,
    NaN: not charted)."""

    passer: np.ndarray
    pressure: np.ndarray
    target: np.ndarray


def _first_per_play(key_N: np.ndarray, idx_R: np.ndarray, mask_R: np.ndarray, nid_R) -> np.ndarray:
    """Per play, the nflId of the first row selected by ``mask_R`` (-1 where none)."""
    out = np.full(len(key_N), -1, np.int64)
    m = mask_R & (nid_R >= 0)
    out[idx_R[m][::-1]] = nid_R[m][::-1]  # reversed assignment: the first row is written last
    return out


def _rows(path: Path, columns: list[str], key_N: np.ndarray, types=None):
    """A charting file's table, each row's candidate index, whether it is one, and its nflId."""
    t = read_csv(path, columns, {"gameId": pa.int64(), "playId": pa.int64()} | (types or {}))
    keys = file_play_key(ids_of(t, "gameId", path), ids_of(t, "playId", path), path)
    idx_R, found_R = lookup(key_N, keys)
    nid_col = "targetNflId" if "targetNflId" in columns else "nflId"
    nid_R = np.nan_to_num(values_of(t, nid_col, float), nan=-1).astype(np.int64)
    return t, idx_R, found_R, nid_R


def load_charting(src: Path, key_N: np.ndarray) -> Charting:
    """The charted facts of the candidate plays ``key_N`` (sorted keys), from ``src``'s files."""
    n = len(key_N)
    out = Charting(np.full(n, -1, np.int64), np.full(n, np.nan), np.full(n, -1, np.int64))
    pff, pp, tr = src / "pffScoutingData.csv", src / "player_play.csv", src / "targetedReceiver.csv"
    pressed = None
    if pff.is_file():
        header = read_header(pff)
        press_cols = [c for c in PFF_PRESSURE_COLUMNS if c in header]
        t, idx_R, found_R, nid_R = _rows(
            pff, list(PFF_COLUMNS) + press_cols, key_N, {"pff_role": pa.string()}
        )
        out.passer = _first_per_play(
            key_N, idx_R, found_R & (strings_of(t, "pff_role") == "Pass"), nid_R
        )
        flags = [np.nan_to_num(values_of(t, c, float)) > 0 for c in press_cols]
        pressed = np.logical_or.reduce(flags) if flags else None
    elif pp.is_file():
        header = read_header(pp)
        extra = [c for c in (PLAYER_PLAY_PRESSURE_COLUMN, PLAYER_PLAY_TARGET_COLUMN) if c in header]
        t, idx_R, found_R, nid_R = _rows(pp, list(PLAYER_PLAY_COLUMNS) + extra, key_N)
        out.passer = _first_per_play(key_N, idx_R, found_R & truthy_of(t, "hadDropback"), nid_R)
        if PLAYER_PLAY_PRESSURE_COLUMN in header:
            pressed = truthy_of(t, PLAYER_PLAY_PRESSURE_COLUMN)
        if PLAYER_PLAY_TARGET_COLUMN in header:
            is_target = truthy_of(t, PLAYER_PLAY_TARGET_COLUMN)
            out.target = _first_per_play(key_N, idx_R, found_R & is_target, nid_R)
    if pressed is not None:
        charted = np.zeros(n, bool)
        charted[idx_R[found_R]] = True
        hit = np.zeros(n, bool)
        hit[idx_R[found_R & pressed]] = True
        out.pressure = np.where(charted, hit.astype(float), np.nan)
    if tr.is_file():
        t, idx_R, found_R, nid_R = _rows(tr, list(TARGETED_RECEIVER_COLUMNS), key_N)
        out.target = np.where(
            out.target >= 0, out.target, _first_per_play(key_N, idx_R, found_R, nid_R)
        )
    return out
