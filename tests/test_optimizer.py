"""The learning-rate schedule against its formula, written out here in NumPy."""

import math

import numpy as np
import pytest

from sbp_jax.config import TrainConfig
from sbp_jax.train.optimizer import DECAY_FLOOR, schedule


def expected(step: int, lr: float, warmup: int, decay: int) -> float:
    if step < warmup:
        return lr * step / warmup
    if decay == 0:
        return lr
    t = min(step - warmup, decay) / decay
    return lr * (DECAY_FLOOR + (1 - DECAY_FLOOR) * 0.5 * (1 + math.cos(math.pi * t)))


@pytest.mark.parametrize(("warmup", "decay"), [(0, 0), (50, 0), (0, 400), (50, 1000)])
def test_schedule_follows_warmup_then_cosine_to_the_floor(warmup, decay):
    cfg = TrainConfig(learning_rate=2e-3, warmup_steps=warmup, decay_steps=decay)
    lr = schedule(cfg)
    steps = [0, 1, 25, 49, 50, 51, 200, 399, 400, 777, 1049, 1050, 5000]
    got = np.array([float(lr(s)) for s in steps])
    want = np.array([expected(s, 2e-3, warmup, decay) for s in steps])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-9)
    assert np.all(np.diff(got[steps.index(warmup) :]) <= 1e-12)  # never rises after the warmup
