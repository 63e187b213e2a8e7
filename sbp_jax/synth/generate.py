"""Generates a synthetic league week by week and writes it in the Big Data Bowl 2023 schema.

See docs/synthetic_league.md for the generative model. One week is simulated at a time (vectorized
over its plays), its tracking streamed to ``week{N}.csv`` in chunks of plays; the small tables are
written at the end. Every file goes to a temp path first and is renamed when complete.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sbp_jax.synth import league as L
from sbp_jax.synth import outcome as O
from sbp_jax.synth import play as P
from sbp_jax.synth import tracking as T
from sbp_jax.synth.writer import StreamingCSV, write_csv

SEASON = 2021
FIRST_SUNDAY = np.datetime64("2021-09-12")
CHUNK_PLAYS = 256
MAX_WEEKS = 22

TRACKING_HEADER = (
    "gameId",
    "playId",
    "nflId",
    "frameId",
    "time",
    "jerseyNumber",
    "team",
    "playDirection",
    "x",
    "y",
    "s",
    "a",
    "dis",
    "o",
    "dir",
    "event",
)
PLAYS_HEADER = (
    "gameId",
    "playId",
    "playDescription",
    "quarter",
    "down",
    "yardsToGo",
    "possessionTeam",
    "defensiveTeam",
    "yardlineSide",
    "yardlineNumber",
    "gameClock",
    "preSnapHomeScore",
    "preSnapVisitorScore",
    "passResult",
    "penaltyYards",
    "prePenaltyPlayResult",
    "playResult",
    "foulName1",
    "foulNFLId1",
    "foulName2",
    "foulNFLId2",
    "foulName3",
    "foulNFLId3",
    "absoluteYardlineNumber",
    "offenseFormation",
    "personnelO",
    "defendersInBox",
    "personnelD",
    "dropBackType",
    "pff_playAction",
    "pff_passCoverage",
    "pff_passCoverageType",
)
GAMES_HEADER = (
    "gameId",
    "season",
    "week",
    "gameDate",
    "gameTimeEastern",
    "homeTeamAbbr",
    "visitorTeamAbbr",
)
PLAYERS_HEADER = (
    "nflId",
    "height",
    "weight",
    "birthDate",
    "collegeName",
    "officialPosition",
    "displayName",
)
PFF_HEADER = (
    "gameId",
    "playId",
    "nflId",
    "pff_role",
    "pff_positionLinedUp",
    "pff_hit",
    "pff_hurry",
    "pff_sack",
    "pff_beatenByDefender",
    "pff_hitAllowed",
    "pff_hurryAllowed",
    "pff_sackAllowed",
    "pff_nflIdBlockedPlayer",
    "pff_blockType",
    "pff_backFieldBlock",
)
TRUTH_PASSERS_HEADER = ("nflId", "displayName", "team", "skill")
TRUTH_PLAYS_HEADER = (
    "gameId",
    "playId",
    "passer_nflId",
    "snap_frameId",
    "release_frameId",
    "passResult",
    "yards",
    "air_yards",
    "pressure",
    "true_percentile",
    "true_cdf_below",
    "true_pmf",
    "target_nflId",
    "separation",
    "time_to_throw",
)

EVENTS = (
    "None",
    "ball_snap",
    "autoevent_ballsnap",
    "pass_forward",
    "pass_shovel",
    "autoevent_passforward",
    "pass_arrived",
    "pass_outcome_caught",
    "pass_outcome_incomplete",
    "pass_outcome_interception",
    "qb_sack",
    "qb_strip_sack",
    "run",
)
_EV = {name: i for i, name in enumerate(EVENTS)}
AUTO_EVENT_RATE = 0.03
BACKUP_GAME_RATE = 0.05
SNAP_FRAME = P.PRE_SNAP_FRAMES + 1
_COVERAGES = (
    ("Cover-1", "Man"),
    ("Cover-3", "Zone"),
    ("Cover-2", "Zone"),
    ("Quarters", "Zone"),
    ("Cover-6", "Zone"),
    ("2-Man", "Man"),
    ("Cover-0", "Man"),
)
_COVERAGE_P = (0.3, 0.3, 0.12, 0.13, 0.07, 0.04, 0.04)
_FORMATIONS_GUN = ("SHOTGUN", "EMPTY", "PISTOL")


def _validate(weeks, seed, n_teams, dropbacks) -> None:
    def is_int(v):
        return isinstance(v, int | np.integer) and not isinstance(v, bool)

    if not is_int(weeks) or not 1 <= weeks <= MAX_WEEKS:
        raise ValueError(f"weeks must be an integer in [1, {MAX_WEEKS}], got {weeks!r}")
    if not is_int(seed) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not is_int(n_teams) or not 2 <= n_teams <= L.MAX_TEAMS or n_teams % 2:
        raise ValueError(f"n_teams must be an even integer in [2, {L.MAX_TEAMS}], got {n_teams!r}")
    if not is_int(dropbacks) or not 1 <= dropbacks <= 100:
        raise ValueError(
            f"dropbacks_per_team_game must be an integer in [1, 100], got {dropbacks!r}"
        )


def generate_league(
    out_dir,
    *,
    weeks: int = 8,
    seed: int = 0,
    n_teams: int = 32,
    dropbacks_per_team_game: int = 38,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Writes a synthetic season (BDB 2023 schema + ground truth) into ``out_dir``.

    Deterministic for (weeks, seed, n_teams, dropbacks_per_team_game). ``progress(week)`` is called
    after each week is written. Returns summary counts.
    """
    _validate(weeks, seed, n_teams, dropbacks_per_team_game)
    out = Path(out_dir)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    league = L.build_league(np.random.default_rng([seed, 0]), n_teams)
    tables: dict[str, list[dict]] = {"games": [], "plays": [], "pff": [], "truth": []}
    tracking_rows = 0
    for week in range(1, weeks + 1):
        rng = np.random.default_rng([seed, week])
        week_tables, rows = _simulate_week(
            rng, league, week, dropbacks_per_team_game, out / f"week{week}.csv"
        )
        for k, v in week_tables.items():
            tables[k].append(v)
        tracking_rows += rows
        if progress is not None:
            progress(week)

    cat = {k: {c: np.concatenate([t[c] for t in v]) for c in v[0]} for k, v in tables.items()}
    write_csv(out / "games.csv", cat["games"], GAMES_HEADER)
    write_csv(out / "plays.csv", cat["plays"], PLAYS_HEADER)
    write_csv(out / "players.csv", league.players, PLAYERS_HEADER)
    write_csv(out / "pffScoutingData.csv", cat["pff"], PFF_HEADER)
    write_csv(out / "truth" / "plays.csv", cat["truth"], TRUTH_PLAYS_HEADER)
    qb_slots = np.array([L.QB, 22])
    write_csv(
        out / "truth" / "passers.csv",
        {
            "nflId": league.roster_Tx23[:, qb_slots].ravel(),
            "displayName": _names(league, league.roster_Tx23[:, qb_slots].ravel()),
            "team": np.repeat(np.array(league.team_abbr), 2),
            "skill": league.quality_Tx23[:, qb_slots].ravel().round(4),
        },
        TRUTH_PASSERS_HEADER,
    )
    result = cat["truth"]["passResult"]
    return {
        "weeks": weeks,
        "teams": n_teams,
        "games": len(cat["games"]["gameId"]),
        "plays": len(result),
        "released": int(np.isin(result, ["C", "I", "IN"]).sum()),
        "sacks": int((result == "S").sum()),
        "scrambles": int((result == "R").sum()),
        "tracking_rows": tracking_rows,
        "passers": int(2 * n_teams),
    }


def _names(league: L.League, nfl_ids: np.ndarray) -> np.ndarray:
    return league.players["displayName"][nfl_ids - league.players["nflId"][0]]


def _simulate_week(
    rng: np.random.Generator, league: L.League, week: int, dropbacks: int, path: Path
) -> tuple[dict[str, dict], int]:
    pairs = L.week_schedule(rng, league.n_teams)
    n_games = pairs.shape[0]
    date = FIRST_SUNDAY + np.timedelta64(7 * (week - 1), "D")
    game_ids = int(str(date).replace("-", "")) * 100 + np.arange(n_games)
    kickoff = rng.choice(
        np.array(["13:00:00", "16:05:00", "16:25:00", "20:20:00"]),
        n_games,
        p=[0.6, 0.15, 0.15, 0.1],
    )
    games = {
        "gameId": game_ids,
        "season": np.full(n_games, SEASON),
        "week": np.full(n_games, week),
        "gameDate": np.full(n_games, np.datetime_as_string(date).replace("-", "/")),
        "gameTimeEastern": kickoff,
        "homeTeamAbbr": np.array(league.team_abbr)[pairs[:, 0]],
        "visitorTeamAbbr": np.array(league.team_abbr)[pairs[:, 1]],
    }
    games["gameDate"] = np.array(
        [f"{d[5:7]}/{d[8:10]}/{d[:4]}" for d in np.full(n_games, str(date))]
    )

    # Plays: each game alternates possessions in random order, 2 * dropbacks plays.
    per_game = 2 * dropbacks
    n = n_games * per_game
    game = np.repeat(np.arange(n_games), per_game)
    home_off = np.concatenate(
        [rng.permutation(np.repeat([True, False], dropbacks)) for _ in range(n_games)]
    )
    off = np.where(home_off, pairs[game, 0], pairs[game, 1])
    dfn = np.where(home_off, pairs[game, 1], pairs[game, 0])
    i_in_game = np.tile(np.arange(per_game), n_games)
    play_id = 40 + np.cumsum(rng.integers(20, 90, n).reshape(n_games, per_game), 1).ravel()
    sit = P.sample_situations(rng, n)
    quarter = 1 + (4 * i_in_game) // per_game
    q_pos = (4 * i_in_game) % per_game / per_game
    clock = np.clip(900 * (1 - q_pos) - rng.uniform(0, 900 / per_game * 4, n), 5, 900).astype(int)
    score_inc = rng.choice([0, 3, 7], size=n, p=[0.88, 0.05, 0.07])
    home_pts = np.where(home_off, score_inc, 0).reshape(n_games, per_game)
    away_pts = np.where(home_off, 0, score_inc).reshape(n_games, per_game)
    pre_home = (np.cumsum(home_pts, 1) - home_pts).ravel()
    pre_away = (np.cumsum(away_pts, 1) - away_pts).ravel()

    backup = np.repeat(rng.random((n_games, 2)) < BACKUP_GAME_RATE, per_game, 0)
    backup = np.where(home_off, backup[:, 0], backup[:, 1])
    passer_slot = np.where(backup, 22, L.QB)
    skill = league.quality_Tx23[off, passer_slot]
    ids = np.concatenate([league.roster_Tx23[off, :11], league.roster_Tx23[dfn, 11:22]], 1)
    ids[:, 0] = league.roster_Tx23[off, passer_slot]
    jersey = np.concatenate([league.jersey_Tx23[off, :11], league.jersey_Tx23[dfn, 11:22]], 1)
    jersey[:, 0] = league.jersey_Tx23[off, passer_slot]

    # The dropback clock, on the 10 Hz grid.
    timing = P.sample_timing(
        rng, league.pass_block_T[off] - league.pass_rush_T[dfn], sit.play_action, sit.blitz, skill
    )
    n_rel = np.round(timing.t_release * P.FPS).astype(int)
    t_rel = n_rel / P.FPS
    released = timing.kind == 0
    los = 10 + sit.own_yardline
    center = rng.uniform(23.58, 29.73, n)
    primary = rng.integers(0, 4, n)
    paths = T.build_paths(
        rng,
        los,
        center,
        sit.shotgun,
        sit.blitz,
        timing.t_pressure,
        t_rel,
        timing.kind,
        league.quality_Tx23[off][:, L.RECEIVERS],
        league.quality_Tx23[dfn][:, L.MAN_DEFENDERS],
        primary,
    )

    # The pre-release state, measured on the tracking the model will see, and the read.
    all_idx = np.arange(n)
    at_rel = T.positions_at(paths, all_idx, t_rel)
    rec = at_rel[:, L.RECEIVERS]
    defn = at_rel[:, 11:22]
    gaps = np.linalg.norm(rec[:, :, None] - defn[:, None], axis=-1)  # [N, 5, 11]
    sep = gaps.min(-1)
    depth = rec[..., 0] - los[:, None]
    pressure = np.linalg.norm(defn - at_rel[:, None, 0], axis=-1).min(-1) < P.PRESSURE_RADIUS
    target = P.choose_target(rng, sep, depth, skill)
    sep_t, gaps_t = sep[all_idx, target], gaps[all_idx, target]
    crowd = (gaps_t < P.CROWD_RADIUS).sum(-1)
    target_slot = L.RECEIVERS[target]
    qb_rel = at_rel[:, 0]
    throw = np.linalg.norm(rec[all_idx, target] - qb_rel, axis=-1)
    n_fl = np.clip(np.round(P.FPS * (throw / 17.0 + 0.2)), 3, 40).astype(int)
    t_arr = t_rel + n_fl / P.FPS
    at_arr = T.positions_at(paths, all_idx, t_arr)
    catch = at_arr[all_idx, target_slot]
    air = np.round(catch[:, 0] - los).astype(np.int64)
    def_gap = np.linalg.norm(at_arr[:, 11:22] - catch[:, None], axis=-1)
    def_slot = 11 + def_gap.argmin(-1)
    def_pos = at_arr[all_idx, def_slot]

    # Outcomes and the true percentile under a league-average passer.
    to_goal = 100 - sit.own_yardline
    params = O.outcome_params(sep_t, air, pressure, crowd, skill, to_goal)
    result, yards = O.sample_outcome(rng, params)
    avg = O.outcome_params(sep_t, air, pressure, crowd, np.zeros(n), to_goal)
    below, at_most = O.yards_cdf_bounds(avg, yards)
    other_yards = P.sack_and_scramble_yards(rng, timing.kind, sit.own_yardline)
    yards = np.where(released, yards, other_yards)
    pass_result = np.where(released, result, np.where(timing.kind == 1, "S", "R"))
    code = np.select([result == "C", result == "I"], [0, 1], 2)
    away = def_pos - catch
    away = away / np.maximum(np.linalg.norm(away, axis=-1, keepdims=True), 1e-6)
    closing = np.where((code == 2)[:, None], catch, catch + 0.9 * away) - def_pos
    bearing = T.bearing(rec[all_idx, target] - qb_rel) + rng.normal(0, 4, n)

    # Frames and events.
    arrive_f = SNAP_FRAME + n_rel + n_fl
    n_frames = np.where(
        released, arrive_f + 3, SNAP_FRAME + n_rel + np.where(timing.kind == 1, 3, 15)
    )
    snap_ev = np.where(rng.random(n) < AUTO_EVENT_RATE, _EV["autoevent_ballsnap"], _EV["ball_snap"])
    shovel = (target == 0) & (depth[all_idx, 0] < 2) & (rng.random(n) < 0.3)
    rel_ev = np.select(
        [
            ~released & (timing.kind == 2),
            ~released & timing.strip_sack,
            ~released,
            rng.random(n) < AUTO_EVENT_RATE,
            shovel,
        ],
        [
            _EV["run"],
            _EV["qb_strip_sack"],
            _EV["qb_sack"],
            _EV["autoevent_passforward"],
            _EV["pass_shovel"],
        ],
        _EV["pass_forward"],
    )
    out_ev = _EV["pass_outcome_caught"] + code
    flip = rng.random(n) < 0.5
    flight = T.Flight(
        released,
        timing.kind == 2,
        t_rel,
        t_arr,
        qb_rel,
        catch,
        target_slot,
        def_slot,
        closing,
        code,
        bearing,
    )
    team_label = np.where(
        home_off[:, None],
        np.r_[np.zeros(11, int), np.ones(11, int)],
        np.r_[np.ones(11, int), np.zeros(11, int)],
    )
    kick_ms = (date - np.datetime64("1970-01-01")).astype("timedelta64[D]").astype(
        np.int64
    ) * 86_400_000 + (np.array([int(k[:2]) for k in kickoff]) + 4) * 3_600_000
    base_ms = kick_ms[game] + i_in_game * 40_000

    writer = StreamingCSV(path, TRACKING_HEADER)
    try:
        for lo in range(0, n, CHUNK_PLAYS):
            idx = np.arange(lo, min(lo + CHUNK_PLAYS, n))
            frames = T.render(
                rng,
                paths,
                idx,
                n_frames[idx],
                los[idx],
                center[idx],
                flip[idx],
                T.Flight(*[v[idx] for v in flight]),
                P.PRE_SNAP_FRAMES,
            )
            events_M = np.full(frames.f_M.shape[0], _EV["None"])
            frame_id = frames.f_M + 1
            pl = idx[frames.play_M]
            for where, ev in (
                (frame_id == SNAP_FRAME, snap_ev[pl]),
                (frame_id == SNAP_FRAME + n_rel[pl], rel_ev[pl]),
                (released[pl] & (frame_id == arrive_f[pl]), _EV["pass_arrived"]),
                (released[pl] & (frame_id == arrive_f[pl] + 1), out_ev[pl]),
            ):
                events_M = np.where(where, ev, events_M)
            writer.write(
                _tracking_columns(
                    frames,
                    idx,
                    n_frames[idx],
                    game_ids[game[idx]],
                    play_id[idx],
                    ids[idx],
                    jersey[idx],
                    team_label[idx],
                    flip[idx],
                    base_ms[idx],
                    events_M,
                )
            )
    except BaseException:
        writer.abort()
        raise
    writer.close()

    # Tables.
    side_own = sit.own_yardline <= 50
    abbr = np.array(league.team_abbr)
    cov = rng.choice(len(_COVERAGES), n, p=_COVERAGE_P)
    formation = np.where(
        sit.shotgun,
        np.array(_FORMATIONS_GUN)[rng.choice(3, n, p=[0.8, 0.1, 0.1])],
        np.where(rng.random(n) < 0.6, "SINGLEBACK", "I_FORM"),
    )
    names = _names(league, ids[:, 0])
    target_names = _names(league, ids[all_idx, target_slot])
    gclock = np.array([f"{c // 60:02d}:{c % 60:02d}" for c in clock])
    desc = np.array(
        [
            _describe(*a)
            for a in zip(
                gclock, sit.shotgun, names, target_names, pass_result, yards, air, strict=True
            )
        ]
    )
    empty = np.full(n, None, dtype=object)
    plays = {
        "gameId": game_ids[game],
        "playId": play_id,
        "playDescription": desc,
        "quarter": quarter,
        "down": sit.down,
        "yardsToGo": sit.yards_to_go,
        "possessionTeam": abbr[off],
        "defensiveTeam": abbr[dfn],
        "yardlineSide": np.where(
            sit.own_yardline == 50, None, np.where(side_own, abbr[off], abbr[dfn])
        ).astype(object),
        "yardlineNumber": np.where(side_own, sit.own_yardline, 100 - sit.own_yardline),
        "gameClock": gclock,
        "preSnapHomeScore": pre_home,
        "preSnapVisitorScore": pre_away,
        "passResult": pass_result,
        "penaltyYards": empty,
        "prePenaltyPlayResult": yards,
        "playResult": yards,
        "foulName1": empty,
        "foulNFLId1": empty,
        "foulName2": empty,
        "foulNFLId2": empty,
        "foulName3": empty,
        "foulNFLId3": empty,
        "absoluteYardlineNumber": np.where(flip, 120 - los, los),
        "offenseFormation": formation,
        "personnelO": np.full(n, "1 RB, 1 TE, 3 WR"),
        "defendersInBox": np.where(sit.blitz, 7, 6) + (rng.random(n) < 0.2),
        "personnelD": np.full(n, "4 DL, 3 LB, 4 DB"),
        "dropBackType": np.where(timing.kind == 2, "SCRAMBLE", "TRADITIONAL"),
        "pff_playAction": sit.play_action.astype(int),
        "pff_passCoverage": np.array([c[0] for c in _COVERAGES])[cov],
        "pff_passCoverageType": np.array([c[1] for c in _COVERAGES])[cov],
    }
    rel_frame = SNAP_FRAME + n_rel
    truth = {
        "gameId": game_ids[game],
        "playId": play_id,
        "passer_nflId": ids[:, 0],
        "snap_frameId": np.full(n, SNAP_FRAME),
        "release_frameId": _masked(rel_frame, released),
        "passResult": pass_result,
        "yards": yards,
        "air_yards": _masked(air, released),
        "pressure": pressure.astype(int),
        "true_percentile": _masked((0.5 * (below + at_most)).round(6), released),
        "true_cdf_below": _masked(below.round(6), released),
        "true_pmf": _masked((at_most - below).round(6), released),
        "target_nflId": _masked(ids[all_idx, target_slot], released),
        "separation": _masked(sep_t.round(3), released),
        "time_to_throw": _masked(t_rel, released),
    }
    pff = _scouting(game_ids[game], play_id, ids, sit.blitz, primary, timing.kind, pressure, rng)
    return {"games": games, "plays": plays, "pff": pff, "truth": truth}, writer.rows


def _masked(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    out = values.astype(object)
    out[~keep] = None
    return out


def _describe(clock, shotgun, passer, target, result, yards, air) -> str:
    gun = " (Shotgun)" if shotgun else ""
    depth = "deep" if air >= 15 else "short"
    if result == "S":
        what = f"sacked for {yards} yards"
    elif result == "R":
        what = f"scrambles for {yards} yards"
    elif result == "C":
        what = f"pass {depth} to {target} for {yards} yards"
    elif result == "IN":
        what = f"pass {depth} intended for {target} INTERCEPTED"
    else:
        what = f"pass {depth} incomplete intended for {target}"
    return f"({clock}){gun} {passer} {what}."


def _scouting(game_id, play_id, ids, blitz, primary, kind, pressure, rng) -> dict[str, np.ndarray]:
    """pffScoutingData rows: one per player per play, the passer's role is 'Pass'."""
    n = ids.shape[0]
    role = np.array(
        ["Pass"] + ["Pass Block"] * 5 + ["Pass Route"] * 5 + ["Pass Rush"] * 4 + ["Coverage"] * 7,
        dtype=object,
    )
    role_N = np.tile(role, (n, 1))
    role_N[blitz, L.BLITZER] = "Pass Rush"
    rusher = role_N == "Pass Rush"
    is_primary = np.zeros((n, 22), bool)
    is_primary[np.arange(n), 11 + primary] = True
    sack = is_primary & (kind == 1)[:, None]
    hurry = is_primary & (pressure & (kind != 1))[:, None]
    hit = is_primary & (sack | (hurry & (rng.random(n) < 0.3)[:, None]))
    blocker = role_N == "Pass Block"
    beaten = np.zeros((n, 22), bool)
    beaten[np.arange(n), np.array([1, 2, 4, 5])[primary]] = True
    beaten &= (kind == 1)[:, None] | pressure[:, None]
    blocked = np.array([0, 11, 12, 12, 13, 14] + [0] * 16)
    blocked_id = np.where(blocker, ids[:, np.maximum(blocked, 0)], 0)

    def opt(values, mask):
        out = values.astype(int).astype(object)
        out[~mask] = None
        return out.ravel()

    return {
        "gameId": np.repeat(game_id, 22),
        "playId": np.repeat(play_id, 22),
        "nflId": ids.ravel(),
        "pff_role": role_N.ravel().astype(str),
        "pff_positionLinedUp": np.tile(np.array(L.OFFENSE_LINEUP + L.DEFENSE_LINEUP), n),
        "pff_hit": opt(hit, rusher),
        "pff_hurry": opt(hurry, rusher),
        "pff_sack": opt(sack, rusher),
        "pff_beatenByDefender": opt(beaten, blocker),
        "pff_hitAllowed": opt(beaten & hit[:, 11:15].any(1)[:, None], blocker),
        "pff_hurryAllowed": opt(beaten & hurry[:, 11:15].any(1)[:, None], blocker),
        "pff_sackAllowed": opt(beaten & sack[:, 11:15].any(1)[:, None], blocker),
        "pff_nflIdBlockedPlayer": opt(blocked_id, blocker),
        "pff_blockType": np.where(blocker, "PP", None).astype(object).ravel(),
        "pff_backFieldBlock": opt(np.zeros((n, 22)), blocker),
    }


_TEAM_NAMES = pa.array(["home", "away", "football"])
_DIRECTIONS = pa.array(["right", "left"])
_EVENT_NAMES = pa.array(EVENTS)


def _tracking_columns(
    frames: T.Frames,
    idx,
    n_frames_P,
    game_id_P,
    play_id_P,
    ids_Px22,
    jersey_Px22,
    team_Px22,
    flip_P,
    base_ms_P,
    events_M,
) -> dict[str, pa.Array]:
    """Reorders a rendered chunk to the release's row order (play, player by nflId, frame; the ball
    last) and builds the tracking columns."""
    n_p = idx.shape[0]
    order_Px23 = np.concatenate([np.argsort(ids_Px22, 1), np.full((n_p, 1), 22)], 1)
    starts = np.concatenate([[0], np.cumsum(n_frames_P)[:-1]])
    rows_P = 23 * n_frames_P
    p = np.repeat(np.arange(n_p), rows_P)
    q = np.arange(p.shape[0]) - np.repeat(np.cumsum(rows_P) - rows_P, rows_P)
    rank, f = np.divmod(q, n_frames_P[p])
    slot = order_Px23[p, rank]
    m = starts[p] + f
    ms_M = base_ms_P[frames.play_M] + 100 * frames.f_M
    time_M = pc.strftime(pa.array(ms_M, pa.timestamp("ms")), format="%Y-%m-%dT%H:%M:%S")
    ball = slot == 22
    s22 = np.minimum(slot, 21)
    ids_R = ids_Px22[p, s22]
    team = np.where(ball, 2, team_Px22[p, s22])
    return {
        "gameId": game_id_P[p],
        "playId": play_id_P[p],
        "nflId": pa.array(ids_R, mask=ball),
        "frameId": f + 1,
        "time": time_M.take(pa.array(m)),
        "jerseyNumber": pa.array(jersey_Px22[p, s22], mask=ball),
        "team": _TEAM_NAMES.take(pa.array(team)),
        "playDirection": _DIRECTIONS.take(pa.array(flip_P[p].astype(np.int64))),
        "x": frames.xy_Mx23x2[m, slot, 0],
        "y": frames.xy_Mx23x2[m, slot, 1],
        "s": frames.s_Mx23[m, slot],
        "a": frames.a_Mx23[m, slot],
        "dis": frames.dis_Mx23[m, slot],
        "o": pa.array(frames.o_Mx22[m, s22], mask=ball),
        "dir": pa.array(frames.dir_Mx22[m, s22], mask=ball),
        "event": _EVENT_NAMES.take(pa.array(events_M[m])),
    }
