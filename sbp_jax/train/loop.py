"""The training loop: epochs of pmapped steps, validation, early stopping, checkpoints, resume.

`train(cfg, store, workdir)` is what `train.py` runs. Resume is automatic: when
`W/checkpoints/latest` holds a checkpoint, training continues from its exact data position (epoch,
step in epoch) with its parameters, optimizer state and RNG, so an interrupted run ends with the
same parameters as an uninterrupted one. Only keys in `config.RESUMABLE_CHANGES` (e.g.
`train.epochs`) may differ from the checkpoint's config; any other change is an error (start a new
workdir instead).

Normalization statistics are recomputed on the train split (so validation and test plays never
influence the inputs) and stored in every checkpoint; a resumed run takes them from the checkpoint.
"""

from __future__ import annotations

import dataclasses
import math
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jax
import numpy as np
from tqdm import tqdm

from sbp_jax.config import (
    RESUMABLE_CHANGES,
    Config,
    ConfigError,
    changed_keys,
    save_config,
    to_dict,
)
from sbp_jax.data import (
    Batch,
    BatchIterator,
    NormStats,
    PlayStore,
    input_feature_names,
    shard,
    split_by_game,
)
from sbp_jax.model.trained import (
    check_input_names,
    check_norm_finite,
    saved_config,
    store_fingerprint,
)
from sbp_jax.train import parallel
from sbp_jax.train.checkpoint import Checkpoints, claim_workdir
from sbp_jax.train.metrics_log import MetricsLog
from sbp_jax.train.non_finite import NonFiniteLossError
from sbp_jax.train.step import TrainState, create_train_state


def store_meta(store: PlayStore, relational: bool) -> dict[str, Any]:
    """What a checkpoint records about the training store and the model's input channels
    (checked on resume and scoring)."""
    return {
        "feature_names": list(store.feature_names),
        "input_names": list(input_feature_names(relational)),
        "static_names": list(store.static_names),
        "format_version": int(store.format_version),
        "release": str(getattr(store, "release", "")),
        "n_plays": int(store.n_plays),
        "fingerprint": store_fingerprint(store),
    }


def prefetch(it: Iterator[Batch], num_devices: int, size: int = 2) -> Iterator[Batch]:
    """Build, shard and copy the next batches to the devices on a background thread while the
    devices compute."""
    q: queue.Queue = queue.Queue(maxsize=size)
    done = object()

    def worker():
        try:
            for batch in it:
                q.put(parallel.to_devices(shard(batch, num_devices)))
            q.put(done)
        except BaseException as e:  # re-raised in the consumer
            q.put(e)

    threading.Thread(target=worker, daemon=True).start()
    while (item := q.get()) is not done:
        if isinstance(item, BaseException):
            raise item
        yield item


def _check_batch_sizes(cfg: Config) -> None:
    n = jax.device_count()
    for key in ("batch_size", "eval_batch_size"):
        size = getattr(cfg.train, key)
        if size % n:
            raise ConfigError(f"train.{key}={size} is not divisible by the {n} devices")


def _bad_plays(store: PlayStore, batch: Batch, nll_rows: np.ndarray) -> list[tuple[Any, Any]]:
    """(gameId, playId) of the real rows whose NLL is not finite (all rows if none is)."""
    idx = parallel.local_rows(batch.play_index)
    real = idx >= 0
    bad = real & ~np.isfinite(nll_rows)
    rows = idx[bad] if bad.any() else idx[real]
    return [(store.plays["gameId"][i].item(), store.plays["playId"][i].item()) for i in rows]


def track_best(
    best: float | None, bad_epochs: int, valid_nll: float
) -> tuple[float | None, int, bool]:
    """Early-stopping bookkeeping after an epoch: (best, epochs without improvement, improved).
    A non-finite validation NLL never counts as an improvement."""
    improved = math.isfinite(valid_nll) and (best is None or valid_nll < best)
    return (valid_nll, 0, True) if improved else (best, bad_epochs + 1, False)


def should_stop(bad_epochs: int, patience: int) -> bool:
    """Stop after `patience` epochs without improvement (patience 0: never)."""
    return patience > 0 and bad_epochs >= patience


def evaluate(rstate: TrainState, it: BatchIterator) -> float:
    """Mean validation NLL over every play of `it` (one pass, no shuffling)."""
    nll_sum = weight = 0.0
    for batch in prefetch(it.epoch(0), jax.local_device_count()):
        m = parallel.p_eval_step(rstate, batch)
        nll_sum += float(parallel.unreplicate(m["nll_sum"]))
        weight += float(parallel.unreplicate(m["weight"]))
    return nll_sum / max(weight, 1.0)


def _resume(
    cfg: Config, ckpt: Checkpoints, state: TrainState, meta_now: dict
) -> tuple[TrainState, dict]:
    """Restore the latest checkpoint into `state`, refusing an incompatible config or store."""
    target = jax.tree.map(np.asarray, state.arrays())
    arrays, meta = ckpt.restore("latest", target)
    where = f"{ckpt.root / 'latest'}"
    saved_cfg = saved_config(meta, where)
    changed = [k for k in changed_keys(saved_cfg, cfg) if k not in RESUMABLE_CHANGES]
    if changed:
        raise ConfigError(
            f"{where}: the config differs from the checkpoint's in {', '.join(changed)}; "
            "resume with the same config (only "
            f"{', '.join(sorted(RESUMABLE_CHANGES))} may change) or use a new --workdir"
        )
    check_input_names(meta["store_meta"], saved_cfg, where)
    for key in ("feature_names", "static_names", "format_version", "n_plays"):
        if meta["store_meta"][key] != meta_now[key]:
            raise ValueError(
                f"{where}: the data differ from the checkpoint's ({key}: "
                f"{meta['store_meta'][key]!r} != {meta_now[key]!r}); use the same store"
            )
    return state.replace_arrays(arrays), meta


@dataclasses.dataclass
class Run:
    """Everything a training run prepares before its first step (see `prepare`)."""

    cfg: Config
    store: PlayStore
    workdir: Path
    splits: dict[str, np.ndarray]
    norm: NormStats
    store_meta: dict[str, Any]
    state: TrainState  # host arrays: fresh, or restored from `latest`
    meta: dict[str, Any]  # resume position and early-stopping counters (checkpoint meta)
    ckpt: Checkpoints
    log: MetricsLog
    train_it: BatchIterator
    valid_it: BatchIterator

    @property
    def is_main(self) -> bool:
        return jax.process_index() == 0

    def snapshot(self, rstate: TrainState, which: str, epoch: int, step_in_epoch: int) -> None:
        """Checkpoint `rstate` as `which` with the data position of the next step to run."""
        meta = dict(
            self.meta,
            epoch=epoch,
            step_in_epoch=step_in_epoch,
            config=to_dict(self.cfg),
            norm=self.norm.to_dict(),
            store_meta=self.store_meta,
        )
        arrays = parallel.unreplicate(rstate.arrays())
        self.ckpt.save(which, int(arrays["step"]), arrays, meta)


def split_games(cfg: Config, store: PlayStore) -> dict[str, np.ndarray]:
    """The by-game train/valid/test split of the config; both train and valid need a game."""
    splits = split_by_game(
        store,
        valid_fraction=cfg.data.valid_fraction,
        test_fraction=cfg.data.test_fraction,
        seed=cfg.data.split_seed,
    )
    if len(splits["train"]) == 0 or len(splits["valid"]) == 0:
        raise ValueError(
            f"{store.path}: the split by game left {len(splits['train'])} train and "
            f"{len(splits['valid'])} validation plays; both need at least one game"
        )
    return splits


def batch_iterators(
    cfg: Config, store: PlayStore, splits: dict[str, np.ndarray], norm: NormStats
) -> tuple[BatchIterator, BatchIterator]:
    """Shuffled training batches and one ordered pass over the validation plays."""
    common = dict(
        time_multiple=cfg.data.time_multiple,
        bucket_by_length=cfg.data.bucket_by_length,
        process_index=jax.process_index(),
        process_count=jax.process_count(),
        norm=norm,
        relational=cfg.data.relational_features,
        workers=cfg.data.loader_threads,
    )
    train_it = BatchIterator(
        store, splits["train"], batch_size=cfg.train.batch_size, seed=cfg.train.seed, **common
    )
    valid_it = BatchIterator(
        store,
        splits["valid"],
        batch_size=cfg.train.eval_batch_size,
        seed=0,
        shuffle=False,
        **common,
    )
    return train_it, valid_it


def prepare(cfg: Config, store: PlayStore, workdir: str | os.PathLike) -> Run:
    """Splits, a fresh or resumed state, normalization statistics (train split, or the
    checkpoint's on resume), the metrics log truncated to the resumed step, and the iterators."""
    workdir = claim_workdir(workdir)
    _check_batch_sizes(cfg)
    splits = split_games(cfg, store)
    smeta = store_meta(store, cfg.data.relational_features)
    state = create_train_state(cfg, num_static=len(store.static_names))
    ckpt = Checkpoints(workdir)
    meta: dict[str, Any] = {
        "epoch": 0,
        "step_in_epoch": 0,
        "best_valid_nll": None,
        "bad_epochs": 0,
        "valid_nll": None,
    }
    if ckpt.latest_step() is not None:
        state, meta = _resume(cfg, ckpt, state, smeta)
        norm = NormStats.from_dict(meta["norm"])
    else:
        norm = NormStats.compute(store, splits["train"])
        check_norm_finite(norm, store.feature_names, store.static_names, f"store {store.path}")
    log = MetricsLog(workdir / "metrics.jsonl", enabled=jax.process_index() == 0)
    if jax.process_index() == 0:
        save_config(cfg, workdir / "config.toml")
        log.truncate_after(int(state.step))
    train_it, valid_it = batch_iterators(cfg, store, splits, norm)
    return Run(cfg, store, workdir, splits, norm, smeta, state, meta, ckpt, log, train_it, valid_it)


def run_epoch(
    run: Run,
    rstate: TrainState,
    epoch: int,
    *,
    progress: bool,
    on_step: Callable[[int, dict[str, float]], None] | None,
) -> tuple[TrainState, float]:
    """The steps of one epoch from its resume position; returns the state and the mean loss.

    Raises `NonFiniteLossError` on a non-finite loss, after logging it, without checkpointing."""
    cfg, steps_per_epoch = run.cfg, len(run.train_it)
    start = run.meta["step_in_epoch"] if epoch == run.meta["epoch"] else 0
    bar = tqdm(
        total=steps_per_epoch,
        initial=start,
        desc=f"epoch {epoch + 1}/{cfg.train.epochs}",
        disable=not (progress and run.is_main),
        dynamic_ncols=True,
    )
    step = int(parallel.unreplicate(rstate.step))
    t0, plays, loss_sum, loss_n = time.perf_counter(), 0.0, 0.0, 0
    batches = prefetch(run.train_it.epoch(epoch, start_step=start), jax.local_device_count())
    for k, batch in enumerate(batches, start):
        rstate, m = parallel.p_train_step(rstate, batch)
        loss = float(parallel.unreplicate(m["loss"]))
        grad_norm = float(parallel.unreplicate(m["grad_norm"]))
        step += 1
        if not (math.isfinite(loss) and math.isfinite(grad_norm)):
            bad = _bad_plays(run.store, batch, parallel.local_rows(m["nll"]))
            run.log.write(
                step=step,
                epoch=epoch,
                event="non_finite_loss",
                loss=loss,
                plays=[list(p) for p in bad],
            )
            bar.close()
            raise NonFiniteLossError(step, bad, run.ckpt.last_good())
        plays += float(parallel.unreplicate(m["weight"]))
        loss_sum, loss_n = loss_sum + loss, loss_n + 1
        rate = plays / (time.perf_counter() - t0)
        bar.update(1)
        bar.set_postfix(loss=f"{loss_sum / loss_n:.4f}", plays_per_s=f"{rate:.0f}")
        if step % cfg.train.log_every == 0:
            run.log.write(step=step, epoch=epoch, loss=loss, grad_norm=grad_norm, plays_per_s=rate)
        every = cfg.train.checkpoint_every
        if every and step % every == 0 and k + 1 < steps_per_epoch:
            run.snapshot(rstate, "latest", epoch, k + 1)
        if on_step is not None:
            on_step(step, {"loss": loss, "grad_norm": grad_norm})
    bar.close()
    return rstate, loss_sum / max(loss_n, 1)


def end_epoch(run: Run, rstate: TrainState, epoch: int, train_loss: float) -> bool:
    """Validation, early-stopping bookkeeping, the epoch-end checkpoints; True to stop early."""
    valid_nll = evaluate(rstate, run.valid_it)
    best, bad_epochs, improved = track_best(
        run.meta["best_valid_nll"], run.meta["bad_epochs"], valid_nll
    )
    run.meta.update(valid_nll=valid_nll, best_valid_nll=best, bad_epochs=bad_epochs)
    stopped_early = should_stop(bad_epochs, run.cfg.train.patience)
    run.log.write(
        step=int(parallel.unreplicate(rstate.step)),
        epoch=epoch,
        event="epoch_end",
        train_loss=train_loss,
        valid_nll=valid_nll,
        best_valid_nll=best,
        stopped_early=stopped_early,
    )
    # `best` first: `latest` records this epoch as done, so a crash between the two writes must
    # leave it behind (the resumed run then redoes the epoch and saves both).
    if improved:
        run.snapshot(rstate, "best", epoch + 1, 0)
    run.snapshot(rstate, "latest", epoch + 1, 0)
    run.meta["epoch"], run.meta["step_in_epoch"] = epoch + 1, 0
    return stopped_early


def train(
    cfg: Config,
    store: PlayStore,
    workdir: str | os.PathLike,
    *,
    progress: bool = True,
    on_step: Callable[[int, dict[str, float]], None] | None = None,
) -> dict[str, Any]:
    """Train (or resume) in `workdir`; returns a summary (final step, epochs, best valid NLL).

    `on_step(step, metrics)` runs after every step (e.g. to stop a run from outside).
    Raises `NonFiniteLossError` on a non-finite loss, after logging it, without checkpointing.
    """
    run = prepare(cfg, store, workdir)
    rstate = parallel.replicate(run.state)
    stopped_early = should_stop(run.meta["bad_epochs"], cfg.train.patience)
    epoch = run.meta["epoch"]
    try:
        while epoch < cfg.train.epochs and not stopped_early:
            rstate, train_loss = run_epoch(run, rstate, epoch, progress=progress, on_step=on_step)
            stopped_early = end_epoch(run, rstate, epoch, train_loss)
            epoch += 1
    finally:
        run.ckpt.close()
    return {
        "step": int(parallel.unreplicate(rstate.step)),
        "epochs": epoch,
        "best_valid_nll": run.meta["best_valid_nll"],
        "stopped_early": stopped_early,
        "params": parallel.unreplicate(rstate.params),
    }
