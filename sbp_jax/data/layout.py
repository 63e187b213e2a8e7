"""The play store's fixed layout: format version, player slots, raw features per slot, and how a
play's frames sit in the flat tracking array."""

from __future__ import annotations

import numpy as np

FORMAT_VERSION = 1
N_SLOTS = 22
FEATURE_NAMES = ("x", "y", "vx", "vy", "ax", "ay", "direction", "orientation")
N_FEATURES = len(FEATURE_NAMES)


def frame_rows(offsets: np.ndarray, play_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flat tracking rows of the given plays, and for each row its position in ``play_idx``."""
    starts = offsets[play_idx]
    lens = (offsets[play_idx + 1] - starts).astype(np.int64)
    play_of_row = np.repeat(np.arange(len(play_idx)), lens)
    first_row = np.cumsum(lens) - lens
    rows = starts[play_of_row] + (np.arange(lens.sum()) - first_row[play_of_row])
    return rows, play_of_row
