"""GeneralizedPareto and the xi-safe GPD functions against scipy and closed forms."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from sbp_jax.distributions import (
    GeneralizedPareto,
    exprel,
    gpd_cdf,
    gpd_icdf,
    gpd_isf,
    gpd_log_prob,
    gpd_log_sf,
    log1prel,
)

XIS = [-0.3, -1e-7, 0.0, 1e-7, 0.2, 0.9]
DTYPES = [np.float64, np.float32]
RTOL = {np.float64: 1e-10, np.float32: 2e-5}


@pytest.fixture(params=DTYPES, ids=["f64", "f32"])
def dtype(request):
    with jax.enable_x64(request.param == np.float64):
        yield request.param


def test_relative_functions_match_numpy(dtype):
    x = np.array([-0.9, -0.3, -0.02, -0.01, -1e-3, -1e-7, 1e-7, 1e-3, 0.0099, 0.05, 0.7, 30.0])
    want_log1prel = np.log1p(x) / x
    want_exprel = np.expm1(x) / x
    np.testing.assert_allclose(log1prel(jnp.asarray(x, dtype)), want_log1prel, rtol=RTOL[dtype])
    np.testing.assert_allclose(exprel(jnp.asarray(x, dtype)), want_exprel, rtol=RTOL[dtype])
    assert float(log1prel(jnp.zeros((), dtype))) == 1.0
    assert float(exprel(jnp.zeros((), dtype))) == 1.0


def test_relative_function_gradients_are_smooth_at_zero(dtype):
    # References in float64 NumPy: a 30-term differentiated power series near 0, the closed-form
    # derivative away from it; checked on both sides of the series/direct switch at |x| = 1e-2.
    n = np.arange(1, 30)
    log_factorial = np.cumsum(np.log(np.arange(1, 32)))
    for x in (-1e-7, 0.0, 1e-7, -0.0099, 0.0101, -0.3, 0.5):
        if abs(x) < 0.05:
            want_log1prel = np.sum(n * (-1.0) ** n * x ** (n - 1) / (n + 1))
            want_exprel = np.sum(n * x ** (n - 1) * np.exp(-log_factorial[n]))
        else:
            want_log1prel = 1 / (x * (1 + x)) - np.log1p(x) / x**2
            want_exprel = (x * np.exp(x) - np.expm1(x)) / x**2
        for fn, want in ((log1prel, want_log1prel), (exprel, want_exprel)):
            got = float(jax.grad(fn)(jnp.asarray(x, dtype)))
            tol = 1e-12 if dtype == np.float64 else 2e-5
            assert got == pytest.approx(want, abs=tol), (fn.__name__, x)


_methods = jax.jit(
    lambda d, x, q: {
        "log_prob": d.log_prob(x),
        "cdf": d.cdf(x),
        "icdf": d.icdf(q),
        "mean": d.mean(),
        "median": d.median(),
    }
)


def test_matches_scipy_genpareto(dtype):
    xi = np.asarray(XIS)[:, None]  # one batch row per shape
    beta, loc = 1.7, -0.5
    ref = stats.genpareto(c=xi, loc=loc, scale=beta)
    q = np.array([0.0, 1e-6, 0.01, 0.3, 0.5, 0.9, 0.999])
    x = ref.ppf(q) + 1e-9  # points inside the support, including far in the tail
    d = GeneralizedPareto(jnp.asarray(xi, dtype), jnp.asarray(beta, dtype), jnp.asarray(loc, dtype))
    out = _methods(d, jnp.asarray(x, dtype), jnp.asarray(q, dtype))
    # float32 loses relative accuracy in the far tail of the heavy (xi = 0.9) shape
    rtol = RTOL[dtype] * np.where((dtype == np.float32) & (np.abs(xi) > 0.5), 1e3, 1.0)
    atol = RTOL[dtype]
    for name, want in (("log_prob", ref.logpdf(x)), ("cdf", ref.cdf(x)), ("icdf", ref.ppf(q))):
        got = np.asarray(out[name], np.float64)
        assert np.all(np.abs(got - want) <= 10 * atol + rtol * np.abs(want)), name
    np.testing.assert_allclose(out["mean"], np.where(xi < 1, ref.mean(), np.inf), rtol=atol)
    np.testing.assert_allclose(out["median"], ref.median(), rtol=atol)


def test_support_ends(dtype):
    xi = np.asarray(XIS)
    d = GeneralizedPareto(jnp.asarray(xi, dtype), jnp.asarray(2.0, dtype))
    ends = _methods(d, jnp.zeros(6, dtype), jnp.asarray([[0.0], [1.0]], dtype))["icdf"]
    np.testing.assert_array_equal(ends[0], np.zeros(6))
    top = np.asarray(ends[1], np.float64)
    neg = xi < 0
    np.testing.assert_allclose(top[neg], -2.0 / xi[neg], rtol=RTOL[dtype])
    assert np.all(top[~neg] == np.inf)
    beyond = jnp.asarray(np.where(neg, [top * 1.01, top * 10], 1.0), dtype)
    out = _methods(d, beyond, jnp.asarray([[-0.1], [1.1]], dtype))
    assert np.all(np.asarray(out["log_prob"])[:, neg] == -np.inf)
    assert np.all(np.asarray(out["cdf"])[:, neg] == 1.0)
    assert np.all(np.isnan(np.asarray(out["icdf"])))
    below = _methods(d, jnp.asarray([[-1.0], [-1e-3]], dtype), jnp.zeros(6, dtype))
    assert np.all(np.asarray(below["log_prob"]) == -np.inf)
    assert np.all(np.asarray(below["cdf"]) == 0.0)


def test_isf_and_log_sf_are_inverse_and_match_scipy(dtype):
    xi, beta = jnp.asarray(0.3, dtype), jnp.asarray(1.5, dtype)
    s = jnp.asarray([1.0, 0.5, 1e-3, 1e-12], dtype)
    z = gpd_isf(s, xi, beta)
    np.testing.assert_allclose(z, stats.genpareto(0.3, scale=1.5).isf(np.asarray(s)), rtol=1e-5)
    np.testing.assert_allclose(jnp.exp(gpd_log_sf(z, xi, beta)), s, rtol=1e-4)


@pytest.mark.parametrize("side", [-1.0, 1.0])
def test_values_and_gradients_continuous_through_xi_zero(side, dtype):
    # Closed form of the xi-derivatives at xi = 0 (expansion of log1p(xi u)/xi, u = z/beta):
    # d/dxi log g = u^2/2 - u,  d/dxi log S = u^2/2,  d/dxi G^-1(q) = beta t^2/2, t = -log(1-q).
    beta, z, q = 1.3, 2.6, 0.8
    u, t = z / beta, -np.log1p(-q)
    tol = 1e-6 if dtype == np.float64 else 2e-3
    for xi in (side * 1e-7, side * 1e-12, 0.0):
        xi_ = jnp.asarray(xi, dtype)
        args = (jnp.asarray(z, dtype), xi_, jnp.asarray(beta, dtype))
        assert float(gpd_log_prob(*args)) == pytest.approx(-np.log(beta) - u, abs=tol)
        assert float(gpd_cdf(*args)) == pytest.approx(-np.expm1(-u), abs=tol)
        d_log_g = jax.grad(gpd_log_prob, argnums=1)(*args)
        d_log_s = jax.grad(gpd_log_sf, argnums=1)(*args)
        d_icdf = jax.grad(gpd_icdf, argnums=1)(jnp.asarray(q, dtype), xi_, jnp.asarray(beta, dtype))
        assert float(d_log_g) == pytest.approx(u * u / 2 - u, abs=tol * 10)
        assert float(d_log_s) == pytest.approx(u * u / 2, abs=tol * 10)
        assert float(d_icdf) == pytest.approx(beta * t * t / 2, abs=tol * 10)


def test_gradients_finite_everywhere():
    def total(xi, beta, z):
        return (gpd_log_prob(z, xi, beta) + gpd_cdf(z, xi, beta)).sum()

    z = jnp.asarray([-5.0, 0.0, 1e-30, 1.0, 1e3, 1e6, 6.0, 7.0])  # 6.67 = end for xi=-0.3
    for xi in (-0.3, -1e-7, 0.0, 1e-7, 0.9, 3.0):
        g = jax.grad(total, argnums=(0, 1, 2))(jnp.float32(xi), jnp.float32(2.0), z)
        for leaf in g:
            assert np.all(np.isfinite(np.asarray(leaf))), xi
    q = jnp.asarray([0.0, 1e-8, 0.5, 1 - 1e-7, 1.0])
    for xi in (-0.3, 0.0, 0.5):
        g = jax.grad(lambda a, b: gpd_icdf(q, a, b).sum(), argnums=(0, 1))(jnp.float32(xi), 2.0)
        # q = 1 with xi >= 0 is the infinite end; its gradient is zero, never NaN.
        assert not np.any(np.isnan(np.asarray(g))), xi


def test_finite_difference_gradients():
    with jax.enable_x64(True):
        z, beta, h = jnp.float64(1.7), jnp.float64(0.9), 1e-6
        for fn in (gpd_log_prob, gpd_log_sf):
            for xi in (-0.3, 0.2, 0.9):
                grads = jax.grad(fn, argnums=(1, 2))(z, jnp.float64(xi), beta)
                fd_xi = (fn(z, xi + h, beta) - fn(z, xi - h, beta)) / (2 * h)
                fd_beta = (fn(z, xi, beta + h) - fn(z, xi, beta - h)) / (2 * h)
                np.testing.assert_allclose(grads, [fd_xi, fd_beta], rtol=1e-6, atol=1e-9)


def test_pytree_jit_vmap_and_broadcasting():
    xi = jnp.asarray([[-0.2], [0.0], [0.4]])  # [3, 1]
    beta = jnp.asarray([1.0, 2.0])  # [2]
    d = GeneralizedPareto(xi, beta)
    assert d.batch_shape == (3, 2) and d.event_shape == ()
    leaves, treedef = jax.tree.flatten(d)
    assert len(leaves) == 3
    x = jnp.asarray([0.5, 1.5])
    eager = d.log_prob(x)
    jitted = jax.jit(lambda dist, x: dist.log_prob(x))(d, x)
    mapped = jax.vmap(lambda dist: dist.log_prob(x))(d)
    for i in range(3):
        for j in range(2):
            want = stats.genpareto(float(xi[i, 0]), scale=float(beta[j])).logpdf(float(x[j]))
            assert float(eager[i, j]) == pytest.approx(want, rel=1e-5)
    np.testing.assert_allclose(jitted, eager, rtol=1e-6)
    np.testing.assert_allclose(mapped, eager, rtol=1e-6)
    assert d.sample(seed=jax.random.key(0), sample_shape=(4,)).shape == (4, 3, 2)


def test_samples_follow_cdf():
    d = GeneralizedPareto(0.3, 2.0, 1.0)
    x = np.asarray(d.sample(seed=jax.random.key(7), sample_shape=(4000,)), np.float64)
    ref = stats.genpareto(0.3, loc=1.0, scale=2.0)
    assert stats.kstest(x, ref.cdf).pvalue > 0.01
    assert stats.kstest(x, stats.genpareto(0.3, loc=1.0, scale=2.4).cdf).pvalue < 1e-3


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"xi": 0.1, "beta": 0.0}, "beta"),
        ({"xi": 0.1, "beta": -1.0}, "beta"),
        ({"xi": 0.1, "beta": np.inf}, "beta"),
        ({"xi": np.nan, "beta": 1.0}, "xi"),
        ({"xi": 0.1, "beta": 1.0, "loc": np.inf}, "loc"),
    ],
)
def test_bad_parameters_raise(kwargs, name):
    with pytest.raises(ValueError, match=f"'{name}'"):
        GeneralizedPareto(**kwargs)


def test_under_jit_invalid_scale_gives_nan():
    @jax.jit
    def f(beta):
        d = GeneralizedPareto(0.1, beta)  # checks are skipped for tracers
        return d.log_prob(1.0), d.cdf(1.0), d.icdf(0.5)

    assert all(np.isnan(float(v)) for v in f(jnp.float32(-1.0)))
    assert all(np.isfinite(float(v)) for v in f(jnp.float32(1.0)))
