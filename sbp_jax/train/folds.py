"""K fold models of one config (`train.py --folds K`), for out-of-fold scoring.

`train_folds(cfg, store, W, k)` trains one model per fold with the same machinery as `train`,
in W/fold0 ... W/fold{K-1} (walk-forward: W/fold1 ... W/fold{K-1}, see `sbp_jax.data.splits`).
Fold i's config is `cfg` with `data.folds = K`, `data.fold = i`, `data.fold_mode` and
`train.seed + i`, so every fold model has its own seed and the spread over folds covers
seed-to-seed variation. W/folds.json (written atomically, before the first fold and after each)
records K, the mode, the split seed, the base config and each fold's workdir, seed and status.

Rerunning the command resumes: a fold whose training finished (its epochs done, or stopped early)
is skipped, an unfinished one resumes from its `latest` checkpoint, bit-identical to an
uninterrupted run. Raising `train.epochs` continues the folds that did not stop early.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax

from sbp_jax import outdir
from sbp_jax.config import Config, ConfigError, to_dict
from sbp_jax.data import PlayStore
from sbp_jax.data.splits import (
    FOLD_MODES,
    FOLDS_FILE,
    FOLDS_FORMAT,
    config_split,
    fold_dir,
    read_folds_file,
    trained_folds,
)
from sbp_jax.model.trained import store_fingerprint
from sbp_jax.train.checkpoint import claim_workdir
from sbp_jax.train.loop import train


def fold_config(cfg: Config, folds: int, fold: int, mode: str) -> Config:
    """`cfg` for fold `fold` of `folds`: its split and its own seed (`train.seed + fold`)."""
    data = dataclasses.replace(cfg.data, folds=folds, fold=fold, fold_mode=mode)
    train_cfg = dataclasses.replace(cfg.train, seed=cfg.train.seed + fold)
    return dataclasses.replace(cfg, data=data, train=train_cfg)


def finished(entry: dict[str, Any], cfg: Config) -> bool:
    """Did a fold's recorded training finish under `cfg` (all epochs run, or stopped early)?"""
    return entry.get("status") == "done" and (
        bool(entry.get("stopped_early")) or int(entry.get("epochs", 0)) >= cfg.train.epochs
    )


def _check_same_folds(found: dict[str, Any], want: dict[str, Any], path: Path) -> None:
    for key, config_key in (
        ("folds", "data.folds (--folds)"),
        ("fold_mode", "data.fold_mode"),
        ("split_seed", "data.split_seed"),
    ):
        if found[key] != want[key]:
            raise ConfigError(
                f"{path}: {config_key} = {found[key]!r} there, {want[key]!r} now; a folds workdir "
                "keeps its folds (use a new workdir for other folds)"
            )
    if found.get("store_fingerprint") != want["store_fingerprint"]:
        raise ConfigError(
            f"{path}: its folds were trained on another store (fingerprint "
            f"{found.get('store_fingerprint')}, now {want['store_fingerprint']})"
        )


def _plan(cfg: Config, store: PlayStore, root: Path, folds: int, mode: str) -> dict[str, Any]:
    """The folds.json content for a fresh run; every fold's split is checked before training."""
    models = []
    for i in trained_folds(folds, mode):
        fcfg = fold_config(cfg, folds, i, mode)
        try:
            splits = config_split(store, fcfg.data)
        except ValueError as e:
            raise ConfigError(f"{store.path}: {e}") from None
        if min(len(splits["train"]), len(splits["valid"]), len(splits["test"])) == 0:
            raise ConfigError(
                f"{store.path}: fold {i} of data.folds={folds} ({mode}) has "
                + ", ".join(f"{len(v)} {k}" for k, v in splits.items())
                + " plays; every fold needs train, validation and test games"
            )
        models.append(
            {
                "fold": i,
                "workdir": fold_dir(root, i).name,
                "seed": fcfg.train.seed,
                "test_plays": len(splits["test"]),
                "valid_plays": len(splits["valid"]),
                "train_plays": len(splits["train"]),
                "status": "pending",
            }
        )
    return {
        "format": FOLDS_FORMAT,
        "folds": folds,
        "fold_mode": mode,
        "split_seed": cfg.data.split_seed,
        "valid_fraction": cfg.data.valid_fraction,
        "store_fingerprint": store_fingerprint(store),
        "n_plays": int(store.n_plays),
        "config": to_dict(cfg),
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "models": models,
    }


def _write(root: Path, manifest: dict[str, Any]) -> None:
    if jax.process_index() == 0:
        outdir.write_text(root / FOLDS_FILE, json.dumps(manifest, indent=2) + "\n")


def train_folds(
    cfg: Config,
    store: PlayStore,
    workdir: str | os.PathLike,
    k: int,
    *,
    mode: str | None = None,
    progress: bool = True,
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Train (or resume) the fold models of `cfg` in `workdir`; returns the folds.json content.

    `mode` defaults to `cfg.data.fold_mode`; `say` receives one line per fold (which fold, its
    workdir, seed and test plays; or that it is skipped)."""
    mode = cfg.data.fold_mode if mode is None else mode
    if mode not in FOLD_MODES:
        raise ConfigError(f"data.fold_mode={mode!r}: expected one of {FOLD_MODES}")
    if k < 2:
        raise ConfigError(f"data.folds (--folds) = {k}: needs at least 2 folds")
    root = claim_workdir(workdir)
    if (root / "checkpoints").exists():
        raise ConfigError(
            f"{root} holds a single model's checkpoints; train folds into a new workdir"
        )
    manifest = _plan(cfg, store, root, k, mode)
    found = read_folds_file(root)
    if found is not None:
        _check_same_folds(found, manifest, root / FOLDS_FILE)
        done = {m["fold"]: m for m in found["models"]}
        manifest["models"] = [{**m, **done.get(m["fold"], {})} for m in manifest["models"]]
        manifest["created"] = found.get("created", manifest["created"])
    _write(root, manifest)
    for n, entry in enumerate(manifest["models"], 1):
        i = entry["fold"]
        fcfg = fold_config(cfg, k, i, mode)
        where = f"fold {n}/{len(manifest['models'])} (data.fold={i}) -> {fold_dir(root, i)}"
        if finished(entry, fcfg):
            say(f"{where}: already trained ({entry['epochs']} epochs), skipped")
            continue
        say(
            f"{where}: seed {fcfg.train.seed}, {entry['train_plays']} train / "
            f"{entry['valid_plays']} validation / {entry['test_plays']} test plays"
        )
        summary = train(fcfg, store, fold_dir(root, i), progress=progress)
        entry.update(
            status="done",
            step=summary["step"],
            epochs=summary["epochs"],
            best_valid_nll=summary["best_valid_nll"],
            stopped_early=summary["stopped_early"],
        )
        _write(root, manifest)
    return manifest
