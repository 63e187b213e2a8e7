"""What a person reads: the self-contained `report.html` and the summary `evaluate.py` prints.

The page is one file that works offline and can be mailed: figures embedded as base64 PNG data,
the leaderboard explorer's rows and script inline (`leaderboard_html`), every passer's play
percentiles as an inline SVG histogram (`passer_histograms`), and the run manifest. Every text
that comes from the data is HTML-escaped; warnings (checkpoints skipped, not the training store)
open the page and the summary, and metrics say which plays they were computed on.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from sbp_jax.data.keys import rows_of
from sbp_jax.evaluate import comparison_tables, leaderboard_html, passer_histograms
from sbp_jax.evaluate.escaping import terminal_text
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
td:nth-child(2),td:nth-child(3){text-align:left}img{max-width:100%}.note{color:#555}
.warn{background:#fff4e0;border:1px solid #e0a040;padding:.4em 1em}
nav a{margin-right:1em}pre{white-space:pre-wrap;font-size:12px}"""


@dataclasses.dataclass(frozen=True)
class Inputs:
    """What the page shows besides the result dict: the leaderboard (all splits) and its season
    part, traditional statistics, figure files, and each play's passer and percentile."""

    board: Columns
    season: Columns
    trad: Columns
    figures: Mapping[str, Path]
    passer_N: np.ndarray
    percentile_N: np.ndarray


def number(value, spec: str) -> str:
    """`value` formatted with `spec`; "n/a" for a missing or non-finite number."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return format(value, spec)


def html_table(columns: Columns, *, digits: Mapping[str, int] | None = None) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in r) + "</tr>"
        for r in cell_texts(columns, digits)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _anchor(heading: str) -> str:
    return "s-" + "".join(c if c.isalnum() else "-" for c in heading.lower())


def html_page(title: str, sections: Sequence[tuple[str, str]]) -> str:
    """A page: a navigation line, then each section (heading, HTML body)."""
    nav = "".join(f"<a href='#{_anchor(h)}'>{html.escape(h)}</a>" for h, _ in sections)
    body = "".join(
        f"<h2 id='{_anchor(h)}'>{html.escape(h)}</h2>\n{content}\n" for h, content in sections
    )
    style = "\n".join((_STYLE, leaderboard_html.STYLE, passer_histograms.STYLE))
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title><style>{style}</style></head><body><h1>{html.escape(title)}</h1>\n"
        f"<nav>{nav}</nav>\n{body}</body></html>\n"
    )


def paragraph(text: str) -> str:
    return f"<p class='note'>{html.escape(text)}</p>"


def embedded_image(path: Path, alt: str) -> str:
    """An <img> carrying the PNG itself (a data: URI), so the page needs no other file."""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f"<p><img src='data:image/png;base64,{data}' alt='{html.escape(alt)}'></p>"


def season_with_traditional(season: Columns, trad: Columns) -> dict[str, np.ndarray]:
    """The season leaderboard's view with each passer's passer rating and yards per attempt."""
    row = rows_of(np.asarray(trad["passer_id"]), np.asarray(season["passer_id"]))
    view = select(season, slice(None), LEADERBOARD_VIEW)
    view["passer_rating"] = trad["passer_rating"][row]
    view["yards_per_attempt"] = trad["yards_per_attempt"][row]
    return view


def metrics_table(summary: Mapping[str, Mapping]) -> dict[str, np.ndarray]:
    """One row per model: NLL, CRPS, MAE of the median, PIT-KS and coverage."""
    names = list(summary)
    cov = list(next(iter(summary.values()))["coverage"])
    table = {
        "model": np.asarray(names, object),
        "plays": np.asarray([summary[n]["n_plays"] for n in names]),
    }
    for key in ("nll", "crps", "mae_median", "pit_ks"):
        table[key] = np.asarray([_nan(summary[n].get(key)) for n in names], np.float64)
    for c in cov:
        table[f"cover {c}"] = np.asarray([_nan(summary[n]["coverage"][c]) for n in names])
    return table


def _nan(value) -> float:
    return np.nan if value is None else value


def truth_html(truth_result: Mapping | None, compared: Mapping | None = None) -> str:
    if truth_result is None:
        return paragraph("No ground truth found (truth/ next to the data or --truth).")
    p, q = truth_result["passer_level"], truth_result["play_level"]
    sp = p["spearman_skill"]
    passer_table = {
        "measure": np.asarray(list(sp), object),
        "spearman with true skill": np.asarray([_nan(v) for v in sp.values()], np.float64),
    }
    play_rows = [r for r in ("all", "held_out") if r in q]
    play_table = {
        "plays": np.asarray(play_rows, object),
        "n": np.asarray([q[r]["n"] for r in play_rows]),
        "pearson": np.asarray([_nan(q[r]["pearson"]) for r in play_rows], np.float64),
        "spearman": np.asarray([_nan(q[r]["spearman"]) for r in play_rows], np.float64),
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
        + (truth_comparison_html(compared) if compared is not None else "")
    )


def truth_comparison_html(compared: Mapping) -> str:
    return paragraph(
        f"Each measure against true skill on the {compared['n_plays']} plays the metrics use "
        f"({compared['n_passers']} passers): Spearman with a "
        f"{compared['interval']:.0%} bootstrap interval over passers ({compared['n_bootstrap']} "
        f"resamples), mean and sd over the {compared['k']} fold models (K >= 3), and the "
        f"difference from the reference, {compared['reference']}, with its paired bootstrap "
        "interval (differs when it excludes 0) and its per-fold paired test."
    ) + html_table(comparison_tables.truth_table(compared), digits={})


def comparison_html(compared: Mapping) -> str:
    """The heads and fold models compared on the same plays (`comparison`)."""
    return paragraph(
        f"Losses (lower is better; coverage as |coverage - nominal|) pooled over the plays, "
        f"and over the {compared['k']} fold models of each workdir: mean and sd (spread reported "
        f"with K >= 3: each fold model has its own seed, so it includes seed-to-seed variation), "
        f"and the paired per-fold difference from {compared['reference']} on the same test "
        f"games; differs: {compared['rule']}."
    ) + html_table(comparison_tables.forecast_table(compared), digits={})


def calibration_html(result: Mapping) -> str:
    calib = result["calibration"]
    if not calib["recalibrated"]:
        return paragraph("Not recalibrated (--no-recalibrate, or no validation games known).")
    return paragraph(
        f"Recalibration: {calib['method']}. Stored per model in calibration.json."
    ) + html_table(comparison_tables.calibration_table(calib), digits={})


def warnings_html(notes: Sequence[str]) -> str:
    if not notes:
        return ""
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return f"<div class='warn' role='alert'><strong>Warnings</strong><ul>{items}</ul></div>"


def manifest_html(provenance: Mapping) -> str:
    """The manifest: provenance as a two-column table, the resolved config as JSON."""
    flat: dict[str, str] = {}

    def visit(node, key: str) -> None:
        if isinstance(node, Mapping) and key != "model.config":
            for k, v in node.items():
                visit(v, f"{key}.{k}" if key else str(k))
        elif key != "model.config":
            flat[key] = " ".join(map(str, node)) if isinstance(node, list) else str(node)

    visit(provenance, "")
    table = {
        "key": np.asarray(list(flat), object),
        "value": np.asarray(list(flat.values()), object),
    }
    config = json.dumps(provenance["model"]["config"], indent=1)
    return (
        paragraph("Also in manifest.json, with the SHA-256 of every output file.")
        + html_table(table)
        + f"<details><summary>Resolved config</summary><pre>{html.escape(config)}</pre></details>"
    )


def _figure(figures: Mapping[str, Path], name: str, alt: str) -> str:
    return embedded_image(figures[name], alt) if name in figures else ""


def report_html(result: Mapping, provenance: Mapping, pages: Inputs) -> str:
    """The whole report page."""
    digits = {**LEADERBOARD_DIGITS, **TRAD_DIGITS}
    scale, data, t = result["score_scale"], result["data"], result["timings_s"]
    model, figures = result["model"], pages.figures
    scope = result["metrics_scope"]
    modes = result["modes"]
    members = model["members"]
    who = (
        f"{len(members)} fold models ({', '.join(m['label'] for m in members)})"
        if result["folds"]
        else f"step {model['step']}, {model['checkpoint_path']}"
    )
    summary = (
        f"Model {model['workdir']} (head {model['head']}, {who}) on {data['store']}: "
        f"{data['n_scored']} of {data['n_plays']} plays scored in {t['score_season']:.1f} s "
        f"({t['plays_per_second']:.0f} plays/s, including compilation and batch assembly). "
        f"Leaderboards: {modes['leaderboards']}. Metrics use the {data['n_metric_plays']} "
        f"{result['metrics_on']}."
        + (
            " In-sample: the model has seen the outcomes of its training plays."
            if modes["leaderboards"] == "in-sample"
            else ""
        )
    )
    point = {
        "model": np.asarray(list(result["point_mae"]), object),
        "MAE": np.asarray([_nan(v) for v in result["point_mae"].values()], np.float64),
    }
    on = {"held_out": "held-out", "out_of_fold": "out-of-fold"}.get(scope, "all plays")
    sections = [
        (
            "Summary",
            warnings_html(result["warnings"])
            + paragraph(summary)
            + (paragraph(result["figures"]) if result["figures"] else ""),
        ),
        (
            f"Leaderboards ({modes['leaderboards']})",
            paragraph(
                f"Score = 50 + 49·logistic((shrunk − league)/{scale['spread_used']:.4f}), mean "
                f"percentile shrunk toward the league with {scale['prior_attempts']:g} prior "
                f"attempts; {scale['interval']:.0%} bootstrap intervals; ranked with at least "
                f"{scale['min_attempts']['season']} attempts for the season (see "
                "docs/passing_score.md). Choose any split; click a header to sort."
            )
            + leaderboard_html.leaderboard_explorer(pages.board, scale["interval"])
            + _figure(figures, "leaderboard", "leaderboard"),
        ),
        (
            "Passers",
            paragraph(
                "Each passer's play percentiles; the dashed line is what a league-average passer "
                "would show (uniform percentiles)."
            )
            + passer_histograms.passer_cards(pages.season, pages.passer_N, pages.percentile_N),
        ),
        (f"Metrics ({on})", html_table(metrics_table(result[scope]), digits={})),
        (
            f"Point predictions (MAE, yards, {on})",
            html_table(point, digits={"MAE": 3}) + paragraph(f"XGBoost: {result['xgboost']}."),
        ),
        (f"Comparison ({modes['comparison']})", comparison_html(result["comparison"])),
        (
            "Does the score measure the quarterback?",
            truth_html(result["truth"], result["truth_comparison"]),
        ),
        (
            "Calibration",
            calibration_html(result)
            + _figure(figures, "pit", "PIT histogram")
            + _figure(figures, "calibration", "coverage of central intervals"),
        ),
        ("Predicted distributions", _figure(figures, "densities", "densities")),
        (
            "Season with traditional statistics",
            html_table(season_with_traditional(pages.season, pages.trad), digits=digits),
        ),
        ("Run manifest", manifest_html(provenance)),
    ]
    return html_page("QB passing score report", [(h, c) for h, c in sections if c])


def summary_text(result: Mapping, out) -> str:
    """What `evaluate.py` prints: warnings, metrics (saying on which plays), baselines, the truth
    check and the top of the season."""
    t, data = result["timings_s"], result["data"]
    lines = [f"WARNING: {terminal_text(note)}" for note in result.get("warnings", [])]
    lines.append(
        f"scored {data['n_scored']} of {data['n_plays']} plays in {t['score_season']:.1f}"
        f" s ({t['plays_per_second']:.0f} plays/s incl. compile); metrics on "
        f"{data['n_metric_plays']} {result['metrics_on']}"
    )
    for name, m in result[result["metrics_scope"]].items():
        cov = " ".join(f"{k}:{number(v, '.2f')}" for k, v in m["coverage"].items())
        lines.append(
            f"  {terminal_text(name):<28} NLL {number(m['nll'], '.3f')}  "
            f"CRPS {number(m.get('crps'), '.3f')}  "
            f"MAE {number(m['mae_median'], '.2f')}  PIT-KS {number(m['pit_ks'], '.3f')}  "
            f"coverage {cov}"
        )
    lines.append(
        "point MAE: " + ", ".join(f"{k} {number(v, '.2f')}" for k, v in result["point_mae"].items())
    )
    lines += comparison_tables.summary_lines(result)
    if result["truth"] is not None:
        sp = result["truth"]["passer_level"]["spearman_skill"]
        lines.append(
            "Spearman with true QB skill: "
            + ", ".join(f"{k} {number(v, '.2f')}" for k, v in sp.items() if k != ORACLE)
            + f"; ceiling {ORACLE} {number(sp[ORACLE], '.2f')}"
        )
        pl = result["truth"]["play_level"]["all"]
        lines.append(
            f"play percentile vs true percentile: Pearson {number(pl['pearson'], '.3f')}, "
            f"Spearman {number(pl['spearman'], '.3f')}"
        )
    lines.append(f"season leaderboard (top 10; {result['modes']['leaderboards']}):")
    for row in result["season_top"]:
        rank = row["rank"] if row["rank"] else "-"
        lines.append(
            f"  {rank:>3}  {terminal_text(str(row['passer_name'])):<22} "
            f"{terminal_text(str(row['team'])):<4} "
            f"{row['attempts']:>4} att  score {row['score']:.1f} "
            f"[{row['score_low']:.1f}, {row['score_high']:.1f}]"
        )
    if result["figures"]:
        lines.append(result["figures"])
    lines.append(f"report: {Path(out) / 'report.html'}")
    return "\n".join(lines)
