"""Evaluation tables on disk: CSV, Markdown and JSON, each written atomically.

Every file is written to a temporary sibling and renamed, so a reader never sees half a file.
Tables are column dicts (name -> 1-D array), as `passing_score.leaderboard` returns them.
"""

from __future__ import annotations

import csv
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


def cell_texts(columns: Columns, digits: Mapping[str, int] | None) -> list[list[str]]:
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
    writer.writerows(cell_texts(columns, {**{c: 6 for c in columns}, **(digits or {})}))
    return write_text(path, buf.getvalue())


def markdown_table(columns: Columns, *, digits: Mapping[str, int] | None = None) -> str:
    head = "| " + " | ".join(columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    body = ["| " + " | ".join(r) + " |" for r in cell_texts(columns, digits)]
    return "\n".join([head, rule, *body]) + "\n"


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


# leaderboard.csv: which split and passer, then the view, rank last
LEADERBOARD_COLUMNS = ("split", "passer_id", *LEADERBOARD_VIEW[1:], "rank")


def for_display(board: Columns) -> dict[str, np.ndarray]:
    """Leaderboard for files: unranked passers (too few attempts) get an empty rank."""
    rank = np.asarray(board["rank"])
    return {**board, "rank": np.where(rank > 0, rank.astype(str), "").astype(object)}


def play_table(
    plays: Columns,
    scores: Columns,
    levels: Sequence[float],
    held_out_N: np.ndarray,
    labels: Columns,
) -> dict[str, np.ndarray]:
    """plays.csv columns: identity, yards, percentile, median, quantiles and split flags
    (`labels`: `passing_score.split_labels` of the plays)."""
    table = {
        c: np.asarray(plays[c])
        for c in ("gameId", "playId", "week", "passer_id", "passer_name", "team")
    }
    table.update(yards=scores["yards"], percentile=scores["percentile"], median=scores["median"])
    for j, q in enumerate(levels):
        table[f"q{q:g}"] = scores["quantiles"][:, j]
    table.update(
        held_out=held_out_N.astype(int),
        pressure=labels["pressure"],
        time_to_throw=labels["time_to_throw"],
        depth=labels["depth"],
    )
    return table
