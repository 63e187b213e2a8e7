"""Baselines the QB passing score is compared against.

- Traditional per-passer statistics from the same plays: NFL passer rating and yards per attempt.
- A gradient-boosted point model (XGBoost, absolute-error objective) on summary features of each
  play: the static play features plus a few tracking summaries at the release frame. Optional: when
  `xgboost` is not importable, `xgboost_point_model` returns None and callers report it as skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

# Slot layout of the store (sbp_jax.data): slot 0 is the passer, 1..10 the other offensive players,
# 11..21 the defense.
PASSER_SLOT, OFFENSE_SLOTS, DEFENSE_SLOTS = 0, slice(1, 11), slice(11, 22)
NEAR_PASSER_YARDS = 3.0


def passer_rating(attempts, completions, passing_yards, touchdowns, interceptions) -> np.ndarray:
    """NFL passer rating (0–158.3) from counting statistics; NaN where attempts are 0."""
    att = np.asarray(attempts, np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        parts = np.stack(
            [
                (np.asarray(completions) / att - 0.3) * 5.0,
                (np.asarray(passing_yards) / att - 3.0) * 0.25,
                np.asarray(touchdowns) / att * 20.0,
                2.375 - np.asarray(interceptions) / att * 25.0,
            ]
        )
    return np.clip(parts, 0.0, 2.375).sum(axis=0) / 6.0 * 100.0


def traditional_stats(plays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per passer: attempts, passer rating and yards per attempt from the per-play table.

    A completion is `pass_result == "C"`, an interception `"IN"`; passing yards count completions
    only (an interception's return is not the passer's yardage); `touchdown` marks a passing TD.
    """
    passers_U, code_N = np.unique(np.asarray(plays["passer_id"]), return_inverse=True)
    result_N = np.asarray(plays["pass_result"]).astype(str)
    complete_N = result_N == "C"
    n_p = len(passers_U)

    def total(values_N):
        return np.bincount(code_N, weights=np.asarray(values_N, np.float64), minlength=n_p)

    attempts_U = np.bincount(code_N, minlength=n_p)
    pass_yards_U = total(np.where(complete_N, plays["yards"], 0.0))
    touchdowns_U = total(np.asarray(plays["touchdown"]).astype(bool) & complete_N)
    return {
        "passer_id": passers_U,
        "attempts": attempts_U,
        "passer_rating": passer_rating(
            attempts_U, total(complete_N), pass_yards_U, touchdowns_U, total(result_N == "IN")
        ),
        "yards_per_attempt": pass_yards_U / attempts_U,
    }


def release_features(store, play_indices: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Summary features per play: static features, frames to release, and at the release frame the
    passer's speed, the nearest defender to the passer, defenders within 3 yd of him, and the three
    largest receiver separations (distance from each offensive player to the nearest defender)."""
    idx = np.asarray(play_indices, np.int64)
    names = list(store.feature_names)
    ix, iy, ivx, ivy = (names.index(k) for k in ("x", "y", "vx", "vy"))
    last_N = store.offsets[idx] + store.lengths[idx] - 1
    frame_NxPxF = np.asarray(store.tracking[last_N], np.float64)
    present_NxP = np.asarray(store.presence[idx], bool)
    xy_NxPx2 = frame_NxPxF[..., [ix, iy]]
    d_off = xy_NxPx2[:, : DEFENSE_SLOTS.start, None, :] - xy_NxPx2[:, None, DEFENSE_SLOTS, :]
    dist_NxOxD = np.linalg.norm(d_off, axis=-1)
    dist_NxOxD = np.where(present_NxP[:, None, DEFENSE_SLOTS], dist_NxOxD, np.inf)
    nearest_NxO = dist_NxOxD.min(axis=2)
    passer_nearest_N = nearest_NxO[:, PASSER_SLOT]
    rushers_N = (dist_NxOxD[:, PASSER_SLOT] < NEAR_PASSER_YARDS).sum(axis=1)
    separation_NxR = np.where(present_NxP[:, OFFENSE_SLOTS], nearest_NxO[:, OFFENSE_SLOTS], -1.0)
    top3_Nx3 = -np.sort(-separation_NxR, axis=1)[:, :3]
    speed_N = np.hypot(frame_NxPxF[:, PASSER_SLOT, ivx], frame_NxPxF[:, PASSER_SLOT, ivy])
    capped = np.minimum(np.c_[passer_nearest_N, top3_Nx3], 60.0)  # inf (no defender) -> far
    features = np.c_[
        np.asarray(store.static[idx], np.float64), store.lengths[idx], speed_N, rushers_N, capped
    ]
    return features.astype(np.float32), [
        *store.static_names,
        "n_frames",
        "passer_speed",
        "defenders_near_passer",
        "passer_nearest_defender",
        "separation_1",
        "separation_2",
        "separation_3",
    ]


def xgboost_point_model(
    store, splits: Mapping[str, np.ndarray], *, seed: int = 0, n_estimators: int = 400
) -> dict[str, object] | None:
    """Train XGBoost (absolute-error objective: a median model) on the train split with early
    stopping on the valid split; predictions for the test split. None if xgboost is missing."""
    try:
        import xgboost
    except ImportError:
        return None
    x_train, names = release_features(store, splits["train"])
    x_valid, _ = release_features(store, splits["valid"])
    x_test, _ = release_features(store, splits["test"])
    # The native API: XGBRegressor would also need scikit-learn.
    train = xgboost.DMatrix(x_train, label=store.yards[splits["train"]], feature_names=names)
    valid = xgboost.DMatrix(x_valid, label=store.yards[splits["valid"]], feature_names=names)
    params = {
        "objective": "reg:absoluteerror",
        "max_depth": 5,
        "eta": 0.05,
        "subsample": 0.8,
        "seed": seed,
        "nthread": 2,
    }
    booster = xgboost.train(
        params,
        train,
        num_boost_round=n_estimators,
        evals=[(valid, "valid")],
        early_stopping_rounds=30,
        verbose_eval=False,
    )
    best = booster.best_iteration
    prediction = booster.predict(
        xgboost.DMatrix(x_test, feature_names=names), iteration_range=(0, best + 1)
    )
    return {
        "prediction": prediction.astype(np.float32),
        "feature_names": names,
        "best_iteration": int(best),
    }


def fold_point_predictions(
    store, splits_K: Sequence[Mapping[str, np.ndarray]], *, use_xgboost: bool
) -> tuple[np.ndarray, dict[str, np.ndarray], str]:
    """Point baselines of each fold (or the one split) on its test plays, each trained on that
    fold's train split only: (test rows, {name: prediction per row}, XGBoost note). The constant
    is the train split's median; XGBoost is left out when not importable or not wanted."""
    rows = np.concatenate([s["test"] for s in splits_K])
    preds = {
        "constant (train median)": np.concatenate(
            [np.full(len(s["test"]), np.median(store.yards[s["train"]])) for s in splits_K]
        )
    }
    if not use_xgboost:
        return rows, preds, "skipped: disabled"
    fits = [xgboost_point_model(store, s) for s in splits_K]
    if any(f is None for f in fits):
        return rows, preds, "skipped: xgboost is not importable"
    preds["xgboost (absolute error)"] = np.concatenate([f["prediction"] for f in fits])
    trees = "/".join(str(f["best_iteration"] + 1) for f in fits)
    n_train = sum(len(s["train"]) for s in splits_K)
    where = f" in {len(fits)} folds" if len(fits) > 1 else ""
    return rows, preds, f"trained on {n_train} plays{where}, {trees} trees"
