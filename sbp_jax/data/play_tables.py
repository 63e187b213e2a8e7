"""The per-play files of a release: plays.csv, games.csv, players.csv (BDB 2026:
supplementary_data.csv) and the charting files (`charting`), read into candidate plays sorted by
key."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pyarrow as pa

from sbp_jax.data.charting import load_charting
from sbp_jax.data.columns import IngestError, file_play_key, ids_of, strings_of, values_of
from sbp_jax.data.ingest_report import DropReport
from sbp_jax.data.keys import lookup
from sbp_jax.data.schemas import (
    GAMES_COLUMNS,
    PLAYERS_COLUMNS,
    Release,
    first_present,
    read_csv,
    read_header,
    require_columns,
)

TARGETED = ("C", "I", "IN")
# plays-table columns read as text (internal names); the rest are numbers
STRING_COLUMNS = (
    "possessionTeam",
    "defensiveTeam",
    "gameClock",
    "passResult",
    "yardlineSide",
    "playNullifiedByPenalty",
    "homeTeamAbbr",
    "visitorTeamAbbr",
)
OPTIONAL_COLUMNS = ("yardlineSide", "yardlineNumber", "playNullifiedByPenalty")


@dataclasses.dataclass
class Plays:
    """Candidate plays (targeted passes with a game and yards), sorted by key, with attributes."""

    key: np.ndarray
    cols: dict[str, np.ndarray]  # plays.csv + games.csv columns per candidate (internal names)
    static_extra: dict[str, np.ndarray]  # release extras per candidate, NaN where missing
    extra_fill: dict[str, float]  # median of each extra over the candidates (imputes NaN)
    passer_pref: np.ndarray  # charted passer nflId or -1
    pressure_pff: np.ndarray  # float: 1/0 charted pressure, NaN when not charted
    target_pref: np.ndarray  # charted target nflId or -1
    all_keys: np.ndarray  # every plays.csv key (to spot tracking rows without a plays row)


def load_plays(
    src: Path, release: Release, report: DropReport, *, outcome_required: bool = True
) -> tuple[Plays, str]:
    """Candidate plays of ``src``'s plays table; with ``outcome_required`` (ingest) only targeted
    passes with yards are candidates, the others are reported. Returns the plays and the yards
    column's name in the file."""
    path = src / release.plays_file
    if not path.is_file():
        raise IngestError(f"{src}: missing {release.plays_file}")
    header = read_header(path)
    fc = release.file_column
    require_columns(
        path, header, [fc(c) for c in release.plays_columns], f"{release.name} {path.name}"
    )
    yards_col = release.yards_column(header, path)
    extra_cols = {n: first_present(header, e.columns) for n, e in release.static_extra.items()}
    extra_cols = {n: c for n, c in extra_cols.items() if c}
    internal = list(release.plays_columns) + [c for c in OPTIONAL_COLUMNS if fc(c) in header]
    rename = (
        {fc(c): c for c in internal} | {yards_col: "yards"} | {c: c for c in extra_cols.values()}
    )
    text = {fc(c) for c in STRING_COLUMNS} | {
        extra_cols[n] for n, e in release.static_extra.items() if e.ones and n in extra_cols
    }
    types = {c: pa.string() if c in text else pa.float64() for c in rename}
    t = read_csv(path, list(rename), types | {fc("gameId"): pa.int64(), fc("playId"): pa.int64()})
    t = t.rename_columns([rename[c] for c in t.column_names])
    game, play = ids_of(t, "gameId", path), ids_of(t, "playId", path)
    key = file_play_key(game, play, path)
    if len(np.unique(key)) != len(key):
        raise IngestError(f"{path}: duplicated (gameId, playId) rows")
    games = load_games(src) if release.has_games_file else games_of(t, path)
    gi, gi_ok = lookup(games["gameId"], game)
    result = strings_of(t, "passResult")
    yards = values_of(t, "yards", float)
    reason = np.full(len(key), "", object)
    detail = np.array([f"passResult={v}" for v in result], object)
    reason[~gi_ok] = "game_not_in_games_csv"
    if outcome_required:
        reason[(reason == "") & ~np.isin(result, TARGETED)] = "not_targeted_pass"
        reason[(reason == "") & np.isnan(yards)] = "missing_yards"
    for name, file_col in zip(t.column_names, rename, strict=True):
        if types[file_col] == pa.float64():  # an infinite number is no value a play can have
            bad = (reason == "") & np.isinf(values_of(t, name, float))
            reason[bad] = "value_out_of_range"
            detail[bad] = [f"{path.name}: {file_col}={v}" for v in values_of(t, name, float)[bad]]
    for r in np.unique(reason[reason != ""]):
        m = reason == r
        report.drop(game[m], play[m], r, detail[m].tolist())
    keep = reason == ""
    order = np.argsort(key[keep], kind="stable")
    sel = np.flatnonzero(keep)[order]
    c = {
        name: strings_of(t, name)[sel]
        if types[f] == pa.string()
        else values_of(t, name, float)[sel]
        for name, f in zip(t.column_names, rename, strict=True)
        if name not in ("gameId", "playId")
    }
    c["gameId"], c["playId"] = game[sel], play[sel]
    for name in ("week", "season", "homeTeamAbbr", "visitorTeamAbbr"):
        c[name] = games[name][gi[sel]]
    extra, fill = {}, {}
    for name, col in extra_cols.items():
        ones = release.static_extra[name].ones
        v = values_of(t, col, float) if not ones else np.isin(strings_of(t, col), ones) * 1.0
        v = np.where(t.column(col).is_null().to_numpy(zero_copy_only=False), np.nan, v)[sel]
        extra[name] = v
        fill[name] = float(np.nanmedian(v)) if (~np.isnan(v)).any() else 0.0
    ch = load_charting(src, key[sel])
    plays = Plays(key[sel], c, extra, fill, ch.passer, ch.pressure, ch.target, np.sort(key))
    return plays, yards_col


def games_of(t: pa.Table, path: Path) -> dict[str, np.ndarray]:
    """The games of a plays table that carries the games columns (BDB 2026), sorted by gameId."""
    game = ids_of(t, "gameId", path)
    games, first = np.unique(game, return_index=True)
    return {
        "gameId": games,
        "week": ids_of(t, "week", path)[first],
        "season": ids_of(t, "season", path)[first],
        "homeTeamAbbr": strings_of(t, "homeTeamAbbr")[first],
        "visitorTeamAbbr": strings_of(t, "visitorTeamAbbr")[first],
    }


def load_games(src: Path) -> dict[str, np.ndarray]:
    path = src / "games.csv"
    if not path.is_file():
        raise IngestError(f"{src}: missing games.csv")
    header = read_header(path)
    cols = list(GAMES_COLUMNS) + (["season"] if "season" in header else [])
    t = read_csv(
        path,
        cols,
        {"gameId": pa.int64(), "homeTeamAbbr": pa.string(), "visitorTeamAbbr": pa.string()},
    )
    game = ids_of(t, "gameId", path)
    order = np.argsort(game)
    out = {
        "gameId": game,
        "week": ids_of(t, "week", path),
        "homeTeamAbbr": strings_of(t, "homeTeamAbbr"),
        "visitorTeamAbbr": strings_of(t, "visitorTeamAbbr"),
        # BDB 2021 has no season column; gameIds start with the date (2018090600)
        "season": ids_of(t, "season", path) if "season" in cols else game // 1_000_000,
    }
    return {k: v[order] for k, v in out.items()}


def player_info(players: dict[str, np.ndarray], nid: np.ndarray, col: str) -> np.ndarray:
    """players.csv ``col`` of each nflId ("" where unknown)."""
    if not len(players["nflId"]):
        return np.full(len(nid), "", object)
    pi, found = lookup(players["nflId"], nid)
    return np.where(found, players[col][pi], "")


def load_players(src: Path, release: Release) -> dict[str, np.ndarray]:
    """players.csv sorted by nflId (BDB 2026 has none: names come with the tracking rows)."""
    if not release.has_games_file:
        empty = np.zeros(0, object)
        return {"nflId": np.zeros(0, np.int64), "displayName": empty, "position": empty}
    path = src / "players.csv"
    if not path.is_file():
        raise IngestError(f"{src}: missing players.csv")
    header = read_header(path)
    cols = {name: first_present(header, c, path, name) for name, c in PLAYERS_COLUMNS.items()}
    t = read_csv(
        path, list(cols.values()), {cols["displayName"]: pa.string(), cols["position"]: pa.string()}
    )
    nid = ids_of(t, cols["nflId"], path)
    order = np.argsort(nid)
    return {
        "nflId": nid[order],
        "displayName": strings_of(t, cols["displayName"])[order],
        "position": strings_of(t, cols["position"])[order],
    }
