"""A small random PlayStore written directly through StoreWriter (no CSV ingest)."""

from __future__ import annotations

import numpy as np

from sbp_jax.data.store import N_FEATURES, N_SLOTS, StoreWriter

STATIC_NAMES = ["down", "yards_to_go", "yards_to_endzone"]


def random_store_arrays(n_plays: int, seed: int = 0, n_games: int = 6) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(3, 40, n_plays).astype(np.int32)
    presence = rng.random((n_plays, N_SLOTS)) < 0.8
    presence[:, 0] = True
    tracking = rng.normal(3.0, 2.0, (int(lengths.sum()), N_SLOTS, N_FEATURES)).astype(np.float32)
    tracking *= np.repeat(presence, lengths, axis=0)[
        ..., None
    ]  # absent slots are zero, as ingest writes
    static = rng.normal(5.0, 3.0, (n_plays, len(STATIC_NAMES))).astype(np.float32)
    yards = rng.integers(-5, 40, n_plays).astype(np.float32)
    game = np.sort(rng.integers(0, n_games, n_plays)) + 2021090900
    return dict(
        tracking=tracking,
        lengths=lengths,
        presence=presence,
        static=static,
        yards=yards,
        gameId=game.astype(np.int64),
        playId=np.arange(n_plays, dtype=np.int64) + 100,
    )


def write_random_store(path, n_plays: int = 50, seed: int = 0, n_chunks: int = 3, **kw):
    """Write a random store in ``n_chunks`` appends; returns (store, arrays)."""
    a = random_store_arrays(n_plays, seed, **kw)
    offsets = np.concatenate([[0], np.cumsum(a["lengths"])])
    with StoreWriter(path) as w:
        for part in np.array_split(np.arange(n_plays), n_chunks):
            w.add(
                a["tracking"][offsets[part[0]] : offsets[part[-1] + 1]],
                a["lengths"][part],
                a["presence"][part],
                a["static"][part],
                a["yards"][part],
            )
        store = w.finish(
            plays={"gameId": a["gameId"], "playId": a["playId"], "yards": a["yards"]},
            static_names=STATIC_NAMES,
            meta={"release": "test"},
        )
    return store, a
