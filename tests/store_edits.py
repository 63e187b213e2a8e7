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
    plays: Mapping[str, np.ndarray] | None = None,
) -> PlayStore:
    """`store`'s plays `keep_N` (default all) into a new store at `dst`, with `yards_N` and the
    per-play table `plays` (both indexed like `store`) in place of its own when given."""
    keep_N = np.arange(store.n_plays) if keep_N is None else np.asarray(keep_N)
    rows, _ = frame_rows(store.offsets, keep_N)
    yards_N = store.yards if yards_N is None else yards_N
    table = {c: np.asarray(v)[keep_N] for c, v in (plays or store.plays).items()}
    with StoreWriter(dst) as w:
        w.add(
            np.asarray(store.tracking[rows]),
            store.lengths[keep_N],
            store.presence[keep_N],
            store.static[keep_N],
            np.asarray(yards_N, np.float32)[keep_N],
        )
        return w.finish(
            plays=table, static_names=list(store.static_names), meta={"release": store.release}
        )
