"""A trained model from its orbax checkpoint: the checkpoint format, loading, compatibility checks.

Checkpoints: `latest` (resume) and `best` (lowest validation NLL, for scoring).

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
from sbp_jax.data import InputSpec, NormStats, PlayStore
from sbp_jax.model.network import PassModel

WHICH = ("latest", "best")


def checkpoint_manager(directory: Path, *, read_only: bool = False) -> ocp.CheckpointManager:
    options = ocp.CheckpointManagerOptions(
        max_to_keep=1, create=not read_only, enable_async_checkpointing=False
    )
    return ocp.CheckpointManager(directory.absolute(), options=options)


def restore(directory: Path, target=None, *, manager=None) -> tuple[dict, dict]:
    """Restore the newest step under `directory` (a `latest` or `best` folder)."""
    mngr = manager or checkpoint_manager(directory, read_only=True)
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

    @property
    def inputs(self) -> InputSpec:
        """The derived input channels the model was trained with."""
        return InputSpec.of(self.config.data)


def saved_config(meta: dict, where: str | os.PathLike) -> Config:
    """The config a checkpoint was trained with; a missing `data.relational_features` or
    `data.target_features` (older checkpoints) means those channels were not built."""
    raw = dict(meta["config"])
    raw["data"] = {"relational_features": False, "target_features": False, **raw.get("data", {})}
    return from_dict(raw, source=f"{where} (meta.config)")


def check_input_names(store_meta: dict, config: Config, where: str | os.PathLike) -> None:
    """Raise ValueError if the input channels a checkpoint recorded differ from those this code
    builds for its config (e.g. the derived channels changed since it was trained)."""
    spec = InputSpec.of(config.data)
    built = list(spec.names)
    saved = store_meta.get("input_names", built)  # not recorded by older checkpoints
    if saved != built:
        raise ValueError(
            f"{where}: the checkpoint was trained on input channels {saved}, but "
            f"data.relational_features={spec.relational} and data.target_features={spec.target} "
            f"now build {built}; "
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


SPLIT_KEYS = ("valid_fraction", "test_fraction", "split_seed")


class MismatchError(ValueError):
    """The checkpoint and the data (or two checkpoints) do not belong together."""


def check_compatible(trained: TrainedModel, store: PlayStore, *, workdir, data) -> None:
    """Raise MismatchError if the store's features or format differ from the checkpoint's."""
    now = {
        "feature_names": list(store.feature_names),
        "static_names": list(store.static_names),
        "format_version": int(store.format_version),
    }
    for key, value in now.items():
        saved = trained.store_meta.get(key)
        if saved != value:
            raise MismatchError(
                f"checkpoint {workdir} was trained on data with {key}={saved!r}, but the store "
                f"{data} has {key}={value!r}; score with a store ingested the same way"
            )
    if trained.norm.track_mean_F.shape[-1] != len(
        store.feature_names
    ) or trained.norm.static_mean_S.shape[-1] != len(store.static_names):
        raise MismatchError(
            f"checkpoint {workdir}: normalization statistics do not fit the "
            f"store {data} ({len(store.static_names)} static features)"
        )


def check_same_split(a: TrainedModel, b: TrainedModel, wa, wb) -> None:
    """Compared models must hold out the same games, or their metrics are not comparable."""
    for key in SPLIT_KEYS:
        va, vb = getattr(a.config.data, key), getattr(b.config.data, key)
        if va != vb:
            raise MismatchError(
                f"--compare {wb}: data.{key}={vb!r} but {wa} has data.{key}="
                f"{va!r}; compared models must hold out the same games"
            )
