"""SplicedBinnedPareto against numerical integration (scipy quad), a NumPy body reference and scipy.

Every test runs in float64 and float32 (looser tolerances) unless it is about one of them.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate, stats

from sbp_jax.distributions import SplicedBinnedPareto, sbp_log_prob

XIS = [-0.3, -1e-7, 0.0, 1e-7, 0.2, 0.9]
DTYPES = [np.float64, np.float32]
LOW, HIGH, N = -10.0, 40.0, 16
WIDTH = (HIGH - LOW) / N


@pytest.fixture(params=DTYPES, ids=["f64", "f32"])
def dtype(request):
    with jax.enable_x64(request.param == np.float64):
        yield request.param


# Jitted once per dtype/shape and reused by every test (the distribution is an argument, not a
# closure constant, so new parameter values do not recompile).
_log_prob = jax.jit(lambda d, y: d.log_prob(y))
_prob = jax.jit(lambda d, y: d.prob(y))
_cdf = jax.jit(lambda d, y: d.cdf(y))
_icdf = jax.jit(lambda d, q: d.icdf(q))
_mean = jax.jit(lambda d: d.mean())
_median = jax.jit(lambda d: d.median())


def padded(fn, d, values, dtype):
    """fn(d, values) for a 1-D NumPy `values` of any length, padded to 64 entries so that every
    test reuses one compiled function per dtype; returns float64 NumPy."""
    values = np.asarray(values, np.float64)
    assert values.ndim == 1 and values.size <= 64
    out = fn(d, jnp.asarray(np.pad(values, (0, 64 - values.size)), dtype))
    return np.asarray(out, np.float64)[: values.size]


def make(dtype, lower_xi, upper_xi, *, seed=0, batch=(), alpha=0.05, low=LOW, high=HIGH, n=N):
    """A random SBP (random logits and scales) with the given tail shapes."""
    rng = np.random.default_rng(seed)
    lower_beta, upper_beta = rng.uniform(0.5, 4.0, (2, *batch))
    return SplicedBinnedPareto(
        jnp.asarray(rng.normal(0.0, 1.5, (*batch, n)), dtype),
        jnp.broadcast_to(jnp.asarray(lower_xi, dtype), batch),
        jnp.asarray(lower_beta, dtype),
        jnp.broadcast_to(jnp.asarray(upper_xi, dtype), batch),
        jnp.asarray(upper_beta, dtype),
        low=low,
        high=high,
        tail_percentile=alpha,
    )


def np_masses(d):
    """Softmax and cumulative masses in float64 NumPy (independent of the JAX code)."""
    logits = np.asarray(d.logits, np.float64)
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    return p, np.concatenate([np.zeros(p.shape[:-1] + (1,)), np.cumsum(p, -1)], -1)


def np_body_quantile(q, d):
    """Qb(q) (scalar q) for every batch element, by searchsorted in NumPy."""
    p, F = np_masses(d)
    p, F = p.reshape(-1, d.num_bins), F.reshape(-1, d.num_bins + 1)
    w = (d.high - d.low) / d.num_bins
    out = []
    for p_row, F_row in zip(p, F, strict=True):
        k = np.clip(np.searchsorted(F_row, q, side="right") - 1, 0, d.num_bins - 1)
        out.append(d.low + w * (k + (q - F_row[k]) / p_row[k]))
    return np.asarray(out).reshape(d.batch_shape)


def np_thresholds(d):
    return np_body_quantile(d.tail_percentile, d), np_body_quantile(1 - d.tail_percentile, d)


def support_ends(d):
    """Support ends from the closed form (finite only for xi < 0; -1e-7 counts as infinite)."""
    tau_l, tau_u = np_thresholds(d)
    lxi, lbeta, uxi, ubeta = (
        np.asarray(a, np.float64) for a in (d.lower_xi, d.lower_beta, d.upper_xi, d.upper_beta)
    )
    with np.errstate(divide="ignore"):
        lo = np.where(lxi < -1e-3, tau_l + lbeta / lxi, -np.inf)
        hi = np.where(uxi < -1e-3, tau_u - ubeta / uxi, np.inf)
    return lo, hi


def cumulative_integral(fn, grid):
    """Integrals of fn from grid[0] to each grid point, by scipy quad between grid points."""
    pieces = [
        integrate.quad(fn, a, b, limit=200, epsabs=1e-13, epsrel=1e-11)[0]
        for a, b in zip(grid[:-1], grid[1:], strict=True)
    ]
    return np.concatenate([[0.0], np.cumsum(pieces)])


@pytest.mark.parametrize("xi", XIS)
def test_density_integrates_to_one_and_cdf_is_its_integral(xi, dtype):
    # Different shapes in the two tails: the lower tail gets the listed xi, the upper its partner.
    upper_xi = XIS[(XIS.index(xi) + 3) % len(XIS)]
    d = make(dtype, xi, upper_xi, seed=XIS.index(xi))
    tau_l, tau_u = np_thresholds(d)
    lo, hi = support_ends(d)
    edges = LOW + WIDTH * np.arange(N + 1)
    probes = [tau_l - 20, tau_l - 3, tau_l - 0.5, tau_u + 0.5, tau_u + 3, tau_u + 20]
    probes = [y for y in probes if lo < y < hi]
    body_points = [e for e in edges if tau_l < e < tau_u] + [(tau_l + tau_u) / 2]
    grid = np.unique([lo, hi, tau_l, tau_u, *body_points, *probes])
    cum = cumulative_integral(lambda y: float(_prob(d, jnp.asarray(y, dtype))), grid)
    tol = 1e-8 if dtype == np.float64 else 2e-6
    assert cum[-1] == pytest.approx(1.0, abs=tol)
    inner = np.isfinite(grid)
    got = padded(_cdf, d, grid[inner], dtype)
    np.testing.assert_allclose(got, cum[inner], atol=tol)


@pytest.mark.parametrize("xi", XIS)
def test_icdf_inverts_cdf_in_body_and_tails(xi, dtype):
    d = make(dtype, xi, xi, seed=10 + XIS.index(xi))
    q = np.array([1e-6, 1e-3, 0.02, 0.05, 0.2, 0.5, 0.8, 0.95, 0.98, 0.999, 1 - 1e-6])
    if dtype == np.float32:
        q = q[(q > 1e-4) & (q < 1 - 1e-4)]  # float32 cannot resolve 1 - 1e-6 well enough
    y = padded(_icdf, d, q, dtype)
    back = padded(_cdf, d, y, dtype)
    tol = 1e-12 if dtype == np.float64 else 3e-6
    np.testing.assert_allclose(back, q, atol=tol, rtol=tol * 10)
    tau_l, tau_u = np_thresholds(d)
    lo, hi = support_ends(d)
    ys = np.array(
        [tau_l - 8, tau_l - 1, tau_l, tau_l + 0.3, LOW + 7 * WIDTH, tau_u, tau_u + 1, tau_u + 8]
    )
    ys = ys[(ys > lo) & (ys < hi)]
    again = padded(_icdf, d, padded(_cdf, d, ys, dtype), dtype)
    rtol = 1e-9 if dtype == np.float64 else 2e-4
    np.testing.assert_allclose(again, ys, rtol=rtol, atol=rtol)


def test_support_ends_are_icdf_0_and_1_never_nan(dtype):
    xi = np.asarray(XIS)  # one batch element per shape
    d = make(dtype, xi, xi, seed=20, batch=xi.shape)
    lo, hi = support_ends(d)
    got_lo, got_hi = (
        np.asarray(v, np.float64) for v in _icdf(d, jnp.asarray([[0.0], [1.0]], dtype))
    )
    assert not np.any(np.isnan(got_lo)) and not np.any(np.isnan(got_hi))
    heavy = xi >= 0
    assert np.all(got_lo[heavy] == -np.inf) and np.all(got_hi[heavy] == np.inf)
    tiny = (xi < 0) & (xi > -1e-3)  # -1e-7: finite but astronomically far
    assert np.all(np.isfinite(got_lo[tiny]) & (got_lo[tiny] < -1e6) & (got_hi[tiny] > 1e6))
    light = xi < -1e-3
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(got_lo[light], lo[light], rtol=rtol)
    np.testing.assert_allclose(got_hi[light], hi[light], rtol=rtol)
    beyond = jnp.asarray(np.where(light, [lo - 1.0, hi + 1.0], 0.0), dtype)
    assert np.all(np.asarray(_log_prob(d, beyond))[:, light] == -np.inf)
    np.testing.assert_array_equal(np.asarray(_cdf(d, beyond))[:, light], [[0.0], [1.0]])
    assert np.all(np.isnan(np.asarray(_icdf(d, jnp.asarray([[-1e-3], [1.001]], dtype)))))


def test_thresholds_match_numpy_reference_and_carry_alpha(dtype):
    for alpha in (0.05, 0.2):
        d = make(dtype, 0.1, -0.1, seed=3, alpha=alpha)
        tau_l, tau_u = (float(t) for t in d.thresholds())
        want_l, want_u = np_thresholds(d)
        tol = 1e-10 if dtype == np.float64 else 1e-4
        assert tau_l == pytest.approx(want_l, abs=tol) and tau_u == pytest.approx(want_u, abs=tol)
        got = padded(_cdf, d, [tau_l, tau_u], dtype)
        np.testing.assert_allclose(got, [alpha, 1 - alpha], atol=tol)


def test_body_density_and_mid_percentile_match_numpy(dtype):
    # 1-yard bins with edges on half-yards: cdf(k) = F_k + p_k/2 and density p_k inside the body.
    d = make(dtype, 0.2, 0.2, seed=4, low=-10.5, high=39.5, n=50, alpha=0.02)
    p, F = np_masses(d)
    tau_l, tau_u = np_thresholds(d)
    ks = np.arange(50)
    yards = -10 + ks
    body = (yards > tau_l) & (yards < tau_u)
    tol = 1e-12 if dtype == np.float64 else 2e-6
    got_cdf = padded(_cdf, d, yards[body], dtype)
    np.testing.assert_allclose(got_cdf, F[ks[body]] + p[ks[body]] / 2, atol=tol)
    inside = body & (yards + 0.3 < tau_u)
    got_pdf = padded(_prob, d, yards[inside] + 0.3, dtype)
    np.testing.assert_allclose(got_pdf, p[ks[inside]], rtol=tol * 10)


@pytest.mark.parametrize(("lower_xi", "upper_xi"), [(-0.3, 0.2), (0.0, 0.5), (0.3, -1e-7)])
def test_mean_and_median_match_integration(lower_xi, upper_xi, dtype):
    d = make(dtype, lower_xi, upper_xi, seed=5)
    tau_l, tau_u = np_thresholds(d)
    lo, hi = support_ends(d)
    edges = LOW + WIDTH * np.arange(N + 1)
    grid = np.unique([lo, hi, tau_l, tau_u, *[e for e in edges if tau_l < e < tau_u]])
    want = cumulative_integral(lambda y: y * float(_prob(d, jnp.asarray(y, dtype))), grid)[-1]
    tol = 1e-8 if dtype == np.float64 else 2e-4
    assert float(_mean(d)) == pytest.approx(want, rel=tol, abs=tol)
    median = _median(d)
    assert float(median) == pytest.approx(np_body_quantile(0.5, d), rel=tol, abs=tol)
    assert float(_cdf(d, median)) == pytest.approx(0.5, abs=tol)


def test_mean_is_infinite_for_heavy_tails(dtype):
    assert float(make(dtype, 0.2, 1.0).mean()) == np.inf
    assert float(make(dtype, 1.5, 0.2).mean()) == -np.inf
    assert np.isnan(float(make(dtype, 1.0, 1.0).mean()))


def test_samples_follow_cdf():
    d = make(np.float32, 0.2, 0.4, seed=6)
    x = np.asarray(d.sample(seed=jax.random.key(0), sample_shape=(5000,)), np.float64)

    def cdf_np(v):
        return np.asarray(_cdf(d, jnp.asarray(v, jnp.float32)), np.float64)

    assert np.all(np.isfinite(x))
    assert stats.kstest(x, cdf_np).pvalue > 0.01
    assert stats.kstest(x + 0.5, cdf_np).pvalue < 1e-3  # the test has power against a shift


@jax.jit
@jax.grad
def _grad_everything(d, y, q):
    """Gradient of every output type at once (infinite values masked out, their grads must be 0)."""
    lp, qs = d.log_prob(y), d.icdf(q)
    finite_lp = jnp.where(jnp.isfinite(lp), lp, 0.0).sum()
    finite_q = jnp.where(jnp.isfinite(qs), qs, 0.0).sum()
    mean = d.mean()
    return finite_lp + d.cdf(y).sum() + finite_q + jnp.where(jnp.isfinite(mean), mean, 0.0).sum()


def test_gradients_finite_for_observations_anywhere(dtype):
    xi = np.asarray(XIS)[:, None]  # [6, 1] shapes x [1, 2] mirrored tails -> batch [6, 2]
    d = make(dtype, xi, np.where(xi == 0, 0.5, -xi) * [1, 1], seed=7, batch=(6, 2))
    tau_l, tau_u = np_thresholds(d)
    lo, hi = support_ends(d)
    ends = [np.where(np.isfinite(v), v, 0.0) for v in (lo, hi, lo - 1, hi + 1)]  # ends, beyond
    edges = [np.full(d.batch_shape, e) for e in LOW + WIDTH * np.arange(N + 1)]
    far = [np.full(d.batch_shape, v) for v in (-1e4, -300.0, 300.0, 1e4)]
    y = jnp.asarray(np.stack([tau_l, tau_u, *edges, *far, *ends]), dtype)
    q = jnp.asarray([0.0, 1e-9, 0.05, 0.5, 0.95, 1 - 1e-7, 1.0], dtype)[:, None, None]
    grads = _grad_everything(d, y, q)
    assert type(grads) is SplicedBinnedPareto
    for leaf in jax.tree.leaves(grads):
        assert np.all(np.isfinite(np.asarray(leaf)))
    assert np.all(np.asarray(grads.lower_beta) != 0) and np.all(np.asarray(grads.logits) != 0)


def test_gradients_agree_with_finite_differences():
    with jax.enable_x64(True):
        d = make(np.float64, 0.15, -0.2, seed=8)
        tau_l, tau_u = np_thresholds(d)
        # Points away from thresholds and bin edges (where the derivative is one-sided).
        y = jnp.asarray(
            [tau_l - 5.3, tau_l - 0.4, LOW + 5.5 * WIDTH, LOW + 9.3 * WIDTH, tau_u + 2.2]
        )
        q = jnp.asarray([0.004, 0.03, 0.4, 0.7, 0.99])
        rng = np.random.default_rng(0)
        weights = jnp.asarray(rng.normal(size=3 * 5 + 1))

        @jax.jit
        def projection(dist):
            out = jnp.concatenate([dist.log_prob(y), dist.cdf(y), dist.icdf(q), dist.mean()[None]])
            return jnp.dot(weights, out)

        # Reverse mode (what training uses) against central differences along a random direction.
        grads = jax.jit(jax.grad(projection))(d)
        direction = jax.tree.map(lambda a: jnp.asarray(rng.normal(size=a.shape)), d)
        analytic = sum(
            float(jnp.vdot(g, v))
            for g, v in zip(jax.tree.leaves(grads), jax.tree.leaves(direction), strict=True)
        )
        h = 1e-6
        plus = projection(jax.tree.map(lambda a, v: a + h * v, d, direction))
        minus = projection(jax.tree.map(lambda a, v: a - h * v, d, direction))
        assert analytic == pytest.approx(float(plus - minus) / (2 * h), rel=1e-6)
        # And per parameter: a step in one tail parameter alone.
        leaves, treedef = jax.tree.flatten(d)
        for i in range(1, 5):  # lower_xi, lower_beta, upper_xi, upper_beta
            unit = [jnp.full_like(a, float(j == i)) for j, a in enumerate(leaves)]
            step = jax.tree.unflatten(treedef, unit)
            fd = (
                projection(jax.tree.map(lambda a, v: a + h * v, d, step))
                - projection(jax.tree.map(lambda a, v: a - h * v, d, step))
            ) / (2 * h)
            got = float(jax.tree.leaves(grads)[i])
            assert got == pytest.approx(float(fd), rel=1e-6), i


@jax.jit
def _outputs_and_xi_jacobian(d, y, q):
    def outputs(lower_xi, upper_xi):
        leaves, treedef = jax.tree.flatten(d)
        dist = jax.tree.unflatten(treedef, [leaves[0], lower_xi, leaves[2], upper_xi, leaves[4]])
        return jnp.concatenate([dist.log_prob(y), dist.cdf(y), dist.icdf(q)])

    jac = jax.jacfwd(outputs, argnums=(0, 1))(d.lower_xi, d.upper_xi)
    return outputs(d.lower_xi, d.upper_xi), jnp.stack(jac)


def test_values_and_gradients_continuous_through_xi_zero(dtype):
    y = jnp.asarray([-25.0, -14.0, 5.0, 45.0, 70.0], dtype)
    q = jnp.asarray([0.001, 0.03, 0.5, 0.97, 0.999], dtype)
    v0, g0 = _outputs_and_xi_jacobian(make(dtype, 0.0, 0.0, seed=9), y, q)
    assert np.all(np.asarray(g0)[0, :2] != 0) and np.all(np.asarray(g0)[1, 3:5] != 0)
    tol = 1e-5 if dtype == np.float64 else 2e-3
    for xi in (-1e-7, 1e-7):
        v, g = _outputs_and_xi_jacobian(make(dtype, xi, xi, seed=9), y, q)
        np.testing.assert_allclose(v, v0, rtol=tol, atol=tol)
        np.testing.assert_allclose(g, g0, rtol=tol, atol=tol)


def test_float32_log_prob_safe_with_extreme_logits():
    # Masses down to ~1e-35 (logit spread 80): log-softmax keeps log p finite and exact.
    logits = np.linspace(-40.0, 40.0, 120)
    d = SplicedBinnedPareto(jnp.asarray(logits, jnp.float32), 0.1, 1.0, 0.1, 1.0, low=-20, high=100)
    y = jnp.asarray([-19.5, -10.2, 0.3, 30.0, 98.9, 99.9, 150.0, -500.0], jnp.float32)
    lp = _log_prob(d, y)
    assert np.all(np.isfinite(np.asarray(lp)))
    log_p = logits - (logits.max() + np.log(np.sum(np.exp(logits - logits.max()))))
    tau_l, tau_u = np_thresholds(d)
    k = np.floor((np.asarray(y, np.float64) + 20) / 1.0).astype(int)
    body = (np.asarray(y) > tau_l) & (np.asarray(y) < tau_u)
    np.testing.assert_allclose(np.asarray(lp)[body], log_p[k[body]], rtol=1e-5)
    grads = jax.jit(jax.grad(lambda t: t.log_prob(y).mean()))(d)
    assert all(np.all(np.isfinite(np.asarray(g))) for g in jax.tree.leaves(grads))


_three = jax.jit(lambda d, x, q: {"log_prob": d.log_prob(x), "cdf": d.cdf(x), "icdf": d.icdf(q)})


def test_batch_broadcasting_jit_vmap_and_pytree():
    rng = np.random.default_rng(11)
    logits = jnp.asarray(rng.normal(size=(2, 3, N)), jnp.float32)
    lower_beta = jnp.asarray([1.0, 2.0, 3.0])
    upper_xi = jnp.asarray([[0.1], [-0.2]])
    upper_beta = jnp.asarray(rng.uniform(0.5, 2.0, (2, 3)), jnp.float32)
    kw = {"low": LOW, "high": HIGH, "tail_percentile": 0.1}
    d = SplicedBinnedPareto(logits, 0.3, lower_beta, upper_xi, upper_beta, **kw)
    assert d.batch_shape == (2, 3) and d.event_shape == () and d.num_bins == N
    x = jnp.asarray(rng.uniform(-30, 70, (4, 2, 3)), jnp.float32)  # sample dims in front
    q = jnp.asarray(rng.uniform(0, 1, (4, 2, 3)), jnp.float32)
    got = _three(d, x, q)
    # Reference: one unbatched distribution per batch element.
    for i in range(2):
        for j in range(3):
            single = SplicedBinnedPareto(
                logits[i, j], 0.3, lower_beta[j], upper_xi[i, 0], upper_beta[i, j], **kw
            )
            want = _three(single, x[:, i, j], q[:, i, j])
            for name in got:
                np.testing.assert_allclose(got[name][:, i, j], want[name], rtol=1e-5, err_msg=name)
    # A scalar observation broadcasts against the batch; mean/median have the batch shape.
    for fn in (lambda t: t.log_prob(3.0), lambda t: t.mean(), lambda t: t.median()):
        assert jax.eval_shape(fn, d).shape == (2, 3)
    sample = jax.eval_shape(lambda t, k: t.sample(seed=k, sample_shape=(5,)), d, jax.random.key(1))
    assert sample.shape == (5, 2, 3)
    # Pytree: 5 leaves; static metadata in the treedef, so different bins are different trees.
    leaves, treedef = jax.tree.flatten(d)
    assert len(leaves) == 5
    other = SplicedBinnedPareto(logits, 0.3, lower_beta, upper_xi, upper_beta, low=LOW, high=50.0)
    assert jax.tree.structure(other) != treedef

    # Constructing inside jit from raw outputs (as the model does) via the pure function, and vmap.
    @jax.jit
    def build(lg, y):
        return sbp_log_prob(y, lg, 0.3, lower_beta, upper_xi, upper_beta, **kw)

    np.testing.assert_allclose(build(logits, x), got["log_prob"], rtol=1e-6)
    mapped = jax.jit(jax.vmap(lambda t, y: t.log_prob(y), in_axes=(0, 1), out_axes=1))(d, x)
    np.testing.assert_allclose(mapped, got["log_prob"], rtol=1e-6)


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"lower_beta": 0.0}, "lower_beta"),
        ({"upper_beta": -1.0}, "upper_beta"),
        ({"upper_beta": np.inf}, "upper_beta"),
        ({"lower_xi": np.nan}, "lower_xi"),
        ({"upper_xi": np.inf}, "upper_xi"),
        ({"logits": np.array([0.0, np.nan, 1.0])}, "logits"),
        ({"logits": np.array([1.0])}, "logits"),
        ({"logits": np.float32(1.0)}, "logits"),
        ({"high": -10.0}, "low < high"),
        ({"high": np.inf}, "low < high"),
        ({"tail_percentile": 0.0}, "tail_percentile"),
        ({"tail_percentile": 0.5}, "tail_percentile"),
        ({"tail_percentile": -0.1}, "tail_percentile"),
    ],
)
def test_bad_parameters_raise_value_error(change, name):
    kwargs = {
        "logits": np.zeros(4),
        "lower_xi": 0.1,
        "lower_beta": 1.0,
        "upper_xi": 0.1,
        "upper_beta": 1.0,
        "low": -10.0,
        "high": 10.0,
    } | change
    with pytest.raises(ValueError, match=name):
        SplicedBinnedPareto(**kwargs)


def test_under_jit_checks_are_skipped_and_invalid_tails_give_nan():
    @jax.jit
    def evaluate(lower_beta, upper_xi):
        d = SplicedBinnedPareto(
            jnp.zeros((2, 4)), 0.1, lower_beta, upper_xi, 1.0, low=-1.0, high=1.0
        )
        return d.log_prob(0.0), d.cdf(0.0), d.icdf(0.5), d.mean()

    out = evaluate(jnp.asarray([1.0, -1.0]), jnp.asarray([0.1, 0.1]))
    for v in out:  # row 0 valid, row 1 has beta < 0
        assert np.isfinite(float(v[0])) and np.isnan(float(v[1]))
    out = evaluate(jnp.asarray([1.0, 1.0]), jnp.asarray([0.1, jnp.nan]))
    for v in out:
        assert np.isfinite(float(v[0])) and np.isnan(float(v[1]))
