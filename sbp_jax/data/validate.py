"""Physical ranges of the tracking values that reach a store: a value outside them (or infinite)
drops its play, naming the column and value; a column mostly outside them is a file-level error
(wrong units), naming file, column and a value."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sbp_jax.data.columns import IngestError

# column -> (low, high), inclusive; NaN is not checked here (missing values are their own reason)
RANGES = {
    "x": (-10.0, 130.0),
    "y": (-10.0, 63.3),
    "s": (0.0, 15.0),
    # tracking spikes of 20+ yd/s^2 occur in real releases (and the synthetic league's cuts):
    # only values no human reaches are refused
    "a": (0.0, 25.0),
    "dir": (0.0, 360.0),
    "o": (0.0, 360.0),
}
# BDB 2026 per-play columns checked like the positions they are
PER_PLAY_RANGES = {
    "absolute_yardline_number": RANGES["x"],
    "ball_land_x": RANGES["x"],
    "ball_land_y": RANGES["y"],
}
WHOLE_FILE_FRACTION = 0.5  # more than this share of a column's values out of range: wrong units


def outside(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Values outside [lo, hi], infinities included; NaN is not outside."""
    return (values < lo) | (values > hi)


def range_problems(
    path: Path,
    play_R: np.ndarray,
    order_R: np.ndarray,
    columns: dict[str, np.ndarray],
    problems_N: np.ndarray,
    use_R: np.ndarray | None = None,
) -> None:
    """Write into ``problems_N`` (object, None = fine) the first out-of-range ``column=value`` of
    each play not flagged yet, among the rows ``use_R`` (default all); rows are taken in
    ``order_R`` (a sort key, e.g. frame), so the result does not depend on row order. Raises
    IngestError when a column is mostly out of range.
    """
    for col, values in columns.items():
        lo, hi = RANGES.get(col) or PER_PLAY_RANGES[col]
        bad = outside(values, lo, hi)
        if use_R is not None:
            bad &= use_R
        if not bad.any():
            continue
        used = ~np.isnan(values) if use_R is None else use_R & ~np.isnan(values)
        checked = int(used.sum())
        if bad.sum() > WHOLE_FILE_FRACTION * checked:
            raise IngestError(
                f"{path}: column {col!r}: {bad.sum()} of {checked} values outside "
                f"[{lo:g}, {hi:g}] (e.g. {float(values[bad][0])!r}); wrong units or a corrupt file"
            )
        idx = np.flatnonzero(bad)
        idx = idx[np.lexsort((order_R[idx], play_R[idx]))]
        first = idx[np.r_[True, play_R[idx][1:] != play_R[idx][:-1]]]
        new = first[problems_N[play_R[first]] == None]  # noqa: E711 (elementwise on objects)
        problems_N[play_R[new]] = [
            f"{col}={float(values[i])!r} outside [{lo:g}, {hi:g}]" for i in new
        ]
