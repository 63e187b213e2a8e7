"""The playbook: formations (where the five eligible receivers line up), the route tree and the zone
coverage shells, with the labels the charting files use for them. Worlds (world.py) choose mixes
of these by name; paths.py turns them into paths.

Receivers are always, in lineup order, RB, TE, WR1, WR2, WR3 (see league.RECEIVERS); the roster is
11 personnel (1 RB, 1 TE, 3 WR) and a formation only moves them. Lateral offsets ``dy`` are from
the ball, positive = the offense's left (+y in normalized coordinates).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Formation(NamedTuple):
    """A receiver alignment. align_5x6 rows: RB, TE, WR1, WR2, WR3; columns: depth behind the line
    and dy in shotgun, depth and dy under center, a scale on the lateral jitter of the wide (±3 yd)
    and slot (±1 yd) receivers, and the lateral step of a backfield release."""

    label_gun: str  # offenseFormation when in shotgun ...
    label_uc: str  # ... and under center
    gun: bool | None  # forces shotgun (True) or under center (False); None: the world's rate
    align_5x6: tuple[tuple[float, ...], ...]


FORMATIONS: dict[str, Formation] = {
    # 3x1: WR1 wide left; TE inline, slot and WR2 to the right (the original generator's).
    "trips": Formation(
        "SHOTGUN",
        "SINGLEBACK",
        None,
        (
            (5.2, -1.5, 7.0, 0.0, 0.0, -4.5),
            (1.2, -6.5, 1.2, -6.5, 0.0, 0.0),
            (1.0, 18.0, 1.0, 18.0, 1.0, 0.0),
            (1.0, -18.0, 1.0, -18.0, 1.0, 0.0),
            (1.0, -9.0, 1.0, -9.0, 1.0, 0.0),
        ),
    ),
    # 2x2: the slot moves to the left, wider splits.
    "doubles": Formation(
        "SHOTGUN",
        "SINGLEBACK",
        None,
        (
            (5.2, 1.5, 7.0, 0.0, 0.0, 4.5),
            (1.2, -6.5, 1.2, -6.5, 0.0, 0.0),
            (1.0, 20.0, 1.0, 20.0, 0.7, 0.0),
            (1.0, -20.0, 1.0, -20.0, 0.7, 0.0),
            (1.0, 11.0, 1.0, 11.0, 1.0, 0.0),
        ),
    ),
    # 3x2, nobody in the backfield: the RB splits into the left slot, the TE detaches right.
    "empty": Formation(
        "EMPTY",
        "EMPTY",
        True,
        (
            (1.0, 10.0, 1.0, 10.0, 1.0, 0.0),
            (1.0, -12.0, 1.0, -12.0, 1.0, 0.0),
            (1.0, 21.0, 1.0, 21.0, 0.7, 0.0),
            (1.0, -22.0, 1.0, -22.0, 0.7, 0.0),
            (1.0, -6.0, 1.0, -6.0, 0.5, 0.0),
        ),
    ),
    # 2x1, tight: reduced splits; the slot receiver becomes a wing (gun) or a fullback.
    "heavy": Formation(
        "PISTOL",
        "I_FORM",
        None,
        (
            (5.5, 0.0, 7.0, 0.0, 0.0, -4.5),
            (1.2, -6.5, 1.2, -6.5, 0.0, 0.0),
            (1.0, 11.0, 1.0, 11.0, 0.5, 0.0),
            (1.0, -13.0, 1.0, -13.0, 0.5, 0.0),
            (2.5, -4.0, 4.5, 0.0, 0.0, 4.0),
        ),
    ),
}

ALIGN_Fx5x6 = np.array([f.align_5x6 for f in FORMATIONS.values()], float)
ON_LINE_DEPTH = 2.0  # receivers within this depth of the line count in receiver_alignment


def receiver_spots(formation_N: np.ndarray, shotgun_N: np.ndarray) -> tuple[np.ndarray, ...]:
    """(depth behind the line, dy from the ball) [N, 5] of the receivers in each play's formation,
    in shotgun or under center (before the wide and slot receivers' lateral jitter)."""
    align = ALIGN_Fx5x6[formation_N]
    gun = shotgun_N[:, None]
    return np.where(gun, align[..., 0], align[..., 2]), np.where(gun, align[..., 1], align[..., 3])


def receiver_alignment(depth_Nx5: np.ndarray, dy_Nx5: np.ndarray) -> np.ndarray:
    """BDB 2026 receiver_alignment ("3x1", "2x2", ...): receivers split out on the strong x weak
    side of the ball, backfield players not counted."""
    split = depth_Nx5 <= ON_LINE_DEPTH
    left = (split & (dy_Nx5 > 0)).sum(1)
    right = (split & (dy_Nx5 < 0)).sum(1)
    strong, weak = np.maximum(left, right), np.minimum(left, right)
    return np.char.add(np.char.add(strong.astype(str), "x"), weak.astype(str))


class Route(NamedTuple):
    """depth range (yd past the line), break angle (deg toward the middle), seconds to the first
    post-break waypoint, post-break speed factor, stops after the break (0/1), and the BDB 2026
    route label."""

    depth_lo: float
    depth_hi: float
    angle: float
    t_break: float
    speed: float
    stops: float
    label: str


ROUTES: dict[str, Route] = {
    "go": Route(12, 20, 0, 1.0, 1.0, 0, "GO"),
    "post": Route(10, 14, 40, 1.0, 0.95, 0, "POST"),
    "corner": Route(10, 14, -40, 1.0, 0.95, 0, "CORNER"),
    "dig": Route(8, 14, 90, 1.0, 0.85, 0, "IN"),
    "out": Route(3, 10, -90, 1.0, 0.85, 0, "OUT"),
    "slant": Route(2, 4, 55, 1.0, 0.95, 0, "SLANT"),
    "curl": Route(5, 12, 180, 0.8, 0.2, 1, "HITCH"),
    "cross": Route(4, 7, 90, 1.0, 0.85, 0, "CROSS"),
    "seam": Route(10, 15, 0, 1.0, 1.0, 0, "GO"),
    "hitch": Route(3, 6, 180, 0.8, 0.2, 1, "HITCH"),
    "check": Route(-1, 1, -90, 1.0, 0.5, 0, "FLAT"),
    "flat": Route(0, 2, -70, 1.0, 0.9, 0, "FLAT"),
    "angle": Route(2, 5, 70, 1.0, 0.9, 0, "ANGLE"),
}
ROUTE_NAMES = tuple(ROUTES)
ROUTE_TABLE_Rx6 = np.array([r[:6] for r in ROUTES.values()], float)
ROUTE_LABELS = np.array([r.label for r in ROUTES.values()])


class Shell(NamedTuple):
    """A coverage shell: its pff_passCoverage and pff_passCoverageType labels; zone shells also give
    each coverage defender (slots 15..21: LOLB, MLB, ROLB, LCB, RCB, FS, SS) a landmark (depth past
    the line, dy from the ball)."""

    pff: str
    man_zone: str
    landmarks_7x2: tuple[tuple[float, float], ...] | None


MAN_SHELL = Shell("Cover-1", "Man", None)
ZONE_SHELLS: dict[str, Shell] = {
    "cover3": Shell(
        "Cover-3",
        "Zone",
        (
            (6.0, 13.0),
            (8.0, 4.0),
            (8.0, -4.0),
            (15.0, 17.0),
            (15.0, -17.0),
            (16.0, 0.0),
            (6.0, -13.0),
        ),
    ),
    "cover2": Shell(
        "Cover-2",
        "Zone",
        (
            (8.0, 7.0),
            (10.0, 0.0),
            (8.0, -7.0),
            (4.0, 17.0),
            (4.0, -17.0),
            (17.0, 11.0),
            (17.0, -11.0),
        ),
    ),
    "quarters": Shell(
        "Quarters",
        "Zone",
        (
            (6.0, 12.0),
            (8.0, 0.0),
            (6.0, -12.0),
            (14.0, 19.0),
            (14.0, -19.0),
            (15.0, 6.0),
            (15.0, -6.0),
        ),
    ),
}
SHELL_NAMES = tuple(ZONE_SHELLS)
LANDMARKS_Zx7x2 = np.array([s.landmarks_7x2 for s in ZONE_SHELLS.values()], float)
