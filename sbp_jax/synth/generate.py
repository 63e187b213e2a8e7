"""Generates a synthetic league week by week and writes it in the Big Data Bowl 2023 schema (or the
BDB 2026 layout).

See docs/synthetic_league.md for the generative model. One week is simulated at a time (vectorized
over its plays), its tracking streamed to ``week{N}.csv`` (or ``train/input_*`` / ``output_*``) in
chunks of plays; the small tables are written at the end. Every file goes to a temp path first and
is renamed when complete.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np

from sbp_jax.synth import bdb2026 as B26
from sbp_jax.synth import league as L
from sbp_jax.synth import outcome as O
from sbp_jax.synth import play as P
from sbp_jax.synth import tables as TB
from sbp_jax.synth import tracking as T
from sbp_jax.synth.playbook import (
    FORMATIONS,
    MAN_SHELL,
    ROUTE_LABELS,
    ZONE_SHELLS,
    receiver_alignment,
)
from sbp_jax.synth.world import World, resolve_world
from sbp_jax.synth.writer import StreamingCSV, atomic_path, write_csv

SEASON = 2021
FIRST_SUNDAY = np.datetime64("2021-09-12")
CHUNK_PLAYS = 256
MAX_WEEKS = 22
MAX_DROPBACKS = 100
AUTO_EVENT_RATE = 0.03
BACKUP_GAME_RATE = 0.05
SNAP_FRAME = P.PRE_SNAP_FRAMES + 1
SECONDS_PER_PLAY = 40
FORMATS = ("bdb2023", "bdb2026")
WORLD_STREAM = 1  # week w's world draws come from the stream [seed, w, WORLD_STREAM]


def _validate(weeks: object, seed: object, n_teams: object, dropbacks: object, fmt: object) -> None:
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
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")


def generate_league(
    out_dir,
    *,
    weeks: int = 8,
    seed: int = 0,
    n_teams: int = 32,
    dropbacks_per_team_game: int = 38,
    world: str | World = "default",
    fmt: str = "bdb2023",
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Writes a synthetic season (BDB 2023 schema or BDB 2026 layout + ground truth) into
    ``out_dir``.

    ``world`` is a preset name (world.WORLDS) or a World. Deterministic for (weeks, seed,
    n_teams, dropbacks_per_team_game, world); both formats render the same plays.
    ``progress(week)`` is called after each week is written. Returns summary counts.
    """
    _validate(weeks, seed, n_teams, dropbacks_per_team_game, fmt)
    world = resolve_world(world)
    out = Path(out_dir)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    if fmt == "bdb2026":
        (out / "train").mkdir(exist_ok=True)
    league = L.build_league(np.random.default_rng([seed, 0]), n_teams)
    parts: dict[str, list[dict]] = {}
    tracking_rows = 0
    for week in range(1, weeks + 1):
        rngs = (
            np.random.default_rng([seed, week]),
            np.random.default_rng([seed, week, WORLD_STREAM]),
        )
        week_tables, rows = _simulate_week(
            rngs, league, world, week, dropbacks_per_team_game, out, fmt
        )
        for name, table in week_tables.items():
            parts.setdefault(name, []).append(table)
        tracking_rows += rows
        if progress is not None:
            progress(week)

    cat = {k: {c: np.concatenate([t[c] for t in v]) for c in v[0]} for k, v in parts.items()}
    if fmt == "bdb2023":
        write_csv(out / "games.csv", cat["games"], TB.GAMES_HEADER)
        write_csv(out / "plays.csv", cat["plays"], TB.PLAYS_HEADER)
        write_csv(out / "players.csv", league.players, TB.PLAYERS_HEADER)
        write_csv(out / "pffScoutingData.csv", cat["pff"], TB.PFF_HEADER)
    else:
        write_csv(out / B26.SUPPLEMENTARY_FILE, cat["supplementary"], B26.SUPPLEMENTARY_HEADER)
    write_csv(out / "truth" / "plays.csv", cat["truth"], TB.TRUTH_PLAYS_HEADER)
    write_csv(out / "truth" / "passers.csv", TB.passers_table(league), TB.TRUTH_PASSERS_HEADER)
    with atomic_path(out / "truth" / "world.json") as tmp:
        tmp.write_text(json.dumps({"name": world.name, "params": world.as_json()}, indent=1))
    result = cat["results"]["passResult"]
    return {
        "weeks": weeks,
        "teams": n_teams,
        "games": weeks * (n_teams // 2),
        "plays": len(result),
        "released": int(np.isin(result, ["C", "I", "IN"]).sum()),
        "sacks": int((result == "S").sum()),
        "scrambles": int((result == "R").sum()),
        "plays_written": len(cat["truth"]["playId"]),
        "tracking_rows": tracking_rows,
        "passers": int(2 * n_teams),
        "world": world.name,
        "format": fmt,
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
    world: World,
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
    sit = P.sample_situations(rng, world, n)
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
    target: np.ndarray  # receiver 0..4 (RB, TE, WR1..3) thrown to
    qb_release_depth: np.ndarray  # yd behind the line at the release
    qb_release_dy: np.ndarray  # yd left (+) / right of the ball at the release
    near_catch_Nx22: np.ndarray  # bool: within B26.PREDICT_RADIUS of the catch point at arrival
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
    rng: np.random.Generator,
    wrng: np.random.Generator,
    world: World,
    league: L.League,
    lu: Lineups,
    sit: P.Situation,
    design: P.Design,
) -> Simulated:
    """Dropback clock, paths, the read measured on the tracking, outcome, events."""
    n = lu.play_id.shape[0]
    rows = np.arange(n)
    timing = P.sample_timing(
        rng,
        world,
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
        wrng,
        world,
        design,
        los,
        center,
        sit.blitz,
        sit.play_action,
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
    target = P.choose_target(rng, world, sep_Nx5, depth_Nx5, lu.skill, design.first_read)
    sep_t = sep_Nx5[rows, target]
    crowd = (gaps_Nx5x11[rows, target] < P.CROWD_RADIUS).sum(-1)
    target_slot = L.RECEIVERS[target]
    throw = np.linalg.norm(rec[rows, target] - qb_rel, axis=-1)
    flight_s = throw / world.ball_speed + world.flight_overhead
    n_fl = np.clip(np.round(P.FPS * flight_s), 3, 40).astype(int)
    t_arr = t_rel + n_fl / P.FPS
    at_arr = T.positions_at(paths, rows, t_arr)
    catch = at_arr[rows, target_slot]
    air = np.round(catch[:, 0] - los).astype(np.int64)
    to_catch_Nx22 = np.linalg.norm(at_arr - catch[:, None], axis=-1)
    def_slot = 11 + to_catch_Nx22[:, 11:22].argmin(-1)
    def_pos = at_arr[rows, def_slot]

    # Outcomes, and the percentile of the realized yards under a league-average passer.
    to_goal = 100 - sit.own_yardline
    law = world.outcome
    result, yards = O.sample_outcome(
        rng, law, O.outcome_params(law, sep_t, air, pressure, crowd, lu.skill, to_goal)
    )
    below, at_most = O.yards_cdf_bounds(
        law, O.outcome_params(law, sep_t, air, pressure, crowd, np.zeros(n), to_goal), yards
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
        target=target,
        qb_release_depth=los - qb_rel[:, 0],
        qb_release_dy=qb_rel[:, 1] - center,
        near_catch_Nx22=to_catch_Nx22 <= B26.PREDICT_RADIUS,
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
    rng: np.random.Generator,
    out: Path,
    week: int,
    fmt: str,
    league: L.League,
    lu: Lineups,
    sim: Simulated,
    game_ids: np.ndarray,
    role_Nx22: np.ndarray,
) -> int:
    """Renders the week's tracking in chunks of plays (the same frames in both formats) and
    streams it in the format's layout; returns the row count."""
    team_Nx22 = np.where(lu.home_off[:, None], np.repeat([0, 1], 11), np.repeat([1, 0], 11))
    predict_Nx22 = (role_Nx22 == B26.TARGET) | ((role_Nx22 == B26.COVERAGE) & sim.near_catch_Nx22)
    if fmt == "bdb2023":
        writers = [StreamingCSV(out / f"week{week}.csv", TB.TRACKING_HEADER)]
    else:
        names = B26.file_names(SEASON, week)
        headers = (B26.INPUT_HEADER, B26.OUTPUT_HEADER)
        writers = [StreamingCSV(out / "train" / f, h) for f, h in zip(names, headers, strict=True)]
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
            if fmt == "bdb2023":
                writers[0].write(
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
                continue
            cp = B26.ChunkPlays(
                game_id=game_ids[lu.game[idx]],
                play_id=lu.play_id[idx],
                ids_Px22=lu.ids_Nx22[idx],
                role_Px22=role_Nx22[idx],
                predict_Px22=predict_Nx22[idx],
                flip=sim.flip[idx],
                los_x=np.where(sim.flip[idx], 120 - sim.los[idx], sim.los[idx]),
                n_frames=sim.n_frames[idx],
                n_release=sim.n_release[idx],
                n_flight=sim.n_flight[idx],
            )
            writers[0].write(B26.input_columns(frames, cp, league.players, P.PRE_SNAP_FRAMES))
            writers[1].write(B26.output_columns(frames, cp, P.PRE_SNAP_FRAMES))
    except BaseException:
        for writer in writers:
            writer.abort()
        raise
    for writer in writers:
        writer.close()
    return sum(writer.rows for writer in writers)


def _simulate_week(
    rngs: tuple[np.random.Generator, np.random.Generator],
    league: L.League,
    world: World,
    week: int,
    dropbacks: int,
    out: Path,
    fmt: str,
) -> tuple[dict[str, dict], int]:
    """One week: schedule, lineups, simulation, tracking; returns its tables and row count.
    ``rngs`` = (the week's stream, the world stream)."""
    rng, wrng = rngs
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

    lu, sit = _lineups(rng, world, league, pairs, dropbacks, kick_ms)
    design = P.sample_design(wrng, world, sit.shotgun)
    sit = sit._replace(shotgun=design.shotgun)
    sim = _simulate(rng, wrng, world, league, lu, sit, design)
    keep = sim.flight.released & (sim.n_flight >= B26.MIN_FLIGHT_FRAMES)
    role_Nx22 = B26.roles(keep, sim.flight.target_slot, sit.blitz)
    rows = _write_tracking(rng, out, week, fmt, league, lu, sim, game_ids, role_Nx22)
    shell_pff = np.array([s.pff for s in ZONE_SHELLS.values()])[design.shell]
    shell_type = np.array([s.man_zone for s in ZONE_SHELLS.values()])[design.shell]
    formation = tuple(FORMATIONS.values())
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
        charted=design.charted,
        formation_label=np.where(
            design.shotgun,
            np.array([f.label_gun for f in formation])[design.formation],
            np.array([f.label_uc for f in formation])[design.formation],
        ),
        coverage_label=np.where(design.man, MAN_SHELL.pff, shell_pff),
        coverage_type=np.where(design.man, MAN_SHELL.man_zone, shell_type),
    )
    games = TB.games_table(league, pairs, game_ids, SEASON, week, date, kickoff)
    plays = TB.plays_table(rng, league, facts)
    results = {"passResult": sim.pass_result}
    if fmt == "bdb2023":
        tables = {
            "games": games,
            "plays": plays,
            "truth": TB.truth_table(facts, SNAP_FRAME, P.FPS),
            "pff": TB.scouting_table(rng, facts),
            "results": results,
        }
        return tables, rows
    # BDB 2026: the passes in the files only; frame 1 is the snap.
    align = T.ALIGN_Fx5x6[design.formation]
    gun = design.shotgun[:, None]
    chart = B26.PassCharting(
        receiver_alignment=receiver_alignment(
            np.where(gun, align[..., 0], align[..., 2]), np.where(gun, align[..., 1], align[..., 3])
        ),
        target_route=ROUTE_LABELS[sim.paths.route_Nx5[np.arange(keep.shape[0]), sim.target]],
        dropback_depth=sim.qb_release_depth,
        release_dy=sim.qb_release_dy,
    )
    supplementary = B26.supplementary_table(plays, games, facts, lu.game, lu.home_off, chart)
    truth = TB.truth_table(facts._replace(release_frame=1 + sim.n_release), 1, P.FPS)
    tables = {
        "supplementary": {k: v[keep] for k, v in supplementary.items()},
        "truth": {k: v[keep] for k, v in truth.items()},
        "results": results,
    }
    return tables, rows
