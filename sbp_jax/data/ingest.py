"""Ingest a directory of Big Data Bowl CSVs into a play store, one tracking file at a time.

The per-play files are read first (`play_tables`), then each tracking file is cut into checked
snap..release windows (`windows`) and streamed into the store; every dropped play is listed in the
ingest report with its reason, and the release checks (`release_checks`) with it. `process_files`
is the per-file core that `preprocess_play` runs too. See docs/data.md for the definitions.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from sbp_jax.data import features as F
from sbp_jax.data import release_checks
from sbp_jax.data.columns import IngestError
from sbp_jax.data.ingest_report import REASONS, DropReport, report_json, report_markdown
from sbp_jax.data.play_tables import Plays, load_players, load_plays, player_info
from sbp_jax.data.schemas import (
    Release,
    SchemaError,
    detect_release,
    read_header,
    tables_dir,
    tracking_files,
    week_of_file,
)
from sbp_jax.data.store import PlayStore, StoreWriter
from sbp_jax.data.windows import WeekOut, process_week

__all__ = ["IngestError", "ingest", "report_json"]


@dataclasses.dataclass
class Source:
    """A release's files, found and read up to the tracking."""

    src: Path
    files: list[Path]  # tracking files in week order
    release: Release
    tables: Path  # folder of the per-play tables
    plays: Plays
    yards_column: str
    players: dict[str, np.ndarray]


@dataclasses.dataclass
class FileResult:
    """One tracking file's kept plays: windows, plays.parquet columns and raw static features."""

    week: WeekOut
    table: dict[str, np.ndarray]
    static: np.ndarray  # [N, S], NaN where a value is missing (imputed by ingest)
    static_names: list[str]
    yards: np.ndarray
    rows: int


def open_source(src: Path, report: DropReport, *, outcome_required: bool = True) -> Source:
    """Find the tracking files, detect the release from their headers and read the per-play
    tables."""
    if not src.is_dir():
        raise IngestError(f"{src}: not a directory")
    files = tracking_files(src)
    release = detect_release(files[0], read_header(files[0]))
    for f in files[1:]:
        other = detect_release(f, read_header(f))
        if other.name != release.name:
            raise SchemaError(f"{f}: header is {other.name} but {files[0].name} is {release.name}")
    tables = tables_dir(src, files, release)
    plays, yards_col = load_plays(tables, release, report, outcome_required=outcome_required)
    return Source(src, files, release, tables, plays, yards_col, load_players(tables, release))


def process_files(
    source: Source, report: DropReport, done: np.ndarray, on_file: Callable[[int], None]
) -> Iterator[FileResult]:
    """Each tracking file's kept plays; ``done`` marks the candidates seen in tracking."""
    for f in source.files:
        wk, rows = process_week(f, source.release, source.plays, source.players, done, report)
        table, static, names = _play_table(source.plays, wk, source.players)
        yards = source.plays.cols["yards"][wk.cand]
        on_file(rows)
        yield FileResult(wk, table, static, names, yards, rows)


def _play_table(
    plays: Plays, wk: WeekOut, players: dict[str, np.ndarray]
) -> tuple[dict, np.ndarray, list[str]]:
    cand, attrs = wk.cand, wk.attrs
    c = {k: v[cand] for k, v in plays.cols.items()}
    offense_home = c["possessionTeam"] == c["homeTeamAbbr"]
    yte = F.yards_to_endzone(c, attrs["los_x"])
    extra = {k: v[cand] for k, v in plays.static_extra.items()}
    static, static_names = F.static_features(c, yte, offense_home, extra)
    if "passer_name" in attrs:  # BDB 2026: from the tracking rows
        names = attrs["passer_name"]
    else:
        names = player_info(players, attrs["passer_id"], "displayName")
    pff = plays.pressure_pff[cand]
    geometric = attrs["nearest_defender_yds"] < F.PRESSURE_RADIUS_YDS
    defense = c.get(
        "defensiveTeam", np.where(offense_home, c["visitorTeamAbbr"], c["homeTeamAbbr"])
    )
    table = {
        "gameId": c["gameId"],
        "playId": c["playId"],
        "season": c["season"],
        "week": c["week"],
        "passer_id": attrs["passer_id"],
        "passer_name": names.astype(str),
        "team": c["possessionTeam"].astype(str),
        "defensive_team": defense.astype(str),
        "n_frames": wk.lengths,
        "time_to_throw": (wk.lengths - 1) / F.FRAMES_PER_SECOND,
        "yards": c["yards"],
        "air_yards": attrs["air_yards"],
        "pressure": np.where(np.isnan(pff), geometric, pff > 0),
        "pressure_source": np.where(np.isnan(pff), "tracking", "charting"),
        "nearest_defender_yds": attrs["nearest_defender_yds"],
        "pass_result": c["passResult"].astype(str),
        "touchdown": (c["passResult"] == "C") & (c["yards"] >= yte),
        "down": c["down"],
        "yards_to_go": c["yardsToGo"],
        "yards_to_endzone": yte,
        "quarter": c["quarter"],
        "snap_frameId": attrs["snap_frameId"],
        "release_frameId": attrs["release_frameId"],
        "play_direction": attrs["play_direction"],
        "target_id": attrs["target_id"],
        "target_slot": attrs["target_slot"],
        "target_source": attrs["target_source"],
        "nullified_by_penalty": release_checks.nullified(c),
    }
    return table, static, static_names


def impute(static_NxS: np.ndarray, names: list[str], fill: dict[str, float]) -> np.ndarray:
    """Missing static values: release extras take their median over the plays table (``fill``),
    the others the column median of ``static_NxS`` (e.g. an unparsable game clock)."""
    out = static_NxS.copy()
    for k, name in enumerate(names):
        col = out[:, k]
        med = fill[name] if name in fill else np.nanmedian(col) if (~np.isnan(col)).any() else 0.0
        out[:, k] = np.where(np.isnan(col), med, col)
    return out


def check_paths(src: Path, tables: Path, out: Path) -> None:
    """Refuse an output directory that is an input folder, contains one, or lies inside one."""
    dst = out.resolve()
    for folder in dict.fromkeys((src.resolve(), tables.resolve())):
        if dst == folder or folder in dst.parents or dst in folder.parents:
            raise IngestError(
                f"--out {out}: overlaps the source directory {folder}; choose a directory "
                "outside the source (ingest never writes into its inputs)"
            )


def ingest(
    src_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    overwrite: bool = False,
    progress: bool = True,
) -> PlayStore:
    """Build a play store at ``out_dir`` from the Big Data Bowl CSVs in ``src_dir``."""
    src = Path(src_dir)
    report = DropReport()
    t0 = time.perf_counter()
    source = open_source(src, report)
    check_paths(src, source.tables, Path(out_dir))
    plays = source.plays
    done = np.zeros(len(plays.key), bool)
    n_rows = 0
    results: list[FileResult] = []
    with StoreWriter(out_dir, overwrite=overwrite) as writer:
        bar = tqdm(source.files, desc="ingest", unit="file", disable=not progress)

        def on_file(rows: int) -> None:
            nonlocal n_rows
            n_rows += rows
            bar.update(1)
            bar.set_postfix(rows_per_s=f"{n_rows / (time.perf_counter() - t0):,.0f}")

        for res in process_files(source, report, done, on_file):
            static = impute(res.static, res.static_names, plays.extra_fill)
            writer.add(res.week.tracking, res.week.lengths, res.week.presence, static, res.yards)
            res.week.tracking = None  # written: free it before the next file
            results.append(res)
        bar.close()
        weeks_given = {week_of_file(f) for f in source.files}
        missing = ~done
        no_week = missing & ~np.isin(plays.cols["week"], list(weeks_given))
        for m, r in ((no_week, "week_not_provided"), (missing & ~no_week, "no_tracking")):
            report.drop(plays.cols["gameId"][m], plays.cols["playId"][m], r)
        columns = {k: np.concatenate([res.table[k] for res in results]) for k in results[0].table}
        n_kept = len(columns["gameId"])
        if n_kept == 0:
            raise IngestError(f"{src}: no play survived ingest; reasons: {report.counts()}")
        inferred = np.concatenate([res.week.attrs["target_inferred_id"] for res in results])
        seconds = time.perf_counter() - t0
        rep = {
            "source": str(src.resolve()),
            "release": source.release.name,
            "yards_column": source.yards_column,
            "tracking_files": [f.name for f in source.files],
            "tracking_rows": n_rows,
            "seconds": round(seconds, 3),
            "rows_per_second": round(n_rows / seconds),
            "plays_kept": n_kept,
            "plays_dropped": len(report.dropped),
            "dropped_counts": report.counts(),
            **release_checks.checks(source, columns, inferred),
            "reasons": REASONS,
            "dropped": report.dropped,
        }
        meta = {
            "release": source.release.name,
            "source": str(src.resolve()),
            "yards_column": source.yards_column,
            "pressure_radius_yds": F.PRESSURE_RADIUS_YDS,
            "x_relative_to_line_of_scrimmage": True,
            "linemen_tracked": source.release.linemen,
        }
        return writer.finish(
            plays=columns,
            static_names=results[0].static_names,
            meta=meta,
            report=rep,
            report_md=report_markdown(rep),
        )
