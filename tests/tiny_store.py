"""A small random play store for the training tests (no CSV ingest needed).

Yards depend on one static feature and on the passer slot's last x position, so a model can learn
something and the loss falls; lengths vary so batches are padded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sbp_jax.data.store import N_FEATURES, N_SLOTS, PlayStore, StoreWriter


def make_tiny_store(
    path: Path,
    *,
    n_games: int = 12,
    plays_per_game: int = 20,
    seed: int = 0,
    max_len: int = 20,
    nan_play: int | None = None,
) -> PlayStore:
    rng = np.random.default_rng(seed)
    n = n_games * plays_per_game
    lengths = rng.integers(3, max_len + 1, n).astype(np.int32)
    tracking = rng.normal(size=(int(lengths.sum()), N_SLOTS, N_FEATURES)).astype(np.float32)
    presence = np.ones((n, N_SLOTS), bool)
    presence[rng.random(n) < 0.3, 18:] = False  # some plays miss slots
    ends = np.cumsum(lengths) - 1
    tracking[:, :, :][np.repeat(~presence, lengths, axis=0)] = 0.0
    static = rng.normal(size=(n, 3)).astype(np.float32)
    signal = 3.0 * static[:, 0] + 2.0 * tracking[ends, 0, 0]
    yards = np.round(np.clip(5.0 + signal + rng.standard_t(3, n) * 2.0, -9, 28)).astype(np.float32)
    if nan_play is not None:  # a corrupt target, for the non-finite loss test
        yards[nan_play] = np.nan
    plays = {
        "gameId": np.repeat(np.arange(n_games) + 2021090900, plays_per_game),
        "playId": np.tile(np.arange(plays_per_game) * 10 + 55, n_games),
    }
    with StoreWriter(path) as w:
        w.add(tracking, lengths, presence, static, yards)
        return w.finish(plays=plays, static_names=["a", "b", "c"], meta={"release": "tiny"})
