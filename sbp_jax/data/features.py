"""Per-frame and per-play features: vectorized NumPy over tracking rows (no loop per row/frame).

Conventions (see docs/data.md):
- Direction: plays with ``playDirection == "left"`` are mirrored, x' = 120 - x, y' = 53.3 - y,
  angle' = (angle + 180) mod 360, so the offense always moves toward +x.
- x is stored relative to the line of scrimmage (ball x at the snap, after mirroring):
  x_rel = x' - los. Field position is a static feature (yards to the end zone), so the tracks are
  translation invariant.
- Angles: degrees, 0 = +y, clockwise; velocity = s * (sin dir, cos dir). BDB gives only the
  magnitude ``a`` of the acceleration, so (ax, ay) = a * (sin dir, cos dir) (acceleration along the
  direction of motion).
- Slots: passer first, then the other offensive players, then the defense (slots 11..21), each side
  by distance to the passer at the snap (ties by nflId); missing players leave absent (zero) slots
  at the end of a side.
"""

from __future__ import annotations

import numpy as np

FIELD_LENGTH = 120.0
FIELD_WIDTH = 53.3
GOAL_LINE_X = 110.0  # the end zone the (normalized) offense attacks starts here
FRAMES_PER_SECOND = 10.0
SLOTS_PER_SIDE = 11
# Pressure without PFF charting: a defender within this many yards of the passer at the release.
PRESSURE_RADIUS_YDS = 2.5

BASE_STATIC_NAMES = (
    "down",
    "yards_to_go",
    "yards_to_endzone",
    "quarter",
    "seconds_left_in_quarter",
    "score_diff",
)


def mirror(left_R: np.ndarray, x_R: np.ndarray, y_R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Field coordinates with the offense moving toward +x."""
    return np.where(left_R, FIELD_LENGTH - x_R, x_R), np.where(left_R, FIELD_WIDTH - y_R, y_R)


def mirror_angle(left_R: np.ndarray, deg_R: np.ndarray) -> np.ndarray:
    return np.where(left_R, np.mod(deg_R + 180.0, 360.0), deg_R)


def frame_features(left_R, x_R, y_R, s_R, a_R, dir_R, o_R, los_R) -> np.ndarray:
    """[R, 8] features (x rel. to LOS, y, vx, vy, ax, ay, direction, orientation) per tracking row.

    A missing orientation takes the direction of motion.
    """
    x_R, y_R = mirror(left_R, x_R, y_R)
    dir_R = mirror_angle(left_R, dir_R)
    o_R = np.where(np.isnan(o_R), dir_R, mirror_angle(left_R, o_R))
    rad_R = np.deg2rad(dir_R)
    sin_R, cos_R = np.sin(rad_R), np.cos(rad_R)
    return np.stack(
        [x_R - los_R, y_R, s_R * sin_R, s_R * cos_R, a_R * sin_R, a_R * cos_R, dir_R, o_R], axis=-1
    ).astype(np.float32)


def rank_within_groups(group_R: np.ndarray, *sort_keys: np.ndarray) -> np.ndarray:
    """Rank (0, 1, ...) of each row within its group, by ``sort_keys`` (first = most important)."""
    order = np.lexsort(tuple(reversed(sort_keys)) + (group_R,))
    g = group_R[order]
    start = np.r_[True, g[1:] != g[:-1]]
    first = np.maximum.accumulate(np.where(start, np.arange(len(g)), 0))
    rank = np.empty(len(g), np.int64)
    rank[order] = np.arange(len(g)) - first
    return rank


def assign_slots(
    play_R: np.ndarray,
    is_def_R: np.ndarray,
    is_passer_R: np.ndarray,
    dist_R: np.ndarray,
    nid_R: np.ndarray,
) -> np.ndarray:
    """Slot of each player row at the snap: side * 11 + rank (passer first, then by distance, then
    by nflId, so equal distances do not make the slots depend on the rows' order).

    Ranks >= 11 (more than 11 players on a side) are returned as such; the caller drops the play.
    """
    side_R = is_def_R.astype(np.int64)
    rank_R = rank_within_groups(play_R * 2 + side_R, ~is_passer_R, dist_R, nid_R)
    return side_R * SLOTS_PER_SIDE + rank_R


def first_frame(
    play_R: np.ndarray,
    frame_R: np.ndarray,
    mask_R: np.ndarray,
    n_plays: int,
    after_N: np.ndarray | None = None,
) -> np.ndarray:
    """Per play, the first frameId of rows with ``mask_R`` (and frame >= ``after_N``), else -1."""
    m = mask_R if after_N is None else mask_R & (frame_R >= after_N[play_R])
    out = np.full(n_plays, np.iinfo(np.int64).max)
    np.minimum.at(out, play_R[m], frame_R[m])
    return np.where(out == np.iinfo(np.int64).max, -1, out)


def clock_seconds(clock: np.ndarray) -> np.ndarray:
    """'MM:SS' or 'MM:SS:00' (BDB 2021) game clock -> seconds left in the quarter (NaN if bad)."""
    out = np.full(len(clock), np.nan)
    for i, c in enumerate(clock):  # one per play: cheap
        parts = str(c).split(":") if c is not None else []
        if len(parts) >= 2 and parts[0].strip().isdigit() and parts[1].strip().isdigit():
            out[i] = 60.0 * int(parts[0]) + int(parts[1])
    return out


def yards_to_endzone(plays: dict[str, np.ndarray], los_N: np.ndarray) -> np.ndarray:
    """Official distance to the end zone from plays.csv's yard line (100 - yardline in the offense's
    own half, else the yardline) where present, else from the ball at the snap: 110 - los."""
    from_los = GOAL_LINE_X - los_N
    if "yardlineNumber" not in plays:
        return from_los
    own = plays["yardlineSide"] == plays["possessionTeam"]
    line = plays["yardlineNumber"].astype(float)
    official = np.where(own, 100.0 - line, line)
    return np.where(np.isnan(official), from_los, official)


def static_features(
    plays: dict[str, np.ndarray],
    yards_to_endzone_N: np.ndarray,
    offense_is_home_N: np.ndarray,
    extra: dict[str, np.ndarray],
) -> tuple[np.ndarray, list[str]]:
    """[P, S] static play features and their names: the base list, then release extras.

    score_diff = offense - defense before the snap.
    """
    home = plays["preSnapHomeScore"].astype(float)
    away = plays["preSnapVisitorScore"].astype(float)
    cols = [
        plays["down"].astype(float),
        plays["yardsToGo"].astype(float),
        yards_to_endzone_N,
        plays["quarter"].astype(float),
        clock_seconds(plays["gameClock"]),
        np.where(offense_is_home_N, home - away, away - home),
    ]
    cols += [v.astype(float) for v in extra.values()]
    return np.stack(cols, axis=1), list(BASE_STATIC_NAMES) + list(extra)
