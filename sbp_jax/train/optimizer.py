"""Optimizer: AdamW with linear warmup to a constant rate and global-norm clipping.

The schedule does not depend on the number of epochs, so a resumed run whose `train.epochs` was
raised continues on exactly the learning-rate path it would have followed anyway."""

from __future__ import annotations

import functools

import optax

from sbp_jax.config import TrainConfig


def make_optimizer(cfg: TrainConfig) -> optax.GradientTransformation:
    """Clip (if `grad_clip` > 0) then AdamW."""
    return _make(cfg.learning_rate, cfg.warmup_steps, cfg.weight_decay, cfg.grad_clip)


@functools.cache
def _make(lr: float, warmup_steps: int, weight_decay: float, grad_clip: float):
    # Cached on the optimizer's own settings: runs that differ only in other keys (epochs, batch
    # size, ...) get the same hashable transformation and reuse the compiled train step.
    schedule = (
        optax.linear_schedule(0.0, lr, warmup_steps)
        if warmup_steps > 0
        else optax.constant_schedule(lr)
    )
    adamw = optax.adamw(schedule, weight_decay=weight_decay)
    if grad_clip > 0:
        return optax.chain(optax.clip_by_global_norm(grad_clip), adamw)
    return adamw
