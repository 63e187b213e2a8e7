"""Normal forecasts of whole yards as the season scorer would report them, computed with scipy:
the independent reference of the calibration and comparison tests."""

from __future__ import annotations

import numpy as np
from scipy import stats


def normal_scores(mu, sigma, yards, levels) -> dict[str, np.ndarray]:
    """Per-play outputs of `scoring.score_plays` for N(mu, sigma) forecasts asked for `levels`:
    percentile, PIT bounds, NLL (log density), median, quantiles and the closed-form CRPS of a
    normal (Gneiting & Raftery 2007)."""
    mu, sigma, yards = (np.asarray(a, np.float64) for a in (mu, sigma, yards))
    lo, hi = (stats.norm.cdf(yards + s, mu, sigma) for s in (-0.5, 0.5))
    z = (yards - mu) / sigma
    crps = sigma * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))
    return {
        "yards": yards,
        "percentile": 0.5 * (lo + hi),
        "pit_low": lo,
        "pit_high": hi,
        "nll": -stats.norm.logpdf(yards, mu, sigma),
        "median": mu,
        "quantiles": stats.norm.ppf(np.asarray(levels)[None], mu[:, None], sigma[:, None]),
        "crps": crps,
    }
