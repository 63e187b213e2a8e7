"""Optimizer: AdamW with linear warmup to a constant rate and global-norm clipping.

The schedule does not depend on the number of epochs, so a resumed run whose `train.epochs` was
raised continues on exactly the learning-rate path it would have followed anyway."""

from __future__ import annotations

import optax

from sbp_jax.config import TrainConfig


def learning_rate(cfg: TrainConfig) -> optax.Schedule:
    """Linear warmup from 0 over `warmup_steps`, then constant `learning_rate`."""
    if cfg.warmup_steps <= 0:
        return optax.constant_schedule(cfg.learning_rate)
    return optax.linear_schedule(0.0, cfg.learning_rate, cfg.warmup_steps)


def make_optimizer(cfg: TrainConfig) -> optax.GradientTransformation:
    """Clip (if `grad_clip` > 0) then AdamW."""
    adamw = optax.adamw(learning_rate(cfg), weight_decay=cfg.weight_decay)
    if cfg.grad_clip > 0:
        return optax.chain(optax.clip_by_global_norm(cfg.grad_clip), adamw)
    return adamw
