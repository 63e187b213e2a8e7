"""Checkpoint writing during training: the `latest` and `best` managers of one workdir, and the
workdir itself (claimed as training's output directory).

The on-disk format (and reading it back for scoring) is `sbp_jax.model.trained`'s; this module only
adds the writer that training needs. Resuming reads the newest intact `latest` step, else the older
one, else `best` (`checkpoint_reader.restore_newest`); the damaged steps it skipped are renamed
`<step>.corrupt-<time>` (kept for inspection, out of the writer's way) and named in a warning."""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path
from typing import Any

import jax
import numpy as np
import orbax.checkpoint as ocp
from jax.experimental import multihost_utils

from sbp_jax import outdir
from sbp_jax.model.checkpoint_reader import (
    CheckpointError,
    CheckpointFallbackWarning,
    params_sha256,
    restore_newest,
)
from sbp_jax.model.trained import WHICH, checkpoint_manager, fallback_warning

TOOL = "train"
# What a training workdir of a version before output markers holds (adopted as training's):
# training's files, and the demo's evaluation output `eval`.
WORKDIR_ENTRIES = frozenset({"checkpoints", "metrics.jsonl", "config.toml", "store", "eval"})


def earlier_workdir(path: Path, entries: list[Path]) -> bool:
    """Does `path` look like a training workdir of a version before output markers? Only
    training's entries, and directories one of our commands owns (evaluation outputs)."""
    return all(e.name in WORKDIR_ENTRIES or outdir.marker_tool(e) is not None for e in entries)


def claim_workdir(workdir: str | os.PathLike) -> Path:
    """Create the workdir or check that it is a training workdir (`outdir.claim`): refuses a
    non-empty directory that training did not write, before any work.

    In a multi-process run every process calls this: process 0 claims the directory and the
    others take its verdict. Claiming it in every process at once raced on a shared file system
    (one process would see the other's half-written marker as a foreign file and quit, leaving
    the rest waiting in their first collective)."""
    if jax.process_count() == 1:
        return outdir.claim(workdir, TOOL, adopt=earlier_workdir)
    error = None
    if jax.process_index() == 0:
        try:
            outdir.claim(workdir, TOOL, adopt=earlier_workdir)
        except outdir.OutputDirError as e:
            error = e
    refused = multihost_utils.broadcast_one_to_all(np.int32(error is not None))
    if error is not None:
        raise error
    if int(refused):
        raise outdir.OutputDirError(f"{workdir}: process 0 refused it as the workdir (its error)")
    return Path(workdir)


class Checkpoints:
    """The `latest` and `best` managers of one workdir."""

    def __init__(self, workdir: str | os.PathLike) -> None:
        self.root = Path(workdir) / "checkpoints"
        self._managers = {which: checkpoint_manager(self.root / which) for which in WHICH}

    def latest_step(self, which: str = "latest") -> int | None:
        return self._managers[which].latest_step()

    def last_good(self) -> str | None:
        """The newest checkpoint written, as "step N in DIR", or None before the first one."""
        for which in WHICH:
            step = self.latest_step(which)
            if step is not None:
                return f"step {step} in {self.root / which}"
        return None

    def save(self, which: str, step: int, state_arrays: dict[str, Any], meta: dict) -> None:
        """Write one checkpoint (blocking; the oldest beyond two is dropped). The meta records
        the parameters' hash so that a damaged array file is detected on reading."""
        meta = {**meta, "params_sha256": params_sha256(state_arrays["params"])}
        self._managers[which].save(
            step,
            args=ocp.args.Composite(
                state=ocp.args.StandardSave(state_arrays), meta=ocp.args.JsonSave(meta)
            ),
        )
        self._managers[which].wait_until_finished()

    def restore(self, which: str, target: dict[str, Any] | None = None) -> tuple[dict, dict]:
        """(state arrays, meta) of the newest intact checkpoint of `which` (`latest` falls back
        to `best`); `target` fixes the tree structure."""
        order = [which] + ([w for w in WHICH if w != which] if which == "latest" else [])
        restored = restore_newest([self.root / w for w in order], target)
        if restored.skipped:
            self._set_aside(restored.skipped)
            warnings.warn(
                fallback_warning(restored.skipped, restored.path),
                CheckpointFallbackWarning,
                stacklevel=2,
            )
        return restored.state, restored.meta

    def _set_aside(self, skipped: tuple[str, ...]) -> None:
        """Rename damaged steps to `<step>.corrupt-<time>`, so the writer can save those again."""
        if jax.process_count() > 1:
            raise CheckpointError(
                "damaged checkpoints found (" + "; ".join(skipped) + "); move them aside by "
                "hand before resuming a multi-process run"
            )
        for which, mngr in self._managers.items():
            for step in mngr.all_steps():
                path = self.root / which / str(step)
                if any(s.startswith(f"{path}:") for s in skipped):
                    os.replace(path, path.with_name(f"{step}.corrupt-{time.time_ns()}"))
            mngr.reload()

    def close(self) -> None:
        for m in self._managers.values():
            m.close()
