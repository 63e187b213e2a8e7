"""The per-play files of a release: plays.csv, games.csv, players.csv and the charting file
(pffScoutingData.csv or player_play.csv), read into candidate plays sorted by key."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pyarrow as pa

from sbp_jax.data.columns import IngestError, file_play_key, strings_of, truthy_of, values_of
from sbp_jax.data.ingest_report import DropReport
from sbp_jax.data.keys import lookup
from sbp_jax.data.schemas import (
    GAMES_COLUMNS,
    PFF_COLUMNS,
    PFF_PRESSURE_COLUMNS,
    PLAYER_PLAY_COLUMNS,
    PLAYER_PLAY_PRESSURE_COLUMN,
    PLAYERS_COLUMNS,
    Release,
    first_present,
    read_csv,
    read_header,
    require_columns,
)

TARGETED = ("C", "I", "IN")


@dataclasses.dataclass
class Plays:
    """Candidate plays (targeted passes with a game and yards), sorted by key, with attributes."""

    key: np.ndarray
    cols: dict[str, np.ndarray]  # plays.csv + games.csv columns per candidate
    static_extra: dict[str, np.ndarray]
    passer_pref: np.ndarray  # charted passer nflId or -1
    pressure_pff: np.ndarray  # float: 1/0 charted pressure, NaN when not charted
    all_keys: np.ndarray  # every plays.csv key (to spot tracking rows without a plays row)


def load_plays(src: Path, release: Release, report: DropReport) -> tuple[Plays, str]:
    path = src / "plays.csv"
    if not path.is_file():
        raise IngestError(f"{src}: missing plays.csv")
    header = read_header(path)
    require_columns(path, header, release.plays_columns, f"{release.name} plays.csv")
    yards_col = release.yards_column(header, path)
    extra_cols = {n: first_present(header, c) for n, c in release.static_extra.items()}
    extra_cols = {n: c for n, c in extra_cols.items() if c}
    opt = [c for c in ("yardlineSide", "yardlineNumber") if c in header]
    cols = list(
        dict.fromkeys(list(release.plays_columns) + [yards_col] + list(extra_cols.values()) + opt)
    )
    str_cols = ("possessionTeam", "defensiveTeam", "gameClock", "passResult", "yardlineSide")
    types = {c: pa.string() if c in str_cols else pa.float64() for c in cols}
    t = read_csv(path, cols, types | {"gameId": pa.int64(), "playId": pa.int64()})
    game, play = values_of(t, "gameId"), values_of(t, "playId")
    key = file_play_key(game, play, path)
    if len(np.unique(key)) != len(key):
        raise IngestError(f"{path}: duplicated (gameId, playId) rows")
    games = load_games(src)
    gi, gi_ok = lookup(games["gameId"], game)
    result = strings_of(t, "passResult")
    yards = values_of(t, yards_col, float)
    reason = np.full(len(key), "", object)
    reason[~gi_ok] = "game_not_in_games_csv"
    reason[(reason == "") & ~np.isin(result, TARGETED)] = "not_targeted_pass"
    reason[(reason == "") & np.isnan(yards)] = "missing_yards"
    for r in ("game_not_in_games_csv", "not_targeted_pass", "missing_yards"):
        m = reason == r
        report.drop(game[m], play[m], r, [f"passResult={v}" for v in result[m]])
    keep = reason == ""
    order = np.argsort(key[keep], kind="stable")
    sel = np.flatnonzero(keep)[order]
    c = {
        name: strings_of(t, name)[sel] if name in str_cols else values_of(t, name, float)[sel]
        for name in cols
        if name not in ("gameId", "playId")
    }
    c["gameId"], c["playId"], c["yards"] = game[sel], play[sel], yards[sel]
    for name in ("week", "season", "homeTeamAbbr", "visitorTeamAbbr"):
        c[name] = games[name][gi[sel]]
    extra = {}
    for name, col in extra_cols.items():
        v = c[col].astype(float)
        extra[name] = np.where(np.isnan(v), np.nanmedian(v) if (~np.isnan(v)).any() else 0.0, v)
    passer, pressure = load_charting(src, key[sel])
    return Plays(key[sel], c, extra, passer, pressure, np.sort(key)), yards_col


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
    game = values_of(t, "gameId")
    order = np.argsort(game)
    out = {
        "gameId": game,
        "week": values_of(t, "week", np.int64),
        "homeTeamAbbr": strings_of(t, "homeTeamAbbr"),
        "visitorTeamAbbr": strings_of(t, "visitorTeamAbbr"),
        # BDB 2021 has no season column; gameIds start with the date (2018090600)
        "season": values_of(t, "season", np.int64) if "season" in cols else game // 1_000_000,
    }
    return {k: v[order] for k, v in out.items()}


def load_charting(src: Path, key_N: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Charted passer and pressure per candidate play, from pffScoutingData.csv (2023) or
    player_play.csv (2025) when present; -1 / NaN otherwise."""
    passer = np.full(len(key_N), -1, np.int64)
    pressure = np.full(len(key_N), np.nan)
    pff, pp = src / "pffScoutingData.csv", src / "player_play.csv"
    if pff.is_file():
        path = pff
        header = read_header(pff)
        press_cols = [c for c in PFF_PRESSURE_COLUMNS if c in header]
        t = read_csv(
            pff,
            list(PFF_COLUMNS) + press_cols,
            {"gameId": pa.int64(), "playId": pa.int64(), "pff_role": pa.string()},
        )
        is_passer = strings_of(t, "pff_role") == "Pass"
        flags = [np.nan_to_num(values_of(t, c, float)) > 0 for c in press_cols]
        pressed = np.logical_or.reduce(flags) if flags else None
    elif pp.is_file():
        path = pp
        header = read_header(pp)
        press_cols = [PLAYER_PLAY_PRESSURE_COLUMN] if PLAYER_PLAY_PRESSURE_COLUMN in header else []
        t = read_csv(
            pp, list(PLAYER_PLAY_COLUMNS) + press_cols, {"gameId": pa.int64(), "playId": pa.int64()}
        )
        is_passer = truthy_of(t, "hadDropback")
        pressed = truthy_of(t, press_cols[0]) if press_cols else None
    else:
        return passer, pressure
    idx_R, found_R = lookup(
        key_N, file_play_key(values_of(t, "gameId"), values_of(t, "playId"), path)
    )
    nid_R = np.nan_to_num(values_of(t, "nflId", float), nan=-1).astype(np.int64)
    m = found_R & is_passer & (nid_R >= 0)
    # first charted passer per play (reversed assignment: the first row is written last)
    passer[idx_R[m][::-1]] = nid_R[m][::-1]
    if pressed is not None:
        charted = np.zeros(len(key_N), bool)
        charted[idx_R[found_R]] = True
        hit = np.zeros(len(key_N), bool)
        hit[idx_R[found_R & pressed]] = True
        pressure = np.where(charted, hit.astype(float), np.nan)
    return passer, pressure


def load_players(src: Path) -> dict[str, np.ndarray]:
    path = src / "players.csv"
    if not path.is_file():
        raise IngestError(f"{src}: missing players.csv")
    header = read_header(path)
    cols = {name: first_present(header, c, path, name) for name, c in PLAYERS_COLUMNS.items()}
    t = read_csv(
        path, list(cols.values()), {cols["displayName"]: pa.string(), cols["position"]: pa.string()}
    )
    nid = values_of(t, cols["nflId"], np.int64)
    order = np.argsort(nid)
    return {
        "nflId": nid[order],
        "displayName": strings_of(t, cols["displayName"])[order],
        "position": strings_of(t, cols["position"])[order],
    }
