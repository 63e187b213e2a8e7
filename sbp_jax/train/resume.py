"""Resuming a run: what a checkpoint records about its data and input channels, and restoring the
latest checkpoint only when the config and the store still match it."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from sbp_jax.config import RESUMABLE_CHANGES, Config, ConfigError, changed_keys
from sbp_jax.data import InputSpec, PlayStore
from sbp_jax.model.trained import check_input_names, saved_config, store_fingerprint
from sbp_jax.train.checkpoint import Checkpoints
from sbp_jax.train.step import TrainState


def store_meta(store: PlayStore, spec: InputSpec) -> dict[str, Any]:
    """What a checkpoint records about the training store and the model's input channels
    (checked on resume and scoring)."""
    return {
        "feature_names": list(store.feature_names),
        "input_names": list(spec.names),
        "static_names": list(store.static_names),
        "format_version": int(store.format_version),
        "release": str(getattr(store, "release", "")),
        "n_plays": int(store.n_plays),
        "fingerprint": store_fingerprint(store),
    }


def resume(
    cfg: Config, ckpt: Checkpoints, state: TrainState, meta_now: dict
) -> tuple[TrainState, dict]:
    """Restore the latest checkpoint into `state`, refusing an incompatible config or store."""
    target = jax.tree.map(np.asarray, state.arrays())
    arrays, meta = ckpt.restore("latest", target)
    where = f"{ckpt.root / 'latest'}"
    saved_cfg = saved_config(meta, where)
    changed = [k for k in changed_keys(saved_cfg, cfg) if k not in RESUMABLE_CHANGES]
    if changed:
        raise ConfigError(
            f"{where}: the config differs from the checkpoint's in {', '.join(changed)}; "
            "resume with the same config (only "
            f"{', '.join(sorted(RESUMABLE_CHANGES))} may change) or use a new --workdir"
        )
    check_input_names(meta["store_meta"], saved_cfg, where)
    keys = ["feature_names", "static_names", "format_version", "n_plays", "fingerprint"]
    for key in (k for k in keys if k in meta["store_meta"]):  # older checkpoints lack some
        if meta["store_meta"][key] != meta_now[key]:
            raise ValueError(
                f"{where}: the data differ from the checkpoint's ({key}: "
                f"{meta['store_meta'][key]!r} != {meta_now[key]!r}); use the same store"
            )
    return state.replace_arrays(arrays), meta
