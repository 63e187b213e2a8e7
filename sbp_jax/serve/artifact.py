"""A scoring artifact: a trained model as serialized StableHLO plus its parameters, loaded and run
with JAX and NumPy only (no flax, no `sbp_jax.model`), so a service needs neither the training
stack nor the model's source to score plays.

Layout of an artifact directory (written by `sbp_jax.serve.export`, `FORMAT_VERSION` 1)::

    manifest.json          what is below, names, shapes, versions, the model's summary
    play_scorer.jaxexport  jax.export of f(params, tracks_TxPxF, presence_P, length, static_S,
                           yards, target_slot) -> percentile, median, quantiles [Q], nll,
                           pit_low, pit_high; inputs are the play store's raw arrays (the
                           standardization and derived channels are inside the function)
    batch_scorer.jaxexport the same vmapped over a leading batch dimension
    params.npz             the parameters, one array per '/'-joined path (tcn/Dense_0/kernel)
    normalization.json     the training store's normalization statistics (NormStats.to_dict)
    config.toml            the resolved training config

T (frames) and B (plays) are symbolic in both exported functions: one artifact scores plays of any
length up to `max_frames`; the loader pads T to a multiple of `time_multiple` so few shapes compile.
The parameters stay outside the StableHLO, so any checkpoint of the same architecture can be
served by replacing `params.npz` (shapes are checked against the manifest on load).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jax
import numpy as np

from sbp_jax.data.layout import FEATURE_NAMES, N_SLOTS

FORMAT = "sbp_jax.artifact"
FORMAT_VERSION = 1
FILES = {
    "manifest": "manifest.json",
    "play_scorer": "play_scorer.jaxexport",
    "batch_scorer": "batch_scorer.jaxexport",
    "params": "params.npz",
    "normalization": "normalization.json",
    "config": "config.toml",
}
# One play as the store holds it: raw tracking [T, 22, 8], presence [22], frames, static [S], yards
# and optionally the targeted receiver's slot (0..21; missing or -1: unknown).
PLAY_FIELDS = ("tracking", "presence", "length", "static", "yards")


class ArtifactError(ValueError):
    """An artifact directory is missing a file, unreadable, or does not fit this code."""


class PlayError(ValueError):
    """A play given to `Artifact.score` is malformed; `field` names the part at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def flatten_params(params: Any, prefix: str = "") -> dict[str, np.ndarray]:
    """Nested dict of arrays -> {'a/b/c': array} (the params.npz keys)."""
    if not isinstance(params, dict):
        return {prefix: np.asarray(params)}
    out = {}
    for key, value in params.items():
        out.update(flatten_params(value, f"{prefix}/{key}" if prefix else str(key)))
    return out


def unflatten_params(flat: dict[str, np.ndarray]) -> dict[str, Any]:
    """Inverse of `flatten_params`."""
    out: dict[str, Any] = {}
    for path, value in flat.items():
        *parents, leaf = path.split("/")
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return out


def _read(path: Path, reader):
    if not path.is_file():
        raise ArtifactError(f"{path}: missing; export the model again with sbp-export")
    try:
        return reader(path)
    except (OSError, ValueError, KeyError) as e:
        raise ArtifactError(f"{path}: unreadable ({e})") from e


def _round_up(n: int, multiple: int) -> int:
    return max(multiple, math.ceil(n / multiple) * multiple)


class Artifact:
    """A loaded artifact; `score` answers one play, `score_batch` many (raw store arrays)."""

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)
        self.manifest = _read(
            self.directory / FILES["manifest"], lambda p: json.loads(p.read_bytes())
        )
        where = self.directory / FILES["manifest"]
        if (
            self.manifest.get("format") != FORMAT
            or self.manifest.get("format_version") != FORMAT_VERSION
        ):
            raise ArtifactError(
                f"{where}: not a {FORMAT} version {FORMAT_VERSION} manifest "
                f"(format {self.manifest.get('format')!r}, version "
                f"{self.manifest.get('format_version')!r})"
            )
        m = self.manifest
        self.levels = tuple(m["levels"])
        self.static_names = tuple(m["static_names"])
        self.max_frames = int(m["max_frames"])
        self.time_multiple = int(m["time_multiple"])
        self.params = jax.device_put(unflatten_params(self._load_params()))
        self._play = jax.jit(self._exported("play_scorer").call)
        self._batch = jax.jit(self._exported("batch_scorer").call)

    def _load_params(self) -> dict[str, np.ndarray]:
        path = self.directory / FILES["params"]
        with _read(path, np.load) as npz:
            flat = {k: npz[k] for k in npz.files}
        expected = self.manifest["params"]
        for key in sorted(set(expected) | set(flat)):
            got = list(flat[key].shape) if key in flat else None
            if got != expected.get(key):
                raise ArtifactError(
                    f"{path}: parameter {key} has shape {got}, the exported functions expect "
                    f"{expected.get(key)} (a checkpoint of another architecture?)"
                )
        return flat

    def _exported(self, name: str):
        path = self.directory / FILES[name]
        return _read(path, lambda p: jax.export.deserialize(bytearray(p.read_bytes())))

    def summary(self) -> dict[str, Any]:
        """What a service reports about the model: versions, names and sizes, no parameters."""
        m = self.manifest
        keys = ("sbp_jax_version", "created", "model", "input_names", "max_frames", "levels")
        return {k: m[k] for k in keys} | {"static_names": m["static_names"]}

    def _check_play(self, play: Mapping[str, Any], where: str) -> dict[str, Any]:
        """One play's raw arrays, checked; PlayError naming the field (`where` + key)."""
        missing = [k for k in PLAY_FIELDS if k not in play]
        if missing:
            raise PlayError(f"{where}{missing[0]}", f"missing; a play has {list(PLAY_FIELDS)}")
        tracking = _array(f"{where}tracking", play["tracking"], (None, N_SLOTS, len(FEATURE_NAMES)))
        length = play["length"]
        if isinstance(length, bool) or not isinstance(length, int | np.integer):
            raise PlayError(f"{where}length", f"expected an integer, got {length!r}")
        if not 1 <= length <= len(tracking):
            raise PlayError(
                f"{where}length", f"{length} outside [1, {len(tracking)}] (frames given)"
            )
        if length > self.max_frames:
            raise PlayError(
                f"{where}length",
                f"{length} frames, more than this model's max_frames {self.max_frames}",
            )
        return {
            "tracking": tracking[:length],
            "presence": _array(f"{where}presence", play["presence"], (N_SLOTS,)) > 0,
            "length": int(length),
            "static": _array(f"{where}static", play["static"], (len(self.static_names),)),
            "yards": _array(f"{where}yards", play["yards"], ()),
            "target_slot": _slot(f"{where}target_slot", play.get("target_slot", -1)),
        }

    def _inputs(self, plays: Sequence[Mapping[str, Any]], prefix: str):
        """The exported function's batched inputs from raw plays (checked, T padded)."""
        checked = [self._check_play(p, prefix.format(j)) for j, p in enumerate(plays)]
        lengths_B = np.array([p["length"] for p in checked], np.int32)
        T = _round_up(int(lengths_B.max()), self.time_multiple)
        raw_BxTxPxF = np.zeros((len(checked), T, N_SLOTS, len(FEATURE_NAMES)), np.float32)
        for j, p in enumerate(checked):
            raw_BxTxPxF[j, : p["length"]] = p["tracking"]
        return (
            raw_BxTxPxF,
            np.stack([p["presence"] for p in checked]).astype(np.float32),
            lengths_B,
            np.stack([p["static"] for p in checked]).astype(np.float32),
            np.array([p["yards"] for p in checked], np.float32),
            np.array([p["target_slot"] for p in checked], np.int32),
        )

    def score(self, play: Mapping[str, Any]) -> dict[str, Any]:
        """Scores of one play (`PLAY_FIELDS`, as the store holds it) with the single-play scorer:
        percentile, median, nll, pit_low, pit_high as floats, quantiles as a list [Q]."""
        out = self._play(self.params, *(a[0] for a in self._inputs([play], "")))
        return {k: np.asarray(v).tolist() for k, v in out.items()}

    def score_batch(self, plays: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
        """Scores of several plays in one call of the batch scorer: arrays [B] (quantiles [B, Q]).
        Plays may differ in length; they are padded to the longest."""
        if not plays:
            raise PlayError("plays", "no plays to score")
        out = self._batch(self.params, *self._inputs(plays, "plays[{}]."))
        return {k: np.asarray(v) for k, v in out.items()}


def _array(name: str, value: Any, shape: tuple) -> np.ndarray:
    """`value` as a finite float32 array of `shape` (None: any size); PlayError naming it."""
    try:
        array = np.asarray(value, np.float32)
    except (TypeError, ValueError):
        raise PlayError(name, "not a (rectangular) array of numbers") from None
    if array.ndim != len(shape) or any(
        s not in (None, a) for a, s in zip(array.shape, shape, strict=True)
    ):
        want = "[" + ", ".join("*" if s is None else str(s) for s in shape) + "]"
        raise PlayError(name, f"shape {list(array.shape)}, expected {want}")
    if not np.all(np.isfinite(array)):
        raise PlayError(name, "contains NaN or infinite values")
    return array


def _slot(name: str, value: Any) -> int:
    """A target slot: an integer in [-1, 22) (-1: unknown); PlayError naming it."""
    array = np.asarray(value)
    if array.ndim != 0 or array.dtype == bool or not np.issubdtype(array.dtype, np.integer):
        raise PlayError(name, f"expected an integer slot in [-1, {N_SLOTS}), got {value!r}")
    value = int(array)
    if not -1 <= value < N_SLOTS:
        raise PlayError(name, f"{value} outside [-1, {N_SLOTS})")
    return int(value)


def load_artifact(directory: str | os.PathLike) -> Artifact:
    """Load an artifact directory written by `sbp-export` (ArtifactError says what is wrong)."""
    return Artifact(directory)
