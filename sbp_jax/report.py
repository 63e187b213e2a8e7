"""Evaluation outputs on disk: CSV / Markdown / JSON tables and the `report.html` page.

Every file is written to a temporary sibling and renamed, so a reader never sees half a file.
Tables are column dicts (name -> 1-D array), as `passing_score.leaderboard` returns them.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

Columns = Mapping[str, np.ndarray]


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write `text` atomically (temporary file in the same directory, then rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def write_json(path: str | os.PathLike, obj) -> Path:
    """JSON with NumPy scalars/arrays converted; NaN is written as NaN (Python's json)."""
    return write_text(path, json.dumps(obj, indent=2, default=_json_default) + "\n")


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def _cell(value, digits: int) -> str:
    if isinstance(value, float | np.floating):
        return "" if math.isnan(value) else f"{value:.{digits}f}"
    return str(value)


def _rows(columns: Columns, digits: Mapping[str, int] | None) -> list[list[str]]:
    names = list(columns)
    n = len(next(iter(columns.values()))) if names else 0
    digits = digits or {}
    return [[_cell(columns[c][i], digits.get(c, 4)) for c in names] for i in range(n)]


def write_csv(
    path: str | os.PathLike, columns: Columns, *, digits: Mapping[str, int] | None = None
) -> Path:
    """CSV with a header row; floats with 4 decimals unless `digits` says otherwise, NaN empty."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(list(columns))
    writer.writerows(_rows(columns, {**{c: 6 for c in columns}, **(digits or {})}))
    return write_text(path, buf.getvalue())


def markdown_table(columns: Columns, *, digits: Mapping[str, int] | None = None) -> str:
    head = "| " + " | ".join(columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    body = ["| " + " | ".join(r) + " |" for r in _rows(columns, digits)]
    return "\n".join([head, rule, *body]) + "\n"


def html_table(columns: Columns, *, digits: Mapping[str, int] | None = None) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in r) + "</tr>"
        for r in _rows(columns, digits)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def select(columns: Columns, rows: np.ndarray, names: Sequence[str] | None = None) -> dict:
    """Sub-table: the given rows (mask or indices) of the named columns (default: all)."""
    return {c: np.asarray(columns[c])[rows] for c in (names or columns)}


LEADERBOARD_DIGITS = {
    "mean_percentile": 3,
    "score": 1,
    "score_low": 1,
    "score_high": 1,
    "passer_rating": 1,
    "yards_per_attempt": 2,
}
LEADERBOARD_VIEW = (
    "rank",
    "passer_name",
    "team",
    "attempts",
    "mean_percentile",
    "score",
    "score_low",
    "score_high",
)


def leaderboard_markdown(board: Columns, *, title: str) -> str:
    """All splits of the leaderboard, one Markdown table per split label, in board order."""
    parts = [f"# {title}\n"]
    labels = list(dict.fromkeys(board["split"]))
    for label in labels:
        rows = np.asarray(board["split"]) == label
        parts.append(f"\n## {label}\n\n")
        parts.append(
            markdown_table(select(board, rows, LEADERBOARD_VIEW), digits=LEADERBOARD_DIGITS)
        )
    return "".join(parts)


_STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}
table{border-collapse:collapse;font-size:13px;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#eef}
td:nth-child(2),td:nth-child(3){text-align:left}img{max-width:100%}.note{color:#555}"""


def html_page(title: str, sections: Sequence[tuple[str, str]]) -> str:
    """A self-contained page: each section is (heading, HTML body)."""
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
