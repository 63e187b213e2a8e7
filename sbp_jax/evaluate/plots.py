"""Evaluation figures (matplotlib, Agg backend), each written to a temporary file and renamed.

PIT histogram, calibration of central intervals, predicted densities against the actual yards for
example plays, and the season leaderboard with its bootstrap intervals. Every label that comes from
the data (names, titles, model names) goes through `escaping.plot_text`, and TeX is off while a
figure is drawn, so no name is ever parsed as math.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend must be chosen first)
import numpy as np  # noqa: E402

from sbp_jax.evaluate.escaping import plot_text  # noqa: E402
from sbp_jax.outdir import atomic_path  # noqa: E402


def _plain_text(draw):
    """Run a drawing function with TeX rendering off (a user's matplotlibrc may turn it on)."""

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with plt.rc_context({"text.usetex": False}):
            return draw(*args, **kwargs)

    return wrapper


def _save(fig, path: str | os.PathLike) -> Path:
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    finally:
        plt.close(fig)
    return Path(path)


@_plain_text
def pit_histogram(
    pit_by_model: Mapping[str, np.ndarray], path, *, bins: int = 20, plays: str = "held-out plays"
) -> Path:
    """Histogram of randomized PIT values per model on `plays`; calibrated is flat at 1."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    edges = np.linspace(0, 1, bins + 1)
    for name, pit in pit_by_model.items():
        ax.hist(
            pit, bins=edges, density=True, histtype="step", linewidth=1.6, label=plot_text(name)
        )
    ax.axhline(1.0, color="k", linestyle=":", linewidth=1)
    ax.set(
        xlabel="PIT (randomized for whole yards)",
        ylabel="density",
        title=f"Probability integral transform, {plays}",
    )
    ax.legend(fontsize=8)
    return _save(fig, path)


@_plain_text
def calibration_plot(
    coverage_by_model: Mapping[str, Mapping[str, float]], path, *, plays: str = "held-out plays"
) -> Path:
    """Observed against nominal coverage of the central predictive intervals on `plays`."""
    fig, ax = plt.subplots(figsize=(4.4, 4.2))
    ax.plot([0, 1], [0, 1], "k:", linewidth=1)
    for name, table in coverage_by_model.items():
        nominal = np.array([float(k) for k in table])
        ax.plot(nominal, list(table.values()), "o-", label=plot_text(name))
    ax.set(
        xlabel="nominal coverage",
        ylabel="observed coverage",
        xlim=(0.4, 1.0),
        ylim=(0.4, 1.0),
        title=f"Central intervals, {plays}",
    )
    ax.legend(fontsize=8)
    return _save(fig, path)


@_plain_text
def density_plot(
    grid_G: np.ndarray,
    density_by_model: Mapping[str, np.ndarray],
    yards_K: np.ndarray,
    titles: Sequence[str],
    path,
) -> Path:
    """Predicted density of yards for K example plays (one panel each), actual yards marked.

    `density_by_model[name]` is [K, G] on `grid_G`.
    """
    k = len(titles)
    cols = min(4, k)
    rows = -(-k // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.3 * cols, 2.5 * rows), squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        if i >= k:
            ax.axis("off")
            continue
        for name, dens in density_by_model.items():
            ax.plot(grid_G, dens[i], linewidth=1.2, label=plot_text(name))
        ax.axvline(yards_K[i], color="crimson", linestyle="--", linewidth=1)
        ax.set_title(plot_text(titles[i]), fontsize=8)
        ax.set_xlabel("yards", fontsize=8)
        ax.tick_params(labelsize=7)
    axes.ravel()[0].legend(fontsize=7)
    fig.suptitle("Predicted yards distribution (dashed: actual yards)", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


@_plain_text
def leaderboard_plot(
    names: Sequence[str],
    score: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    path,
    *,
    title: str = "Season QB passing score",
) -> Path:
    """Horizontal bars of scores with their bootstrap intervals, best at the top."""
    n = len(names)
    fig, ax = plt.subplots(figsize=(6, 0.28 * n + 1.2))
    y = np.arange(n)[::-1]
    # A bootstrap percentile interval may miss the point estimate by rounding (all plays alike):
    # matplotlib refuses negative error bars, so they are clipped to zero.
    xerr = np.maximum([score - low, high - score], 0.0)
    ax.errorbar(score, y, xerr=xerr, fmt="o", color="navy", ecolor="gray", capsize=2)
    ax.set_yticks(y, [plot_text(n) for n in names], fontsize=8)
    ax.set(xlabel="score (50-99) with bootstrap interval", title=plot_text(title), xlim=(50, 99))
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)
