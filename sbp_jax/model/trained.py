"""A trained model from its orbax checkpoint: the checkpoint format, loading, compatibility checks.

Checkpoints: `latest` (resume) and `best` (lowest validation NLL, for scoring).

Layout: `W/checkpoints/latest/<step>/` and `W/checkpoints/best/<step>/`, the two newest steps kept
in each, written by `ocp.CheckpointManager` (atomic: a checkpoint appears only when complete). Each
holds two items:

- `state` (`StandardSave`): `step`, `params`, `opt_state`, `rng` (raw uint32 key data);
- `meta` (`JsonSave`): `epoch` and `step_in_epoch` of the next step to run, `best_valid_nll`,
  `bad_epochs` (early-stopping counter), `valid_nll`, the resolved `config`, the normalization
  statistics `norm` (float32 values stored exactly as JSON numbers) and `store_meta` (feature and
  static names, the model's input channel names `input_names`, store format version, release,
  number of plays, and the store's `fingerprint`), and `params_sha256` (see `checkpoint_reader`).

Reading takes the newest intact step, falling back to an older one and then to the other folder
with a warning naming what was skipped (`checkpoint_reader.restore_newest`).

Checkpoints written before `data.relational_features` existed were trained on the 8 raw features:
their config is read with the key set to false (`saved_config`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orbax.checkpoint as ocp

from sbp_jax.config import Config, from_dict
from sbp_jax.data import InputSpec, NormStats, PlayStore
from sbp_jax.model.checkpoint_reader import CheckpointFallbackWarning, restore_newest
from sbp_jax.model.network import PassModel

WHICH = ("latest", "best")
KEEP_STEPS = 2  # per folder: a damaged newest step falls back to the one before


def checkpoint_manager(directory: Path) -> ocp.CheckpointManager:
    """The writer of one folder (`latest` or `best`); readers use `checkpoint_reader`."""
    options = ocp.CheckpointManagerOptions(
        max_to_keep=KEEP_STEPS, create=True, enable_async_checkpointing=False
    )
    return ocp.CheckpointManager(directory.absolute(), options=options)


def restore(directory: Path, target=None) -> tuple[dict, dict]:
    """(state, meta) of the newest intact step under `directory` (a `latest` or `best` folder)."""
    restored = restore_newest([Path(directory)], target)
    return restored.state, restored.meta


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
    path: Path | None = None  # the step directory it was read from
    skipped: tuple[str, ...] = ()  # newer checkpoints that were unreadable ("path: reason")

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


def fallback_warning(skipped: Sequence[str], used: Path) -> str:
    """One line for a fallback: what was skipped, what was used."""
    return f"skipped unreadable checkpoints ({'; '.join(skipped)}); using {used}"


def load_trained(workdir: str | os.PathLike, which: str = "best") -> TrainedModel:
    """Load the `best` (default) or `latest` checkpoint of a training workdir: its newest intact
    step, else an older one, else the other folder's (warning naming what was skipped)."""
    if which not in WHICH:
        raise ValueError(f"which={which!r}: expected one of {WHICH}")
    root = Path(workdir) / "checkpoints"
    order = [root / which] + [root / w for w in WHICH if w != which]
    try:
        restored = restore_newest(order)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{root / which} holds no checkpoint; train first with "
            f"`python train.py --config ... --workdir {workdir}`"
        ) from None
    state, meta, path = restored.state, restored.meta, restored.path
    skipped = restored.skipped
    if path.parent.name != which:
        skipped = (*skipped, f"{root / which}: no intact step, so the {path.parent.name} one")
    if skipped:
        warnings.warn(fallback_warning(skipped, path), CheckpointFallbackWarning, stacklevel=2)
    config = saved_config(meta, path)
    check_input_names(meta["store_meta"], config, path)
    return TrainedModel(
        config=config,
        model=PassModel(config.model),
        params=state["params"],
        norm=NormStats.from_dict(meta["norm"]),
        store_meta=meta["store_meta"],
        step=int(state["step"]),
        valid_nll=meta.get("valid_nll"),
        path=path,
        skipped=skipped,
    )


KEYS_SCHEME = "keys-v1"


def key_fingerprint(store: PlayStore) -> str:
    """A hash of the play keys (gameId, playId), lengths and yards, in store order."""
    h = hashlib.sha256()
    for name, values, dtype in (
        ("gameId", store.plays["gameId"], np.int64),
        ("playId", store.plays["playId"], np.int64),
        ("lengths", store.lengths, np.int64),
        ("yards", store.yards, np.float32),
    ):
        a = np.ascontiguousarray(np.asarray(values, dtype))
        h.update(f"{name}:{a.shape};".encode())
        h.update(a.tobytes())
    return f"{KEYS_SCHEME}:{h.hexdigest()[:32]}"


def store_fingerprint(store: PlayStore, scheme: str | None = None) -> str:
    """The store's own `fingerprint` when it has one, else `key_fingerprint`; `scheme` (the prefix
    of a recorded fingerprint) asks for the same kind as one recorded earlier."""
    own = getattr(store, "fingerprint", None)
    own = own() if callable(own) else own
    if own is None or scheme == KEYS_SCHEME:
        return key_fingerprint(store)
    return str(own)


@dataclasses.dataclass(frozen=True)
class StoreCheck:
    """Is the store the one the checkpoint was trained on? `same` allows held-out claims;
    `message` says what was found when it is not certain (empty when it is)."""

    same: bool
    message: str = ""


def check_same_store(trained: TrainedModel, store: PlayStore, *, workdir, data) -> StoreCheck:
    """Compare the store's fingerprint with the checkpoint's (older checkpoints without one: the
    number of plays, with a warning in `message`)."""
    saved = trained.store_meta.get("fingerprint")
    n_saved, n_now = trained.store_meta.get("n_plays"), int(store.n_plays)
    if saved is not None:
        now = store_fingerprint(store, str(saved).split(":", 1)[0])
        if now == saved:
            return StoreCheck(True)
        return StoreCheck(
            False,
            f"{data} is not the store checkpoint {workdir} was trained on (fingerprint {now}, "
            f"trained on {saved}; {n_now} plays, trained on {n_saved})",
        )
    if n_saved == n_now:
        return StoreCheck(
            True,
            f"checkpoint {workdir} records no store fingerprint (written by an older version): "
            f"only the number of plays ({n_now}) of {data} was checked",
        )
    return StoreCheck(
        False,
        f"{data} is not the store checkpoint {workdir} was trained on ({n_now} plays, trained on "
        f"{n_saved}; the checkpoint records no fingerprint)",
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
