"""Optimizer: AdamW with linear warmup, an optional cosine decay, and global-norm clipping.

The schedule is a function of the step alone (`train.warmup_steps`, `train.decay_steps`), not of
the number of epochs or plays, so a resumed run whose `train.epochs` was raised continues on
exactly the learning-rate path it would have followed anyway."""

from __future__ import annotations

import functools

import optax

from sbp_jax.config import TrainConfig

# The decay ends at this fraction of the peak rate and stays there.
DECAY_FLOOR = 0.05


def make_optimizer(cfg: TrainConfig) -> optax.GradientTransformation:
    """Clip (if `grad_clip` > 0) then AdamW on `schedule(cfg)`."""
    return _make(
        cfg.learning_rate, cfg.warmup_steps, cfg.decay_steps, cfg.weight_decay, cfg.grad_clip
    )


def schedule(cfg: TrainConfig) -> optax.Schedule:
    """Learning rate per step: linear from 0 over `warmup_steps`, then constant, or with
    `decay_steps` > 0 a cosine from the peak down to DECAY_FLOOR x peak over that many steps."""
    return _schedule(cfg.learning_rate, cfg.warmup_steps, cfg.decay_steps)


@functools.cache
def _schedule(lr: float, warmup_steps: int, decay_steps: int) -> optax.Schedule:
    after = (
        optax.cosine_decay_schedule(lr, decay_steps, alpha=DECAY_FLOOR)
        if decay_steps > 0
        else optax.constant_schedule(lr)
    )
    if warmup_steps == 0:
        return after
    return optax.join_schedules(
        [optax.linear_schedule(0.0, lr, warmup_steps), after], [warmup_steps]
    )


@functools.cache
def _make(lr: float, warmup: int, decay: int, weight_decay: float, grad_clip: float):
    # Cached on the optimizer's own settings: runs that differ only in other keys (epochs, batch
    # size, ...) get the same hashable transformation and reuse the compiled train step.
    adamw = optax.adamw(_schedule(lr, warmup, decay), weight_decay=weight_decay)
    if grad_clip > 0:
        return optax.chain(optax.clip_by_global_norm(grad_clip), adamw)
    return adamw
