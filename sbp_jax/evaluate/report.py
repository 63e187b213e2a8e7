"""What a person reads: the `report.html` page and the summary `evaluate.py` prints.

The page is assembled from the evaluation result (`run.evaluate`'s dict) and the tables and
figures it wrote; every table cell is HTML-escaped."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from sbp_jax.data.keys import rows_of
from sbp_jax.evaluate.tables import (
    LEADERBOARD_DIGITS,
    LEADERBOARD_VIEW,
    Columns,
    cell_texts,
    select,
)
from sbp_jax.evaluate.truth import ORACLE

TRAD_DIGITS = {"passer_rating": 1, "yards_per_attempt": 2}
_STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}
table{border-collapse:collapse;font-size:13px;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#eef}
td:nth-child(2),td:nth-child(3){text-align:left}img{max-width:100%}.note{color:#555}"""


def html_table(columns: Columns, *, digits: Mapping[str, int] | None = None) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in r) + "</tr>"
        for r in cell_texts(columns, digits)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_page(title: str, sections: Sequence[tuple[str, str]]) -> str:
    """A page: each section is (heading, HTML body)."""
    body = "".join(f"<h2>{html.escape(h)}</h2>\n{content}\n" for h, content in sections)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title><style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>\n"
        f"{body}</body></html>\n"
    )


def paragraph(text: str) -> str:
    return f"<p class='note'>{html.escape(text)}</p>"


def image(src: str, alt: str) -> str:
    return f"<p><img src='{html.escape(src)}' alt='{html.escape(alt)}'></p>"


def season_with_traditional(season: Columns, trad: Columns) -> dict[str, np.ndarray]:
    """The season leaderboard's view with each passer's passer rating and yards per attempt."""
    row = rows_of(np.asarray(trad["passer_id"]), np.asarray(season["passer_id"]))
    view = select(season, slice(None), LEADERBOARD_VIEW)
    view["passer_rating"] = trad["passer_rating"][row]
    view["yards_per_attempt"] = trad["yards_per_attempt"][row]
    return view


def metrics_table(held_out: Mapping[str, Mapping]) -> dict[str, np.ndarray]:
    """One row per model: NLL, CRPS, MAE of the median, PIT-KS and coverage."""
    names = list(held_out)
    cov = list(next(iter(held_out.values()))["coverage"])
    table = {
        "model": np.asarray(names, object),
        "plays": np.asarray([held_out[n]["n_plays"] for n in names]),
    }
    for key in ("nll", "crps", "mae_median", "pit_ks"):
        table[key] = np.asarray([held_out[n].get(key, np.nan) for n in names], np.float64)
    for c in cov:
        table[f"cover {c}"] = np.asarray([held_out[n]["coverage"][c] for n in names])
    return table


def truth_html(truth_result: Mapping | None) -> str:
    if truth_result is None:
        return paragraph("No ground truth found (truth/ next to the data or --truth).")
    p, q = truth_result["passer_level"], truth_result["play_level"]
    sp = p["spearman_skill"]
    passer_table = {
        "measure": np.asarray(list(sp), object),
        "spearman with true skill": np.asarray(list(sp.values()), np.float64),
    }
    play_rows = ("all", "held_out")
    play_table = {
        "plays": np.asarray(play_rows, object),
        "n": np.asarray([q[r]["n"] for r in play_rows]),
        "pearson": np.asarray([q[r]["pearson"] for r in play_rows], np.float64),
        "spearman": np.asarray([q[r]["spearman"] for r in play_rows], np.float64),
    }
    return (
        paragraph(f"{p['n_passers']} passers ({p['passers']}); the same plays feed every measure.")
        + html_table(passer_table, digits={"spearman with true skill": 3})
        + paragraph(
            f"{ORACLE}: each passer's mean of the generator's true percentiles, the score a "
            "perfect model of the league-average passer would give; the ceiling for "
            "mean_percentile."
        )
        + paragraph(
            "Play percentiles against the generator's true percentile under a league-average QB:"
        )
        + html_table(play_table, digits={"pearson": 3, "spearman": 3})
    )


def _figure(figures: Mapping[str, Path], name: str, alt: str) -> str:
    return image(figures[name].name, alt) if name in figures else ""


def report_html(
    result: Mapping, board: Columns, season: Columns, trad: Columns, figures: Mapping[str, Path]
) -> str:
    """The whole report page."""
    digits = {**LEADERBOARD_DIGITS, **TRAD_DIGITS}
    scale, data, t = result["score_scale"], result["data"], result["timings_s"]
    model = result["model"]
    summary = (
        f"Model {model['workdir']} (head {model['head']}, step {model['step']}) on "
        f"{data['store']}: {data['n_plays']} plays scored in {t['score_season']:.1f} s "
        f"({t['plays_per_second']:.0f} plays/s, including compilation and batch assembly). "
        f"Metrics use the {data['n_held_out']} plays of held-out test games only; leaderboards "
        "use every play of the season, including the games the model was trained on."
    )
    point = {
        "model": np.asarray(list(result["point_mae"]), object),
        "MAE": np.asarray(list(result["point_mae"].values()), np.float64),
    }
    sections = [
        (
            "Summary",
            paragraph(summary) + (paragraph(result["figures"]) if result["figures"] else ""),
        ),
        ("Held-out metrics", html_table(metrics_table(result["held_out"]), digits={})),
        (
            "Point predictions (MAE, yards, held-out)",
            html_table(point, digits={"MAE": 3}) + paragraph(f"XGBoost: {result['xgboost']}."),
        ),
        ("Does the score measure the quarterback?", truth_html(result["truth"])),
        (
            "Calibration",
            _figure(figures, "pit", "PIT histogram")
            + _figure(figures, "calibration", "coverage of central intervals"),
        ),
        ("Predicted distributions", _figure(figures, "densities", "densities")),
        (
            "Season leaderboard",
            paragraph(
                f"Score = 50 + 49·logistic((shrunk − league)/{scale['spread_used']:.4f}), mean "
                f"percentile shrunk toward the league with {scale['prior_attempts']:g} prior "
                f"attempts; {scale['interval']:.0%} bootstrap intervals; ranked with at least "
                f"{scale['min_attempts']['season']} attempts (see docs/passing_score.md)."
            )
            + _figure(figures, "leaderboard", "leaderboard")
            + html_table(season_with_traditional(season, trad), digits=digits),
        ),
    ]
    for label in dict.fromkeys(board["split"]):
        if label == "season" or label.startswith(("week=", "game=")):
            continue
        rows = np.asarray(board["split"]) == label
        table = html_table(select(board, rows, LEADERBOARD_VIEW), digits=digits)
        sections.append((f"Split: {label}", table))
    sections.append(
        (
            "Weeks and games",
            paragraph(
                "Week and game leaderboards: leaderboard.md and leaderboard.csv; per-play scores: "
                "plays.csv."
            ),
        )
    )
    return html_page("QB passing score report", [(h, c) for h, c in sections if c])


def summary_text(result: Mapping, out) -> str:
    """What `evaluate.py` prints: held-out metrics, baselines, truth check, top of the season."""
    t = result["timings_s"]
    lines = [
        f"scored {result['data']['n_plays']} plays in {t['score_season']:.1f}"
        f" s ({t['plays_per_second']:.0f} plays/s incl. compile); metrics on "
        f"{result['data']['n_held_out']} held-out plays"
    ]
    for name, m in result["held_out"].items():
        cov = " ".join(f"{k}:{v:.2f}" for k, v in m["coverage"].items())
        lines.append(
            f"  {name:<28} NLL {m['nll']:.3f}  CRPS {m.get('crps', float('nan')):.3f}  "
            f"MAE {m['mae_median']:.2f}  PIT-KS {m['pit_ks']:.3f}  coverage {cov}"
        )
    lines.append("point MAE: " + ", ".join(f"{k} {v:.2f}" for k, v in result["point_mae"].items()))
    if result["truth"] is not None:
        sp = result["truth"]["passer_level"]["spearman_skill"]
        lines.append(
            "Spearman with true QB skill: "
            + ", ".join(f"{k} {v:.2f}" for k, v in sp.items() if k != ORACLE)
            + f"; ceiling {ORACLE} {sp[ORACLE]:.2f}"
        )
        pl = result["truth"]["play_level"]["all"]
        lines.append(f"play percentile vs true percentile: Pearson {pl['pearson']:.3f}")
    lines.append("season leaderboard (top 10):")
    for row in result["season_top"]:
        rank = row["rank"] if row["rank"] else "-"
        lines.append(
            f"  {rank:>3}  {row['passer_name']:<22} {row['team']:<4} "
            f"{row['attempts']:>4} att  score {row['score']:.1f} "
            f"[{row['score_low']:.1f}, {row['score_high']:.1f}]"
        )
    if result["figures"]:
        lines.append(result["figures"])
    lines.append(f"report: {Path(out) / 'report.html'}")
    return "\n".join(lines)
