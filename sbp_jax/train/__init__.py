"""Training: the pure train step, its mapping over devices, the optimizer, checkpoint writing and
the loop (`train`). Nothing here touches the JAX backend at import time, so
`initialize_distributed` can run first."""

from sbp_jax.train.loop import NonFiniteLossError, train
from sbp_jax.train.parallel import initialize_distributed
from sbp_jax.train.step import TrainState, create_train_state, eval_step, train_step

__all__ = [
    "NonFiniteLossError",
    "TrainState",
    "create_train_state",
    "eval_step",
    "initialize_distributed",
    "train",
    "train_step",
]
