"""Target-aware channels against a plain-Python reference, their zeros when the target is unknown,
and their place in batches."""

import math

import numpy as np
import pytest
from store_fixtures import write_random_store

from sbp_jax.data import FEATURE_NAMES, TARGET_NAMES, InputSpec, make_batch, target_features
from sbp_jax.data.target_channels import NEAR_TARGET_YDS

X, Y = FEATURE_NAMES.index("x"), FEATURE_NAMES.index("y")


def _reference(tracks_NxPxF, presence_NxP, slot_N):
    out = np.zeros(tracks_NxPxF.shape[:2] + (len(TARGET_NAMES),))
    for n, (frame, present, slot) in enumerate(
        zip(tracks_NxPxF, presence_NxP, slot_N, strict=True)
    ):
        if slot < 0 or not present[slot]:
            continue
        tx, ty = float(frame[slot, X]), float(frame[slot, Y])
        defenders = [
            math.hypot(frame[q, X] - tx, frame[q, Y] - ty) for q in range(11, 22) if present[q]
        ]
        for p in range(22):
            if not present[p]:
                continue
            out[n, p, 1] = math.hypot(frame[p, X] - tx, frame[p, Y] - ty) / 10
        out[n, slot, 0] = 1.0
        out[n, slot, 2] = min(defenders) / 10 if defenders else 0.0
        out[n, slot, 3] = tx / 10
        out[n, slot, 4] = sum(d <= NEAR_TARGET_YDS for d in defenders) / 3
    return out


def _frames(n=7, seed=0):
    rng = np.random.default_rng(seed)
    tracks = rng.normal(0.0, 3.0, (n, 22, 8)).astype(np.float32)
    tracks[..., X] = rng.uniform(-5, 25, (n, 22))
    tracks[..., Y] = rng.uniform(0, 53.3, (n, 22))
    presence = rng.random((n, 22)) < 0.85
    slot = rng.integers(1, 11, n)
    presence[np.arange(n), slot] = True
    tracks[0, 12, [X, Y]] = tracks[0, slot[0], [X, Y]] + [1.0, 1.0]  # a defender within 2 yd
    presence[0, 12] = True
    slot[1] = -1  # unknown target
    presence[2, slot[2]] = False  # target absent from the frame
    presence[3, 11:] = False  # no defense
    return tracks, presence, slot


def test_matches_plain_python_reference():
    tracks, presence, slot = _frames()
    got = np.asarray(target_features(tracks, presence, slot))
    assert got.shape == (7, 22, len(TARGET_NAMES))
    np.testing.assert_allclose(got, _reference(tracks, presence, slot), atol=2e-6)
    assert got[0, slot[0], TARGET_NAMES.index("defenders_near_target")] >= 1 / 3
    assert np.all(got[1] == 0.0) and np.all(got[2] == 0.0)  # unknown or absent target
    assert got[3, slot[3], TARGET_NAMES.index("target_separation")] == 0.0  # no defender


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    return write_random_store(tmp_path_factory.mktemp("tgt") / "s", n_plays=12, seed=4)


def test_batches_carry_the_store_target_and_zeros_without_one(stored):
    store, a = stored
    # the random store has no target column: every play reads slot -1 (unknown)
    batch = make_batch(store, np.arange(4), time_multiple=8)
    width = len(InputSpec().names)
    assert batch.tracks.shape[-1] == width and width == 8 + 8 + len(TARGET_NAMES)
    assert np.all(batch.tracks[..., -len(TARGET_NAMES) :] == 0.0)
    store.plays["target_slot"] = np.full(store.n_plays, 3)
    batch = make_batch(store, np.arange(4), time_multiple=8)
    is_target = batch.tracks[..., -len(TARGET_NAMES)]
    for b in range(4):
        n = a["lengths"][b]
        np.testing.assert_array_equal(is_target[b, :n, 3], np.float32(a["presence"][b, 3]))
        assert np.all(is_target[b, n:] == 0.0) and np.all(np.delete(is_target[b], 3, axis=-1) == 0)
