"""Binned (histogram) and Normal distributions against NumPy / scipy references."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from sbp_jax.distributions import Binned, Normal

DTYPES = [np.float64, np.float32]
LOW, HIGH, N = -5.0, 15.0, 8
WIDTH = (HIGH - LOW) / N

_methods = jax.jit(
    lambda d, x, q: {
        "log_prob": d.log_prob(x),
        "cdf": d.cdf(x),
        "icdf": d.icdf(q),
        "mean": d.mean(),
    }
)


@pytest.fixture(params=DTYPES, ids=["f64", "f32"])
def dtype(request):
    with jax.enable_x64(request.param == np.float64):
        yield request.param


def np_histogram(logits, x):
    """Density and CDF of the histogram in float64 NumPy, straight from the definition."""
    p = np.exp(logits - logits.max())
    p /= p.sum()
    edges = LOW + WIDTH * np.arange(N + 1)
    density = np.where(
        (x >= LOW) & (x <= HIGH),
        p[np.clip(((x - LOW) // WIDTH).astype(int), 0, N - 1)] / WIDTH,
        0.0,
    )
    cdf = np.interp(x, edges, np.concatenate([[0.0], np.cumsum(p)]))
    return p, density, cdf


def test_binned_matches_numpy_definition(dtype):
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 2, N)
    d = Binned(jnp.asarray(logits, dtype), low=LOW, high=HIGH)
    x = np.array([-7.0, LOW, -4.9, -2.5, 0.1, 3.3, 7.5, 14.99, HIGH, 16.0])
    q = np.array([0.0, 0.1, 0.5, 0.9, 1.0])
    out = _methods(d, jnp.asarray(x, dtype), jnp.asarray(q, dtype))
    p, density, cdf = np_histogram(logits, x)
    tol = 1e-12 if dtype == np.float64 else 2e-6
    np.testing.assert_allclose(np.exp(out["log_prob"]), density, rtol=tol * 10)
    np.testing.assert_allclose(out["cdf"], cdf, atol=tol)
    centres = LOW + WIDTH * (np.arange(N) + 0.5)
    assert float(out["mean"]) == pytest.approx(np.sum(p * centres), rel=tol * 10)
    edges = LOW + WIDTH * np.arange(N + 1)
    want_q = np.interp(q, np.concatenate([[0.0], np.cumsum(p)]), edges)
    np.testing.assert_allclose(out["icdf"], want_q, atol=tol * 10)
    assert float(out["icdf"][0]) == LOW and float(out["icdf"][-1]) == pytest.approx(HIGH)
    back = _methods(d, out["icdf"][1:-1], q)["cdf"]
    np.testing.assert_allclose(back, q[1:-1], atol=tol)


@pytest.mark.parametrize("num_bins", [2, 3, 10, 17, 120, 127])
def test_two_level_search_matches_numpy_for_any_bin_count(num_bins):
    # Bins are searched in blocks of ceil(sqrt(N)), with padding when N is not a multiple; some
    # bins get (numerically) zero mass so the search must skip them.
    rng = np.random.default_rng(num_bins)
    logits = rng.normal(0, 2, (3, num_bins))
    logits[0, rng.integers(0, num_bins, max(1, num_bins // 3))] = -200.0
    logits[1, 0] = logits[1, -1] = -200.0  # empty end bins: icdf(0), icdf(1) move inwards
    d = Binned(jnp.asarray(logits, jnp.float32), low=0.0, high=float(num_bins))
    q = np.concatenate([[0.0], np.sort(rng.uniform(size=40)), [1.0]])
    got = np.asarray(_methods(d, jnp.zeros((1, 3)), jnp.asarray(q[:, None], jnp.float32))["icdf"])
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p = np.where(p < 1e-30, 0.0, p / p.sum(-1, keepdims=True))  # exactly 0 in float32 as well
    F = np.concatenate([np.zeros((3, 1)), np.cumsum(p, -1)], -1)
    edges = np.arange(num_bins + 1.0)
    for i in range(3):
        # Definition: the bin k with F_k <= q < F_{k+1} (searchsorted skips empty bins).
        k = np.clip(np.searchsorted(F[i], q, side="right") - 1, 0, num_bins - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(p[i, k] > 0, (q - F[i, k]) / p[i, k], 0.0)
        want = edges[k] + np.clip(frac, 0, 1)
        np.testing.assert_allclose(got[:, i], want, atol=2e-4 * num_bins, err_msg=str(i))
    x = (edges[:-1] + 0.37)[:, None]
    cdf = np.asarray(_methods(d, jnp.asarray(x, jnp.float32), jnp.zeros((1, 3)))["cdf"])
    np.testing.assert_allclose(cdf, (F[:, :-1] + 0.37 * p).T, atol=2e-6)


def test_binned_outside_support_is_minus_inf_with_zero_gradient():
    d = Binned(jnp.zeros(N), low=LOW, high=HIGH)
    x = jnp.asarray([LOW - 1.0, HIGH + 1.0])
    out = _methods(d, x, jnp.asarray([0.5, 0.5]))
    assert np.all(np.asarray(out["log_prob"]) == -np.inf)
    np.testing.assert_array_equal(out["cdf"], [0.0, 1.0])
    g = jax.jit(jax.grad(lambda t: jnp.where(x > 0, t.cdf(x), 0.0).sum() + t.prob(x).sum()))(d)
    np.testing.assert_array_equal(g.logits, np.zeros(N))


def test_binned_mid_distribution_percentile_on_integer_yards():
    logits = np.random.default_rng(1).normal(size=20)
    d = Binned(jnp.asarray(logits), low=-0.5, high=19.5)  # 1-yard bins, edges on half-yards
    p = np.exp(logits) / np.exp(logits).sum()
    want = np.concatenate([[0.0], np.cumsum(p)])[:-1] + p / 2
    got = _methods(d, jnp.arange(20.0), jnp.asarray([0.5]))["cdf"]
    np.testing.assert_allclose(got, want, atol=2e-6)


def test_binned_samples_follow_cdf_and_gradients_are_finite():
    d = Binned(
        jnp.asarray(np.random.default_rng(2).normal(size=N), jnp.float32), low=LOW, high=HIGH
    )
    x = np.asarray(d.sample(seed=jax.random.key(3), sample_shape=(4000,)), np.float64)
    assert np.all((x >= LOW) & (x <= HIGH))

    def cdf(v):
        return np.asarray(_methods(d, jnp.asarray(v, jnp.float32), jnp.zeros(1))["cdf"], np.float64)

    assert stats.kstest(x, cdf).pvalue > 0.01
    assert stats.kstest(x + 0.3, cdf).pvalue < 1e-3
    edges = jnp.asarray(LOW + WIDTH * np.arange(N + 1), jnp.float32)
    g = jax.jit(jax.grad(lambda t: t.log_prob(edges).sum() + t.icdf(jnp.linspace(0, 1, 9)).sum()))(
        d
    )
    assert np.all(np.isfinite(np.asarray(g.logits)))


def test_binned_batch_jit_vmap():
    logits = jnp.asarray(np.random.default_rng(4).normal(size=(3, N)), jnp.float32)
    d = Binned(logits, low=LOW, high=HIGH)
    assert d.batch_shape == (3,) and d.event_shape == ()
    x = jnp.asarray([[-1.0, 2.0, 9.0], [0.0, 14.0, 3.0]], jnp.float32)  # [2, 3]: sample + batch
    got = _methods(d, x, jnp.full((3,), 0.5))
    for i in range(3):
        _, density, cdf = np_histogram(np.asarray(logits[i], np.float64), np.asarray(x[:, i]))
        np.testing.assert_allclose(np.exp(got["log_prob"][:, i]), density, rtol=1e-5)
        np.testing.assert_allclose(got["cdf"][:, i], cdf, atol=1e-6)
    mapped = jax.jit(jax.vmap(lambda t, y: t.log_prob(y), in_axes=(0, 1), out_axes=1))(d, x)
    np.testing.assert_allclose(mapped, got["log_prob"], rtol=1e-6)


@pytest.mark.parametrize(
    ("args", "kwargs", "name"),
    [
        ((np.array([0.0, np.inf]),), {"low": 0.0, "high": 1.0}, "logits"),
        ((np.array([0.0]),), {"low": 0.0, "high": 1.0}, "logits"),
        ((np.float32(0.0),), {"low": 0.0, "high": 1.0}, "logits"),
        ((np.zeros(3),), {"low": 1.0, "high": 1.0}, "low < high"),
    ],
)
def test_binned_bad_parameters(args, kwargs, name):
    with pytest.raises(ValueError, match=name):
        Binned(*args, **kwargs)


def test_normal_matches_scipy(dtype):
    loc = jnp.asarray([0.5, -3.0], dtype)
    scale = jnp.asarray([2.0, 0.1], dtype)
    d = Normal(loc, scale)
    x = np.array([[-1.0, -3.05], [4.0, 10.0]])
    q = np.array([[1e-6, 0.3], [0.5, 0.999]])
    out = _methods(d, jnp.asarray(x, dtype), jnp.asarray(q, dtype))
    ref = stats.norm(np.asarray(loc, np.float64), np.asarray(scale, np.float64))
    tol = 1e-12 if dtype == np.float64 else 2e-6
    np.testing.assert_allclose(out["log_prob"], ref.logpdf(x), rtol=tol * 10)
    np.testing.assert_allclose(out["cdf"], ref.cdf(x), rtol=tol * 10, atol=tol)
    np.testing.assert_allclose(out["icdf"], ref.ppf(q), rtol=tol * 100)
    np.testing.assert_allclose(out["mean"], loc)
    np.testing.assert_array_equal(
        _methods(d, x, jnp.asarray([0.0, 1.0], dtype))["icdf"], [-np.inf, np.inf]
    )
    s = np.asarray(d.sample(seed=jax.random.key(0), sample_shape=(3000,)), np.float64)
    assert s.shape == (3000, 2)
    assert stats.kstest(s[:, 0], stats.norm(0.5, 2.0).cdf).pvalue > 0.01
    assert stats.kstest(s[:, 0], stats.norm(0.8, 2.0).cdf).pvalue < 1e-3


def test_normal_gradients_match_closed_form():
    d = Normal(jnp.float32(1.0), jnp.float32(2.0))
    g = jax.grad(lambda t: t.log_prob(4.0))(d)
    z = 1.5
    assert float(g.loc) == pytest.approx(z / 2.0) and float(g.scale) == pytest.approx(
        (z * z - 1) / 2.0
    )


@pytest.mark.parametrize(
    ("loc", "scale", "name"), [(0.0, 0.0, "scale"), (0.0, -1.0, "scale"), (np.nan, 1.0, "loc")]
)
def test_normal_bad_parameters(loc, scale, name):
    with pytest.raises(ValueError, match=f"'{name}'"):
        Normal(loc, scale)


def test_under_jit_invalid_scale_gives_nan():
    @jax.jit
    def f(scale):
        d = Normal(0.0, scale)
        return d.log_prob(1.0), d.cdf(1.0), d.icdf(0.3)

    assert all(np.isnan(float(v)) for v in f(jnp.float32(-1.0)))
    assert all(np.isfinite(float(v)) for v in f(jnp.float32(1.0)))
