"""One tracking file's rows of the candidate plays, read into one internal form for every release.

BDB 2021-2025 files carry the ball as rows and the snap/release as events; BDB 2026 input files
carry neither, but give the line of scrimmage, the ball's landing point and each player's role
as columns, which are read into per-play arrays here. Nothing loops over rows in Python.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pyarrow as pa

from sbp_jax.data import features as F
from sbp_jax.data.columns import (
    DICT,
    IngestError,
    code_mask,
    codes_of,
    file_play_key,
    ids_of,
    values_of,
)
from sbp_jax.data.ingest_report import DropReport
from sbp_jax.data.keys import run_lookup, split_key
from sbp_jax.data.play_tables import Plays, player_info
from sbp_jax.data.schemas import Release, read_csv, read_header

NUMBERS = ("x", "y", "s", "a", "o", "dir")
PER_PLAY_NUMBERS = ("losX", "landX", "landY", "flightFrames")  # BDB 2026 columns, one per play
ROLE_PASSER, ROLE_TARGET = "Passer", "Targeted Receiver"  # BDB 2026 player_role values
OFFENSE_LABEL = "Offense"  # BDB 2026 player_side


@dataclasses.dataclass
class Rows:
    """Tracking rows of one file's candidate plays; ``p`` is the play's index within the file."""

    n: int  # plays in this file
    p: np.ndarray
    frame: np.ndarray
    nid: np.ndarray  # -1 for the ball and for a player row without nflId
    x: np.ndarray
    y: np.ndarray
    s: np.ndarray
    a: np.ndarray
    o: np.ndarray
    dir: np.ndarray
    ball: np.ndarray
    offense: np.ndarray
    qb: np.ndarray
    events: tuple[np.ndarray, list] | None  # dictionary codes, dictionary (None: no events)
    left: np.ndarray  # [n] the play moves toward -x
    bad_direction: np.ndarray  # [n] object: a playDirection that is not left/right, else None
    missing_nid: np.ndarray  # [n] a player row without nflId
    given: dict[str, np.ndarray]  # BDB 2026 per-play columns (PER_PLAY_NUMBERS) and roles

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

    def role_player(self, codes_R: np.ndarray, dictionary: list, role: str) -> np.ndarray:
        """Per play, the (lowest) nflId of the rows with ``player_role == role``; -1 where none."""
        m = code_mask(codes_R, dictionary, (role,)) & (self.nid >= 0)
        out = np.full(self.n, np.iinfo(np.int64).max)
        np.minimum.at(out, self.p[m], self.nid[m])
        return np.where(out == np.iinfo(np.int64).max, -1, out)


def read_rows(
    path: Path,
    release: Release,
    plays: Plays,
    players: dict[str, np.ndarray],
    done: np.ndarray,
    report: DropReport,
) -> tuple[Rows, np.ndarray, int]:
    """Rows of the not yet ingested candidate plays of one tracking file (orphans are reported).

    Returns the rows, the file's candidate indices and the number of rows read.
    """
    cols = dict(release.tracking_columns)
    header = read_header(path)
    cols.update({k: v for k, v in release.tracking_optional.items() if v in header})
    strings = [c for c in ("team", "playDirection", "event", "position", "role") if c in cols]
    if not release.has_games_file:  # no players.csv: the passer's name comes from his rows
        strings.append("displayName")
    per_play = [c for c in PER_PLAY_NUMBERS if c in cols]
    want = ["gameId", "playId", "nflId", "frameId"] + strings + list(NUMBERS) + per_play
    types = (
        {"gameId": pa.int64(), "playId": pa.int64(), "frameId": pa.int64(), "nflId": pa.float64()}
        | dict.fromkeys(strings, DICT)
        | dict.fromkeys(list(NUMBERS) + per_play, pa.float64())
    )
    t = read_csv(path, [cols[c] for c in want], {cols[c]: v for c, v in types.items()})
    t = t.rename_columns(want)
    n_rows = t.num_rows

    key_R = file_play_key(ids_of(t, "gameId", path), ids_of(t, "playId", path), path)
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
    n = len(cands)

    nid_na_R = np.isnan(values_of(t, "nflId"))
    nid_R = np.where(nid_na_R, -1, np.nan_to_num(values_of(t, "nflId"))).astype(np.int64)
    team_R, team_dict = codes_of(t, "team")
    ball_R = code_mask(team_R, team_dict, ("football",))
    missing_nid = np.bincount(p_R[nid_na_R & ~ball_R], minlength=n) > 0
    offense_R = ~ball_R & (team_R == _offense_codes(team_dict, plays, cands)[p_R])
    if "position" in t.column_names:
        qb_R = code_mask(*codes_of(t, "position"), ("QB",))
    else:
        qb_R = player_info(players, nid_R, "position") == "QB"
    left_N, bad_direction = _directions(p_R, *codes_of(t, "playDirection"), n)
    rows = Rows(
        n=n,
        p=p_R,
        frame=ids_of(t, "frameId", path),
        nid=nid_R,
        **{c: values_of(t, c) for c in NUMBERS},
        ball=ball_R,
        offense=offense_R,
        qb=qb_R,
        events=codes_of(t, "event") if "event" in t.column_names else None,
        left=left_N,
        bad_direction=bad_direction,
        missing_nid=missing_nid,
        given={},
    )
    for c in per_play:  # constant within a play; the largest value keeps row order irrelevant
        rows.given[c] = np.full(n, np.nan)
        np.fmax.at(rows.given[c], p_R, values_of(t, c))
    if "role" in t.column_names:
        role = codes_of(t, "role")
        rows.given["passer"] = rows.role_player(*role, ROLE_PASSER)
        rows.given["target"] = rows.role_player(*role, ROLE_TARGET)
    if "displayName" in t.column_names:
        rows.given["names"] = codes_of(t, "displayName")
    if len(nid_R) and (rows.frame.max() >= 1 << 20 or nid_R.max() >= (1 << 20) - 1):
        raise IngestError(f"{path}: frameId or nflId beyond 2^20")
    return rows, cands, n_rows


def _offense_codes(team_dict: list, plays: Plays, cands: np.ndarray) -> np.ndarray:
    """Per play, the team-column code of the offense: the possession team's club, "home"/"away"
    (BDB 2021 style labels) or "Offense" (BDB 2026 player_side); -2 where absent."""
    labels = {v for v in team_dict if v is not None}
    poss = plays.cols["possessionTeam"][cands]
    if labels <= {"home", "away", "football"}:
        poss = np.where(poss == plays.cols["homeTeamAbbr"][cands], "home", "away")
    elif labels <= {OFFENSE_LABEL, "Defense", "football"}:
        poss = np.full(len(cands), OFFENSE_LABEL)
    team_index = {v: i for i, v in enumerate(team_dict)}
    return np.array([team_index.get(v, -2) for v in poss], np.int64)


def _directions(
    p_R: np.ndarray, codes_R: np.ndarray, dictionary: list, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per play: moves left, and the first playDirection that is neither left nor right."""
    left_N = np.zeros(n, bool)
    left_N[p_R[code_mask(codes_R, dictionary, ("left",))]] = True
    bad_R = ~code_mask(codes_R, dictionary, ("left", "right"))
    bad_N = np.full(n, None, object)
    values = np.array(dictionary + [None], object)  # code -1 (empty) -> None
    bad_N[p_R[bad_R][::-1]] = np.array([f"{v!r}" for v in values[codes_R[bad_R]]], object)[::-1]
    return left_N, bad_N
