"""PassModel: padding invariance, causality, readout, head parameter maps, masked loss."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from padded_plays import padded_inputs

from sbp_jax.config import ModelConfig
from sbp_jax.distributions import Binned, Normal, SplicedBinnedPareto
from sbp_jax.model.heads import apply_head, num_outputs
from sbp_jax.model.network import TCN, PassModel, last_valid
from sbp_jax.train.loss import masked_mean

CFG = ModelConfig(
    channels=8,
    kernel_size=3,
    dilations=(1, 2, 4),
    mlp_hidden=(16,),
    dropout=0.0,
    low=-10.5,
    high=29.5,
    num_bins=40,
)
LENGTHS = np.array([3, 12, 7, 1], np.int32)


def _inputs(T: int, seed: int = 0, garbage: bool = False):
    """Plays of LENGTHS padded to T; padded steps are zero, or garbage (huge values and NaN)."""
    return padded_inputs(LENGTHS, T, seed, garbage)


def _init(cfg=CFG):
    model = PassModel(cfg)
    params = model.init(jax.random.key(1), *_inputs(16))["params"]
    # Non-zero head so every output depends on the trunk (the head is zero-initialized).
    params["head"]["kernel"] = 0.1 * jax.random.normal(
        jax.random.key(2), params["head"]["kernel"].shape
    )
    return model, params


def test_params_are_float32():
    _, params = _init()
    assert all(x.dtype == jnp.float32 for x in jax.tree.leaves(params))


def test_outputs_do_not_depend_on_padded_length_or_padding_content():
    model, params = _init()
    ref, _ = model.apply({"params": params}, *_inputs(12))
    for T, garbage in [(16, False), (40, True), (13, True)]:
        out, _ = model.apply({"params": params}, *_inputs(T, garbage=garbage))
        for k in ref:
            np.testing.assert_allclose(out[k], ref[k], rtol=1e-6, atol=1e-6, err_msg=f"{k} T={T}")
            assert np.all(np.isfinite(out[k]))


def test_padded_steps_are_exactly_zero_after_the_tcn():
    tcn = TCN(8, 3, (1, 2), 0.0)
    tracks, _, lengths, _ = _inputs(20, garbage=True)
    x = tracks.reshape(len(lengths), 20, -1)
    variables = tcn.init(jax.random.key(0), x, lengths, train=False)
    h = np.asarray(tcn.apply(variables, x, lengths, train=False))
    for b, n in enumerate(lengths):
        assert np.all(h[b, n:] == 0.0) and np.all(np.isfinite(h[b, :n]))
        assert np.any(h[b, n - 1] != 0.0)


def test_causality_gradient_after_t_is_exactly_zero():
    tcn = TCN(8, 3, (1, 2, 4), 0.0)
    T = 24
    x = jax.random.normal(jax.random.key(0), (1, T, 10))
    lengths = jnp.array([T])
    variables = tcn.init(jax.random.key(1), x, lengths, train=False)
    for t in (0, 5, 17):

        def readout(x, t=t):
            return tcn.apply(variables, x, lengths, train=False)[0, t].sum()

        g = jax.grad(readout)(x)
        g = np.abs(np.asarray(g[0])).sum(axis=-1)
        assert np.all(g[t + 1 :] == 0.0), t
        assert g[t] > 0  # the readout does depend on its own step
        # receptive field: 1 + 2 * (k - 1) * sum(dilations) = 29 steps covers everything before t
        assert np.all(g[: t + 1] > 0)


def test_last_valid_reads_step_lengths_minus_one():
    h = np.random.default_rng(0).normal(size=(4, 12, 5)).astype(np.float32)
    got = np.asarray(last_valid(jnp.asarray(h), jnp.asarray(LENGTHS)))
    np.testing.assert_array_equal(got, h[np.arange(4), LENGTHS - 1])


@pytest.mark.parametrize("xi_min", [0.0, -0.4])
def test_sbp_head_keeps_parameters_valid(xi_min):
    cfg = dataclasses.replace(CFG, xi_min=xi_min, xi_max=0.6)
    out = jnp.asarray(
        np.random.default_rng(0).normal(scale=1e3, size=(64, num_outputs(cfg))), jnp.float32
    )
    out = out.at[0].set(-1e4).at[1].set(1e4).at[2].set(0.0)
    params, dist = apply_head(out, cfg)
    assert isinstance(dist, SplicedBinnedPareto)
    for side in ("lower", "upper"):
        xi, beta = np.asarray(params[f"{side}_xi"]), np.asarray(params[f"{side}_beta"])
        assert np.all((xi >= xi_min) & (xi <= 0.6)), side
        assert np.all(beta >= cfg.beta_min) and np.all(np.isfinite(beta))
        np.testing.assert_allclose(xi[2], xi_min + (0.6 - xi_min) / 2, rtol=1e-6)
        np.testing.assert_allclose(beta[2], np.log(2.0) + cfg.beta_min, rtol=1e-6)
    np.testing.assert_array_equal(params["logits"], out[:, : cfg.num_bins])


def test_default_sbp_head_has_unbounded_support():
    out = jnp.asarray(np.random.default_rng(1).normal(scale=3, size=(8, num_outputs(CFG))))
    _, dist = apply_head(out, CFG)
    lp = np.asarray(dist.log_prob(jnp.array([[-500.0], [-40.0], [0.0], [99.0], [500.0]])))
    assert np.all(np.isfinite(lp))


def test_gaussian_and_binned_heads():
    g_cfg = dataclasses.replace(CFG, head="gaussian")
    out = jnp.array([[0.5, -2.0], [-1.0, 30.0]], jnp.float32)
    params, dist = apply_head(out, g_cfg)
    assert isinstance(dist, Normal)
    np.testing.assert_allclose(params["loc"], [5.0, -10.0], rtol=1e-6)
    np.testing.assert_allclose(
        params["scale"], 10 * np.log1p(np.exp([-2.0, 30.0])) + g_cfg.beta_min, rtol=1e-6
    )
    b_cfg = dataclasses.replace(CFG, head="binned")
    logits = jnp.zeros((2, num_outputs(b_cfg)))
    _, dist = apply_head(logits, b_cfg)
    assert isinstance(dist, Binned)
    np.testing.assert_allclose(dist.log_prob(jnp.array([0.0, 3.0])), np.log(1 / 40), rtol=1e-5)


@pytest.mark.parametrize("head", ["sbp", "gaussian", "binned"])
def test_model_runs_every_head_and_dropout_needs_rng(head):
    cfg = dataclasses.replace(CFG, head=head, dropout=0.5)
    model = PassModel(cfg)
    inputs = _inputs(16)
    params = model.init(jax.random.key(0), *inputs)["params"]
    raw, dist = model.apply({"params": params}, *inputs)
    assert dist.batch_shape == (len(LENGTHS),)
    assert all(v.shape[0] == len(LENGTHS) for v in raw.values())
    # Non-zero head so dropout inside the network reaches the outputs.
    params["head"]["kernel"] = jnp.ones_like(params["head"]["kernel"])

    def run(seed):
        out, _ = model.apply(
            {"params": params}, *inputs, train=True, rngs={"dropout": jax.random.key(seed)}
        )
        return np.asarray(out[next(iter(out))])

    np.testing.assert_array_equal(run(3), run(3))
    assert not np.array_equal(run(3), run(4))


def test_masked_mean_ignores_weight_zero_rows_even_nan():
    v = jnp.array([1.0, 2.0, jnp.nan, 4.0, jnp.inf])
    w = jnp.array([1.0, 2.0, 0.0, 1.0, 0.0])
    np.testing.assert_allclose(masked_mean(v, w), (1 + 4 + 4) / 4, rtol=1e-6)
    assert float(masked_mean(v, jnp.zeros(5))) == 0.0
