"""One week of the league: its games (pairings, ids, kickoffs), the lineups, play calls and
simulated dropbacks of their plays, the tracking streamed in the format's layout, and the week's
rows of the other tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sbp_jax.synth import bdb2026 as B26
from sbp_jax.synth import league as L
from sbp_jax.synth import play as P
from sbp_jax.synth import tables as TB
from sbp_jax.synth import tracking_bdb2023, tracking_bdb2026
from sbp_jax.synth.lineups import Lineups, draw_lineups
from sbp_jax.synth.playbook import (
    FORMATIONS,
    MAN_SHELL,
    ROUTE_LABELS,
    ZONE_SHELLS,
    receiver_alignment,
    receiver_spots,
)
from sbp_jax.synth.simulate import Simulated, simulate
from sbp_jax.synth.world import World

SEASON = 2021
FIRST_SUNDAY = np.datetime64("2021-09-12")


def simulate_week(
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

    lu, sit = draw_lineups(rng, world, league, pairs, dropbacks, kick_ms)
    design = P.sample_design(wrng, world, sit.shotgun)
    sit = sit._replace(shotgun=design.shotgun)
    sim = simulate(rng, wrng, world, league, lu, sit, design)
    keep = sim.flight.released & (sim.n_flight >= B26.MIN_FLIGHT_FRAMES)
    if fmt == "bdb2023":
        rows = tracking_bdb2023.write_week(rng, out, week, lu, sim, game_ids)
    else:
        role_Nx22 = B26.roles(keep, sim.flight.target_slot, sit.blitz)
        rows = tracking_bdb2026.write_week(
            rng, out, SEASON, week, league.players, lu, sim, game_ids, role_Nx22
        )
    facts = _play_facts(game_ids, lu, sit, design, sim)
    games = TB.games_table(league, pairs, game_ids, SEASON, week, date, kickoff)
    plays = TB.plays_table(rng, league, facts)
    results = {"passResult": sim.pass_result}
    if fmt == "bdb2023":
        tables = {
            "games": games,
            "plays": plays,
            "truth": TB.truth_table(facts, P.SNAP_FRAME, P.FPS),
            "pff": TB.scouting_table(rng, facts),
            "results": results,
        }
        return tables, rows
    # BDB 2026: the passes in the files only; frame 1 is the snap.
    chart = B26.PassCharting(
        receiver_alignment=receiver_alignment(*receiver_spots(design.formation, design.shotgun)),
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


def _play_facts(
    game_ids: np.ndarray, lu: Lineups, sit: P.Situation, design: P.Design, sim: Simulated
) -> TB.PlayFacts:
    """What the tables need about each play, with the charted formation and coverage labels."""
    shell_pff = np.array([s.pff for s in ZONE_SHELLS.values()])[design.shell]
    shell_type = np.array([s.man_zone for s in ZONE_SHELLS.values()])[design.shell]
    formation = tuple(FORMATIONS.values())
    return TB.PlayFacts(
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
        release_frame=P.SNAP_FRAME + sim.n_release,
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
