"""One tracking file's plays -> checked, slotted snap..release windows of features.

Everything is vectorized NumPy over rows, in named stages (`process_week` runs them in order):
events -> snap (ball, passer, slots) -> window (NA and missing-frame checks) -> drops reported ->
features scattered to (frame, slot) -> split attributes. A play failing a check is dropped with the
first failing check's reason (see `ingest_report.REASONS`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pyarrow as pa

from sbp_jax.data import features as F
from sbp_jax.data.columns import DICT, IngestError, code_mask, codes_of, file_play_key, values_of
from sbp_jax.data.ingest_report import DropReport
from sbp_jax.data.keys import lookup, run_lookup, split_key
from sbp_jax.data.layout import N_FEATURES, N_SLOTS
from sbp_jax.data.play_tables import Plays
from sbp_jax.data.schemas import Release, read_csv, read_header

SNAP_EVENTS = (("ball_snap",), ("autoevent_ballsnap",))  # manual first, automatic as fallback


RELEASE_EVENTS = (("pass_forward", "pass_shovel"), ("autoevent_passforward",))


ARRIVAL_EVENTS = (
    "pass_arrived",
    "pass_outcome_caught",
    "pass_outcome_incomplete",
    "pass_outcome_interception",
    "pass_outcome_touchdown",
)


@dataclasses.dataclass
class Rows:
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

    def event_frame(self, groups, after_N: np.ndarray | None = None) -> np.ndarray:
        """First frame of an event of the first group present (manual, then automatic); else -1."""
        out = np.full(self.n, -1)
        for names in groups:
            mask = code_mask(*self.events, names)
            out = np.where(out < 0, F.first_frame(self.p, self.frame, mask, self.n, after_N), out)
        return out


@dataclasses.dataclass
class WeekOut:
    cand: np.ndarray  # kept candidate indices, in store order
    tracking: np.ndarray  # [frames, 22, 8]
    lengths: np.ndarray
    presence: np.ndarray
    attrs: dict[str, np.ndarray]  # per kept play: los, air_yards, passer_id, ... from tracking


def read_rows(
    path: Path,
    release: Release,
    plays: Plays,
    players: dict[str, np.ndarray],
    done: np.ndarray,
    report: DropReport,
) -> tuple[Rows, np.ndarray, np.ndarray, int]:
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
        | dict.fromkeys(strings, DICT)
        | dict.fromkeys(numbers, pa.float64())
    )
    t = read_csv(path, [cols[c] for c in want], {cols[c]: v for c, v in types.items()})
    t = t.rename_columns(want)
    n_rows = t.num_rows

    key_R = file_play_key(values_of(t, "gameId"), values_of(t, "playId"), path)
    _, in_plays = run_lookup(plays.all_keys, key_R)
    if not in_plays.all():
        orphan = np.unique(key_R[~in_plays])
        report.drop(*split_key(orphan), "tracking_without_play_row", path.name)
    cand_R, is_cand = run_lookup(plays.key, key_R)
    keep_R = is_cand & ~done[cand_R]
    if not keep_R.all():
        t = t.filter(pa.array(keep_R))
        cand_R = cand_R[keep_R]
    cands = np.flatnonzero(np.bincount(cand_R, minlength=len(done)))
    done[cands] = True
    local_of_cand = np.zeros(len(done), np.int64)
    local_of_cand[cands] = np.arange(len(cands))
    p_R = local_of_cand[cand_R]

    nid_R = np.nan_to_num(values_of(t, "nflId"), nan=-1).astype(np.int64)
    team_R, team_dict = codes_of(t, "team")
    ball_R = code_mask(team_R, team_dict, ("football",)) | (nid_R < 0)
    # offense = the possession team's label; BDB 2021 style files label teams "home"/"away"
    poss = plays.cols["possessionTeam"][cands]
    if {v for v in team_dict if v is not None} <= {"home", "away", "football"}:
        poss = np.where(poss == plays.cols["homeTeamAbbr"][cands], "home", "away")
    team_index = {v: i for i, v in enumerate(team_dict)}
    off_code_N = np.array([team_index.get(v, -2) for v in poss], np.int64)
    if "position" in t.column_names:
        qb_R = code_mask(*codes_of(t, "position"), ("QB",))
    else:
        pi, found = lookup(players["nflId"], nid_R)
        qb_R = found & (players["position"][pi] == "QB")
    left_N = np.zeros(len(cands), bool)
    left_N[p_R] = code_mask(*codes_of(t, "playDirection"), ("left",))
    rows = Rows(
        n=len(cands),
        p=p_R,
        frame=values_of(t, "frameId"),
        nid=nid_R,
        **{c: values_of(t, c) for c in numbers},
        ball=ball_R,
        offense=~ball_R & (team_R == off_code_N[p_R]),
        qb=qb_R,
        events=codes_of(t, "event"),
    )
    if len(nid_R) and (rows.frame.max() >= 1 << 20 or nid_R.max() >= (1 << 20) - 1):
        raise IngestError(f"{path}: frameId or nflId beyond 2^20")
    return rows, cands, left_N, n_rows


def _duplicated(r: Rows) -> np.ndarray:
    """Plays with two rows for one (player, frame)."""
    # (play, player, frame) order: files sorted by play and player sort in linear time (timsort)
    key = np.sort((r.p << 40) | ((r.nid + 1) << 20) | r.frame, kind="stable")
    dup = np.zeros(r.n, bool)
    dup[key[1:][key[1:] == key[:-1]] >> 40] = True
    return dup


def _passer(r: Rows, charted_N: np.ndarray, at_snap_R: np.ndarray, ball_x_N, ball_y_N):
    """The charted passer, else the offensive QB nearest the ball at the snap (-1: none)."""
    qb_rows = np.flatnonzero(at_snap_R & r.offense & r.qb)
    d = np.hypot(r.x[qb_rows] - ball_x_N[r.p[qb_rows]], r.y[qb_rows] - ball_y_N[r.p[qb_rows]])
    nearest = qb_rows[F.rank_within_groups(r.p[qb_rows], np.nan_to_num(d, nan=np.inf)) == 0]
    fallback_N = np.full(r.n, -1)
    fallback_N[r.p[nearest]] = r.nid[nearest]
    return np.where(charted_N < 0, fallback_N, charted_N)


class _Checks:
    """Per-play drop reasons of one file; the first failing check names a play's reason."""

    def __init__(self, n: int) -> None:
        self.reason = np.full(n, "", object)

    def flag(self, mask_N: np.ndarray, code: str) -> None:
        self.reason[(self.reason == "") & mask_N] = code

    @property
    def keep(self) -> np.ndarray:
        return self.reason == ""


@dataclasses.dataclass
class _Events:
    """Per play of a file: the snap, release and arrival frames (-1 where missing)."""

    snap: np.ndarray
    release: np.ndarray
    arrival: np.ndarray


def _events(r: Rows, checks: _Checks) -> _Events:
    """Snap, release (after the snap) and arrival (after the release); drops duplicated rows and
    plays without a snap or release."""
    snap_N = r.event_frame(SNAP_EVENTS)
    release_N = r.event_frame(RELEASE_EVENTS, after_N=np.maximum(snap_N, 0))
    arrival_N = r.event_frame((ARRIVAL_EVENTS,), after_N=np.maximum(release_N, 0))
    checks.flag(_duplicated(r), "duplicate_rows")
    checks.flag(snap_N < 0, "no_snap")
    checks.flag(release_N < 0, "no_release")
    return _Events(snap_N, release_N, arrival_N)


@dataclasses.dataclass
class _Snap:
    """Who is where at the snap: the ball, the passer, and every player row's slot."""

    ball_x: np.ndarray  # [n] ball at the snap (file coordinates)
    passer: np.ndarray  # [n] passer nflId (-1: none)
    passer_R: np.ndarray  # [R] row belongs to the passer
    rows: np.ndarray  # player rows at the snap
    slot: np.ndarray  # slot of each of those rows


def _snap(r: Rows, ev: _Events, charted_N: np.ndarray, checks: _Checks) -> _Snap:
    """Ball, passer and slots at the snap: side * 11 + rank (passer first, then by distance to the
    passer); drops plays without a ball row or passer, or with more than 11 players on a side."""
    at_snap_R = r.frame == ev.snap[r.p]
    ball_x_N, ball_y_N = r.per_play(r.ball & at_snap_R, r.x), r.per_play(r.ball & at_snap_R, r.y)
    checks.flag(np.isnan(ball_x_N), "no_ball_row")
    passer_N = _passer(r, charted_N, at_snap_R & ~r.ball, ball_x_N, ball_y_N)
    checks.flag(passer_N < 0, "no_passer")
    passer_R = r.nid == passer_N[r.p]
    px_N, py_N = r.per_play(passer_R & at_snap_R, r.x), r.per_play(passer_R & at_snap_R, r.y)
    checks.flag(np.isnan(px_N), "passer_not_tracked")

    rows = np.flatnonzero(at_snap_R & ~r.ball)
    sp = r.p[rows]
    dist = np.hypot(r.x[rows] - px_N[sp], r.y[rows] - py_N[sp])
    defense = ~r.offense[rows]
    slot = F.assign_slots(sp, defense, passer_R[rows], np.nan_to_num(dist, nan=np.inf))
    over = np.zeros(r.n, bool)
    over[sp[slot - F.SLOTS_PER_SIDE * defense >= F.SLOTS_PER_SIDE]] = True
    checks.flag(over, "too_many_players")
    return _Snap(ball_x_N, passer_N, passer_R, rows, slot)


@dataclasses.dataclass
class _Window:
    """Player rows from the snap to the release, with the slot of each."""

    rows: np.ndarray
    slot: (
        np.ndarray
    )  # slot of each window row (valid where its player was on the field at the snap)
    na_cols: dict[str, np.ndarray]  # column -> [n] play has an NA in it


def _window(r: Rows, ev: _Events, snap: _Snap, checks: _Checks) -> _Window:
    """The snap..release rows; drops plays with NA values or a player missing frames."""
    win = np.flatnonzero(~r.ball & (r.frame >= ev.snap[r.p]) & (r.frame <= ev.release[r.p]))
    wp = r.p[win]
    na_cols = {
        c: np.bincount(wp[np.isnan(getattr(r, c)[win])], minlength=r.n) > 0
        for c in ("x", "y", "s", "a", "dir")
    }
    checks.flag(np.logical_or.reduce(list(na_cols.values())), "missing_tracking_values")
    sp = r.p[snap.rows]
    snap_key = (sp << 21) | r.nid[snap.rows]
    order = np.argsort(snap_key)
    si, found = lookup(snap_key[order], (wp << 21) | r.nid[win])
    incomplete = np.zeros(r.n, bool)
    incomplete[wp[~found]] = True  # a player who was not on the field at the snap
    counts = np.bincount(si[found], minlength=len(snap.rows))
    n_frames_N = ev.release - ev.snap + 1
    incomplete[sp[order][counts != n_frames_N[sp[order]]]] = True
    checks.flag(incomplete, "frames_missing")
    return _Window(win, snap.slot[order][si], na_cols)


def _report_drops(
    path: Path, plays: Plays, cands: np.ndarray, checks: _Checks, win: _Window, report: DropReport
) -> None:
    for code in np.unique(checks.reason[~checks.keep]):
        m = np.flatnonzero(checks.reason == code)
        detail = [path.name] * len(m)
        if code == "missing_tracking_values":  # name the columns; one string per bad play: cheap
            detail = [
                f"{path.name}: NA in {[c for c, v in win.na_cols.items() if v[i]]}" for i in m
            ]
        report.drop(plays.cols["gameId"][cands[m]], plays.cols["playId"][cands[m]], code, detail)


def _scatter_features(
    r: Rows, ev: _Events, snap: _Snap, win: _Window, left_N: np.ndarray, keep_N: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features of the kept plays' window rows scattered to (frame, slot): tracking [frames, 22, 8],
    lengths and presence [kept, 22]."""
    out_N = np.cumsum(keep_N) - 1
    lengths = (ev.release - ev.snap + 1)[keep_N].astype(np.int32)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    los_N = _line_of_scrimmage(snap, left_N)
    wp = r.p[win.rows]
    kw = keep_N[wp]
    rows, wpk = win.rows[kw], wp[kw]
    tracking = np.zeros((offsets[-1], N_SLOTS, N_FEATURES), np.float32)
    feats = F.frame_features(
        left_N[wpk], r.x[rows], r.y[rows], r.s[rows], r.a[rows], r.dir[rows], r.o[rows], los_N[wpk]
    )
    tracking[offsets[out_N[wpk]] + r.frame[rows] - ev.snap[wpk], win.slot[kw]] = feats
    presence = np.zeros((int(keep_N.sum()), N_SLOTS), bool)
    sp = r.p[snap.rows]
    ks = keep_N[sp]
    presence[out_N[sp[ks]], snap.slot[ks]] = True
    return tracking, lengths, presence


def _line_of_scrimmage(snap: _Snap, left_N: np.ndarray) -> np.ndarray:
    """Ball x at the snap, in coordinates where the offense moves toward +x."""
    return np.where(left_N, F.FIELD_LENGTH - snap.ball_x, snap.ball_x)


def _split_attributes(
    r: Rows, ev: _Events, snap: _Snap, left_N: np.ndarray, keep_N: np.ndarray
) -> dict[str, np.ndarray]:
    """Per kept play: nearest defender to the passer at the release, air yards at the pass's
    arrival, and the frames and direction that define the window."""
    at_rel_R = r.frame == ev.release[r.p]
    passer_R = snap.passer_R
    qx_N, qy_N = r.per_play(passer_R & at_rel_R, r.x), r.per_play(passer_R & at_rel_R, r.y)
    dr = np.flatnonzero(at_rel_R & ~r.ball & ~r.offense)
    nearest_N = np.full(r.n, np.inf)
    np.minimum.at(nearest_N, r.p[dr], np.hypot(r.x[dr] - qx_N[r.p[dr]], r.y[dr] - qy_N[r.p[dr]]))
    arrival_x_N = r.per_play(r.ball & (r.frame == ev.arrival[r.p]) & (ev.arrival[r.p] >= 0), r.x)
    los_N = _line_of_scrimmage(snap, left_N)
    air_N = np.where(left_N, F.FIELD_LENGTH - arrival_x_N, arrival_x_N) - los_N
    k = keep_N
    return {
        "los_x": los_N[k],
        "air_yards": air_N[k],
        "passer_id": snap.passer[k],
        "nearest_defender_yds": np.where(np.isinf(nearest_N), np.nan, nearest_N)[k],
        "snap_frameId": ev.snap[k],
        "release_frameId": ev.release[k],
        "play_direction": np.where(left_N[k], "left", "right"),
    }


def process_week(
    path: Path,
    release: Release,
    plays: Plays,
    players: dict[str, np.ndarray],
    done: np.ndarray,
    report: DropReport,
) -> tuple[WeekOut, int]:
    """Checks, slots and features of one tracking file's plays (all vectorized over rows)."""
    r, cands, left_N, n_rows = read_rows(path, release, plays, players, done, report)
    checks = _Checks(r.n)
    ev = _events(r, checks)
    snap = _snap(r, ev, plays.passer_pref[cands], checks)
    win = _window(r, ev, snap, checks)
    _report_drops(path, plays, cands, checks, win, report)
    keep_N = checks.keep
    tracking, lengths, presence = _scatter_features(r, ev, snap, win, left_N, keep_N)
    attrs = _split_attributes(r, ev, snap, left_N, keep_N)
    return WeekOut(cands[keep_N], tracking, lengths, presence, attrs), n_rows
