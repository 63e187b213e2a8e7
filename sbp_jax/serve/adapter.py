"""The one place that says which per-play function an artifact exports, and how a stored play
becomes that function's arguments.

Today the scorer is `sbp_jax.evaluate.scoring.play_scorer`, which reads standardized tracks with
the relational channels appended (built on the host, as `make_batch` does). When the scorer that
takes the store's raw arrays (`raw_play_scorer`) exists, `scorer` returns
`Scorer(raw_play_scorer(trained), "raw", len(FEATURE_NAMES))` and `play_arguments` the raw arrays
of `stored_play`; nothing else in `sbp_jax.serve` changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from sbp_jax.data import PlayStore, input_feature_names, make_batch
from sbp_jax.evaluate.scoring import play_scorer
from sbp_jax.model.trained import TrainedModel


@dataclasses.dataclass(frozen=True)
class Scorer:
    """f(params, tracks_TxPxF, presence_P, length, static_S, yards) -> dict, what its tracks hold
    ("raw" or "standardized", see `sbp_jax.serve.artifact`) and F."""

    fn: Callable
    inputs: str
    num_features: int


def scorer(trained: TrainedModel) -> Scorer:
    """The per-play function exported for `trained`."""
    names = input_feature_names(trained.config.data.relational_features)
    return Scorer(play_scorer(trained.model), "standardized", len(names))


def play_arguments(trained: TrainedModel, store: PlayStore, i: int) -> tuple[np.ndarray, ...]:
    """The arguments (after params) of `scorer(trained).fn` for play `i` of `store`, as the
    in-process scorers build them: the reference an artifact's scores are checked against."""
    b = make_batch(
        store, [i], norm=trained.norm, relational=trained.config.data.relational_features
    )
    return b.tracks[0], b.presence[0], b.lengths[0], b.static[0], b.yards[0]


def stored_play(store: PlayStore, i: int) -> dict[str, Any]:
    """Play `i` as the store holds it (what `Artifact.score` and `POST /score/arrays` take):
    raw tracking [T, 22, 8], presence [22], length, static [S], yards."""
    lo, hi = int(store.offsets[i]), int(store.offsets[i + 1])
    return {
        "tracking": np.asarray(store.tracking[lo:hi]),
        "presence": store.presence[i],
        "length": int(store.lengths[i]),
        "static": store.static[i],
        "yards": float(store.yards[i]),
    }
