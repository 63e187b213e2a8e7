"""The model: masked causal TCN + static MLP + distribution head, its likelihood, and loading a
trained one from its checkpoint (shared by training and evaluation)."""

from sbp_jax.model.dropout import Dropout, threefry2x32
from sbp_jax.model.heads import HEADS, apply_head, num_outputs
from sbp_jax.model.likelihood import nll
from sbp_jax.model.network import TCN, CausalBlock, PassModel, last_valid, time_mask
from sbp_jax.model.trained import MismatchError, TrainedModel, load_trained

__all__ = [
    "HEADS",
    "TCN",
    "CausalBlock",
    "Dropout",
    "MismatchError",
    "PassModel",
    "TrainedModel",
    "apply_head",
    "last_valid",
    "load_trained",
    "nll",
    "num_outputs",
    "threefry2x32",
    "time_mask",
]
