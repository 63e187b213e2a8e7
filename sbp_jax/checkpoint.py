"""Orbax checkpoints: `latest` (resume) and `best` (lowest validation NLL, for scoring).

Layout: `W/checkpoints/latest/<step>/` and `W/checkpoints/best/<step>/`, one step kept in each,
written by `ocp.CheckpointManager` (atomic: a checkpoint appears only when complete). Each holds two
items:

- `state` (`StandardSave`): `step`, `params`, `opt_state`, `rng` (raw uint32 key data);
- `meta` (`JsonSave`): `epoch` and `step_in_epoch` of the next step to run, `best_valid_nll`,
  `bad_epochs` (early-stopping counter), `valid_nll`, the resolved `config`, the normalization
  statistics `norm` (float32 values stored exactly as JSON numbers) and `store_meta` (feature and
  static names, the model's input channel names `input_names`, store format version, release,
  number of plays).

Checkpoints written before `data.relational_features` existed were trained on the 8 raw features:
their config is read with the key set to false (`saved_config`).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import orbax.checkpoint as ocp

from sbp_jax.config import Config, from_dict
from sbp_jax.data import NormStats, input_feature_names
from sbp_jax.model import PassModel

WHICH = ("latest", "best")


def _manager(directory: Path, *, read_only: bool = False) -> ocp.CheckpointManager:
    options = ocp.CheckpointManagerOptions(
        max_to_keep=1, create=not read_only, enable_async_checkpointing=False
    )
    return ocp.CheckpointManager(directory.absolute(), options=options)


class Checkpoints:
    """The `latest` and `best` managers of one workdir."""

    def __init__(self, workdir: str | os.PathLike) -> None:
        self.root = Path(workdir) / "checkpoints"
        self._managers = {which: _manager(self.root / which) for which in WHICH}

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


def restore(directory: Path, target=None, *, manager=None) -> tuple[dict, dict]:
    """Restore the newest step under `directory` (a `latest` or `best` folder)."""
    mngr = manager or _manager(directory, read_only=True)
    step = mngr.latest_step()
    if step is None:
        raise FileNotFoundError(f"no checkpoint in {directory}")
    state_args = (
        ocp.args.StandardRestore(target) if target is not None else ocp.args.StandardRestore()
    )
    out = mngr.restore(step, args=ocp.args.Composite(state=state_args, meta=ocp.args.JsonRestore()))
    if manager is None:
        mngr.close()
    return out["state"], out["meta"]


@dataclasses.dataclass(frozen=True)
class TrainedModel:
    """A trained PassModel ready to score: `model.apply({'params': params}, ...)` on batches
    normalized with `norm`."""

    config: Config
    model: PassModel
    params: Any
    norm: NormStats
    store_meta: dict[str, Any]
    step: int
    valid_nll: float | None


def saved_config(meta: dict, where: str | os.PathLike) -> Config:
    """The config a checkpoint was trained with; a missing `data.relational_features` (older
    checkpoints) means the 8 raw input channels only."""
    raw = dict(meta["config"])
    raw["data"] = {"relational_features": False, **raw.get("data", {})}
    return from_dict(raw, source=f"{where} (meta.config)")


def check_input_names(store_meta: dict, config: Config, where: str | os.PathLike) -> None:
    """Raise ValueError if the input channels a checkpoint recorded differ from those this code
    builds for its config (e.g. the relational channels changed since it was trained)."""
    built = list(input_feature_names(config.data.relational_features))
    saved = store_meta.get("input_names", built)  # not recorded by older checkpoints
    if saved != built:
        raise ValueError(
            f"{where}: the checkpoint was trained on input channels {saved}, but "
            f"data.relational_features={config.data.relational_features} now builds {built}; "
            "retrain, or use the code version it was trained with"
        )


def load_trained(workdir: str | os.PathLike, which: str = "best") -> TrainedModel:
    """Load the `best` (default) or `latest` checkpoint of a training workdir."""
    if which not in WHICH:
        raise ValueError(f"which={which!r}: expected one of {WHICH}")
    directory = Path(workdir) / "checkpoints" / which
    if not directory.is_dir():
        raise FileNotFoundError(
            f"{directory} does not exist; train first with "
            f"`python train.py --config ... --workdir {workdir}`"
        )
    state, meta = restore(directory)
    config = saved_config(meta, directory)
    check_input_names(meta["store_meta"], config, directory)
    return TrainedModel(
        config=config,
        model=PassModel(config.model),
        params=state["params"],
        norm=NormStats.from_dict(meta["norm"]),
        store_meta=meta["store_meta"],
        step=int(state["step"]),
        valid_nll=meta.get("valid_nll"),
    )
