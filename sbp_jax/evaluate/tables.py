"""Evaluation tables on disk: CSV, Parquet, Markdown and strict JSON, each written atomically.

Every file is written to a uniquely named temporary sibling and renamed (`sbp_jax.outdir`), so a
reader never sees half a file. Tables are column dicts (name -> 1-D array), as
`passing_score.leaderboard` returns them. Cells are neutralized for their format
(`escaping`); JSON is standard JSON (a non-finite number is null, anything else unknown raises).
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
import pyarrow as pa
import pyarrow.parquet as pq

from sbp_jax.evaluate.escaping import csv_cell, markdown_cell
from sbp_jax.outdir import atomic_path, write_text

Columns = Mapping[str, np.ndarray]


def json_value(obj):
    """`obj` as plain JSON values: NumPy scalars and arrays converted, NaN and ±inf as None;
    any other type raises TypeError (nothing is written that a strict parser would refuse)."""
    if isinstance(obj, Mapping):
        return {str(k): json_value(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | np.ndarray):
        return [json_value(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")


def strict_json(obj, *, indent: int | None = 2) -> str:
    """Standard JSON text of `obj` (see `json_value`)."""
    return json.dumps(json_value(obj), indent=indent, allow_nan=False)


def write_json(path: str | os.PathLike, obj) -> Path:
    """`strict_json` of `obj`, atomically."""
    return write_text(path, strict_json(obj) + "\n")


def write_parquet(path: str | os.PathLike, columns: Columns) -> Path:
    """A table as Parquet, atomically; integer columns may be masked arrays (nulls)."""
    arrays = {}
    for name, values in columns.items():
        if isinstance(values, np.ma.MaskedArray):
            arrays[name] = pa.array(values.data, mask=np.ma.getmaskarray(values))
        elif np.asarray(values).dtype == object:
            arrays[name] = pa.array([None if v is None else str(v) for v in values])
        else:
            arrays[name] = pa.array(np.asarray(values))
    with atomic_path(path) as tmp:
        pq.write_table(pa.table(arrays), tmp)
    return Path(path)


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
    """CSV with a header row; floats with 6 decimals unless `digits` says otherwise, NaN empty;
    formula-like cells neutralized (`escaping.csv_cell`)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([csv_cell(c) for c in columns])
    rows = cell_texts(columns, {**{c: 6 for c in columns}, **(digits or {})})
    writer.writerows([csv_cell(v) for v in r] for r in rows)
    return write_text(path, buf.getvalue())


def markdown_table(columns: Columns, *, digits: Mapping[str, int] | None = None) -> str:
    """A Markdown table; every cell neutralized (`escaping.markdown_cell`)."""
    head = "| " + " | ".join(markdown_cell(c) for c in columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    body = [
        "| " + " | ".join(markdown_cell(v) for v in r) + " |" for r in cell_texts(columns, digits)
    ]
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
        parts.append(f"\n## {markdown_cell(label)}\n\n")
        parts.append(
            markdown_table(select(board, rows, LEADERBOARD_VIEW), digits=LEADERBOARD_DIGITS)
        )
    return "".join(parts)


# leaderboard.csv: which split and passer, then the view, rank last
LEADERBOARD_COLUMNS = ("split", "passer_id", *LEADERBOARD_VIEW[1:], "rank")


def leaderboard_columns(board: Columns) -> tuple[str, ...]:
    """LEADERBOARD_COLUMNS, with the passer's nflverse id after passer_id when `board` has it."""
    if "passer_gsis_id" not in board:
        return LEADERBOARD_COLUMNS
    return ("split", "passer_id", "passer_gsis_id", *LEADERBOARD_COLUMNS[2:])


def for_display(board: Columns) -> dict[str, np.ndarray]:
    """Leaderboard for text files: unranked passers (too few attempts) get an empty rank."""
    rank = np.asarray(board["rank"])
    return {**board, "rank": np.where(rank > 0, rank.astype(str), "").astype(object)}


def for_parquet(board: Columns) -> dict[str, np.ndarray]:
    """leaderboard.parquet columns: those of leaderboard.csv, unranked passers' rank null."""
    table = select(board, slice(None), leaderboard_columns(board))
    table["rank"] = np.ma.masked_equal(np.asarray(board["rank"], np.int64), 0)
    return table


def play_table(
    plays: Columns,
    scores: Columns,
    levels: Sequence[float],
    held_out_N: np.ndarray | None,
    labels: Columns,
    fold_N: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """plays.csv columns: identity, yards, percentile, median, quantiles, the held-out flag (left
    out when `held_out_N` is None: the store is not the training store), the fold whose model
    scored the play (`fold_N`, left out for a single model) and split labels (`labels`:
    `passing_score.split_labels` of the plays)."""
    table = {
        c: np.asarray(plays[c])
        for c in ("gameId", "playId", "week", "passer_id", "passer_name", "team")
    }
    table.update(yards=scores["yards"], percentile=scores["percentile"], median=scores["median"])
    for j, q in enumerate(levels):
        table[f"q{q:g}"] = scores["quantiles"][:, j]
    if held_out_N is not None:
        table["held_out"] = held_out_N.astype(int)
    if fold_N is not None:
        table["fold"] = np.asarray(fold_N, np.int64)
    table.update(
        pressure=labels["pressure"],
        time_to_throw=labels["time_to_throw"],
        depth=labels["depth"],
    )
    return table
