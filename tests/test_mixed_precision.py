"""PassModel.dtype: bfloat16 activations with float32 parameters, head and distribution math."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from padded_plays import padded_inputs

from sbp_jax.config import Config, ModelConfig, TrainConfig
from sbp_jax.data import Batch, InputSpec
from sbp_jax.model import PassModel
from sbp_jax.train.step import create_train_state, train_step

CFG = ModelConfig(
    channels=16, dilations=(1, 2), mlp_hidden=(32,), dropout=0.0, low=-10.5, high=29.5, num_bins=40
)
LENGTHS = np.array([5, 12, 9, 1], np.int32)


def _inputs(T: int = 16, garbage: bool = False):
    return padded_inputs(LENGTHS, T, garbage=garbage)


def _params():
    params = PassModel(CFG).init(jax.random.key(0), *_inputs())["params"]
    params["head"]["kernel"] = 0.1 * jax.random.normal(
        jax.random.key(1), params["head"]["kernel"].shape
    )
    return params


def test_bfloat16_model_has_the_float32_parameter_tree():
    f32 = PassModel(CFG).init(jax.random.key(0), *_inputs())["params"]
    bf16 = PassModel(CFG, dtype=jnp.bfloat16).init(jax.random.key(0), *_inputs())["params"]
    assert jax.tree.structure(f32) == jax.tree.structure(bf16)
    for a, b in zip(jax.tree.leaves(f32), jax.tree.leaves(bf16), strict=True):
        assert b.dtype == jnp.float32 and a.shape == b.shape
        np.testing.assert_array_equal(a, b)  # same initialization


def test_bfloat16_outputs_are_float32_and_close_to_float32():
    params = _params()
    raw32, dist32 = PassModel(CFG).apply({"params": params}, *_inputs())
    raw16, dist16 = PassModel(CFG, dtype=jnp.bfloat16).apply({"params": params}, *_inputs())
    for k in raw32:
        assert raw16[k].dtype == jnp.float32, k
        # bfloat16 keeps 8 significant bits: the head outputs agree to a few percent of their scale
        scale = float(np.max(np.abs(raw32[k]))) + 1e-3
        np.testing.assert_allclose(raw16[k], raw32[k], atol=0.05 * scale, err_msg=k)
    y = jnp.array([-3.0, 0.0, 7.0, 25.0])
    nll16 = dist16.log_prob(y)
    assert nll16.dtype == jnp.float32
    np.testing.assert_allclose(nll16, dist32.log_prob(y), atol=0.1)
    # the upper tail's threshold search and GPD pieces run in float32 on float32 inputs
    assert dist16.thresholds()[1].dtype == jnp.float32


def test_bfloat16_padding_still_cannot_leak():
    params = _params()
    model = PassModel(CFG, dtype=jnp.bfloat16)
    ref, _ = model.apply({"params": params}, *_inputs(12))
    out, _ = model.apply({"params": params}, *_inputs(24, garbage=True))
    for k in ref:
        assert np.all(np.isfinite(out[k])), k
        np.testing.assert_allclose(out[k], ref[k], rtol=1e-2, atol=1e-2, err_msg=k)


def test_bfloat16_train_step_keeps_float32_state_and_tracks_float32_loss():
    cfg = Config(model=dataclasses.replace(CFG, dropout=0.1), train=TrainConfig(warmup_steps=0))
    cfg16 = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, compute_dtype="bfloat16"))
    tracks, presence, lengths, static = _inputs()
    extra = len(InputSpec.of(cfg.data).names) - tracks.shape[-1]  # derived channels
    batch = Batch(
        tracks=np.concatenate([tracks, np.zeros((4, 16, 22, extra), np.float32)], -1),
        presence=presence,
        lengths=lengths,
        static=static,
        yards=np.array([1.0, -4.0, 12.0, 30.0], np.float32),
        weight=np.ones(4, np.float32),
        play_index=np.arange(4),
    )
    s16 = create_train_state(cfg16, num_static=3)
    s32 = create_train_state(cfg, num_static=3)
    assert s16.model.dtype == jnp.bfloat16
    step = jax.jit(train_step)
    for _ in range(3):
        s16, m16 = step(s16, batch)
        s32, m32 = step(s32, batch)
    assert all(x.dtype == jnp.float32 for x in jax.tree.leaves(s16.params))
    assert all(x.dtype in (jnp.float32, jnp.int32) for x in jax.tree.leaves(s16.opt_state))
    assert np.isfinite(float(m16["loss"]))
    np.testing.assert_allclose(float(m16["loss"]), float(m32["loss"]), rtol=0.05)
