"""Export a trained model as a scoring artifact (layout: `sbp_jax.serve.artifact`).

`export_scorers` is generic: any pure per-play function f(params, tracks_TxPxF, presence_P,
length, static_S, yards) -> dict is exported twice with `jax.export`, as the single-play scorer
and vmapped over a batch, with T and B symbolic. `export_trained` exports the scorer of a trained
model (`sbp_jax.serve.adapter`) with its parameters, normalization, config and names, written to a
temporary directory and renamed into place, so a failed export leaves nothing behind.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import sbp_jax
from sbp_jax.config import dumps
from sbp_jax.data.layout import FEATURE_NAMES, N_SLOTS
from sbp_jax.data.staging import replace_dir, umask_mode
from sbp_jax.evaluate.scoring import LEVELS
from sbp_jax.model.trained import TrainedModel
from sbp_jax.serve import adapter
from sbp_jax.serve.artifact import FILES, FORMAT, FORMAT_VERSION, flatten_params

DEFAULT_PLATFORMS = ("cpu", "cuda")
DEFAULT_MAX_FRAMES = 300  # 30 s from snap to release at 10 Hz; longer requests are refused


def play_shapes(num_static: int, *, batched: bool = False) -> tuple[jax.ShapeDtypeStruct, ...]:
    """Argument shapes (after params) of a per-play scorer with T symbolic; `batched` adds a
    symbolic leading B to every argument."""
    t, b = jax.export.symbolic_shape("t, b")
    lead = (b,) if batched else ()
    sds = jax.ShapeDtypeStruct
    return (
        sds((*lead, t, N_SLOTS, len(FEATURE_NAMES)), jnp.float32),
        sds((*lead, N_SLOTS), jnp.float32),
        sds(lead, jnp.int32),
        sds((*lead, num_static), jnp.float32),
        sds(lead, jnp.float32),
        sds(lead, jnp.int32),  # target slot, -1 unknown
    )


def export_scorers(
    fn: Callable,
    params: Any,
    play_args: Sequence[jax.ShapeDtypeStruct],
    batch_args: Sequence[jax.ShapeDtypeStruct],
    *,
    platforms: Sequence[str] = DEFAULT_PLATFORMS,
) -> tuple[bytes, bytes]:
    """Serialized exports of the single-play scorer `fn(params, *play_args)` and of the batch
    scorer `vmap(fn)` over the leading dimension of every `batch_args` (dimensions may be
    symbolic, `jax.export.symbolic_shape`)."""
    param_shapes = jax.tree.map(lambda x: jax.ShapeDtypeStruct(np.shape(x), x.dtype), params)
    in_axes = (None,) + (0,) * len(play_args)
    single = jax.export.export(jax.jit(fn), platforms=tuple(platforms))(param_shapes, *play_args)
    batch = jax.export.export(jax.jit(jax.vmap(fn, in_axes=in_axes)), platforms=tuple(platforms))(
        param_shapes, *batch_args
    )
    return bytes(single.serialize()), bytes(batch.serialize())


def export_trained(
    trained: TrainedModel,
    out: str | os.PathLike,
    *,
    max_frames: int = DEFAULT_MAX_FRAMES,
    platforms: Sequence[str] = DEFAULT_PLATFORMS,
    overwrite: bool = False,
    source: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write the artifact of `trained` to `out`; returns its manifest. `source` (e.g. the
    workdir and checkpoint) is recorded in the manifest's `model`."""
    out = Path(out)
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} already exists (pass --force to replace it)")
    if max_frames < 1:
        raise ValueError(f"max_frames must be >= 1, got {max_frames}")
    static_names = list(trained.store_meta["static_names"])
    params = jax.tree.map(np.asarray, trained.params)
    shapes = {b: play_shapes(len(static_names), batched=b) for b in (False, True)}
    single, batch = export_scorers(
        adapter.scorer(trained), params, shapes[False], shapes[True], platforms=platforms
    )
    flat = flatten_params(params)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "sbp_jax_version": sbp_jax.__version__,
        "jax_version": jax.__version__,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "platforms": list(platforms),
        "max_frames": int(max_frames),
        "time_multiple": int(trained.config.data.time_multiple),
        "num_slots": N_SLOTS,
        "feature_names": list(FEATURE_NAMES),
        "input_names": list(trained.store_meta.get("input_names", FEATURE_NAMES)),
        "static_names": static_names,
        "levels": list(LEVELS),
        "params": {k: list(v.shape) for k, v in flat.items()},
        "model": {
            "head": trained.config.model.head,
            "step": trained.step,
            "valid_nll": trained.valid_nll,
            "release": trained.store_meta.get("release"),
            **(source or {}),
        },
        "files": FILES,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        (tmp / FILES["play_scorer"]).write_bytes(single)
        (tmp / FILES["batch_scorer"]).write_bytes(batch)
        np.savez(tmp / FILES["params"], **flat)
        (tmp / FILES["normalization"]).write_text(json.dumps(trained.norm.to_dict(), indent=1))
        (tmp / FILES["config"]).write_text(dumps(trained.config))
        (tmp / FILES["manifest"]).write_text(json.dumps(manifest, indent=2))
        tmp.chmod(umask_mode(0o777))  # mkdtemp's directory is private; an artifact is not
        replace_dir(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return manifest
