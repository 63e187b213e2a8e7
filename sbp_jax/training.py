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

import json
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

from sbp_jax import parallel
from sbp_jax.checkpoint import Checkpoints, check_input_names, saved_config
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
from sbp_jax.train_step import TrainState, create_train_state


class NonFiniteLossError(RuntimeError):
    """A training step produced a non-finite loss or gradient; names the plays at fault."""

    def __init__(self, step: int, plays: list[tuple[Any, Any]]) -> None:
        self.step = step
        self.plays = plays
        shown = ", ".join(f"(gameId={g}, playId={p})" for g, p in plays[:20])
        more = f" and {len(plays) - 20} more" if len(plays) > 20 else ""
        super().__init__(
            f"non-finite loss at step {step}; plays {shown}{more}. "
            "The last good checkpoint was kept."
        )


def open_data(
    data: str | os.PathLike, workdir: str | os.PathLike, *, progress: bool = True
) -> PlayStore:
    """A play store, or a directory of BDB CSVs ingested once into `W/store`."""
    data = Path(data)
    if (data / "meta.json").is_file():
        return PlayStore.open(data)
    if not data.is_dir():
        raise FileNotFoundError(f"--data {data}: no such directory")
    if not any(data.glob("*.csv")):
        raise ValueError(f"--data {data}: neither a play store (meta.json) nor a directory of CSVs")
    store_dir = Path(workdir) / "store"
    if (store_dir / "meta.json").is_file():
        store = PlayStore.open(store_dir)
        source = store.meta.get("source")
        if source is not None and Path(source).resolve() != data.resolve():
            raise ValueError(
                f"--data {data}: {store_dir} was ingested from {source}; use that directory, "
                "or a new --workdir for other data"
            )
        return store
    from sbp_jax.data import ingest  # the CSV reader is only needed for raw data

    return ingest(data, store_dir, progress=progress)


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
    }


class MetricsLog:
    """Append-only JSON lines (`W/metrics.jsonl`), written by process 0 only."""

    def __init__(self, path: Path, *, enabled: bool) -> None:
        self.path = path
        self.enabled = enabled

    def truncate_after(self, step: int) -> None:
        """Drop lines logged after `step` (steps that a resumed run will redo) and a line left
        half-written by a killed run; atomic rewrite."""
        if not (self.enabled and self.path.is_file()):
            return
        keep = [ln for ln in self.path.read_text().splitlines() if _step_of(ln, step + 1) <= step]
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text("".join(ln + "\n" for ln in keep))
        os.replace(tmp, self.path)

    def write(self, **record: Any) -> None:
        """One line; non-finite floats become null so the file stays standard JSON."""
        record = {
            k: None if isinstance(v, float) and not math.isfinite(v) else v
            for k, v in record.items()
        }
        if self.enabled:
            with self.path.open("a") as f:
                f.write(json.dumps(record) + "\n")


def _step_of(line: str, default: int) -> int:
    """The `step` of a metrics line; `default` if the line is not complete JSON."""
    try:
        return json.loads(line)["step"]
    except (json.JSONDecodeError, KeyError, TypeError):
        return default


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
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    _check_batch_sizes(cfg)
    is_main = jax.process_index() == 0
    log = MetricsLog(workdir / "metrics.jsonl", enabled=is_main)

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
    norm_dict = norm.to_dict()
    step = int(state.step)
    if is_main:
        save_config(cfg, workdir / "config.toml")
        log.truncate_after(step)

    iterator_args = dict(
        time_multiple=cfg.data.time_multiple,
        bucket_by_length=cfg.data.bucket_by_length,
        process_index=jax.process_index(),
        process_count=jax.process_count(),
        norm=norm,
        relational=cfg.data.relational_features,
        workers=cfg.data.loader_threads,
    )
    train_it = BatchIterator(
        store,
        splits["train"],
        batch_size=cfg.train.batch_size,
        seed=cfg.train.seed,
        **iterator_args,
    )
    valid_it = BatchIterator(
        store,
        splits["valid"],
        batch_size=cfg.train.eval_batch_size,
        seed=0,
        shuffle=False,
        **iterator_args,
    )
    n_local = jax.local_device_count()
    steps_per_epoch = len(train_it)

    def snapshot(which: str, epoch: int, step_in_epoch: int) -> None:
        m = dict(
            meta,
            epoch=epoch,
            step_in_epoch=step_in_epoch,
            config=to_dict(cfg),
            norm=norm_dict,
            store_meta=smeta,
        )
        ckpt.save(which, step, parallel.unreplicate(rstate.arrays()), m)

    rstate = parallel.replicate(state)
    stopped_early = should_stop(meta["bad_epochs"], cfg.train.patience)
    epoch = meta["epoch"]
    try:
        while epoch < cfg.train.epochs and not stopped_early:
            start = meta["step_in_epoch"] if epoch == meta["epoch"] else 0
            bar = tqdm(
                total=steps_per_epoch,
                initial=start,
                desc=f"epoch {epoch + 1}/{cfg.train.epochs}",
                disable=not (progress and is_main),
                dynamic_ncols=True,
            )
            t0, plays, loss_sum, loss_n = time.perf_counter(), 0.0, 0.0, 0
            for k, batch in enumerate(
                prefetch(train_it.epoch(epoch, start_step=start), n_local), start
            ):
                rstate, m = parallel.p_train_step(rstate, batch)
                loss = float(parallel.unreplicate(m["loss"]))
                grad_norm = float(parallel.unreplicate(m["grad_norm"]))
                step += 1
                if not (math.isfinite(loss) and math.isfinite(grad_norm)):
                    bad = _bad_plays(store, batch, parallel.local_rows(m["nll"]))
                    log.write(
                        step=step,
                        epoch=epoch,
                        event="non_finite_loss",
                        loss=loss,
                        plays=[list(p) for p in bad],
                    )
                    bar.close()
                    raise NonFiniteLossError(step, bad)
                plays += float(parallel.unreplicate(m["weight"]))
                loss_sum, loss_n = loss_sum + loss, loss_n + 1
                rate = plays / (time.perf_counter() - t0)
                bar.update(1)
                bar.set_postfix(loss=f"{loss_sum / loss_n:.4f}", plays_per_s=f"{rate:.0f}")
                if step % cfg.train.log_every == 0:
                    log.write(
                        step=step, epoch=epoch, loss=loss, grad_norm=grad_norm, plays_per_s=rate
                    )
                if (
                    cfg.train.checkpoint_every
                    and step % cfg.train.checkpoint_every == 0
                    and k + 1 < steps_per_epoch
                ):
                    snapshot("latest", epoch, k + 1)
                if on_step is not None:
                    on_step(step, {"loss": loss, "grad_norm": grad_norm})
            bar.close()

            valid_nll = evaluate(rstate, valid_it)
            best, bad_epochs, improved = track_best(
                meta["best_valid_nll"], meta["bad_epochs"], valid_nll
            )
            meta.update(valid_nll=valid_nll, best_valid_nll=best, bad_epochs=bad_epochs)
            epoch += 1
            stopped_early = should_stop(bad_epochs, cfg.train.patience)
            log.write(
                step=step,
                epoch=epoch - 1,
                event="epoch_end",
                train_loss=loss_sum / max(loss_n, 1),
                valid_nll=valid_nll,
                best_valid_nll=meta["best_valid_nll"],
                stopped_early=stopped_early,
            )
            # `best` first: `latest` records this epoch as done, so a crash between the two
            # writes must leave it behind (the resumed run then redoes the epoch and saves both).
            if improved:
                snapshot("best", epoch, 0)
            snapshot("latest", epoch, 0)
            meta["epoch"], meta["step_in_epoch"] = epoch, 0
    finally:
        ckpt.close()
    return {
        "step": step,
        "epochs": epoch,
        "best_valid_nll": meta["best_valid_nll"],
        "stopped_early": stopped_early,
        "params": parallel.unreplicate(rstate.params),
    }
