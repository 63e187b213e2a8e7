"""Evaluation figures: written atomically, robust to the intervals the bootstrap produces."""

import numpy as np
import pytest

from sbp_jax.evaluate import plots
from sbp_jax.outdir import OutputDirError


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
    with pytest.raises(OutputDirError, match="pit.png: No space"):
        plots.pit_histogram({"m": np.array([0.2, 0.5])}, tmp_path / "pit.png")
    assert list(tmp_path.iterdir()) == []
    assert plt.get_fignums() == []


HOSTILE_LABEL = "Cash $\\notacommand$ Money"


def test_labels_from_the_data_are_drawn_as_text_never_as_math(tmp_path):
    import matplotlib.pyplot as plt
    from matplotlib.text import Text

    from sbp_jax.evaluate.escaping import plot_text

    # matplotlib on its own fails on such a name, when the figure is saved: after all the scoring
    fig, ax = plt.subplots()
    ax.set_title(HOSTILE_LABEL)
    with pytest.raises(ValueError, match="notacommand"):
        fig.savefig(tmp_path / "raw.png")
    plt.close(fig)
    # escaped, it is plain text that reads as the name itself
    escaped = plot_text(HOSTILE_LABEL)
    assert Text(0, 0, escaped)._preprocess_math(escaped) == (HOSTILE_LABEL, False)
    grid = np.linspace(-10, 40, 51)
    # every figure that shows names, even with TeX switched on by a user's matplotlibrc
    with plt.rc_context({"text.usetex": True}):
        plots.leaderboard_plot(
            [HOSTILE_LABEL], np.array([70.0]), np.array([65.0]), np.array([75.0]), tmp_path / "a"
        )
        plots.density_plot(
            grid,
            {HOSTILE_LABEL: np.ones((1, 51))},
            np.array([3.0]),
            [HOSTILE_LABEL],
            tmp_path / "b",
        )
        plots.pit_histogram({HOSTILE_LABEL: np.array([0.2, 0.7])}, tmp_path / "c")
        plots.calibration_plot({HOSTILE_LABEL: {"0.5": 0.5, "0.9": 0.8}}, tmp_path / "d")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "c", "d"]
    assert all((tmp_path / n).read_bytes()[:4] == b"\x89PNG" for n in "abcd")
