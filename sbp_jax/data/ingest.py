"""Ingest a directory of Big Data Bowl CSVs into a play store, one tracking file at a time.

Per tracking file everything is vectorized NumPy over rows (events -> snap/release frames, slot
assignment, features, per-play checks); plays that fail a check are skipped and listed in the ingest
report with their reason. See docs/data.md for the definitions.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from tqdm.auto import tqdm

from sbp_jax.data import features as F
from sbp_jax.data.schemas import (
    GAMES_COLUMNS,
    PFF_COLUMNS,
    PFF_PRESSURE_COLUMNS,
    PLAYER_PLAY_COLUMNS,
    PLAYER_PLAY_PRESSURE_COLUMN,
    PLAYERS_COLUMNS,
    Release,
    SchemaError,
    detect_release,
    first_present,
    read_csv,
    read_header,
    require_columns,
    tracking_files,
    week_of_file,
)
from sbp_jax.data.store import N_FEATURES, N_SLOTS, PlayStore, StoreWriter

TARGETED = ("C", "I", "IN")
SNAP_EVENTS = (("ball_snap",), ("autoevent_ballsnap",))  # manual first, automatic as fallback
RELEASE_EVENTS = (("pass_forward", "pass_shovel"), ("autoevent_passforward",))
ARRIVAL_EVENTS = (
    "pass_arrived",
    "pass_outcome_caught",
    "pass_outcome_incomplete",
    "pass_outcome_interception",
    "pass_outcome_touchdown",
)

REASONS = {
    "game_not_in_games_csv": "the play's gameId is not in games.csv",
    "not_targeted_pass": "passResult is not C, I or IN (sack, scramble, run, ...)",
    "missing_yards": "the pre-penalty yards column is empty",
    "week_not_provided": "no tracking file for the game's week",
    "no_tracking": "plays.csv row without tracking rows",
    "tracking_without_play_row": "tracking rows whose (gameId, playId) is not in plays.csv",
    "duplicate_rows": "a player (or the ball) has two rows for one frame",
    "no_snap": "no ball_snap / autoevent_ballsnap event",
    "no_release": "no pass_forward / pass_shovel / autoevent_passforward event after the snap",
    "no_ball_row": "no football row at the snap",
    "no_passer": "no passer (no PFF/player_play passer and no offensive QB at the snap)",
    "passer_not_tracked": "the charted passer has no tracking row at the snap",
    "too_many_players": "more than 11 players on a side at the snap",
    "missing_tracking_values": "NA in x, y, s, a or dir between snap and release",
    "frames_missing": "a player lacks frames between snap and release",
}
_KEY_MULT = 100_000  # play key = gameId * _KEY_MULT + playId
_DICT = pa.dictionary(pa.int32(), pa.string())  # low-cardinality strings are parsed to codes


class IngestError(ValueError):
    """The source directory cannot be ingested (a file-level problem, not a single bad play)."""


def _key(game, play) -> np.ndarray:
    play = np.asarray(play, np.int64)
    if len(play) and (play.min() < 0 or play.max() >= _KEY_MULT):
        raise IngestError(f"playId outside [0, {_KEY_MULT})")
    return np.asarray(game, np.int64) * _KEY_MULT + play


def _np(table: pa.Table, col: str, dtype=None) -> np.ndarray:
    arr = table.column(col).to_numpy()
    return arr if dtype is None else arr.astype(dtype)


def _str(table: pa.Table, col: str) -> np.ndarray:
    return np.array(table.column(col).to_pylist(), dtype=object)


def _codes(table: pa.Table, col: str) -> tuple[np.ndarray, list]:
    """Dictionary codes (-1 for null) and the dictionary of a (dictionary-typed) string column."""
    enc = table.column(col).unify_dictionaries().combine_chunks()
    if not pa.types.is_dictionary(enc.type):
        enc = enc.dictionary_encode()
    return pc.fill_null(enc.indices, -1).to_numpy().astype(np.int64), enc.dictionary.to_pylist()


def _run_lookup(sorted_keys: np.ndarray, key_R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``_lookup`` for rows that come in runs of equal keys (one play after another): one search
    per run instead of one per row."""
    starts = np.flatnonzero(np.r_[len(key_R) > 0, key_R[1:] != key_R[:-1]])
    reps = np.diff(np.r_[starts, len(key_R)])
    idx, found = _lookup(sorted_keys, key_R[starts])
    return np.repeat(idx, reps), np.repeat(found, reps)


def _code_mask(codes: np.ndarray, dictionary: list, values) -> np.ndarray:
    hit = np.array([v in values for v in dictionary] + [False], bool)  # index -1 -> False
    return hit[codes]


@dataclasses.dataclass
class _Plays:
    """Candidate plays (targeted passes with a game and yards), sorted by key, with attributes."""

    key: np.ndarray
    cols: dict[str, np.ndarray]  # plays.csv + games.csv columns per candidate
    static_extra: dict[str, np.ndarray]
    passer_pref: np.ndarray  # charted passer nflId or -1
    pressure_pff: np.ndarray  # float: 1/0 charted pressure, NaN when not charted
    all_keys: np.ndarray  # every plays.csv key (to spot tracking rows without a plays row)


class _Report:
    def __init__(self) -> None:
        self.dropped: list[dict[str, Any]] = []

    def drop(self, game, play, reason: str, detail: str | list[str] = "") -> None:
        game, play = np.atleast_1d(game).tolist(), np.atleast_1d(play).tolist()
        details = [detail] * len(game) if isinstance(detail, str) else detail
        for g, p, d in zip(game, play, details, strict=True):
            self.dropped.append({"gameId": int(g), "playId": int(p), "reason": reason, "detail": d})

    def counts(self) -> dict[str, int]:
        return dict(Counter(d["reason"] for d in self.dropped).most_common())


def _load_plays(src: Path, release: Release, report: _Report) -> tuple[_Plays, str]:
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
    game, play = _np(t, "gameId"), _np(t, "playId")
    key = _key(game, play)
    if len(np.unique(key)) != len(key):
        raise IngestError(f"{path}: duplicated (gameId, playId) rows")
    games = _load_games(src)
    gi, gi_ok = _lookup(games["gameId"], game)
    result = _str(t, "passResult")
    yards = _np(t, yards_col, float)
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
        name: _str(t, name)[sel] if name in str_cols else _np(t, name, float)[sel]
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
    passer, pressure = _load_charting(src, key[sel])
    return _Plays(key[sel], c, extra, passer, pressure, np.sort(key)), yards_col


def _load_games(src: Path) -> dict[str, np.ndarray]:
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
    game = _np(t, "gameId")
    order = np.argsort(game)
    out = {
        "gameId": game,
        "week": _np(t, "week", np.int64),
        "homeTeamAbbr": _str(t, "homeTeamAbbr"),
        "visitorTeamAbbr": _str(t, "visitorTeamAbbr"),
        # BDB 2021 has no season column; gameIds start with the date (2018090600)
        "season": _np(t, "season", np.int64) if "season" in cols else game // 1_000_000,
    }
    return {k: v[order] for k, v in out.items()}


def _load_charting(src: Path, key_P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Charted passer and pressure per candidate play, from pffScoutingData.csv (2023) or
    player_play.csv (2025) when present; -1 / NaN otherwise."""
    passer = np.full(len(key_P), -1, np.int64)
    pressure = np.full(len(key_P), np.nan)
    pff, pp = src / "pffScoutingData.csv", src / "player_play.csv"
    if pff.is_file():
        header = read_header(pff)
        press_cols = [c for c in PFF_PRESSURE_COLUMNS if c in header]
        t = read_csv(
            pff,
            list(PFF_COLUMNS) + press_cols,
            {"gameId": pa.int64(), "playId": pa.int64(), "pff_role": pa.string()},
        )
        is_passer = _str(t, "pff_role") == "Pass"
        flags = [np.nan_to_num(_np(t, c, float)) > 0 for c in press_cols]
        pressed = np.logical_or.reduce(flags) if flags else None
    elif pp.is_file():
        header = read_header(pp)
        press_cols = [PLAYER_PLAY_PRESSURE_COLUMN] if PLAYER_PLAY_PRESSURE_COLUMN in header else []
        t = read_csv(
            pp, list(PLAYER_PLAY_COLUMNS) + press_cols, {"gameId": pa.int64(), "playId": pa.int64()}
        )
        is_passer = _truthy(t, "hadDropback")
        pressed = _truthy(t, press_cols[0]) if press_cols else None
    else:
        return passer, pressure
    idx_R, found_R = _lookup(key_P, _key(_np(t, "gameId"), _np(t, "playId")))
    nid_R = np.nan_to_num(_np(t, "nflId", float), nan=-1).astype(np.int64)
    m = found_R & is_passer & (nid_R >= 0)
    # first charted passer per play (reversed assignment: the first row is written last)
    passer[idx_R[m][::-1]] = nid_R[m][::-1]
    if pressed is not None:
        charted = np.zeros(len(key_P), bool)
        charted[idx_R[found_R]] = True
        hit = np.zeros(len(key_P), bool)
        hit[idx_R[found_R & pressed]] = True
        pressure = np.where(charted, hit.astype(float), np.nan)
    return passer, pressure


def _truthy(t: pa.Table, col: str) -> np.ndarray:
    v = t.column(col)
    if pa.types.is_boolean(v.type):
        return pc.fill_null(v, False).to_numpy(zero_copy_only=False)
    if pa.types.is_string(v.type):
        return np.isin(_str(t, col), ("TRUE", "True", "true", "1"))
    return np.nan_to_num(_np(t, col, float)) > 0


def _load_players(src: Path) -> dict[str, np.ndarray]:
    path = src / "players.csv"
    if not path.is_file():
        raise IngestError(f"{src}: missing players.csv")
    header = read_header(path)
    cols = {name: first_present(header, c, path, name) for name, c in PLAYERS_COLUMNS.items()}
    t = read_csv(
        path, list(cols.values()), {cols["displayName"]: pa.string(), cols["position"]: pa.string()}
    )
    nid = _np(t, cols["nflId"], np.int64)
    order = np.argsort(nid)
    return {
        "nflId": nid[order],
        "displayName": _str(t, cols["displayName"])[order],
        "position": _str(t, cols["position"])[order],
    }


def _lookup(sorted_keys: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of each key in ``sorted_keys`` and whether it was found."""
    if len(sorted_keys) == 0:
        return np.zeros(len(keys), np.int64), np.zeros(len(keys), bool)
    idx = np.searchsorted(sorted_keys, keys)
    idx_c = np.minimum(idx, len(sorted_keys) - 1)
    return idx_c, sorted_keys[idx_c] == keys


@dataclasses.dataclass
class _Rows:
    """Tracking rows of one file's candidate plays; ``p`` is the play's index within the file."""

    n: int  # plays in this file
    p: np.ndarray
    frame: np.ndarray
    nid: np.ndarray  # -1 for the ball
    x: np.ndarray
    y: np.ndarray
    s: np.ndarray
    a: np.ndarray
    o: np.ndarray
    dir: np.ndarray
    ball: np.ndarray
    offense: np.ndarray
    qb: np.ndarray
    events: tuple[np.ndarray, list]  # dictionary codes, dictionary

    def per_play(self, mask_R: np.ndarray, values_R: np.ndarray) -> np.ndarray:
        """Per play, the value of the (single) row selected by ``mask_R``; NaN where none."""
        out = np.full(self.n, np.nan)
        out[self.p[mask_R]] = values_R[mask_R]
        return out

    def event_frame(self, groups, after_P: np.ndarray | None = None) -> np.ndarray:
        """First frame of an event of the first group present (manual, then automatic); else -1."""
        out = np.full(self.n, -1)
        for names in groups:
            mask = _code_mask(*self.events, names)
            out = np.where(out < 0, F.first_frame(self.p, self.frame, mask, self.n, after_P), out)
        return out


@dataclasses.dataclass
class _WeekOut:
    cand: np.ndarray  # kept candidate indices, in store order
    tracking: np.ndarray  # [frames, 22, 8]
    lengths: np.ndarray
    presence: np.ndarray
    attrs: dict[str, np.ndarray]  # per kept play: los, air_yards, passer_id, ... from tracking


def _read_rows(
    path: Path,
    release: Release,
    plays: _Plays,
    players: dict[str, np.ndarray],
    done: np.ndarray,
    report: _Report,
) -> tuple[_Rows, np.ndarray, np.ndarray, int]:
    """Rows of the not yet ingested candidate plays of one tracking file (orphans are reported).

    Returns the rows, the file's candidate indices, its plays' left-direction flags, and the number
    of rows read.
    """
    cols = dict(release.tracking_columns)
    header = read_header(path)
    cols.update({k: v for k, v in release.tracking_optional.items() if v in header})
    strings = [c for c in ("team", "playDirection", "event", "position") if c in cols]
    numbers = ["x", "y", "s", "a", "o", "dir"]
    want = ["gameId", "playId", "nflId", "frameId"] + strings + numbers
    types = (
        {"gameId": pa.int64(), "playId": pa.int64(), "frameId": pa.int64(), "nflId": pa.float64()}
        | dict.fromkeys(strings, _DICT)
        | dict.fromkeys(numbers, pa.float64())
    )
    t = read_csv(path, [cols[c] for c in want], {cols[c]: v for c, v in types.items()})
    t = t.rename_columns(want)
    n_rows = t.num_rows

    key_R = _key(_np(t, "gameId"), _np(t, "playId"))
    _, in_plays = _run_lookup(plays.all_keys, key_R)
    if not in_plays.all():
        orphan = np.unique(key_R[~in_plays])
        report.drop(orphan // _KEY_MULT, orphan % _KEY_MULT, "tracking_without_play_row", path.name)
    cand_R, is_cand = _run_lookup(plays.key, key_R)
    keep_R = is_cand & ~done[cand_R]
    if not keep_R.all():
        t = t.filter(pa.array(keep_R))
        cand_R = cand_R[keep_R]
    cands = np.flatnonzero(np.bincount(cand_R, minlength=len(done)))
    done[cands] = True
    local_of_cand = np.zeros(len(done), np.int64)
    local_of_cand[cands] = np.arange(len(cands))
    p_R = local_of_cand[cand_R]

    nid_R = np.nan_to_num(_np(t, "nflId"), nan=-1).astype(np.int64)
    team_R, team_dict = _codes(t, "team")
    ball_R = _code_mask(team_R, team_dict, ("football",)) | (nid_R < 0)
    # offense = the possession team's label; BDB 2021 style files label teams "home"/"away"
    poss = plays.cols["possessionTeam"][cands]
    if {v for v in team_dict if v is not None} <= {"home", "away", "football"}:
        poss = np.where(poss == plays.cols["homeTeamAbbr"][cands], "home", "away")
    team_index = {v: i for i, v in enumerate(team_dict)}
    off_code_P = np.array([team_index.get(v, -2) for v in poss], np.int64)
    if "position" in t.column_names:
        qb_R = _code_mask(*_codes(t, "position"), ("QB",))
    else:
        pi, found = _lookup(players["nflId"], nid_R)
        qb_R = found & (players["position"][pi] == "QB")
    left_P = np.zeros(len(cands), bool)
    left_P[p_R] = _code_mask(*_codes(t, "playDirection"), ("left",))
    rows = _Rows(
        n=len(cands),
        p=p_R,
        frame=_np(t, "frameId"),
        nid=nid_R,
        **{c: _np(t, c) for c in numbers},
        ball=ball_R,
        offense=~ball_R & (team_R == off_code_P[p_R]),
        qb=qb_R,
        events=_codes(t, "event"),
    )
    if len(nid_R) and (rows.frame.max() >= 1 << 20 or nid_R.max() >= (1 << 20) - 1):
        raise IngestError(f"{path}: frameId or nflId beyond 2^20")
    return rows, cands, left_P, n_rows


def _duplicated(r: _Rows) -> np.ndarray:
    """Plays with two rows for one (player, frame)."""
    # (play, player, frame) order: files sorted by play and player sort in linear time (timsort)
    key = np.sort((r.p << 40) | ((r.nid + 1) << 20) | r.frame, kind="stable")
    dup = np.zeros(r.n, bool)
    dup[key[1:][key[1:] == key[:-1]] >> 40] = True
    return dup


def _passer(r: _Rows, charted_P: np.ndarray, at_snap_R: np.ndarray, ball_x_P, ball_y_P):
    """The charted passer, else the offensive QB nearest the ball at the snap (-1: none)."""
    qb_rows = np.flatnonzero(at_snap_R & r.offense & r.qb)
    d = np.hypot(r.x[qb_rows] - ball_x_P[r.p[qb_rows]], r.y[qb_rows] - ball_y_P[r.p[qb_rows]])
    nearest = qb_rows[F.rank_within_groups(r.p[qb_rows], np.nan_to_num(d, nan=np.inf)) == 0]
    fallback_P = np.full(r.n, -1)
    fallback_P[r.p[nearest]] = r.nid[nearest]
    return np.where(charted_P < 0, fallback_P, charted_P)


def _process_week(
    path: Path,
    release: Release,
    plays: _Plays,
    players: dict[str, np.ndarray],
    done: np.ndarray,
    report: _Report,
) -> tuple[_WeekOut, int]:
    """Checks, slots and features of one tracking file's plays (all vectorized over rows)."""
    r, cands, left_P, n_rows = _read_rows(path, release, plays, players, done, report)
    n = r.n
    reason = np.full(n, "", object)

    def flag(mask_P, code):  # the first failing check names the reason
        reason[(reason == "") & mask_P] = code

    snap_P = r.event_frame(SNAP_EVENTS)
    release_P = r.event_frame(RELEASE_EVENTS, after_P=np.maximum(snap_P, 0))
    arrival_P = r.event_frame((ARRIVAL_EVENTS,), after_P=np.maximum(release_P, 0))
    flag(_duplicated(r), "duplicate_rows")
    flag(snap_P < 0, "no_snap")
    flag(release_P < 0, "no_release")

    at_snap_R = r.frame == snap_P[r.p]
    ball_x_P, ball_y_P = r.per_play(r.ball & at_snap_R, r.x), r.per_play(r.ball & at_snap_R, r.y)
    flag(np.isnan(ball_x_P), "no_ball_row")
    passer_P = _passer(r, plays.passer_pref[cands], at_snap_R & ~r.ball, ball_x_P, ball_y_P)
    flag(passer_P < 0, "no_passer")
    passer_R = r.nid == passer_P[r.p]
    px_P, py_P = r.per_play(passer_R & at_snap_R, r.x), r.per_play(passer_R & at_snap_R, r.y)
    flag(np.isnan(px_P), "passer_not_tracked")

    # slots at the snap: side * 11 + rank (passer first, then by distance to the passer)
    snap_rows = np.flatnonzero(at_snap_R & ~r.ball)
    sp = r.p[snap_rows]
    dist = np.hypot(r.x[snap_rows] - px_P[sp], r.y[snap_rows] - py_P[sp])
    defense_S = ~r.offense[snap_rows]
    slot_S = F.assign_slots(sp, defense_S, passer_R[snap_rows], np.nan_to_num(dist, nan=np.inf))
    over = np.zeros(n, bool)
    over[sp[slot_S - F.SLOTS_PER_SIDE * defense_S >= F.SLOTS_PER_SIDE]] = True
    flag(over, "too_many_players")

    # the snap..release window of player rows: no NA, every snap player in every frame
    win = np.flatnonzero(~r.ball & (r.frame >= snap_P[r.p]) & (r.frame <= release_P[r.p]))
    wp = r.p[win]
    na_cols = {
        c: np.bincount(wp[np.isnan(getattr(r, c)[win])], minlength=n) > 0
        for c in ("x", "y", "s", "a", "dir")
    }
    flag(np.logical_or.reduce(list(na_cols.values())), "missing_tracking_values")
    n_frames_P = release_P - snap_P + 1
    snap_key = (sp << 21) | r.nid[snap_rows]
    order = np.argsort(snap_key)
    si, found = _lookup(snap_key[order], (wp << 21) | r.nid[win])
    incomplete = np.zeros(n, bool)
    incomplete[wp[~found]] = True  # a player who was not on the field at the snap
    counts = np.bincount(si[found], minlength=len(snap_rows))
    incomplete[sp[order][counts != n_frames_P[sp[order]]]] = True
    flag(incomplete, "frames_missing")

    for code in np.unique(reason[reason != ""]):
        m = np.flatnonzero(reason == code)
        detail = [path.name] * len(m)
        if code == "missing_tracking_values":  # name the columns; one string per bad play: cheap
            detail = [f"{path.name}: NA in {[c for c, v in na_cols.items() if v[i]]}" for i in m]
        report.drop(plays.cols["gameId"][cands[m]], plays.cols["playId"][cands[m]], code, detail)

    # features of the kept plays' window rows, scattered to (frame, slot)
    keep_P = reason == ""
    out_P = np.cumsum(keep_P) - 1
    lengths = n_frames_P[keep_P].astype(np.int32)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    los_P = np.where(left_P, F.FIELD_LENGTH - ball_x_P, ball_x_P)
    kw = keep_P[wp]
    rows, wpk = win[kw], wp[kw]
    tracking = np.zeros((offsets[-1], N_SLOTS, N_FEATURES), np.float32)
    feats = F.frame_features(
        left_P[wpk], r.x[rows], r.y[rows], r.s[rows], r.a[rows], r.dir[rows], r.o[rows], los_P[wpk]
    )
    tracking[offsets[out_P[wpk]] + r.frame[rows] - snap_P[wpk], slot_S[order][si][kw]] = feats
    presence = np.zeros((int(keep_P.sum()), N_SLOTS), bool)
    ks = keep_P[sp]
    presence[out_P[sp[ks]], slot_S[ks]] = True

    # split attributes: nearest defender at the release, air yards at the pass's arrival
    at_rel_R = r.frame == release_P[r.p]
    qx_P, qy_P = r.per_play(passer_R & at_rel_R, r.x), r.per_play(passer_R & at_rel_R, r.y)
    dr = np.flatnonzero(at_rel_R & ~r.ball & ~r.offense)
    nearest_P = np.full(n, np.inf)
    np.minimum.at(nearest_P, r.p[dr], np.hypot(r.x[dr] - qx_P[r.p[dr]], r.y[dr] - qy_P[r.p[dr]]))
    arrival_x_P = r.per_play(r.ball & (r.frame == arrival_P[r.p]) & (arrival_P[r.p] >= 0), r.x)
    air_P = np.where(left_P, F.FIELD_LENGTH - arrival_x_P, arrival_x_P) - los_P

    k = keep_P
    attrs = {
        "los_x": los_P[k],
        "air_yards": air_P[k],
        "passer_id": passer_P[k],
        "nearest_defender_yds": np.where(np.isinf(nearest_P), np.nan, nearest_P)[k],
        "snap_frameId": snap_P[k],
        "release_frameId": release_P[k],
        "play_direction": np.where(left_P[k], "left", "right"),
    }
    return _WeekOut(cands[k], tracking, lengths, presence, attrs), n_rows


def _play_table(
    plays: _Plays,
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
    pi, found = _lookup(players["nflId"], attrs["passer_id"])
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
    report = _Report()
    t0 = time.perf_counter()
    plays, yards_col = _load_plays(src, release, report)
    players = _load_players(src)
    done = np.zeros(len(plays.key), bool)
    weeks_given = {week_of_file(f) for f in files}
    n_rows = 0
    tables: list[dict] = []
    with StoreWriter(out_dir, overwrite=overwrite) as writer:
        bar = tqdm(files, desc="ingest", unit="file", disable=not progress)
        for f in bar:
            wk, rows = _process_week(f, release, plays, players, done, report)
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
            report_md=_report_md(rep),
        )


def _report_md(rep: dict[str, Any]) -> str:
    lines = [
        f"# Ingest report: {rep['source']}",
        "",
        f"Release {rep['release']} ({len(rep['tracking_files'])} tracking files, "
        f"{rep['tracking_rows']:,} rows, {rep['rows_per_second']:,} rows/s); "
        f"{rep['plays_kept']} plays kept, {rep['plays_dropped']} dropped.",
        "",
        "| reason | plays | meaning |",
        "|---|---:|---|",
    ]
    lines += [f"| {r} | {n} | {REASONS[r]} |" for r, n in rep["dropped_counts"].items()]
    lines += [
        "",
        "## Dropped plays",
        "",
        "| gameId | playId | reason | detail |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {d['gameId']} | {d['playId']} | {d['reason']} | {d['detail']} |" for d in rep["dropped"]
    ]
    return "\n".join(lines) + "\n"


def report_json(store: PlayStore) -> dict[str, Any]:
    """The ingest report of a store."""
    return json.loads((store.path / "ingest_report.json").read_text())
