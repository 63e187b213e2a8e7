"""Reading checkpoints that may be damaged, or written while we read: the newest intact step wins.

A `latest` or `best` folder holds up to two steps (`<step>/`, each renamed into place by orbax only
when complete). A reader lists the finalized steps afresh, newest first, and takes the first one
that reads back whole: its meta parses and has the keys and types training wrote, its
normalization statistics are finite, and its parameters hash to the `params_sha256` recorded at
save time (a flipped byte in an array file otherwise loads silently). Every failure names the step
directory. A step that disappears while it is read (the writer's garbage collection of old steps
when training writes the same workdir) is not a failure: the listing is read again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orbax.checkpoint as ocp

# The meta keys every checkpoint carries, with their JSON types.
META_TYPES = {"config": dict, "norm": dict, "store_meta": dict, "epoch": int, "step_in_epoch": int}
RELIST_ATTEMPTS = 5


class CheckpointError(ValueError):
    """No intact checkpoint could be read; the message names every step directory tried."""


class CheckpointFallbackWarning(UserWarning):
    """Newer checkpoints were unreadable and an older (or the other) one was used."""


@dataclasses.dataclass(frozen=True)
class Restored:
    """One checkpoint read back: its arrays, meta, step directory, and the newer ones skipped
    ("path: reason")."""

    state: dict[str, Any]
    meta: dict[str, Any]
    path: Path
    skipped: tuple[str, ...] = ()


def params_sha256(params: Any) -> str:
    """A hash of a parameter tree (nested mappings of arrays): key paths, dtypes, shapes, bytes."""
    h = hashlib.sha256()

    def visit(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            for key in sorted(node, key=str):
                visit(node[key], f"{path}/{key}")
            return
        a = np.ascontiguousarray(np.asarray(node))
        h.update(f"{path}:{a.dtype.str}:{a.shape};".encode())
        h.update(a.tobytes())

    visit(params, "")
    return h.hexdigest()


def finalized_steps(directory: Path) -> list[int]:
    """Steps under `directory` that orbax finished writing, newest first: the entries named by a
    step number (temporaries of a save in progress carry a suffix and are not listed)."""
    try:
        entries = list(Path(directory).iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted((int(p.name) for p in entries if p.name.isdigit()), reverse=True)


def _check_meta(meta: Any) -> None:
    """Raise ValueError naming the first meta key that is missing, mistyped or not finite."""
    if not isinstance(meta, dict):
        raise ValueError(f"meta is a {type(meta).__name__}, not a JSON object")
    for key, kind in META_TYPES.items():
        if not isinstance(meta.get(key), kind) or isinstance(meta.get(key), bool):
            got = type(meta[key]).__name__ if key in meta else "missing"
            raise ValueError(f"meta.{key} is {got}, expected {kind.__name__}")
    names = {
        "track": meta["store_meta"].get("feature_names"),
        "static": meta["store_meta"].get("static_names"),
    }
    for kind, feature_names in names.items():
        for stat in ("mean", "std"):
            key = f"{kind}_{stat}_{'F' if kind == 'track' else 'S'}"
            values = meta["norm"].get(key)
            if not isinstance(values, list) or not all(isinstance(v, int | float) for v in values):
                raise ValueError(f"meta.norm.{key} is not a list of numbers")
            for i, v in enumerate(values):
                if not math.isfinite(v):
                    name = feature_names[i] if isinstance(feature_names, list) else i
                    raise ValueError(f"meta.norm.{key}[{i}] (feature {name!r}) is {v}")


def read_step(step_dir: Path, target: Any = None) -> tuple[dict, dict]:
    """(state, meta) of one step directory; CheckpointError naming it when anything is wrong."""
    state_args = ocp.args.StandardRestore(target) if target is not None else None
    try:
        out = ocp.Checkpointer(ocp.CompositeCheckpointHandler()).restore(
            Path(step_dir).absolute(),
            args=ocp.args.Composite(
                state=state_args or ocp.args.StandardRestore(), meta=ocp.args.JsonRestore()
            ),
        )
        state, meta = out["state"], out["meta"]
        _check_meta(meta)
        want = meta.get("params_sha256")
        if want is not None and params_sha256(state["params"]) != want:
            raise ValueError("the parameters do not match the hash recorded when they were saved")
    except Exception as e:  # orbax, tensorstore and JSON raise many kinds; all mean "unreadable"
        raise CheckpointError(f"{step_dir}: {type(e).__name__}: {e}") from e
    return state, meta


def restore_newest(directories: Sequence[Path], target: Any = None) -> Restored:
    """The newest intact step of the first folder that has one (e.g. `latest`, then `best`).

    Raises FileNotFoundError when no folder holds a step and CheckpointError (naming every step
    tried and why) when none reads back."""
    failed: dict[Path, str] = {}
    for _ in range(RELIST_ATTEMPTS):
        vanished = False
        for directory in directories:
            for step in finalized_steps(directory):
                path = Path(directory) / str(step)
                if path in failed:
                    continue
                try:
                    state, meta = read_step(path, target)
                except CheckpointError as e:
                    if not path.exists():  # removed by a concurrent writer: list again
                        vanished = True
                        break
                    failed[path] = str(e)
                    continue
                return Restored(state, meta, path, tuple(failed.values()))
            if vanished:
                break
        if not vanished:
            break
    where = ", ".join(str(d) for d in directories)
    if not failed:
        raise FileNotFoundError(f"no checkpoint in {where}")
    raise CheckpointError(f"no intact checkpoint in {where}: " + "; ".join(failed.values()))
