"""Generates a synthetic league week by week and writes it in the Big Data Bowl 2023 schema.

See docs/synthetic_league.md for the generative model. One week is simulated at a time (vectorized
over its plays), its tracking streamed to ``week{N}.csv`` in chunks of plays; the small tables are
written at the end. Every file goes to a temp path first and is renamed when complete.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np

from sbp_jax.synth import league as L
from sbp_jax.synth import outcome as O
from sbp_jax.synth import play as P
from sbp_jax.synth import tables as TB
from sbp_jax.synth import tracking as T
from sbp_jax.synth.writer import StreamingCSV, write_csv

SEASON = 2021
FIRST_SUNDAY = np.datetime64("2021-09-12")
CHUNK_PLAYS = 256
MAX_WEEKS = 22
MAX_DROPBACKS = 100
AUTO_EVENT_RATE = 0.03
BACKUP_GAME_RATE = 0.05
SNAP_FRAME = P.PRE_SNAP_FRAMES + 1
BALL_SPEED = 17.0  # yd/s (plus 0.2 s) for the flight time
SECONDS_PER_PLAY = 40


def _validate(weeks: object, seed: object, n_teams: object, dropbacks: object) -> None:
    def is_int(v: object) -> bool:
        return isinstance(v, int | np.integer) and not isinstance(v, bool)

    if not is_int(weeks) or not 1 <= weeks <= MAX_WEEKS:
        raise ValueError(f"weeks must be an integer in [1, {MAX_WEEKS}], got {weeks!r}")
    if not is_int(seed) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not is_int(n_teams) or not 2 <= n_teams <= L.MAX_TEAMS or n_teams % 2:
        raise ValueError(f"n_teams must be an even integer in [2, {L.MAX_TEAMS}], got {n_teams!r}")
    if not is_int(dropbacks) or not 1 <= dropbacks <= MAX_DROPBACKS:
        raise ValueError(
            f"dropbacks_per_team_game must be an integer in [1, {MAX_DROPBACKS}], got {dropbacks!r}"
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
    parts: dict[str, list[dict]] = {"games": [], "plays": [], "pff": [], "truth": []}
    tracking_rows = 0
    for week in range(1, weeks + 1):
        rng = np.random.default_rng([seed, week])
        week_tables, rows = _simulate_week(
            rng, league, week, dropbacks_per_team_game, out / f"week{week}.csv"
        )
        for name, table in week_tables.items():
            parts[name].append(table)
        tracking_rows += rows
        if progress is not None:
            progress(week)

    cat = {k: {c: np.concatenate([t[c] for t in v]) for c in v[0]} for k, v in parts.items()}
    write_csv(out / "games.csv", cat["games"], TB.GAMES_HEADER)
    write_csv(out / "plays.csv", cat["plays"], TB.PLAYS_HEADER)
    write_csv(out / "players.csv", league.players, TB.PLAYERS_HEADER)
    write_csv(out / "pffScoutingData.csv", cat["pff"], TB.PFF_HEADER)
    write_csv(out / "truth" / "plays.csv", cat["truth"], TB.TRUTH_PLAYS_HEADER)
    write_csv(out / "truth" / "passers.csv", TB.passers_table(league), TB.TRUTH_PASSERS_HEADER)
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


class Lineups(NamedTuple):
    """Who is on the field and the game context of each play of a week ([N] arrays)."""

    game: np.ndarray  # index into the week's games
    home_off: np.ndarray  # the home team has the ball
    off: np.ndarray
    dfn: np.ndarray
    play_id: np.ndarray
    quarter: np.ndarray
    clock_s: np.ndarray
    pre_home: np.ndarray
    pre_away: np.ndarray
    skill: np.ndarray  # the passer's latent skill
    ids_Nx22: np.ndarray
    jersey_Nx22: np.ndarray
    base_ms: np.ndarray  # wall-clock time of the play's first frame (ms since epoch)


def _lineups(
    rng: np.random.Generator,
    league: L.League,
    pairs: np.ndarray,
    dropbacks: int,
    kick_ms: np.ndarray,
) -> tuple[Lineups, P.Situation]:
    """Each game has 2 * dropbacks plays, possessions in random order, clock and score running;
    also draws each play's pre-snap situation."""
    n_games = pairs.shape[0]
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
    clock = np.clip(900 * (1 - q_pos) - rng.uniform(0, 3600 / per_game, n), 5, 900).astype(int)
    score_inc = rng.choice([0, 3, 7], size=n, p=[0.88, 0.05, 0.07])
    home_pts = np.where(home_off, score_inc, 0).reshape(n_games, per_game)
    away_pts = np.where(home_off, 0, score_inc).reshape(n_games, per_game)

    backup = np.repeat(rng.random((n_games, 2)) < BACKUP_GAME_RATE, per_game, 0)
    passer_slot = np.where(np.where(home_off, backup[:, 0], backup[:, 1]), 22, L.QB)
    ids = np.concatenate([league.roster_Tx23[off, :11], league.roster_Tx23[dfn, 11:22]], 1)
    ids[:, 0] = league.roster_Tx23[off, passer_slot]
    jersey = np.concatenate([league.jersey_Tx23[off, :11], league.jersey_Tx23[dfn, 11:22]], 1)
    jersey[:, 0] = league.jersey_Tx23[off, passer_slot]
    return Lineups(
        game=game,
        home_off=home_off,
        off=off,
        dfn=dfn,
        play_id=play_id,
        quarter=quarter,
        clock_s=clock,
        pre_home=(np.cumsum(home_pts, 1) - home_pts).ravel(),
        pre_away=(np.cumsum(away_pts, 1) - away_pts).ravel(),
        skill=league.quality_Tx23[off, passer_slot],
        ids_Nx22=ids,
        jersey_Nx22=jersey,
        base_ms=kick_ms[game] + i_in_game * SECONDS_PER_PLAY * 1000,
    ), sit


class Simulated(NamedTuple):
    """Everything decided about a week's plays before the frames are rendered ([N] arrays)."""

    timing: P.Timing
    n_release: np.ndarray  # frames from the snap to the release (or sack / scramble)
    n_flight: np.ndarray  # frames from the release to the pass's arrival
    los: np.ndarray
    center: np.ndarray
    primary: np.ndarray
    paths: T.Paths
    flight: T.Flight
    separation: np.ndarray
    air: np.ndarray
    pressure: np.ndarray
    pass_result: np.ndarray
    yards: np.ndarray
    cdf_below: np.ndarray
    cdf_at_most: np.ndarray
    n_frames: np.ndarray
    events_Nx4: np.ndarray  # (snap, release-or-end, arrival, outcome) event indices
    flip: np.ndarray


def _simulate(
    rng: np.random.Generator, league: L.League, lu: Lineups, sit: P.Situation
) -> Simulated:
    """Dropback clock, paths, the read measured on the tracking, outcome, events."""
    n = lu.play_id.shape[0]
    rows = np.arange(n)
    timing = P.sample_timing(
        rng,
        league.pass_block_T[lu.off] - league.pass_rush_T[lu.dfn],
        sit.play_action,
        sit.blitz,
        lu.skill,
    )
    n_rel = np.round(timing.t_release * P.FPS).astype(int)
    t_rel = n_rel / P.FPS
    released = timing.kind == 0
    los = 10 + sit.own_yardline
    center = rng.uniform(23.58, 29.73, n)  # between the hash marks
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
        league.quality_Tx23[lu.off][:, L.RECEIVERS],
        league.quality_Tx23[lu.dfn][:, L.MAN_DEFENDERS],
        primary,
    )

    # The pre-release state, measured on the tracking the model will see, and the read.
    at_rel = T.positions_at(paths, rows, t_rel)
    rec, defn, qb_rel = at_rel[:, L.RECEIVERS], at_rel[:, 11:22], at_rel[:, 0]
    gaps_Nx5x11 = np.linalg.norm(rec[:, :, None] - defn[:, None], axis=-1)
    sep_Nx5 = gaps_Nx5x11.min(-1)
    depth_Nx5 = rec[..., 0] - los[:, None]
    pressure = np.linalg.norm(defn - qb_rel[:, None], axis=-1).min(-1) < P.PRESSURE_RADIUS
    target = P.choose_target(rng, sep_Nx5, depth_Nx5, lu.skill)
    sep_t = sep_Nx5[rows, target]
    crowd = (gaps_Nx5x11[rows, target] < P.CROWD_RADIUS).sum(-1)
    target_slot = L.RECEIVERS[target]
    throw = np.linalg.norm(rec[rows, target] - qb_rel, axis=-1)
    n_fl = np.clip(np.round(P.FPS * (throw / BALL_SPEED + 0.2)), 3, 40).astype(int)
    t_arr = t_rel + n_fl / P.FPS
    at_arr = T.positions_at(paths, rows, t_arr)
    catch = at_arr[rows, target_slot]
    air = np.round(catch[:, 0] - los).astype(np.int64)
    def_slot = 11 + np.linalg.norm(at_arr[:, 11:22] - catch[:, None], axis=-1).argmin(-1)
    def_pos = at_arr[rows, def_slot]

    # Outcomes, and the percentile of the realized yards under a league-average passer.
    to_goal = 100 - sit.own_yardline
    result, yards = O.sample_outcome(
        rng, O.outcome_params(sep_t, air, pressure, crowd, lu.skill, to_goal)
    )
    below, at_most = O.yards_cdf_bounds(
        O.outcome_params(sep_t, air, pressure, crowd, np.zeros(n), to_goal), yards
    )
    other_yards = P.sack_and_scramble_yards(rng, timing.kind, sit.own_yardline)
    code = np.select([result == "C", result == "I"], [0, 1], 2)
    away = def_pos - catch
    away /= np.maximum(np.linalg.norm(away, axis=-1, keepdims=True), 1e-6)
    closing = np.where((code == 2)[:, None], catch, catch + 0.9 * away) - def_pos
    bearing = T.bearing(rec[rows, target] - qb_rel) + rng.normal(0, 4, n)

    # Events: (snap, release or sack/run, arrival, outcome).
    snap_ev = np.where(
        rng.random(n) < AUTO_EVENT_RATE, TB.EV["autoevent_ballsnap"], TB.EV["ball_snap"]
    )
    shovel = (target == 0) & (depth_Nx5[:, 0] < 2) & (rng.random(n) < 0.1)
    rel_ev = np.select(
        [
            ~released & (timing.kind == 2),
            ~released & timing.strip_sack,
            ~released,
            rng.random(n) < AUTO_EVENT_RATE,
            shovel,
        ],
        [
            TB.EV["run"],
            TB.EV["qb_strip_sack"],
            TB.EV["qb_sack"],
            TB.EV["autoevent_passforward"],
            TB.EV["pass_shovel"],
        ],
        TB.EV["pass_forward"],
    )
    events = np.stack(
        [snap_ev, rel_ev, np.full(n, TB.EV["pass_arrived"]), TB.EV["pass_outcome_caught"] + code], 1
    )
    tail = np.where(released, n_fl + 3, np.where(timing.kind == 1, 3, 15))
    return Simulated(
        timing=timing,
        n_release=n_rel,
        n_flight=n_fl,
        los=los,
        center=center,
        primary=primary,
        paths=paths,
        flight=T.Flight(
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
        ),
        separation=sep_t,
        air=air,
        pressure=pressure,
        pass_result=np.where(released, result, np.where(timing.kind == 1, "S", "R")),
        yards=np.where(released, yards, other_yards),
        cdf_below=below,
        cdf_at_most=at_most,
        n_frames=SNAP_FRAME + n_rel + tail,
        events_Nx4=events,
        flip=rng.random(n) < 0.5,
    )


def _frame_events(sim: Simulated, idx_P: np.ndarray, frames: T.Frames) -> np.ndarray:
    """Event index of every rendered frame ("None" except at the marked frames)."""
    pl = idx_P[frames.play_M]
    frame_id = frames.f_M + 1
    release = SNAP_FRAME + sim.n_release[pl]
    arrive = release + sim.n_flight[pl]
    released = sim.flight.released[pl]
    at = np.stack(
        [
            frame_id == SNAP_FRAME,
            frame_id == release,
            released & (frame_id == arrive),
            released & (frame_id == arrive + 1),
        ],
        1,
    )
    return np.where(at.any(1), sim.events_Nx4[pl, at.argmax(1)], TB.EV["None"])


def _write_tracking(
    rng: np.random.Generator, path: Path, lu: Lineups, sim: Simulated, game_ids: np.ndarray
) -> int:
    """Renders and streams the week's tracking in chunks of plays; returns the row count."""
    team_Nx22 = np.where(lu.home_off[:, None], np.repeat([0, 1], 11), np.repeat([1, 0], 11))
    writer = StreamingCSV(path, TB.TRACKING_HEADER)
    try:
        for lo in range(0, lu.play_id.shape[0], CHUNK_PLAYS):
            idx = np.arange(lo, min(lo + CHUNK_PLAYS, lu.play_id.shape[0]))
            frames = T.render(
                rng,
                sim.paths,
                idx,
                sim.n_frames[idx],
                sim.los[idx],
                sim.center[idx],
                sim.flip[idx],
                T.Flight(*[v[idx] for v in sim.flight]),
                P.PRE_SNAP_FRAMES,
            )
            writer.write(
                TB.tracking_columns(
                    frames,
                    sim.n_frames[idx],
                    game_ids[lu.game[idx]],
                    lu.play_id[idx],
                    lu.ids_Nx22[idx],
                    lu.jersey_Nx22[idx],
                    team_Nx22[idx],
                    sim.flip[idx],
                    lu.base_ms[idx],
                    _frame_events(sim, idx, frames),
                )
            )
    except BaseException:
        writer.abort()
        raise
    writer.close()
    return writer.rows


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
    day_ms = (date - np.datetime64("1970-01-01")).astype("timedelta64[ms]").astype(np.int64)
    kick_ms = day_ms + (np.array([int(k[:2]) for k in kickoff]) + 4) * 3_600_000  # EDT -> UTC

    lu, sit = _lineups(rng, league, pairs, dropbacks, kick_ms)
    sim = _simulate(rng, league, lu, sit)
    rows = _write_tracking(rng, path, lu, sim, game_ids)
    facts = TB.PlayFacts(
        game_id=game_ids[lu.game],
        play_id=lu.play_id,
        ids_Nx22=lu.ids_Nx22,
        off=lu.off,
        dfn=lu.dfn,
        quarter=lu.quarter,
        clock_s=lu.clock_s,
        pre_home=lu.pre_home,
        pre_away=lu.pre_away,
        down=sit.down,
        yards_to_go=sit.yards_to_go,
        own_yardline=sit.own_yardline,
        shotgun=sit.shotgun,
        play_action=sit.play_action,
        blitz=sit.blitz,
        kind=sim.timing.kind,
        flip=sim.flip,
        pass_result=sim.pass_result,
        yards=sim.yards,
        air=sim.air,
        pressure=sim.pressure,
        target_slot=sim.flight.target_slot,
        separation=sim.separation,
        release_frame=SNAP_FRAME + sim.n_release,
        primary_rusher=sim.primary,
        cdf_below=sim.cdf_below,
        cdf_at_most=sim.cdf_at_most,
    )
    tables = {
        "games": TB.games_table(league, pairs, game_ids, SEASON, week, date, kickoff),
        "plays": TB.plays_table(rng, league, facts),
        "truth": TB.truth_table(facts, SNAP_FRAME, P.FPS),
        "pff": TB.scouting_table(rng, facts),
    }
    return tables, rows
