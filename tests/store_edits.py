"""Copies of a play store with some plays dropped, yards or per-play columns changed (rewritten
through StoreWriter, so the copy is a valid store): the inputs of the store-mismatch, non-finite
and hostile-name tests."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from sbp_jax.data import PlayStore
from sbp_jax.data.layout import frame_rows
from sbp_jax.data.store import StoreWriter


def rewrite_store(
    store: PlayStore,
    dst: Path,
    *,
    keep_N: np.ndarray | None = None,
    yards_N: np.ndarray | None = None,
    static_NxS: np.ndarray | None = None,
    tracking_RxPxF: np.ndarray | None = None,
    plays: Mapping[str, np.ndarray] | None = None,
) -> PlayStore:
    """`store`'s plays `keep_N` (default all) into a new store at `dst`, with the yards, static
    features, tracking rows and per-play table given (each indexed like `store`'s) in place of its
    own."""
    keep_N = np.arange(store.n_plays) if keep_N is None else np.asarray(keep_N)
    rows, _ = frame_rows(store.offsets, keep_N)
    yards_N = store.yards if yards_N is None else yards_N
    static_NxS = store.static if static_NxS is None else static_NxS
    tracking_RxPxF = store.tracking if tracking_RxPxF is None else tracking_RxPxF
    table = {c: np.asarray(v)[keep_N] for c, v in (plays or store.plays).items()}
    with StoreWriter(dst) as w:
        w.add(
            np.asarray(tracking_RxPxF[rows]),
            store.lengths[keep_N],
            store.presence[keep_N],
            np.asarray(static_NxS)[keep_N],
            np.asarray(yards_N, np.float32)[keep_N],
        )
        return w.finish(
            plays=table, static_names=list(store.static_names), meta={"release": store.release}
        )
