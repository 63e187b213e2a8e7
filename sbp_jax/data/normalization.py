"""Normalization statistics: per-feature mean and standard deviation of the tracking features (over
present slots and valid frames) and of the static features, accumulated in float64."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from sbp_jax.data.layout import N_FEATURES, frame_rows

_MIN_STD = 1e-6


@dataclasses.dataclass(frozen=True)
class NormStats:
    """Per-feature mean/std used to standardize tracking features and static features.

    Kept as a small dataclass of NumPy arrays so it can be saved in checkpoints via ``to_dict``.
    """

    track_mean_F: np.ndarray
    track_std_F: np.ndarray
    static_mean_S: np.ndarray
    static_std_S: np.ndarray

    def to_dict(self) -> dict[str, list[float]]:
        return {
            f.name: np.asarray(getattr(self, f.name), np.float64).tolist()
            for f in dataclasses.fields(self)
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NormStats:
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in d]
        if missing:
            raise ValueError(f"NormStats.from_dict: missing keys {missing}")
        return cls(**{f.name: np.asarray(d[f.name], np.float32) for f in dataclasses.fields(cls)})

    @classmethod
    def from_moments(
        cls, track_sum_F, track_sumsq_F, track_count, static_sum_S, static_sumsq_S, static_count
    ) -> NormStats:
        """Mean/std from accumulated sums (float64); a zero std (constant feature) becomes 1."""
        t_mean, t_std = _mean_std(track_sum_F, track_sumsq_F, track_count)
        s_mean, s_std = _mean_std(static_sum_S, static_sumsq_S, static_count)
        return cls(t_mean, t_std, s_mean, s_std)

    @classmethod
    def compute(
        cls, store, play_indices: np.ndarray | None = None, chunk_plays: int = 4096
    ) -> NormStats:
        """Statistics over present slots and valid frames of ``play_indices`` (default: all plays).

        Lets training recompute the statistics on its train split only; reads the memmap in chunks.
        """
        idx = np.arange(store.n_plays) if play_indices is None else np.asarray(play_indices)
        acc = MomentAccumulator()
        for start in range(0, len(idx), chunk_plays):
            chunk = idx[start : start + chunk_plays]
            rows, play_of_row = frame_rows(store.offsets, chunk)
            acc.add_tracking(np.asarray(store.tracking[rows]), store.presence[chunk][play_of_row])
        acc.add_static(store.static[idx])
        return acc.finish()


def _mean_std(s: np.ndarray, ss: np.ndarray, n: float) -> tuple[np.ndarray, np.ndarray]:
    n = max(float(n), 1.0)
    mean = s / n
    var = np.maximum(ss / n - mean**2, 0.0)
    std = np.sqrt(var)
    std = np.where(std < _MIN_STD, 1.0, std)
    return mean.astype(np.float32), std.astype(np.float32)


class MomentAccumulator:
    """Streaming float64 sums for NormStats (tracking over present slots, static over plays)."""

    def __init__(self) -> None:
        self.t_sum = np.zeros(N_FEATURES)
        self.t_sumsq = np.zeros(N_FEATURES)
        self.t_n = 0
        self.s_sum: np.ndarray | float = 0.0
        self.s_sumsq: np.ndarray | float = 0.0
        self.s_n = 0

    def add_tracking(self, tracking_RxPxF: np.ndarray, present_RxP: np.ndarray) -> None:
        vals = tracking_RxPxF[present_RxP].astype(np.float64)
        self.t_sum += vals.sum(0)
        self.t_sumsq += (vals**2).sum(0)
        self.t_n += len(vals)

    def add_static(self, static_NxS: np.ndarray) -> None:
        vals = np.asarray(static_NxS, np.float64)
        self.s_sum = self.s_sum + vals.sum(0)
        self.s_sumsq = self.s_sumsq + (vals**2).sum(0)
        self.s_n += len(vals)

    def finish(self) -> NormStats:
        return NormStats.from_moments(
            self.t_sum,
            self.t_sumsq,
            self.t_n,
            np.asarray(self.s_sum),
            np.asarray(self.s_sumsq),
            self.s_n,
        )
