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
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import numpy as np
from tqdm import tqdm

from sbp_jax.config import (
    Config,
    ConfigError,
    save_config,
    to_dict,
)
from sbp_jax.data import (
    BatchIterator,
    InputSpec,
    Normalizer,
    NormStats,
    PlayStore,
    device,
    shard,
)
from sbp_jax.data.splits import config_split
from sbp_jax.data.store import check_norm_finite
from sbp_jax.train import parallel
from sbp_jax.train.checkpoint import Checkpoints, claim_workdir
from sbp_jax.train.metrics_log import MetricsLog
from sbp_jax.train.non_finite import NonFiniteLossError
from sbp_jax.train.resume import resume, store_meta
from sbp_jax.train.step import StepData, TrainState, create_train_state


def _check_batch_sizes(cfg: Config) -> None:
    n = jax.device_count()
    for key in ("batch_size", "eval_batch_size"):
        size = getattr(cfg.train, key)
        if size % n:
            raise ConfigError(f"train.{key}={size} is not divisible by the {n} devices")


def _bad_plays(store: PlayStore, play_index: np.ndarray, nll_rows: np.ndarray) -> list[tuple]:
    """(gameId, playId) of the real rows whose NLL is not finite (all rows if none is)."""
    idx = np.asarray(play_index).reshape(-1)
    nll_rows = np.asarray(nll_rows).reshape(-1)
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


def evaluate(rstate: TrainState, rdata: StepData, it: BatchIterator, *, resident: bool) -> float:
    """Mean validation NLL over every play of `it` (one pass, no shuffling); the sums stay on the
    device until the pass is done."""
    nll_sum = weight = 0.0
    for call, plays in device_calls(it, 0, 0, resident):
        m = parallel.p_eval_plays(rstate, rdata, _first_step(plays), call.num_steps)
        nll_sum, weight = nll_sum + m["nll_sum"][0], weight + m["weight"][0]
    return float(nll_sum) / max(float(weight), 1.0)


def _first_step(plays):
    return jax.tree.map(lambda x: x[:, 0], plays)


def device_calls(it: BatchIterator, epoch: int, start: int, resident: bool):
    """(call, its plays on the devices [devices, k, B_device, ...]), prepared one call ahead on a
    background thread."""
    n = jax.local_device_count()

    def place(call):
        return call, parallel.to_devices(shard(call.batches, n, axis=1))

    return parallel.prefetch(it.calls(epoch, start, raw=not resident), place)


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
    resident: bool  # the store lives on the devices; steps receive play indices

    @property
    def is_main(self) -> bool:
        return jax.process_index() == 0

    def step_data(self) -> StepData:
        """The replicated normalization and, when resident, the store (placed once per run)."""
        store = device.host_arrays(self.store) if self.resident else None
        return parallel.replicate(StepData(Normalizer.of(self.norm), store))

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
    """The by-game train/valid/test split of the config (its fold's, with `data.folds` > 0);
    both train and valid need a game."""
    splits = config_split(store, cfg.data)
    if len(splits["train"]) == 0 or len(splits["valid"]) == 0:
        raise ValueError(
            f"{store.path}: the split by game left {len(splits['train'])} train and "
            f"{len(splits['valid'])} validation plays; both need at least one game"
        )
    return splits


def batch_iterators(
    cfg: Config, store: PlayStore, splits: dict[str, np.ndarray]
) -> tuple[BatchIterator, BatchIterator]:
    """Shuffled training batches, `train.steps_per_call` to a call, and one ordered pass over the
    validation plays."""
    common = dict(
        time_multiple=cfg.data.time_multiple,
        bucket_by_length=cfg.data.bucket_by_length,
        process_index=jax.process_index(),
        process_count=jax.process_count(),
        workers=cfg.data.loader_threads,
    )
    train_it = BatchIterator(
        store,
        splits["train"],
        batch_size=cfg.train.batch_size,
        seed=cfg.train.seed,
        steps_per_call=cfg.train.steps_per_call,
        **common,
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


def device_resident(cfg: Config, store: PlayStore) -> bool:
    """`data.device_resident`, with "auto" decided from measured device memory."""
    choice = cfg.data.device_resident
    return device.fits(store) if choice == "auto" else bool(choice)


def prepare(cfg: Config, store: PlayStore, workdir: str | os.PathLike) -> Run:
    """Splits, a fresh or resumed state, normalization statistics (train split, or the
    checkpoint's on resume), the metrics log truncated to the resumed step, and the iterators."""
    workdir = claim_workdir(workdir)
    _check_batch_sizes(cfg)
    splits = split_games(cfg, store)
    smeta = store_meta(store, InputSpec.of(cfg.data))
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
        state, meta = resume(cfg, ckpt, state, smeta)
        norm = NormStats.from_dict(meta["norm"])
    else:
        norm = NormStats.compute(store, splits["train"])
        check_norm_finite(norm, store.feature_names, store.static_names, f"store {store.path}")
    log = MetricsLog(workdir / "metrics.jsonl", enabled=jax.process_index() == 0)
    if jax.process_index() == 0:
        save_config(cfg, workdir / "config.toml")
        log.truncate_after(int(state.step))
    train_it, valid_it = batch_iterators(cfg, store, splits)
    resident = device_resident(cfg, store)
    return Run(
        cfg,
        store,
        workdir,
        splits,
        norm,
        smeta,
        state,
        meta,
        ckpt,
        log,
        train_it,
        valid_it,
        resident,
    )


def run_epoch(
    run: Run,
    rstate: TrainState,
    rdata: StepData,
    epoch: int,
    *,
    progress: bool,
    on_step: Callable[[int, dict[str, float]], None] | None,
) -> tuple[TrainState, float]:
    """The steps of one epoch from its resume position, `train.steps_per_call` per device call;
    returns the state and the mean loss. The host reads the metrics back once per call.

    Raises `NonFiniteLossError` at the first step with a non-finite loss or gradient, after
    logging it, without checkpointing (the state stays at the step before it)."""
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
    t0, plays, loss_sum, loss_n, done = time.perf_counter(), 0.0, 0.0, 0, start
    for call, dplays in device_calls(run.train_it, epoch, start, run.resident):
        rstate, m = parallel.p_train_steps(rstate, rdata, dplays, call.num_steps)
        host = jax.device_get({k: m[k][0] for k in ("loss", "grad_norm", "weight", "ok")})
        for j in range(call.steps):
            step += 1
            loss, grad_norm = float(host["loss"][j]), float(host["grad_norm"][j])
            if not host["ok"][j]:
                bad = _bad_plays(run.store, _local(dplays.play_index)[:, j], _local(m["nll"])[:, j])
                run.log.write(
                    step=step,
                    epoch=epoch,
                    event="non_finite_loss",
                    loss=loss,
                    plays=[list(p) for p in bad],
                )
                bar.close()
                raise NonFiniteLossError(step, bad, run.ckpt.last_good())
            plays += float(host["weight"][j])
            loss_sum, loss_n = loss_sum + loss, loss_n + 1
            rate = plays / (time.perf_counter() - t0)
            if step % cfg.train.log_every == 0:
                run.log.write(
                    step=step, epoch=epoch, loss=loss, grad_norm=grad_norm, plays_per_s=rate
                )
            if on_step is not None:
                on_step(step, {"loss": loss, "grad_norm": grad_norm})
        done += call.steps
        bar.update(call.steps)
        bar.set_postfix(loss=f"{loss_sum / max(loss_n, 1):.4f}", plays_per_s=f"{rate:.0f}")
        every = cfg.train.checkpoint_every
        if every and step // every > (step - call.steps) // every and done < steps_per_epoch:
            run.snapshot(rstate, "latest", epoch, done)
    bar.close()
    return rstate, loss_sum / max(loss_n, 1)


def _local(x) -> np.ndarray:
    """This process's devices' part of a mapped array, [local devices, ...] on the host."""
    if isinstance(x, jax.Array) and not x.is_fully_addressable:
        shards = sorted(x.addressable_shards, key=lambda sh: sh.index[0].start or 0)
        return np.concatenate([np.asarray(sh.data) for sh in shards])
    return np.asarray(x)


def end_epoch(run: Run, rstate: TrainState, rdata: StepData, epoch: int, train_loss: float) -> bool:
    """Validation, early-stopping bookkeeping, the epoch-end checkpoints; True to stop early."""
    valid_nll = evaluate(rstate, rdata, run.valid_it, resident=run.resident)
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

    `on_step(step, metrics)` runs after every step (e.g. to stop a run from outside); with
    `train.steps_per_call` > 1 it runs for each step of a call once the call has returned.
    Raises `NonFiniteLossError` on a non-finite loss, after logging it, without checkpointing.
    """
    run = prepare(cfg, store, workdir)
    rstate, rdata = parallel.replicate(run.state), run.step_data()
    stopped_early = should_stop(run.meta["bad_epochs"], cfg.train.patience)
    epoch = run.meta["epoch"]
    try:
        while epoch < cfg.train.epochs and not stopped_early:
            rstate, train_loss = run_epoch(
                run, rstate, rdata, epoch, progress=progress, on_step=on_step
            )
            stopped_early = end_epoch(run, rstate, rdata, epoch, train_loss)
            epoch += 1
    finally:
        run.ckpt.close()
    return {
        "step": int(parallel.unreplicate(rstate.step)),
        "epochs": epoch,
        "best_valid_nll": run.meta["best_valid_nll"],
        "stopped_early": stopped_early,
        "params": parallel.unreplicate(rstate.params),
        "device_resident": run.resident,
    }
