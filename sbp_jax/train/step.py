"""TrainState and the pure per-device steps: `train_step` / `eval_step` on a model-ready batch,
and `train_steps` / `eval_plays`, which do the data work too and run many steps in one call.

All are written for one device's slice of a global batch and use collectives over a named axis
(`axis_name`), so `sbp_jax.train.parallel` can map them over devices (pmap today, shard_map
tomorrow). With `axis_name=None` they run on a single device without collectives.

`train_steps` takes a step's plays as raw frames (`RawBatch`, host batching) or as play indices
into a device-resident store (`IndexBatch`), builds the model's inputs with
`data.inputs.model_inputs` inside the step, and scans `k` optimizer steps with `lax.scan` (unrolled
on the CPU backend, whose while loops are slow; one step is a plain call). A step
whose loss or gradient norm is not finite leaves the state unchanged, and so does every later step
of the call: the state that comes out is the one before the first bad step, which the caller
names from the per-step metrics.

The loss is the exact masked mean NLL over the *global* batch: each device differentiates `local_sum
/ mean_weight` where `mean_weight = pmean(local_weight)`; the `pmean` of those gradients is sum_d
grad(local_sum_d) / sum_d local_weight_d, the gradient of the global mean, whatever the number of
filler rows on each device."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from flax import struct

from sbp_jax.config import Config
from sbp_jax.data import device
from sbp_jax.data.batching import IndexBatch
from sbp_jax.data.inputs import DEFAULT_INPUTS, Batch, InputSpec, Normalizer, RawBatch, model_inputs
from sbp_jax.data.layout import N_SLOTS
from sbp_jax.model.likelihood import nll
from sbp_jax.model.network import PassModel
from sbp_jax.train.loss import masked_sum
from sbp_jax.train.optimizer import make_optimizer


class TrainState(struct.PyTreeNode):
    """Everything that changes during training (model and optimizer are static metadata)."""

    step: jax.Array  # int32 scalar: optimizer steps taken
    params: Any
    opt_state: Any
    rng: jax.Array  # uint32 raw key data; dropout keys are folded from it with step and device
    model: PassModel = struct.field(pytree_node=False)
    tx: optax.GradientTransformation = struct.field(pytree_node=False)
    inputs: InputSpec = struct.field(pytree_node=False, default=DEFAULT_INPUTS)  # channels built

    def arrays(self) -> dict[str, Any]:
        """The checkpointable part."""
        return {
            "step": self.step,
            "params": self.params,
            "opt_state": self.opt_state,
            "rng": self.rng,
        }

    def replace_arrays(self, arrays: dict[str, Any]) -> TrainState:
        """Inverse of `arrays` (e.g. after restoring a checkpoint)."""
        return self.replace(**arrays)


def init_params(model: PassModel, num_features: int, num_static: int, key: jax.Array) -> Any:
    """Float32 parameters from a dummy one-play input with `num_features` channels per slot."""
    tracks = jnp.zeros((1, 8, N_SLOTS, num_features), jnp.float32)
    presence = jnp.ones((1, N_SLOTS), jnp.float32)
    lengths = jnp.ones((1,), jnp.int32)
    static = jnp.zeros((1, num_static), jnp.float32)
    return model.init(key, tracks, presence, lengths, static)["params"]


def create_train_state(cfg: Config, num_static: int) -> TrainState:
    """Fresh state for `cfg.train.seed` (host arrays; replicate before pmapping); the input width
    follows the config's derived channels (`InputSpec`), the activation dtype
    `cfg.train.compute_dtype` (parameters and optimizer state stay float32)."""
    init_key, train_key = jax.random.split(jax.random.key(cfg.train.seed))
    model = PassModel(cfg.model, dtype=jnp.dtype(cfg.train.compute_dtype))
    tx = make_optimizer(cfg.train)
    num_features = len(InputSpec.of(cfg.data).names)
    params = init_params(model, num_features, num_static, init_key)
    return TrainState(
        step=jnp.zeros((), jnp.int32),
        params=params,
        opt_state=tx.init(params),
        rng=jax.random.key_data(train_key),
        model=model,
        tx=tx,
        inputs=InputSpec.of(cfg.data),
    )


def _pmean(x, axis_name: str | None):
    return x if axis_name is None else jax.lax.pmean(x, axis_name)


def _psum(x, axis_name: str | None):
    return x if axis_name is None else jax.lax.psum(x, axis_name)


def _apply(model: PassModel, params, batch: Batch, *, train: bool, rngs=None):
    return model.apply(
        {"params": params},
        batch.tracks,
        batch.presence,
        batch.lengths,
        batch.static,
        train=train,
        rngs=rngs,
    )


def dropout_key(state: TrainState, axis_name: str | None) -> jax.Array:
    """Deterministic per-step, per-device key."""
    key = jax.random.fold_in(jax.random.wrap_key_data(state.rng), state.step)
    if axis_name is not None:
        key = jax.random.fold_in(key, jax.lax.axis_index(axis_name))
    return key


def train_step(
    state: TrainState, batch: Batch, *, axis_name: str | None = None
) -> tuple[TrainState, dict[str, jax.Array]]:
    """One optimizer step on the global batch; metrics `loss` (global masked mean NLL), `weight`,
    `grad_norm` and the per-row `nll` of this device's rows (for the non-finite guard)."""
    weight = jnp.sum(jnp.where(batch.weight > 0, batch.weight, 0.0))
    mean_weight = jnp.maximum(_pmean(weight, axis_name), 1e-12)
    rngs = {"dropout": dropout_key(state, axis_name)}

    def loss_fn(params):
        _, dist = _apply(state.model, params, batch, train=True, rngs=rngs)
        nll_B = nll(dist, batch.yards)
        local_sum = masked_sum(nll_B, weight_B=batch.weight)
        return local_sum / mean_weight, (local_sum, nll_B)

    grads, (local_sum, nll_B) = jax.grad(loss_fn, has_aux=True)(state.params)
    grads = _pmean(grads, axis_name)
    updates, opt_state = state.tx.update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    total_weight = jnp.maximum(_psum(weight, axis_name), 1e-12)
    metrics = {
        "loss": _psum(local_sum, axis_name) / total_weight,
        "weight": _psum(weight, axis_name),
        "grad_norm": optax.tree.norm(grads),
        "nll": nll_B,
    }
    new_state = state.replace(step=state.step + 1, params=params, opt_state=opt_state)
    return new_state, metrics


def eval_step(
    state: TrainState, batch: Batch, *, axis_name: str | None = None
) -> dict[str, jax.Array]:
    """Summed NLL and weight over the global batch (dropout off)."""
    _, dist = _apply(state.model, state.params, batch, train=False)
    nll_B = nll(dist, batch.yards)
    weight = jnp.sum(jnp.where(batch.weight > 0, batch.weight, 0.0))
    return {
        "nll_sum": _psum(masked_sum(nll_B, weight_B=batch.weight), axis_name),
        "weight": _psum(weight, axis_name),
    }


class StepData(NamedTuple):
    """What a step reads besides its plays: the normalization and, when device-resident, the
    store (None: the plays arrive as raw frames)."""

    norm: Normalizer
    store: device.DeviceStore | None = None


def step_inputs(
    state: TrainState, data: StepData, plays: RawBatch | IndexBatch, num_steps: int
) -> Batch:
    """The model-ready batch of a step's plays (gathered on the device when resident)."""
    raw = plays if data.store is None else device.gather(data.store, plays, num_steps)
    return model_inputs(raw, data.norm, spec=state.inputs)


def train_steps(
    state: TrainState,
    data: StepData,
    plays_K: RawBatch | IndexBatch,
    num_steps: int,
    *,
    axis_name: str | None = None,
) -> tuple[TrainState, dict[str, jax.Array]]:
    """`k` optimizer steps over the leading axis of `plays_K` in one call (`lax.scan`).

    Metrics are stacked per step: `loss`, `weight`, `grad_norm`, `ok` (this step and all before it
    in the call were finite and applied) and the per-row `nll` of this device's rows."""

    def body(carry, plays):
        state, ok_so_far = carry
        new_state, m = train_step(
            state, step_inputs(state, data, plays, num_steps), axis_name=axis_name
        )
        ok = ok_so_far & jnp.isfinite(m["loss"]) & jnp.isfinite(m["grad_norm"])
        state = jax.tree.map(lambda new, old: jnp.where(ok, new, old), new_state, state)
        return (state, ok), {**m, "ok": ok}

    carry = (state, jnp.asarray(True))
    k = jax.tree.leaves(plays_K)[0].shape[0]
    if k == 1:  # no loop at all: XLA:CPU runs a while loop's body many times slower
        (state, _), metrics = body(carry, jax.tree.map(lambda x: x[0], plays_K))
        return state, jax.tree.map(lambda x: x[None], metrics)
    # XLA:CPU runs while-loop bodies ~10x slower than straight-line code (measured), so on the
    # CPU the K steps are unrolled (longer compiles); accelerators keep the rolled loop.
    unroll = k if jax.default_backend() == "cpu" else 1
    (state, _), metrics = jax.lax.scan(body, carry, plays_K, unroll=unroll)
    return state, metrics


def eval_plays(
    state: TrainState,
    data: StepData,
    plays: RawBatch | IndexBatch,
    num_steps: int,
    *,
    axis_name: str | None = None,
) -> dict[str, jax.Array]:
    """`eval_step` on one batch of plays given as raw frames or indices."""
    return eval_step(state, step_inputs(state, data, plays, num_steps), axis_name=axis_name)
