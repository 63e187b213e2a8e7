"""Evaluation figures: written atomically, robust to the intervals the bootstrap produces."""

import numpy as np
import pytest

from sbp_jax.evaluate import plots


def test_leaderboard_plot_accepts_a_score_on_or_just_outside_its_interval(tmp_path):
    # A passer whose plays all have one percentile has score == low == high up to rounding; the
    # error bars must not turn that into a crash.
    score = np.array([74.5, 80.0, 66.0])
    low = np.array([74.5 + 1e-12, 79.0, 60.0])
    high = np.array([74.5, 81.0, 66.0 - 1e-12])
    out = plots.leaderboard_plot(["a", "b", "c"], score, low, high, tmp_path / "lb.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lb.png"]


def test_a_failed_figure_leaves_no_file_and_no_open_figure(tmp_path, monkeypatch):
    import matplotlib.figure
    import matplotlib.pyplot as plt

    def broken_savefig(self, fname, **kwargs):
        with open(fname, "wb") as f:
            f.write(b"\x89PNG half")  # a half-written image, then the disk is full
        raise OSError("No space left on device")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", broken_savefig)
    with pytest.raises(OSError, match="No space"):
        plots.pit_histogram({"m": np.array([0.2, 0.5])}, tmp_path / "pit.png")
    assert list(tmp_path.iterdir()) == []
    assert plt.get_fignums() == []
