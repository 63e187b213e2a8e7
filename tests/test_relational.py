"""Derived relational channels: a plain-Python loop reference, geometric invariances, absent slots,
their place in batches, and the checkpoint's record of the input channels."""

import math

import jax
import numpy as np
import pytest
from store_fixtures import write_random_store

from sbp_jax.config import Config, DataConfig, ModelConfig, to_dict
from sbp_jax.data import (
    FEATURE_NAMES,
    RELATIONAL_NAMES,
    TARGET_NAMES,
    InputSpec,
    input_feature_names,
    make_batch,
    relational_features,
)
from sbp_jax.model.trained import check_input_names, saved_config
from sbp_jax.train.step import create_train_state

X, Y, DIR, ORI = (FEATURE_NAMES.index(n) for n in ("x", "y", "direction", "orientation"))
K = len(RELATIONAL_NAMES)
COS_FACE, SIN_FACE = (
    RELATIONAL_NAMES.index("cos_passer_facing"),
    RELATIONAL_NAMES.index("sin_passer_facing"),
)


def _reference(tracks_NxPxF, presence_NxP):
    """Channel by channel with `math`, one frame and slot at a time; the bearing via atan2."""
    out = np.zeros(tracks_NxPxF.shape[:2] + (K,))
    for n, (frame, present) in enumerate(zip(tracks_NxPxF, presence_NxP, strict=True)):
        for p in range(22):
            if not present[p]:
                continue
            x, y, d, o = (float(frame[p, i]) for i in (X, Y, DIR, ORI))
            opponents = range(11, 22) if p < 11 else range(11)
            dists = [math.hypot(x - frame[q, X], y - frame[q, Y]) for q in opponents if present[q]]
            row = [
                math.sin(math.radians(d)),
                math.cos(math.radians(d)),
                math.sin(math.radians(o)),
                math.cos(math.radians(o)),
                min(dists) / 10 if dists else 0.0,
            ]
            to_passer = math.hypot(x - frame[0, X], y - frame[0, Y])
            if present[0] and to_passer > 1e-6:
                bearing = math.atan2(x - frame[0, X], y - frame[0, Y])  # 0 = +y, clockwise
                delta = bearing - math.radians(float(frame[0, ORI]))
                row += [to_passer / 10, math.cos(delta), math.sin(delta)]
            else:
                row += [to_passer / 10 if present[0] else 0.0, 0.0, 0.0]
            out[n, p] = row
    return out


def _random_frames(n=6, seed=0):
    rng = np.random.default_rng(seed)
    tracks = rng.normal(0.0, 3.0, (n, 22, 8))
    tracks[..., X] = rng.uniform(-15, 30, (n, 22))
    tracks[..., Y] = rng.uniform(0, 53.3, (n, 22))
    tracks[..., DIR] = rng.uniform(0, 360, (n, 22))
    tracks[..., ORI] = rng.uniform(0, 360, (n, 22))
    presence = rng.random((n, 22)) < 0.8
    presence[:, 0] = True
    presence[1, 0] = False  # no passer
    presence[2, 11:] = False  # no defense: the offense has no opponent
    presence[3, 5] = True
    tracks[3, 5, [X, Y]] = tracks[3, 0, [X, Y]]  # a player on the passer's spot: no bearing
    return tracks.astype(np.float32), presence


def test_matches_plain_python_loop():
    tracks, presence = _random_frames()
    got = relational_features(tracks, presence)
    assert got.shape == (6, 22, K) and got.dtype == np.float32
    np.testing.assert_allclose(got, _reference(tracks, presence), atol=2e-5)
    # leading dims are free: [2, 3, 22, 8] gives the same values
    np.testing.assert_array_equal(
        relational_features(tracks.reshape(2, 3, 22, 8), presence.reshape(2, 3, 22)),
        got.reshape(2, 3, 22, K),
    )


def test_hand_computed_geometry():
    tracks = np.zeros((1, 22, 8), np.float32)
    presence = np.zeros((1, 22), bool)
    presence[0, [0, 1, 2, 11]] = True
    tracks[0, 1, [X, Y]] = (0.0, 5.0)  # straight ahead of a passer facing +y (0 degrees)
    tracks[0, 2, [X, Y]] = (5.0, 0.0)  # to his right (clockwise)
    tracks[0, 11, [X, Y]] = (5.0, 5.0)  # the only defender: 5 yd from both receivers
    tracks[0, 11, DIR] = 90.0
    got = relational_features(tracks, presence)[0]
    opp, passer = (
        RELATIONAL_NAMES.index("nearest_opponent_dist"),
        RELATIONAL_NAMES.index("passer_dist"),
    )
    np.testing.assert_allclose(
        got[1, [opp, passer, COS_FACE, SIN_FACE]], [0.5, 0.5, 1, 0], atol=1e-6
    )
    np.testing.assert_allclose(
        got[2, [opp, passer, COS_FACE, SIN_FACE]], [0.5, 0.5, 0, 1], atol=1e-6
    )
    np.testing.assert_allclose(
        got[0, [opp, passer, COS_FACE, SIN_FACE]], [math.sqrt(50) / 10, 0, 0, 0], atol=1e-6
    )
    np.testing.assert_allclose(got[11, :2], [1.0, 0.0], atol=1e-6)  # sin, cos of 90 degrees
    np.testing.assert_allclose(got[11, opp], 0.5, atol=1e-6)


def test_translation_invariance_and_passer_rotation():
    tracks, presence = _random_frames(seed=1)
    base = relational_features(tracks, presence)
    moved = tracks.copy()
    moved[..., X] += 17.0
    moved[..., Y] -= 9.0
    np.testing.assert_allclose(relational_features(moved, presence), base, atol=2e-5)
    turned = tracks.copy()
    turned[:, 0, ORI] += 90.0  # bearing - orientation drops by 90 degrees
    rot = relational_features(turned, presence)
    np.testing.assert_allclose(rot[:, 1:, COS_FACE], base[:, 1:, SIN_FACE], atol=2e-5)
    np.testing.assert_allclose(rot[:, 1:, SIN_FACE], -base[:, 1:, COS_FACE], atol=2e-5)


def test_absent_slots_are_zero_and_bad_shapes_are_errors():
    tracks, presence = _random_frames(seed=2)
    got = relational_features(tracks, presence)
    assert np.all(got[~presence] == 0.0)
    assert np.all(got[1, :, RELATIONAL_NAMES.index("passer_dist") :] == 0.0)  # no passer
    assert np.all(got[2, :11, RELATIONAL_NAMES.index("nearest_opponent_dist")] == 0.0)  # no defense
    with pytest.raises(ValueError, match=r"expected \[\.\.\., 22, 8\]"):
        relational_features(tracks[..., :7], presence)
    with pytest.raises(ValueError, match="does not broadcast"):
        relational_features(tracks, presence[:, :21])


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    return write_random_store(tmp_path_factory.mktemp("rel") / "s", n_plays=20, seed=5)


def test_make_batch_channels(stored):
    store, a = stored
    idx = np.array([3, 11, 0])
    batch = make_batch(store, idx, batch_size=4, time_multiple=8, spec=InputSpec(True, False))
    plain = make_batch(store, idx, batch_size=4, time_multiple=8, spec=InputSpec(False, False))
    assert batch.tracks.shape[-1] == len(input_feature_names(True)) == 8 + K
    assert input_feature_names(False) == FEATURE_NAMES
    # no derived channels is the old batch: the standardized raw features only
    assert plain.tracks.shape == batch.tracks.shape[:-1] + (8,)
    np.testing.assert_array_equal(plain.tracks, batch.tracks[..., :8])
    off = np.concatenate([[0], np.cumsum(a["lengths"])])
    for b, i in enumerate(idx):
        n = a["lengths"][i]
        raw = a["tracking"][off[i] : off[i + 1]]
        present = np.broadcast_to(a["presence"][i], (n, 22))
        z = (raw - store.norm.track_mean_F) / store.norm.track_std_F * present[..., None]
        np.testing.assert_allclose(plain.tracks[b, :n], z, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(batch.tracks[b, :n, :, 8:], _reference(raw, present), atol=2e-5)
        assert np.all(batch.tracks[b, n:] == 0.0)  # padded steps
        assert np.all(batch.tracks[b, :, ~a["presence"][i]] == 0.0)  # absent slots


def test_model_width_and_checkpoint_record_follow_the_config():
    def dense_input_widths(relational):
        cfg = Config(
            data=DataConfig(relational_features=relational, target_features=False),
            model=ModelConfig(channels=4, dilations=(1,), mlp_hidden=(4,)),
        )
        params = create_train_state(cfg, num_static=3).params
        return {leaf.shape[0] for leaf in jax.tree.leaves(params) if leaf.ndim == 2}

    # the per-step projection of the flattened slots takes 22 x (input channels)
    assert 22 * (8 + K) in dense_input_widths(True) and 22 * 8 in dense_input_widths(False)
    # checkpoints that predate the keys were trained without those channels
    legacy = to_dict(Config())
    del legacy["data"]["relational_features"], legacy["data"]["target_features"]
    old_cfg = saved_config({"config": legacy}, "ckpt")
    assert old_cfg.data.relational_features is False and old_cfg.data.target_features is False
    check_input_names({}, Config(), "ckpt")  # not recorded: accepted
    old = {"input_names": list(FEATURE_NAMES)}
    check_input_names(old, old_cfg, "ckpt")
    with pytest.raises(ValueError, match=r"ckpt: .*input channels \['x'.*now build .*cos_passer"):
        check_input_names(old, Config(), "ckpt")
    assert InputSpec.of(Config().data).names == FEATURE_NAMES + RELATIONAL_NAMES + TARGET_NAMES
