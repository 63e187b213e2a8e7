"""The one place that says which per-play function an artifact exports, and how a stored play
becomes that function's arguments: `raw_play_scorer`, which takes the store's raw arrays and the
target slot and does the data work (standardization, derived channels) inside, so the exported
StableHLO needs nothing from the host but the play as the store or `preprocess_play` holds it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from sbp_jax.data import PlayStore
from sbp_jax.data.batching import target_slots
from sbp_jax.evaluate.scoring import trained_scorer
from sbp_jax.model.trained import TrainedModel


def scorer(trained: TrainedModel) -> Callable:
    """f(params, tracks_TxPxF, presence_P, length, static_S, yards, target_slot) -> dict."""
    return trained_scorer(trained)


def stored_play(store: PlayStore, i: int) -> dict[str, Any]:
    """Play `i` as the store holds it (what `Artifact.score` and `POST /score/arrays` take):
    raw tracking [T, 22, 8], presence [22], length, static [S], yards, target slot."""
    lo, hi = int(store.offsets[i]), int(store.offsets[i + 1])
    return {
        "tracking": np.asarray(store.tracking[lo:hi]),
        "presence": store.presence[i],
        "length": int(store.lengths[i]),
        "static": store.static[i],
        "yards": float(store.yards[i]),
        "target_slot": int(target_slots(store)[i]),
    }


def play_arguments(store: PlayStore, i: int) -> tuple[np.ndarray, ...]:
    """The arguments (after params) of `scorer(...)` for play `i` of `store`: the reference an
    artifact's scores are checked against."""
    p = stored_play(store, i)
    return (
        p["tracking"],
        np.asarray(p["presence"], np.float32),
        np.int32(p["length"]),
        np.asarray(p["static"], np.float32),
        np.float32(p["yards"]),
        np.int32(p["target_slot"]),
    )
