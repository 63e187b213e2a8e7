"""Ingest a directory of Big Data Bowl CSVs into a play store, one tracking file at a time.

The per-play files are read first (`play_tables`), then each tracking file is cut into checked
snap..release windows (`windows`) and streamed into the store; every dropped play is listed in the
ingest report with its reason. See docs/data.md for the definitions.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from sbp_jax.data import features as F
from sbp_jax.data.columns import IngestError
from sbp_jax.data.ingest_report import REASONS, DropReport, report_json, report_markdown
from sbp_jax.data.keys import lookup
from sbp_jax.data.play_tables import Plays, load_players, load_plays
from sbp_jax.data.schemas import (
    SchemaError,
    detect_release,
    read_header,
    tracking_files,
    week_of_file,
)
from sbp_jax.data.store import PlayStore, StoreWriter
from sbp_jax.data.windows import process_week

__all__ = ["IngestError", "ingest", "report_json"]


def _play_table(
    plays: Plays,
    cand: np.ndarray,
    attrs: dict[str, np.ndarray],
    players: dict[str, np.ndarray],
    lengths: np.ndarray,
) -> tuple[dict, np.ndarray, list[str]]:
    c = {k: v[cand] for k, v in plays.cols.items()}
    offense_home = c["possessionTeam"] == c["homeTeamAbbr"]
    yte = F.yards_to_endzone(c, attrs["los_x"])
    extra = {k: v[cand] for k, v in plays.static_extra.items()}
    static, static_names = F.static_features(c, yte, offense_home, extra)
    static = _impute(static)
    pi, found = lookup(players["nflId"], attrs["passer_id"])
    names = np.where(found, players["displayName"][pi], "")
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
        "n_frames": lengths,
        "time_to_throw": (lengths - 1) / F.FRAMES_PER_SECOND,
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
    }
    return table, static, static_names


def _impute(static_NxS: np.ndarray) -> np.ndarray:
    """Missing static values (e.g. an unparsable game clock) take the column median."""
    med = (
        np.nanmedian(np.where(np.isnan(static_NxS).all(0), 0.0, static_NxS), axis=0)
        if len(static_NxS)
        else np.zeros(static_NxS.shape[1])
    )
    return np.where(np.isnan(static_NxS), med, static_NxS)


def ingest(
    src_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    overwrite: bool = False,
    progress: bool = True,
) -> PlayStore:
    """Build a play store at ``out_dir`` from the Big Data Bowl CSVs in ``src_dir``."""
    src = Path(src_dir)
    if not src.is_dir():
        raise IngestError(f"{src}: not a directory")
    files = tracking_files(src)
    release = detect_release(files[0], read_header(files[0]))
    for f in files[1:]:
        other = detect_release(f, read_header(f))
        if other.name != release.name:
            raise SchemaError(f"{f}: header is {other.name} but {files[0].name} is {release.name}")
    report = DropReport()
    t0 = time.perf_counter()
    plays, yards_col = load_plays(src, release, report)
    players = load_players(src)
    done = np.zeros(len(plays.key), bool)
    weeks_given = {week_of_file(f) for f in files}
    n_rows = 0
    tables: list[dict] = []
    with StoreWriter(out_dir, overwrite=overwrite) as writer:
        bar = tqdm(files, desc="ingest", unit="file", disable=not progress)
        for f in bar:
            wk, rows = process_week(f, release, plays, players, done, report)
            n_rows += rows
            bar.set_postfix(rows_per_s=f"{n_rows / (time.perf_counter() - t0):,.0f}")
            table, static, static_names = _play_table(plays, wk.cand, wk.attrs, players, wk.lengths)
            writer.add(wk.tracking, wk.lengths, wk.presence, static, plays.cols["yards"][wk.cand])
            tables.append(table)
        missing = ~done
        no_week = missing & ~np.isin(plays.cols["week"], list(weeks_given))
        for m, r in ((no_week, "week_not_provided"), (missing & ~no_week, "no_tracking")):
            report.drop(plays.cols["gameId"][m], plays.cols["playId"][m], r)
        columns = {k: np.concatenate([tb[k] for tb in tables]) for k in tables[0]}
        n_kept = len(columns["gameId"])
        if n_kept == 0:
            raise IngestError(f"{src}: no play survived ingest; reasons: {report.counts()}")
        seconds = time.perf_counter() - t0
        rep = {
            "source": str(src.resolve()),
            "release": release.name,
            "yards_column": yards_col,
            "tracking_files": [f.name for f in files],
            "tracking_rows": n_rows,
            "seconds": round(seconds, 3),
            "rows_per_second": round(n_rows / seconds),
            "plays_kept": n_kept,
            "plays_dropped": len(report.dropped),
            "dropped_counts": report.counts(),
            "reasons": REASONS,
            "dropped": report.dropped,
        }
        meta = {
            "release": release.name,
            "source": str(src.resolve()),
            "yards_column": yards_col,
            "pressure_radius_yds": F.PRESSURE_RADIUS_YDS,
            "x_relative_to_line_of_scrimmage": True,
        }
        return writer.finish(
            plays=columns,
            static_names=static_names,
            meta=meta,
            report=rep,
            report_md=report_markdown(rep),
        )
