"""Season scorer against a direct per-play computation (one play at a time, plain calls)."""

import jax
import numpy as np
import pytest
from store_fixtures import write_random_store

from sbp_jax.config import ModelConfig
from sbp_jax.data import input_feature_names, make_batch
from sbp_jax.evaluate import scoring
from sbp_jax.model import PassModel

LEVELS = (0.05, 0.5, 0.95)


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    store, _ = write_random_store(tmp_path_factory.mktemp("store") / "s", n_plays=40, seed=3)
    cfg = ModelConfig(
        channels=8,
        dilations=(1, 2),
        mlp_hidden=(16,),
        dropout=0.0,
        low=-10.5,
        high=29.5,
        num_bins=40,
    )
    model = PassModel(cfg)
    b = make_batch(store, np.arange(2))
    params = model.init(jax.random.key(0), b.tracks, b.presence, b.lengths, b.static)["params"]
    # The head starts at zero (every play the same distribution); perturb it so plays differ.
    kernel = params["head"]["kernel"]
    params["head"]["kernel"] = kernel + 0.5 * jax.random.normal(jax.random.key(1), kernel.shape)
    out = scoring.score_plays(
        model, params, store, np.arange(store.n_plays), levels=LEVELS, progress=False
    )
    return store, model, params, out


def test_scorer_matches_direct_per_play_computation(scored):
    store, model, params, out = scored
    body_checks = 0
    for i in (0, 7, 23, 31, 39):
        b = make_batch(store, [i])
        raw, dist = model.apply({"params": params}, b.tracks, b.presence, b.lengths, b.static)
        y = float(store.yards[i])
        mid = (float(dist.cdf(y - 0.5)[0]) + float(dist.cdf(y + 0.5)[0])) / 2
        assert out["percentile"][i] == pytest.approx(mid, abs=2e-6)
        for j, q in enumerate(LEVELS):
            assert out["quantiles"][i, j] == pytest.approx(float(dist.icdf(q)[0]), abs=1e-4)
        # Mid-distribution percentile from the raw bin logits, in NumPy (docs/distribution.md).
        p = np.exp(raw["logits"][0] - np.max(raw["logits"][0]))
        p /= p.sum()
        k = int(round(y - (-10.5) - 0.5))
        lo_tau, hi_tau = out["quantiles"][i, 0], out["quantiles"][i, 2]
        if lo_tau < y - 0.5 and y + 0.5 < hi_tau:  # body bin, away from the tails
            assert out["percentile"][i] == pytest.approx(p[:k].sum() + p[k] / 2, abs=1e-5)
            body_checks += 1
        assert out["median"][i] == pytest.approx(out["quantiles"][i, 1], abs=1e-4)
    assert body_checks >= 2
    assert np.unique(np.round(out["percentile"], 5)).size > 30  # plays really differ


def test_single_play_function_equals_vmapped(scored):
    store, model, params, out = scored
    one = jax.jit(scoring.play_scorer(model, levels=LEVELS))
    b = make_batch(store, [11])
    res = one(params, b.tracks[0], b.presence[0], b.lengths[0], b.static[0], b.yards[0])
    assert float(res["percentile"]) == pytest.approx(out["percentile"][11], abs=2e-6)
    np.testing.assert_allclose(np.asarray(res["quantiles"]), out["quantiles"][11], atol=1e-4)


def test_chunked_scoring_equals_one_call(scored):
    store, model, params, out = scored
    order = np.random.default_rng(0).permutation(store.n_plays)
    # A 1-byte budget forces the smallest chunks (64 plays): 120 plays in two padded calls.
    idx = np.concatenate([order, order, order])
    small = scoring.score_plays(
        model, params, store, idx, levels=LEVELS, progress=False, memory_budget=1
    )
    np.testing.assert_allclose(small["percentile"], out["percentile"][idx], atol=2e-6)
    np.testing.assert_array_equal(small["yards"], store.yards[idx])


def test_chunk_size_and_memory_estimate(scored):
    store, model, params, _ = scored
    assert scoring.chunk_size(17000, 1000.0, 10**9) == 17000
    assert scoring.chunk_size(17000, 1000.0, 10**6) == 960
    assert scoring.chunk_size(17000, 1000.0, 1) == 64
    fn = scoring.season_scorer(model, levels=LEVELS)
    num_features = len(input_feature_names(True, True))  # make_batch's default input channels
    dims = {"num_slots": 22, "num_features": num_features, "num_static": 3, "num_play_args": 5}
    _, small = scoring.compile_for(fn, params, 32, num_steps=16, **dims)
    _, large = scoring.compile_for(fn, params, 32, num_steps=64, **dims)
    assert small >= 16 * 22 * num_features * 4 and large > 2 * small  # grows with the play length


def test_crps_is_added_on_request(scored):
    store, model, params, _ = scored
    out = scoring.score_plays(
        model, params, store, np.arange(5), levels=LEVELS, crps_levels=64, progress=False
    )
    assert out["crps"].shape == (5,) and np.all(out["crps"] > 0)
    with pytest.raises(ValueError, match="no plays"):
        scoring.score_plays(model, params, store, np.arange(0), progress=False)


def test_percentile_is_the_mid_distribution_value_in_the_tails_and_for_every_head():
    # Whole-yard outcome y: percentile = P(Y < y) + P(Y = y)/2 = (F(y - 1/2) + F(y + 1/2))/2, which
    # the generator's true percentiles also use. In the histogram body it is F(y); in a GPD tail or
    # for the Gaussian head F(y) differs from it.
    from scipy import stats

    from sbp_jax.distributions import Normal, SplicedBinnedPareto

    alpha, beta = 0.05, 0.5
    # Uniform body on [-10.5, 29.5]: tau_l = -8.5, tau_u = 27.5; exponential tails (xi = 0).
    sbp = SplicedBinnedPareto(
        np.zeros((3, 40), np.float32),
        np.zeros(3, np.float32),
        np.full(3, beta, np.float32),
        np.zeros(3, np.float32),
        np.full(3, beta, np.float32),
        low=-10.5,
        high=29.5,
        tail_percentile=alpha,
    )
    yards = np.array([-10.0, 4.0, 29.0])

    def sbp_cdf(y):  # closed form, written out independently
        if y < -8.5:
            return alpha * np.exp(-(-8.5 - y) / beta)
        if y > 27.5:
            return 1 - alpha * np.exp(-(y - 27.5) / beta)
        return (y + 10.5) / 40

    want = [(sbp_cdf(y - 0.5) + sbp_cdf(y + 0.5)) / 2 for y in yards]
    got = scoring.play_summary(sbp, yards, levels=LEVELS)["percentile"]
    np.testing.assert_allclose(np.asarray(got), want, atol=1e-6)
    assert abs(want[2] - sbp_cdf(29.0)) > 1e-3  # the tails really differ from F(y)

    loc, scale = np.array([0.0, 2.0]), np.array([1.0, 3.0])
    yards = np.array([1.0, -4.0])
    got = scoring.play_summary(
        Normal(loc.astype(np.float32), scale.astype(np.float32)), yards, levels=LEVELS
    )["percentile"]
    want = (stats.norm.cdf(yards - 0.5, loc, scale) + stats.norm.cdf(yards + 0.5, loc, scale)) / 2
    np.testing.assert_allclose(np.asarray(got), want, atol=1e-6)
