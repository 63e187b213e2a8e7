"""Release checks for the ingest report: the pass-result mix (a release without incompletions or
interceptions biases every percentile), releases without linemen (geometric pressure is
unreliable), what a release leaves out, plays nullified by penalty, and where the targets came
from (with the inference's accuracy where the truth is known)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sbp_jax.data.columns import file_play_key, ids_of, values_of
from sbp_jax.data.keys import play_key, rows_of
from sbp_jax.data.schemas import TRUE_TEXT, read_csv, read_header
from sbp_jax.data.target import SOURCES

PASS_RESULTS = ("C", "I", "IN")
TRUTH_FILE = Path("truth") / "plays.csv"  # the synthetic league's ground truth
TRUTH_TARGET_COLUMN = "target_nflId"


def nullified(cols: dict[str, np.ndarray]) -> np.ndarray:
    """Per play: nullified by a penalty (``playNullifiedByPenalty`` Y/TRUE; False without it)."""
    v = cols.get("playNullifiedByPenalty")
    return np.zeros(len(cols["gameId"]), bool) if v is None else np.isin(v, TRUE_TEXT)


def _mix(results: np.ndarray) -> dict[str, int]:
    return {r: int((results == r).sum()) for r in PASS_RESULTS}


def _warnings(release, kept: dict[str, int], tracking_pressure: bool) -> list[str]:
    n = sum(kept.values())
    out = []
    for code, what in (("I", "incompletions"), ("IN", "interceptions")):
        if kept[code] == 0:
            out.append(
                f"no {what} (passResult {code}) among the {n} kept passes: the yards "
                "distribution, every play percentile and every passing score are biased (a "
                "release of tackled plays only, like BDB 2024, holds no incompletions)"
            )
    if not release.linemen and tracking_pressure:
        out.append(
            f"{release.name} tracks no linemen: pressure from tracking (a defender within "
            "2.5 yd of the passer at the release) misses most pass rushers and is unreliable"
        )
    return out


def _truth(source, columns: dict[str, np.ndarray], inferred: np.ndarray) -> dict | None:
    """Target accuracy against ``truth/plays.csv`` beside the source, when it has targets."""
    for folder in dict.fromkeys((source.tables, source.src)):
        path = folder / TRUTH_FILE
        if path.is_file() and TRUTH_TARGET_COLUMN in read_header(path):
            break
    else:
        return None
    t = read_csv(path, ["gameId", "playId", TRUTH_TARGET_COLUMN], {"gameId": pa.int64()})
    keys = file_play_key(ids_of(t, "gameId", path), ids_of(t, "playId", path), path)
    row = rows_of(keys, play_key(columns["gameId"], columns["playId"]))
    truth = np.full(len(row), np.nan)
    truth[row >= 0] = values_of(t, TRUTH_TARGET_COLUMN, float)[row[row >= 0]]
    known = ~np.isnan(truth)
    n = int(known.sum())
    right_inferred = int((inferred[known] == truth[known]).sum())
    right_stored = int((columns["target_id"][known] == truth[known]).sum())
    return {
        "file": str(path),
        "plays": n,
        "inferred_correct": right_inferred,
        "inference_accuracy": round(right_inferred / n, 4) if n else None,
        "stored_correct": right_stored,
        "stored_accuracy": round(right_stored / n, 4) if n else None,
    }


def checks(source, columns: dict[str, np.ndarray], inferred: np.ndarray) -> dict[str, Any]:
    """The report's ``release_checks``, ``targets``, ``warnings`` and ``notes``."""
    release = source.release
    kept = _mix(columns["pass_result"])
    plays_table = _mix(source.plays.cols["passResult"])
    tracking_pressure = bool((columns["pressure_source"] == "tracking").any())
    has_nullified = "playNullifiedByPenalty" in source.plays.cols
    n_nullified = int(columns["nullified_by_penalty"].sum())
    notes = list(release.caveats)
    if n_nullified:
        notes.append(
            f"{n_nullified} kept plays were nullified by a penalty; they are kept (the pass and "
            "its pre-penalty yards happened) and marked in plays.parquet nullified_by_penalty"
        )
    source_N = columns["target_source"]
    charted = source_N == "release"
    agree = int((inferred[charted] == columns["target_id"][charted]).sum())
    return {
        "release_checks": {
            "pass_results_kept": kept,
            "pass_results_in_plays_table": plays_table,
            "linemen_tracked": release.linemen,
            "pressure_from_tracking": tracking_pressure,
            "nullified_by_penalty_kept": n_nullified if has_nullified else None,
        },
        "targets": {
            "counts": {s: int((source_N == s).sum()) for s in SOURCES},
            "inferred_vs_release": {
                "plays": int(charted.sum()),
                "agree": agree,
                "rate": round(agree / charted.sum(), 4) if charted.any() else None,
            },
            "truth": _truth(source, columns, inferred),
        },
        "warnings": _warnings(release, kept, tracking_pressure),
        "notes": notes,
    }
