"""Training configuration: TOML files -> frozen dataclasses, with strict keys and types.

A config has three sections, `data`, `model` and `train`. Every key a file or an override names
must exist in the dataclass and have the declared type (ints are accepted where floats are expected;
tuples are written as TOML arrays); anything else raises `ConfigError` naming the key and the file.
Keys a file omits take the defaults below, so a file states only what differs.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import tomli_w


class ConfigError(ValueError):
    """A config file or override is invalid; the message names the key and the source."""


@dataclasses.dataclass(frozen=True)
class DataConfig:
    """How plays are split and batched."""

    valid_fraction: float = 0.1  # share of games held out for validation / early stopping
    test_fraction: float = 0.1  # share of games held out for the final test
    split_seed: int = 0  # seed of the by-game split (and of the fold assignment)
    # K folds of whole games (0: one train/valid/test split by the fractions above); with folds,
    # fold `fold`'s games are the test set and test_fraction is not used (sbp_jax.data.splits)
    folds: int = 0
    fold: int = 0  # which fold this model tests (0 <= fold < folds)
    fold_mode: str = "kfold"  # kfold | walk_forward (weeks in blocks; trains on earlier weeks)
    time_multiple: int = 8  # pad T to a multiple of this so few shapes compile
    bucket_by_length: bool = True  # group plays of similar length into a batch
    # append the derived relational channels (sbp_jax.data.relational) to the 8 raw features
    relational_features: bool = True
    # append the target-aware channels (sbp_jax.data.target_channels): where the targeted
    # receiver is and who is near him; zeros for plays whose target is unknown
    target_features: bool = True
    loader_threads: int = 1  # threads gathering raw frames on the host (host batching path only)
    # keep the store's arrays on the device(s) and send only play indices: "auto" (when it fits in
    # a quarter of device memory), true, or false (gather raw frames on the host)
    device_resident: bool | str = "auto"


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Network sizes and the output head (see docs/training.md for the parameter maps)."""

    head: str = "sbp"  # sbp | gaussian | binned
    channels: int = 64  # TCN width
    kernel_size: int = 3  # taps of each causal convolution
    dilations: tuple[int, ...] = (1, 2, 4, 8)  # one residual block per dilation
    mlp_hidden: tuple[int, ...] = (128, 128)  # widths of the MLP after the TCN readout
    dropout: float = 0.1  # dropout rate in the TCN blocks and the MLP (training only)
    low: float = -20.5  # lower edge of the bins (yards)
    high: float = 99.5  # upper edge of the bins (yards)
    num_bins: int = 120  # (high - low) / num_bins = bin width; 1-yard bins on half-yard edges
    tail_percentile: float = 0.05  # alpha: mass of each GPD tail
    xi_min: float = 0.0  # tail shape range [xi_min, xi_max]; xi_min < 0 allows a bounded tail
    xi_max: float = 0.75  # upper end of the tail shape range
    beta_min: float = 1e-3  # floor of the GPD scale (yards)
    yards_scale: float = 10.0  # scale of the gaussian head's outputs (yards)


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Optimization, checkpointing and early stopping."""

    seed: int = 0  # parameter init, dropout and shuffling
    batch_size: int = 256  # global batch (all devices and processes)
    eval_batch_size: int = 1024  # plays per validation batch
    epochs: int = 10  # passes over the training plays (more may be added on resume)
    learning_rate: float = 1e-3  # AdamW peak learning rate (reached after the warmup)
    warmup_steps: int = 100  # linear warmup from 0 to learning_rate
    decay_steps: int = 0  # after the warmup, cosine decay to 5% of the rate over this many; 0: none
    weight_decay: float = 1e-4  # AdamW decoupled weight decay
    grad_clip: float = 1.0  # global-norm clip; 0 disables
    checkpoint_every: int = 500  # steps between "latest" checkpoints (also saved at each epoch end)
    patience: int = 3  # epochs without a better valid NLL before stopping; 0 disables
    log_every: int = 10  # steps between metrics.jsonl lines
    steps_per_call: int = 1  # optimizer steps per device call (lax.scan); metrics read once a call
    compute_dtype: str = "float32"  # activations and matmuls: float32 | bfloat16 (SBP math: f32)


@dataclasses.dataclass(frozen=True)
class Config:
    """The whole resolved configuration."""

    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)

    def __post_init__(self) -> None:
        _validate(self)


def _validate(cfg: Config) -> None:
    """Cross-field checks that types alone cannot express."""
    m, t, d = cfg.model, cfg.train, cfg.data
    checks = [
        (m.head in ("sbp", "gaussian", "binned"), "model.head", "must be sbp, gaussian or binned"),
        (m.high > m.low, "model.high", "must exceed model.low"),
        (m.num_bins >= 2, "model.num_bins", "must be >= 2"),
        (0.0 < m.tail_percentile < 0.5, "model.tail_percentile", "must be in (0, 0.5)"),
        (m.xi_max > m.xi_min, "model.xi_max", "must exceed model.xi_min"),
        (m.beta_min > 0, "model.beta_min", "must be > 0"),
        (0.0 <= m.dropout < 1.0, "model.dropout", "must be in [0, 1)"),
        (len(m.dilations) >= 1 and min(m.dilations) >= 1, "model.dilations", "need entries >= 1"),
        (m.channels >= 1 and m.kernel_size >= 1, "model.channels", "sizes must be >= 1"),
        (t.batch_size >= 1 and t.eval_batch_size >= 1, "train.batch_size", "must be >= 1"),
        (t.epochs >= 1, "train.epochs", "must be >= 1"),
        (t.learning_rate > 0, "train.learning_rate", "must be > 0"),
        (t.log_every >= 1, "train.log_every", "must be >= 1"),
        (d.time_multiple >= 1, "data.time_multiple", "must be >= 1"),
        (d.loader_threads >= 1, "data.loader_threads", "must be >= 1"),
        (
            d.device_resident in ("auto", True, False),
            "data.device_resident",
            "must be auto, true or false",
        ),
        (t.steps_per_call >= 1, "train.steps_per_call", "must be >= 1"),
        (
            t.compute_dtype in ("float32", "bfloat16"),
            "train.compute_dtype",
            "must be float32 or bfloat16",
        ),
        (0 <= d.valid_fraction < 1 and 0 <= d.test_fraction < 1, "data.valid_fraction", "in [0,1)"),
        (
            d.valid_fraction + d.test_fraction < 1,
            "data.test_fraction",
            "plus data.valid_fraction must be < 1 (games are needed for training)",
        ),
        (d.folds == 0 or d.folds >= 2, "data.folds", "must be 0 (no folds) or >= 2"),
        (
            d.fold_mode in ("kfold", "walk_forward"),
            "data.fold_mode",
            "must be kfold or walk_forward",
        ),
        (
            d.folds == 0 or 0 <= d.fold < d.folds,
            "data.fold",
            "must be in [0, data.folds)",
        ),
        (
            d.folds == 0 or d.fold_mode == "kfold" or d.fold >= 1,
            "data.fold",
            "must be >= 1 with data.fold_mode = walk_forward (week block 0 has no earlier weeks)",
        ),
        (all(w >= 1 for w in m.mlp_hidden), "model.mlp_hidden", "widths must be >= 1"),
        (t.warmup_steps >= 0, "train.warmup_steps", "must be >= 0"),
        (t.decay_steps >= 0, "train.decay_steps", "must be >= 0"),
        (t.weight_decay >= 0, "train.weight_decay", "must be >= 0"),
        (t.grad_clip >= 0, "train.grad_clip", "must be >= 0 (0 disables clipping)"),
        (t.checkpoint_every >= 0, "train.checkpoint_every", "must be >= 0 (0: epoch ends only)"),
        (t.patience >= 0, "train.patience", "must be >= 0 (0 disables early stopping)"),
    ]
    for ok, key, what in checks:
        if not ok:
            raise ConfigError(f"{key} {what}")


_SECTIONS: dict[str, type] = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}


def _field_types(section_cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(section_cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(section_cls)}


def _coerce(value: Any, typ: Any, where: str) -> Any:
    """Check `value` against the annotation `typ`; ints widen to float, lists become tuples."""
    origin = typing.get_origin(typ)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(typ)
        if not any(isinstance(value, t) for t in options):
            names = " or ".join(t.__name__ for t in options)
            raise ConfigError(f"{where}: expected {names}, got {type(value).__name__} {value!r}")
        return value
    if origin is tuple:
        (elem, _ellipsis) = typing.get_args(typ)
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list of {elem.__name__}, got {value!r}")
        return tuple(_coerce(v, elem, where) for v in value)
    if typ is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if (typ is int and isinstance(value, bool)) or not isinstance(value, typ):
        raise ConfigError(f"{where}: expected {typ.__name__}, got {type(value).__name__} {value!r}")
    return value


def _apply(raw: Mapping[str, Any], source: str, base: Config) -> Config:
    """Return `base` with the sections/keys of `raw` replaced, checking every key and type."""
    sections = {}
    for name, table in raw.items():
        if name not in _SECTIONS:
            raise ConfigError(f"{source}: unknown section {name!r} (expected {sorted(_SECTIONS)})")
        if not isinstance(table, Mapping):
            raise ConfigError(f"{source}: [{name}] must be a table")
        types_ = _field_types(_SECTIONS[name])
        updates = {}
        for key, value in table.items():
            if key not in types_:
                raise ConfigError(
                    f"{source}: unknown key {name}.{key} (known: {', '.join(sorted(types_))})"
                )
            updates[key] = _coerce(value, types_[key], f"{source}: {name}.{key}")
        sections[name] = dataclasses.replace(getattr(base, name), **updates)
    try:
        return dataclasses.replace(base, **sections)
    except ConfigError as e:
        raise ConfigError(f"{source}: {e}") from None


def _parse_override(text: str) -> tuple[str, str, Any]:
    """Split 'section.key=value'; the value is parsed as a TOML value, bare words as strings."""
    if "=" not in text or "." not in text.split("=", 1)[0]:
        raise ConfigError(f"override {text!r}: expected section.key=value")
    lhs, rhs = text.split("=", 1)
    section, key = lhs.strip().split(".", 1)
    try:
        value = tomllib.loads(f"v = {rhs.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = rhs.strip()
    return section, key, value


def load_config(path: str | os.PathLike | None, overrides: Iterable[str] = ()) -> Config:
    """Read a TOML config (None = all defaults) and apply `section.key=value` overrides."""
    cfg = Config()
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist")
        try:
            raw = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{path}: invalid TOML: {e}") from None
        cfg = _apply(raw, str(path), cfg)
    for text in overrides:
        section, key, value = _parse_override(text)
        cfg = _apply({section: {key: value}}, f"override {text!r}", cfg)
    return cfg


def to_dict(cfg: Config) -> dict[str, dict[str, Any]]:
    """Plain nested dict (tuples as lists), e.g. for TOML or JSON."""
    return {
        name: {
            k: list(v) if isinstance(v, tuple) else v for k, v in vars(getattr(cfg, name)).items()
        }
        for name in _SECTIONS
    }


def from_dict(raw: Mapping[str, Any], source: str = "<dict>") -> Config:
    """Inverse of `to_dict`, with the same checks as a file."""
    return _apply(raw, source, Config())


def dumps(cfg: Config) -> str:
    """The resolved config as TOML text."""
    return tomli_w.dumps(to_dict(cfg))


def save_config(cfg: Config, path: str | os.PathLike) -> None:
    """Write the resolved config atomically (temp file + rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dumps(cfg))
    os.replace(tmp, path)


# Used by the resume check: keys that may change between a run and its continuation.
RESUMABLE_CHANGES = frozenset(
    {
        "train.epochs",
        "train.patience",
        "train.checkpoint_every",
        "train.log_every",
        "train.eval_batch_size",
        "data.loader_threads",
        "data.device_resident",
    }
)


def changed_keys(a: Config, b: Config) -> list[str]:
    """Dotted keys whose values differ between two configs."""
    da, db = to_dict(a), to_dict(b)
    return [f"{s}.{k}" for s in da for k in da[s] if da[s][k] != db[s][k]]


__all__ = [
    "Config",
    "ConfigError",
    "DataConfig",
    "ModelConfig",
    "TrainConfig",
    "load_config",
    "save_config",
    "to_dict",
    "from_dict",
    "dumps",
    "changed_keys",
    "RESUMABLE_CHANGES",
]
