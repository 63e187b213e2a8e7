"""One tracking file's plays -> checked, slotted snap..release windows of features.

Everything is vectorized NumPy over rows, in named stages (`process_week` runs them in order):
read (`tracking_rows`) -> events -> snap (ball, passer, slots) -> window (NA, missing-frame and
range checks) -> drops reported -> features scattered to (frame, slot) -> split attributes and
target. A play failing a check is dropped with the first failing check's reason (see
`ingest_report.REASONS`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from sbp_jax.data import features as F
from sbp_jax.data import target as TG
from sbp_jax.data.ingest_report import DropReport
from sbp_jax.data.keys import lookup
from sbp_jax.data.layout import N_FEATURES, N_SLOTS
from sbp_jax.data.play_tables import Plays
from sbp_jax.data.schemas import Release
from sbp_jax.data.tracking_rows import Rows, read_rows
from sbp_jax.data.validate import range_problems

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
class WeekOut:
    cand: np.ndarray  # kept candidate indices, in store order
    tracking: np.ndarray  # [frames, 22, 8]
    lengths: np.ndarray
    presence: np.ndarray
    attrs: dict[str, np.ndarray]  # per kept play: los, air_yards, passer_id, ... from tracking


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
    nearest = qb_rows[
        F.rank_within_groups(r.p[qb_rows], np.nan_to_num(d, nan=np.inf), r.nid[qb_rows]) == 0
    ]
    fallback_N = np.full(r.n, -1)
    fallback_N[r.p[nearest]] = r.nid[nearest]
    return np.where(charted_N < 0, fallback_N, charted_N)


class _Checks:
    """Per-play drop reasons of one file; the first failing check names a play's reason, and its
    detail (default: the file name)."""

    def __init__(self, n: int, path: Path) -> None:
        self.reason = np.full(n, "", object)
        self.detail = np.full(n, path.name, object)
        self.path = path

    def flag(self, mask_N: np.ndarray, code: str, detail_N: np.ndarray | None = None) -> None:
        new = (self.reason == "") & mask_N
        self.reason[new] = code
        if detail_N is not None:
            self.detail[new] = [f"{self.path.name}: {d}" for d in detail_N[new]]

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
    """Snap, release (after the snap) and arrival (after the release); drops plays with rows
    without nflId, an unknown direction, duplicated rows, or without a snap or release. Without
    events (BDB 2026) the snap is the first frame and the release the last."""
    checks.flag(r.missing_nid, "missing_nflId")
    checks.flag(r.bad_direction != None, "bad_play_direction", r.bad_direction)  # noqa: E711
    checks.flag(_duplicated(r), "duplicate_rows")
    if r.events is None:
        snap_N = F.first_frame(r.p, r.frame, ~r.ball, r.n)
        release_N = np.full(r.n, -1)
        np.maximum.at(release_N, r.p, r.frame)
        return _Events(snap_N, release_N, np.full(r.n, -1))
    snap_N = r.event_frame(SNAP_EVENTS)
    release_N = r.event_frame(RELEASE_EVENTS, after_N=np.maximum(snap_N, 0))
    arrival_N = r.event_frame((ARRIVAL_EVENTS,), after_N=np.maximum(release_N, 0))
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
    passer, then by nflId); drops plays without a ball row (BDB 2026: line of scrimmage) or
    passer, or with more than 11 players on a side."""
    at_snap_R = r.frame == ev.snap[r.p]
    ball_x_N, ball_y_N = r.per_play(r.ball & at_snap_R, r.x), r.per_play(r.ball & at_snap_R, r.y)
    if "losX" in r.given:
        ball_x_N = r.given["losX"]
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
    slot = F.assign_slots(sp, defense, passer_R[rows], np.nan_to_num(dist, nan=np.inf), r.nid[rows])
    over = np.zeros(r.n, bool)
    over[sp[slot - F.SLOTS_PER_SIDE * defense >= F.SLOTS_PER_SIDE]] = True
    checks.flag(over, "too_many_players")
    return _Snap(ball_x_N, passer_N, passer_R, rows, slot)


@dataclasses.dataclass
class _Window:
    """Player rows from the snap to the release, with the slot of each."""

    rows: np.ndarray
    slot: np.ndarray  # of each window row (valid where its player was on the field at the snap)


def _window(r: Rows, ev: _Events, snap: _Snap, checks: _Checks) -> _Window:
    """The snap..release rows; drops plays with NA values, a player missing frames, or a value
    out of its physical range (validate.RANGES; ball rows at the snap and arrival included)."""
    win_R = ~r.ball & (r.frame >= ev.snap[r.p]) & (r.frame <= ev.release[r.p])
    win = np.flatnonzero(win_R)
    wp = r.p[win]
    na_cols = {
        c: np.bincount(r.p[np.isnan(getattr(r, c)) & win_R], minlength=r.n) > 0
        for c in ("x", "y", "s", "a", "dir")
    }
    any_na = np.logical_or.reduce(list(na_cols.values()))
    na_N = np.full(r.n, None, object)  # name every NA column of a play (few plays: cheap)
    na_N[any_na] = [
        f"NA in {[c for c, v in na_cols.items() if v[i]]}" for i in np.flatnonzero(any_na)
    ]
    checks.flag(any_na, "missing_tracking_values", na_N)
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

    problems = np.full(r.n, None, object)
    order_R = (r.frame << 21) | (r.nid + 1)
    columns = {c: getattr(r, c) for c in RANGE_COLUMNS}
    range_problems(checks.path, r.p, order_R, columns, problems, win_R)
    ball = np.flatnonzero(r.ball & ((r.frame == ev.snap[r.p]) | (r.frame == ev.arrival[r.p])))
    range_problems(
        checks.path, r.p[ball], order_R[ball], {"x": r.x[ball], "y": r.y[ball]}, problems
    )
    given = {RELEASE_2026_NAMES[k]: v for k, v in r.given.items() if k in RELEASE_2026_NAMES}
    range_problems(checks.path, np.arange(r.n), np.zeros(r.n, np.int64), given, problems)
    checks.flag(problems != None, "value_out_of_range", problems)  # noqa: E711
    return _Window(win, snap.slot[order][si])


RANGE_COLUMNS = ("x", "y", "s", "a", "dir", "o")
RELEASE_2026_NAMES = {
    "losX": "absolute_yardline_number",
    "landX": "ball_land_x",
    "landY": "ball_land_y",
}


def _report_drops(plays: Plays, cands: np.ndarray, checks: _Checks, report: DropReport) -> None:
    for code in np.unique(checks.reason[~checks.keep]):
        m = np.flatnonzero(checks.reason == code)
        report.drop(
            plays.cols["gameId"][cands[m]],
            plays.cols["playId"][cands[m]],
            code,
            checks.detail[m].tolist(),
        )


def _scatter_features(
    r: Rows, ev: _Events, snap: _Snap, win: _Window, keep_N: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features of the kept plays' window rows scattered to (frame, slot): tracking [frames, 22, 8],
    lengths and presence [kept, 22]."""
    out_N = np.cumsum(keep_N) - 1
    lengths = (ev.release - ev.snap + 1)[keep_N].astype(np.int32)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    los_N = _line_of_scrimmage(snap, r.left)
    wp = r.p[win.rows]
    kw = keep_N[wp]
    rows, wpk = win.rows[kw], wp[kw]
    tracking = np.zeros((offsets[-1], N_SLOTS, N_FEATURES), np.float32)
    feats = F.frame_features(
        r.left[wpk], r.x[rows], r.y[rows], r.s[rows], r.a[rows], r.dir[rows], r.o[rows], los_N[wpk]
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
    r: Rows, ev: _Events, snap: _Snap, charted_target_N: np.ndarray, keep_N: np.ndarray
) -> dict[str, np.ndarray]:
    """Per kept play: nearest defender to the passer at the release, air yards at the pass's
    arrival (BDB 2026: ball_land_x), the target, and the frames and direction of the window."""
    at_rel_R = r.frame == ev.release[r.p]
    passer_R = snap.passer_R
    qx_N, qy_N = r.per_play(passer_R & at_rel_R, r.x), r.per_play(passer_R & at_rel_R, r.y)
    dr = np.flatnonzero(at_rel_R & ~r.ball & ~r.offense)
    nearest_N = np.full(r.n, np.inf)
    np.fmin.at(nearest_N, r.p[dr], np.hypot(r.x[dr] - qx_N[r.p[dr]], r.y[dr] - qy_N[r.p[dr]]))
    arrival_x_N = r.per_play(r.ball & (r.frame == ev.arrival[r.p]) & (ev.arrival[r.p] >= 0), r.x)
    if "landX" in r.given:
        arrival_x_N = r.given["landX"]
    los_N = _line_of_scrimmage(snap, r.left)
    air_N = np.where(r.left, F.FIELD_LENGTH - arrival_x_N, arrival_x_N) - los_N
    inferred_N = TG.infer_target(r, ev.release, ev.arrival, passer_R)
    target_N, source_N = TG.choose_target(charted_target_N, inferred_N)
    slot_N = TG.slot_of(r.p[snap.rows], r.nid[snap.rows], snap.slot, target_N)
    k = keep_N
    attrs = {
        "los_x": los_N[k],
        "air_yards": air_N[k],
        "passer_id": snap.passer[k],
        "nearest_defender_yds": np.where(np.isinf(nearest_N), np.nan, nearest_N)[k],
        "snap_frameId": ev.snap[k],
        "release_frameId": ev.release[k],
        "play_direction": np.where(r.left[k], "left", "right"),
        "target_id": target_N[k],
        "target_slot": slot_N[k],
        "target_source": source_N[k],
        "target_inferred_id": inferred_N[k],
    }
    if "names" in r.given:  # BDB 2026 has no players.csv: the passer's name from his rows
        codes, names = r.given["names"]
        code_N = np.full(r.n, -1)
        np.maximum.at(code_N, r.p[passer_R], codes[passer_R])
        attrs["passer_name"] = np.array(names + [""], object)[code_N][k].astype(str)
    return attrs


def process_week(
    path: Path,
    release: Release,
    plays: Plays,
    players: dict[str, np.ndarray],
    done: np.ndarray,
    report: DropReport,
) -> tuple[WeekOut, int]:
    """Checks, slots and features of one tracking file's plays (all vectorized over rows)."""
    r, cands, n_rows = read_rows(path, release, plays, players, done, report)
    checks = _Checks(r.n, path)
    ev = _events(r, checks)
    passer_N = plays.passer_pref[cands]
    target_N = plays.target_pref[cands]
    if "passer" in r.given:  # BDB 2026: player_role in the tracking rows
        passer_N = np.where(passer_N >= 0, passer_N, r.given["passer"])
        target_N = np.where(target_N >= 0, target_N, r.given["target"])
    snap = _snap(r, ev, passer_N, checks)
    win = _window(r, ev, snap, checks)
    _report_drops(plays, cands, checks, report)
    keep_N = checks.keep
    tracking, lengths, presence = _scatter_features(r, ev, snap, win, keep_N)
    attrs = _split_attributes(r, ev, snap, target_N, keep_N)
    return WeekOut(cands[keep_N], tracking, lengths, presence, attrs), n_rows
