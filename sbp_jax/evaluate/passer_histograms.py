"""Per-passer distributions of play percentiles, as small inline SVG histograms in the report.

Under the model a league-average passer's play percentiles are uniform: his histogram is flat at
the dashed line (attempts / bins). A better passer leans right, a worse one left; the shape shows
whether a score comes from many good plays or a few big ones. One card per passer of the season
leaderboard, in its order, each with the anchor `#p-<passer_id>` the leaderboard links to.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import numpy as np

from sbp_jax.data.keys import rows_of

BINS = 10
WIDTH, HEIGHT, PAD = 180, 64, 2

STYLE = """.passers{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:10px}
.passer{margin:0;border:1px solid #ddd;padding:6px;font-size:12px}
.passer figcaption{margin-bottom:3px}.passer rect{fill:#557}
.passer line{stroke:#c33;stroke-dasharray:3 2}"""


def percentile_counts(
    passer_N: np.ndarray, percentile_N: np.ndarray, passers_U: np.ndarray, bins: int = BINS
) -> np.ndarray:
    """Counts [U, bins] of each passer's play percentiles in equal bins of [0, 1]."""
    code_N = rows_of(np.asarray(passers_U), np.asarray(passer_N))
    bin_N = np.clip((np.asarray(percentile_N) * bins).astype(np.int64), 0, bins - 1)
    keep = code_N >= 0
    flat = np.bincount(code_N[keep] * bins + bin_N[keep], minlength=len(passers_U) * bins)
    return flat.reshape(len(passers_U), bins)


def histogram_svg(counts_K: np.ndarray, label: str) -> str:
    """One histogram (bars over [0, 1], dashed line at the uniform count) as inline SVG."""
    k, n = len(counts_K), int(counts_K.sum())
    uniform = n / k
    top = max(int(counts_K.max()), uniform, 1) * 1.05
    w = (WIDTH - 2 * PAD) / k

    def y(c: float) -> float:
        return HEIGHT - PAD - (HEIGHT - 2 * PAD) * c / top

    bars = "".join(
        f"<rect x='{PAD + i * w + 0.5:.1f}' y='{y(c):.1f}' width='{w - 1:.1f}' "
        f"height='{HEIGHT - PAD - y(c):.1f}'/>"
        for i, c in enumerate(counts_K.tolist())
    )
    return (
        f"<svg width='{WIDTH}' height='{HEIGHT}' viewBox='0 0 {WIDTH} {HEIGHT}' role='img'>"
        f"<title>{html.escape(label)}</title>{bars}"
        f"<line x1='{PAD}' x2='{WIDTH - PAD}' y1='{y(uniform):.1f}' y2='{y(uniform):.1f}'/></svg>"
    )


def passer_cards(
    season: Mapping[str, np.ndarray], passer_N: np.ndarray, percentile_N: np.ndarray
) -> str:
    """The cards of every passer of the season leaderboard (its order), as HTML."""
    ids = np.asarray(season["passer_id"])
    counts_UxK = percentile_counts(passer_N, percentile_N, ids)
    cards = []
    for u, pid in enumerate(ids.tolist()):
        name = f"{season['passer_name'][u]!s} ({season['team'][u]!s})"
        rank = int(season["rank"][u])
        caption = (
            f"{'#' + str(rank) if rank > 0 else 'unranked'} {name}: {int(season['attempts'][u])}"
            f" att, score {season['score'][u]:.1f} [{season['score_low'][u]:.1f}, "
            f"{season['score_high'][u]:.1f}]"
        )
        label = f"play percentiles of {name}, in {BINS} bins from 0 to 1"
        cards.append(
            f"<figure class='passer' id='p-{html.escape(str(pid))}'><figcaption>"
            f"{html.escape(caption)}</figcaption>{histogram_svg(counts_UxK[u], label)}</figure>"
        )
    return "<div class='passers'>" + "".join(cards) + "</div>"
