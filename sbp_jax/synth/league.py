"""Teams, rosters, player qualities and the schedule of the synthetic league.

Every team fields the same 22-slot lineup on every snap (slot order below); a starter quarterback
and a backup. Team-level latent qualities (pass blocking, pass rush) and per-player qualities
(receivers' route running, defenders' coverage) differ between teams; quarterbacks carry the latent
``skill`` that the score is meant to recover (league average = 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Offensive slots 0..10, defensive slots 11..21 (fixed for every play).
OFFENSE_POSITIONS = ("QB", "T", "G", "C", "G", "T", "RB", "TE", "WR", "WR", "WR")
OFFENSE_LINEUP = ("QB", "LT", "LG", "C", "RG", "RT", "HB", "TE-R", "LWR", "RWR", "SRWR")
DEFENSE_POSITIONS = ("DE", "DT", "DT", "DE", "OLB", "ILB", "OLB", "CB", "CB", "FS", "SS")
DEFENSE_LINEUP = ("LEO", "DLT", "DRT", "REO", "LOLB", "MLB", "ROLB", "LCB", "RCB", "FS", "SS")
N_SLOTS = 22
QB, OL, RB, TE, WR = 0, slice(1, 6), 6, 7, slice(8, 11)
RECEIVERS = np.arange(6, 11)  # RB, TE, WR1 (left), WR2 (right), WR3 (slot right)
DL = np.arange(11, 15)
BLITZER = 17  # ROLB: rushes on blitzes, else drops to a short zone
LINEBACKERS = np.array([15, 16, 17])  # LOLB, MLB, ROLB: they bite on play action
FREE_SAFETY = 20
# Man-coverage pairs: defender slot -> receiver slot.
MAN_DEFENDERS = np.array([15, 16, 18, 19, 21])
MAN_RECEIVERS = np.array([6, 7, 8, 9, 10])

TEAM_ABBRS = (
    "ARK",
    "BAY",
    "CAP",
    "DUN",
    "ELK",
    "FOR",
    "GUL",
    "HAW",
    "IRN",
    "JET",
    "KNT",
    "LYN",
    "MES",
    "NOR",
    "OAK",
    "PIK",
    "QUA",
    "RAV",
    "STG",
    "TID",
    "UNI",
    "VIP",
    "WOL",
    "XEN",
    "YOR",
    "ZEP",
    "ASP",
    "BLZ",
    "CRW",
    "DRG",
    "EMB",
    "FAL",
)
MAX_TEAMS = len(TEAM_ABBRS)
_FIRST = (
    "Aaron",
    "Blake",
    "Caleb",
    "Dante",
    "Eli",
    "Felix",
    "Grant",
    "Hugo",
    "Isaac",
    "Jalen",
    "Kyle",
    "Logan",
    "Marcus",
    "Nolan",
    "Owen",
    "Parker",
    "Quinn",
    "Reid",
    "Silas",
    "Trent",
    "Uriah",
    "Vance",
    "Wade",
    "Xavier",
    "Yusuf",
    "Zane",
    "Andre",
    "Brock",
    "Cole",
    "Derek",
    "Evan",
    "Jamal",
    "Tyrell",
)
_LAST = (
    "Abbott",
    "Barnes",
    "Carver",
    "Dalton",
    "Ellison",
    "Fletcher",
    "Garrison",
    "Holt",
    "Ingram",
    "Jennings",
    "Keller",
    "Lambert",
    "Mercer",
    "Nash",
    "Oakley",
    "Prescott",
    "Quimby",
    "Ramsey",
    "Sutton",
    "Thornton",
    "Underwood",
    "Vaughn",
    "Whitaker",
    "Yates",
    "Zimmer",
    "Ashford",
    "Bishop",
    "Crowley",
    "Dempsey",
    "Everett",
    "Fairbanks",
    "Gaines",
    "Hadley",
    "Mosley",
    "Pruitt",
    "Wright",
)
_COLLEGES = (
    "Lakeshore State",
    "Northern Plains",
    "Coastal Tech",
    "Red Mesa",
    "Granite U.",
    "Pine Valley",
    "Riverbend",
    "Summit State",
    "Harbor College",
    "Prairie A&M",
)
# (height inches mean, weight lbs mean) per position.
_BODY = {
    "QB": (75, 220),
    "T": (78, 315),
    "G": (76, 312),
    "C": (75, 305),
    "RB": (70, 212),
    "TE": (77, 250),
    "WR": (72, 198),
    "DE": (76, 265),
    "DT": (75, 305),
    "OLB": (74, 245),
    "ILB": (73, 238),
    "CB": (71, 193),
    "FS": (72, 205),
    "SS": (72, 208),
}

_JERSEY = {
    "QB": (1, 19),
    "T": (60, 79),
    "G": (60, 79),
    "C": (50, 79),
    "RB": (20, 39),
    "TE": (80, 89),
    "WR": (10, 19),
    "DE": (90, 99),
    "DT": (90, 99),
    "OLB": (40, 59),
    "ILB": (40, 59),
    "CB": (20, 39),
    "FS": (20, 39),
    "SS": (20, 39),
}


@dataclass(frozen=True)
class League:
    """The league's teams and players.

    roster_Tx23 holds nflIds: slots 0..21 are the lineup (see module docs), slot 22 the backup QB.
    quality_Tx23 is the player-level latent quality (receivers: route running; defensive backs and
    linebackers: coverage; quarterbacks: passing skill); pass_block_T / pass_rush_T are team-level.
    """

    team_abbr: tuple[str, ...]
    roster_Tx23: np.ndarray
    quality_Tx23: np.ndarray
    pass_block_T: np.ndarray
    pass_rush_T: np.ndarray
    jersey_Tx23: np.ndarray
    players: dict[str, np.ndarray]  # columns of players.csv

    @property
    def n_teams(self) -> int:
        return len(self.team_abbr)


def build_league(rng: np.random.Generator, n_teams: int, cast_spread: float = 1.0) -> League:
    """Draws teams, rosters and latent qualities; `cast_spread` scales the team-level spread of
    receiver quality and pass protection (World.cast_spread)."""
    positions = OFFENSE_POSITIONS + DEFENSE_POSITIONS + ("QB",)
    n_players = n_teams * len(positions)
    nfl_id_Tx23 = (40000 + np.arange(n_players)).reshape(n_teams, len(positions))

    team_receivers_T = rng.normal(0.0, 0.5 * cast_spread, n_teams)
    team_coverage_T = rng.normal(0.0, 0.5, n_teams)
    quality_Tx23 = np.zeros((n_teams, len(positions)))
    quality_Tx23[:, RECEIVERS] = team_receivers_T[:, None] + rng.normal(0.0, 0.5, (n_teams, 5))
    quality_Tx23[:, MAN_DEFENDERS] = team_coverage_T[:, None] + rng.normal(0.0, 0.5, (n_teams, 5))
    quality_Tx23[:, QB] = rng.normal(0.0, 1.0, n_teams)  # starters
    quality_Tx23[:, 22] = rng.normal(-0.8, 0.6, n_teams)  # backups

    pos_R = np.tile(np.array(positions), n_teams)  # one per players.csv row
    height_mean_R = np.array([_BODY[p][0] for p in pos_R], dtype=float)
    weight_mean_R = np.array([_BODY[p][1] for p in pos_R], dtype=float)
    height_R = np.round(height_mean_R + rng.normal(0, 1.5, n_players)).astype(int)
    weight_R = np.round(weight_mean_R + rng.normal(0, 10, n_players)).astype(int)
    birth_R = np.datetime64("1990-01-01") + rng.integers(0, 12 * 365, n_players).astype(
        "timedelta64[D]"
    )
    first_R = np.array(_FIRST)[rng.integers(0, len(_FIRST), n_players)]
    last_R = np.array(_LAST)[rng.integers(0, len(_LAST), n_players)]
    players = {
        "nflId": nfl_id_Tx23.ravel(),
        "height": np.array([f"{h // 12}-{h % 12}" for h in height_R]),
        "weight": weight_R,
        "birthDate": birth_R.astype(str),
        "collegeName": np.array(_COLLEGES)[rng.integers(0, len(_COLLEGES), n_players)],
        "officialPosition": pos_R,
        "displayName": np.char.add(np.char.add(first_R, " "), last_R),
    }
    jersey_lo_23 = np.array([_JERSEY[p][0] for p in positions])
    jersey_hi_23 = np.array([_JERSEY[p][1] for p in positions])
    jersey_Tx23 = jersey_lo_23 + (
        rng.random((n_teams, len(positions))) * (jersey_hi_23 - jersey_lo_23 + 1)
    ).astype(np.int64)
    return League(
        team_abbr=TEAM_ABBRS[:n_teams],
        jersey_Tx23=jersey_Tx23,
        roster_Tx23=nfl_id_Tx23,
        quality_Tx23=quality_Tx23,
        pass_block_T=rng.normal(0.0, 0.6 * cast_spread, n_teams),
        pass_rush_T=rng.normal(0.0, 0.6, n_teams),
        players=players,
    )


def week_schedule(rng: np.random.Generator, n_teams: int) -> np.ndarray:
    """Random pairing of all teams for one week: int array [n_teams // 2, 2] of (home, visitor)."""
    return rng.permutation(n_teams).reshape(-1, 2)
