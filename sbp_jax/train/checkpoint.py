"""Checkpoint writing during training: the `latest` and `best` managers of one workdir.

The on-disk format (and reading it back for scoring) is `sbp_jax.model.trained`'s; this module only
adds the writer that training needs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orbax.checkpoint as ocp

from sbp_jax.model.trained import WHICH, checkpoint_manager, restore


class Checkpoints:
    """The `latest` and `best` managers of one workdir."""

    def __init__(self, workdir: str | os.PathLike) -> None:
        self.root = Path(workdir) / "checkpoints"
        self._managers = {which: checkpoint_manager(self.root / which) for which in WHICH}

    def latest_step(self, which: str = "latest") -> int | None:
        return self._managers[which].latest_step()

    def save(self, which: str, step: int, state_arrays: dict[str, Any], meta: dict) -> None:
        """Write one checkpoint (blocking) and drop the older one."""
        self._managers[which].save(
            step,
            args=ocp.args.Composite(
                state=ocp.args.StandardSave(state_arrays), meta=ocp.args.JsonSave(meta)
            ),
        )
        self._managers[which].wait_until_finished()

    def restore(self, which: str, target: dict[str, Any] | None = None) -> tuple[dict, dict]:
        """(state arrays, meta) of the newest checkpoint; `target` fixes the tree structure."""
        return restore(self.root / which, target, manager=self._managers[which])

    def close(self) -> None:
        for m in self._managers.values():
            m.close()
