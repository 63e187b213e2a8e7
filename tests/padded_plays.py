"""Model inputs for tests: random plays of given lengths, padded with zeros or with garbage."""

import numpy as np


def padded_inputs(lengths: np.ndarray, T: int, seed: int = 0, garbage: bool = False):
    """(tracks, presence, lengths, static) of plays of `lengths` (each <= 12) padded to T steps;
    the padded steps are zero, or garbage (huge values and a NaN) to prove they are ignored."""
    rng = np.random.default_rng(seed)
    valid = rng.normal(size=(len(lengths), 12, 22, 8)).astype(np.float32)
    static = rng.normal(size=(len(lengths), 3)).astype(np.float32)
    tracks = np.zeros((len(lengths), T, 22, 8), np.float32)
    if garbage:
        tracks[:] = rng.normal(scale=1e3, size=tracks.shape)
        tracks[:, -1, 0, 0] = np.nan
    for b, n in enumerate(lengths):
        tracks[b, :n] = valid[b, :n]
    presence = np.ones((len(lengths), 22), np.float32)
    return tracks, presence, lengths, static
