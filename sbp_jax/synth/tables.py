"""The Big Data Bowl 2023 tables (plays, games, players, PFF scouting) and the ground truth of
both formats: their schemas and the builders of their columns from simulated plays. The tracking
file is tracking_bdb2023.py."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sbp_jax.synth import league as L

# fmt: off
PLAYS_HEADER = (
    "gameId", "playId", "playDescription", "quarter", "down", "yardsToGo", "possessionTeam",
    "defensiveTeam", "yardlineSide", "yardlineNumber", "gameClock", "preSnapHomeScore",
    "preSnapVisitorScore", "passResult", "penaltyYards", "prePenaltyPlayResult", "playResult",
    "foulName1", "foulNFLId1", "foulName2", "foulNFLId2", "foulName3", "foulNFLId3",
    "absoluteYardlineNumber", "offenseFormation", "personnelO", "defendersInBox", "personnelD",
    "dropBackType", "pff_playAction", "pff_passCoverage", "pff_passCoverageType")
GAMES_HEADER = ("gameId", "season", "week", "gameDate", "gameTimeEastern", "homeTeamAbbr",
                "visitorTeamAbbr")
PLAYERS_HEADER = ("nflId", "height", "weight", "birthDate", "collegeName", "officialPosition",
                  "displayName")
PFF_HEADER = (
    "gameId", "playId", "nflId", "pff_role", "pff_positionLinedUp", "pff_hit", "pff_hurry",
    "pff_sack", "pff_beatenByDefender", "pff_hitAllowed", "pff_hurryAllowed", "pff_sackAllowed",
    "pff_nflIdBlockedPlayer", "pff_blockType", "pff_backFieldBlock")
TRUTH_PASSERS_HEADER = ("nflId", "displayName", "team", "skill")
TRUTH_PLAYS_HEADER = (
    "gameId", "playId", "passer_nflId", "snap_frameId", "release_frameId", "passResult", "yards",
    "air_yards", "pressure", "true_percentile", "true_cdf_below", "true_pmf", "target_nflId",
    "separation", "time_to_throw")
_COVERAGES = (("Cover-1", "Man"), ("Cover-3", "Zone"), ("Cover-2", "Zone"), ("Quarters", "Zone"),
              ("Cover-6", "Zone"), ("2-Man", "Man"), ("Cover-0", "Man"))
# fmt: on
_COVERAGE_P = (0.3, 0.3, 0.12, 0.13, 0.07, 0.04, 0.04)
_FORMATIONS_GUN = ("SHOTGUN", "EMPTY", "PISTOL")


class PlayFacts(NamedTuple):
    """What the tables need to know about each play of a week ([N] arrays unless noted)."""

    game_id: np.ndarray
    play_id: np.ndarray
    ids_Nx22: np.ndarray  # nflIds per lineup slot; slot 0 is the passer
    off: np.ndarray  # offense / defense team index
    dfn: np.ndarray
    quarter: np.ndarray
    clock_s: np.ndarray
    pre_home: np.ndarray
    pre_away: np.ndarray
    down: np.ndarray
    yards_to_go: np.ndarray
    own_yardline: np.ndarray
    shotgun: np.ndarray
    play_action: np.ndarray
    blitz: np.ndarray
    kind: np.ndarray  # 0 released, 1 sack, 2 scramble
    flip: np.ndarray  # playDirection left
    pass_result: np.ndarray
    yards: np.ndarray
    air: np.ndarray
    pressure: np.ndarray
    target_slot: np.ndarray
    separation: np.ndarray
    release_frame: np.ndarray
    primary_rusher: np.ndarray  # 0..3: the lineman who wins his block
    charted: np.ndarray  # bool: the formation / coverage labels describe the simulated play ...
    formation_label: np.ndarray  # ... offenseFormation
    coverage_label: np.ndarray  # ... pff_passCoverage
    coverage_type: np.ndarray  # ... pff_passCoverageType (Man / Zone)
    cdf_below: np.ndarray  # P(Y < y) under a league-average passer
    cdf_at_most: np.ndarray  # P(Y <= y)


def masked(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Object array with None (an empty CSV field) where ``keep`` is False."""
    out = values.astype(object)
    out[~keep] = None
    return out


def names_of(league: L.League, nfl_ids: np.ndarray) -> np.ndarray:
    return league.players["displayName"][nfl_ids - league.players["nflId"][0]]


def games_table(
    league: L.League,
    pairs: np.ndarray,
    game_ids: np.ndarray,
    season: int,
    week: int,
    date: np.datetime64,
    kickoff: np.ndarray,
) -> dict[str, np.ndarray]:
    n_games = pairs.shape[0]
    d = str(date)
    return {
        "gameId": game_ids,
        "season": np.full(n_games, season),
        "week": np.full(n_games, week),
        "gameDate": np.full(n_games, f"{d[5:7]}/{d[8:10]}/{d[:4]}"),
        "gameTimeEastern": kickoff,
        "homeTeamAbbr": np.array(league.team_abbr)[pairs[:, 0]],
        "visitorTeamAbbr": np.array(league.team_abbr)[pairs[:, 1]],
    }


def passers_table(league: L.League) -> dict[str, np.ndarray]:
    """Ground truth: every quarterback (starter and backup) and his latent skill."""
    qb_slots = np.array([L.QB, 22])
    ids = league.roster_Tx23[:, qb_slots].ravel()
    return {
        "nflId": ids,
        "displayName": names_of(league, ids),
        "team": np.repeat(np.array(league.team_abbr), 2),
        "skill": league.quality_Tx23[:, qb_slots].ravel().round(4),
    }


def describe(
    clock: str,
    shotgun: bool,
    passer: str,
    target: str,
    result: str,
    yards: int,
    air: int,
    touchdown: bool,
) -> str:
    """A playDescription in the league's style (no commas)."""
    gun = " (Shotgun)" if shotgun else ""
    depth = "deep" if air >= 15 else "short"
    what = {
        "S": f"sacked for {yards} yards",
        "R": f"scrambles for {yards} yards",
        "C": f"pass {depth} to {target} for {yards} yards",
        "IN": f"pass {depth} intended for {target} INTERCEPTED",
        "I": f"pass {depth} incomplete intended for {target}",
    }[result]
    return f"({clock}){gun} {passer} {what}{' TOUCHDOWN' if touchdown else ''}."


def plays_table(rng: np.random.Generator, league: L.League, pf: PlayFacts) -> dict[str, np.ndarray]:
    """plays.csv columns. Formation / coverage labels are the simulated play's where charted, else
    drawn from the league-wide label mix (the original generator's labels)."""
    n = pf.play_id.shape[0]
    rows = np.arange(n)
    abbr = np.array(league.team_abbr)
    own = pf.own_yardline
    side_own = own <= 50
    los = 10 + own
    cov = rng.choice(len(_COVERAGES), n, p=_COVERAGE_P)
    formation = np.where(
        pf.shotgun,
        np.array(_FORMATIONS_GUN)[rng.choice(3, n, p=[0.8, 0.1, 0.1])],
        np.where(rng.random(n) < 0.6, "SINGLEBACK", "I_FORM"),
    )
    gclock = np.array([f"{c // 60:02d}:{c % 60:02d}" for c in pf.clock_s])
    touchdown = (pf.yards == 100 - own) & np.isin(pf.pass_result, ["C", "R"])
    desc = np.array(
        [
            describe(*a)
            for a in zip(
                gclock,
                pf.shotgun,
                names_of(league, pf.ids_Nx22[:, 0]),
                names_of(league, pf.ids_Nx22[rows, pf.target_slot]),
                pf.pass_result,
                pf.yards,
                pf.air,
                touchdown,
                strict=True,
            )
        ]
    )
    empty = np.full(n, None, dtype=object)
    return {
        "gameId": pf.game_id,
        "playId": pf.play_id,
        "playDescription": desc,
        "quarter": pf.quarter,
        "down": pf.down,
        "yardsToGo": pf.yards_to_go,
        "possessionTeam": abbr[pf.off],
        "defensiveTeam": abbr[pf.dfn],
        "yardlineSide": np.where(
            own == 50, None, np.where(side_own, abbr[pf.off], abbr[pf.dfn])
        ).astype(object),
        "yardlineNumber": np.where(side_own, own, 100 - own),
        "gameClock": gclock,
        "preSnapHomeScore": pf.pre_home,
        "preSnapVisitorScore": pf.pre_away,
        "passResult": pf.pass_result,
        "penaltyYards": empty,
        "prePenaltyPlayResult": pf.yards,
        "playResult": pf.yards,
        "foulName1": empty,
        "foulNFLId1": empty,
        "foulName2": empty,
        "foulNFLId2": empty,
        "foulName3": empty,
        "foulNFLId3": empty,
        "absoluteYardlineNumber": np.where(pf.flip, 120 - los, los),
        "offenseFormation": np.where(pf.charted, pf.formation_label, formation),
        "personnelO": np.full(n, "1 RB, 1 TE, 3 WR"),
        "defendersInBox": np.where(pf.blitz, 7, 6) + (rng.random(n) < 0.2),
        "personnelD": np.full(n, "4 DL, 3 LB, 4 DB"),
        "dropBackType": np.where(pf.kind == 2, "SCRAMBLE", "TRADITIONAL"),
        "pff_playAction": pf.play_action.astype(int),
        "pff_passCoverage": np.where(
            pf.charted, pf.coverage_label, np.array([c[0] for c in _COVERAGES])[cov]
        ),
        "pff_passCoverageType": np.where(
            pf.charted, pf.coverage_type, np.array([c[1] for c in _COVERAGES])[cov]
        ),
    }


def truth_table(pf: PlayFacts, snap_frame: int, fps: int) -> dict[str, np.ndarray]:
    """truth/plays.csv columns (release-only values empty for sacks and scrambles)."""
    n = pf.play_id.shape[0]
    rel = pf.kind == 0
    below, at_most = pf.cdf_below, pf.cdf_at_most
    return {
        "gameId": pf.game_id,
        "playId": pf.play_id,
        "passer_nflId": pf.ids_Nx22[:, 0],
        "snap_frameId": np.full(n, snap_frame),
        "release_frameId": masked(pf.release_frame, rel),
        "passResult": pf.pass_result,
        "yards": pf.yards,
        "air_yards": masked(pf.air, rel),
        "pressure": pf.pressure.astype(int),
        "true_percentile": masked((0.5 * (below + at_most)).round(6), rel),
        "true_cdf_below": masked(below.round(6), rel),
        "true_pmf": masked((at_most - below).round(6), rel),
        "target_nflId": masked(pf.ids_Nx22[np.arange(n), pf.target_slot], rel),
        "separation": masked(pf.separation.round(3), rel),
        "time_to_throw": masked((pf.release_frame - snap_frame) / fps, rel),
    }


def scouting_table(rng: np.random.Generator, pf: PlayFacts) -> dict[str, np.ndarray]:
    """pffScoutingData rows: one per player per play; the passer's role is 'Pass'."""
    n = pf.play_id.shape[0]
    rows = np.arange(n)
    role = np.array(
        ["Pass"] + ["Pass Block"] * 5 + ["Pass Route"] * 5 + ["Pass Rush"] * 4 + ["Coverage"] * 7,
        dtype=object,
    )
    role_Nx22 = np.tile(role, (n, 1))
    role_Nx22[pf.blitz, L.BLITZER] = "Pass Rush"
    rusher = role_Nx22 == "Pass Rush"
    blocker = role_Nx22 == "Pass Block"
    primary = np.zeros((n, 22), bool)
    primary[rows, L.DL[pf.primary_rusher]] = True
    sacked, pressured = pf.kind == 1, pf.pressure & (pf.kind != 1)
    sack = primary & sacked[:, None]
    hurry = primary & pressured[:, None]
    hit = primary & (sack | (hurry & (rng.random(n) < 0.3)[:, None]))
    beaten = np.zeros((n, 22), bool)
    beaten[rows, np.array([1, 2, 4, 5])[pf.primary_rusher]] = True  # the tackle/guard he beat
    beaten &= (sacked | pf.pressure)[:, None]
    blocks = np.array([0, 11, 12, 12, 13, 14] + [0] * 16)  # OL slot -> DL slot

    def flag(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return masked(values.astype(int), mask).ravel()

    return {
        "gameId": np.repeat(pf.game_id, 22),
        "playId": np.repeat(pf.play_id, 22),
        "nflId": pf.ids_Nx22.ravel(),
        "pff_role": role_Nx22.ravel().astype(str),
        "pff_positionLinedUp": np.tile(np.array(L.OFFENSE_LINEUP + L.DEFENSE_LINEUP), n),
        "pff_hit": flag(hit, rusher),
        "pff_hurry": flag(hurry, rusher),
        "pff_sack": flag(sack, rusher),
        "pff_beatenByDefender": flag(beaten, blocker),
        "pff_hitAllowed": flag(beaten & hit.any(1)[:, None], blocker),
        "pff_hurryAllowed": flag(beaten & hurry.any(1)[:, None], blocker),
        "pff_sackAllowed": flag(beaten & sack.any(1)[:, None], blocker),
        "pff_nflIdBlockedPlayer": flag(pf.ids_Nx22[:, blocks], blocker),
        "pff_blockType": masked(np.full((n, 22), "PP"), blocker).ravel(),
        "pff_backFieldBlock": flag(np.zeros((n, 22)), blocker),
    }
