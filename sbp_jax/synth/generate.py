"""Generates a synthetic league week by week and writes it in the Big Data Bowl 2023 schema (or the
BDB 2026 layout): the arguments, the league, the season's weeks (week.py) and, at the end, its small
tables and the ground truth.

See docs/synthetic_league.md for the generative model. One week is simulated at a time (vectorized
over its plays), its tracking streamed to ``week{N}.csv`` (or ``train/input_*`` / ``output_*``) in
chunks of plays; the small tables are written at the end. Every file goes to a temp path first and
is renamed when complete.
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from sbp_jax.synth import bdb2026 as B26
from sbp_jax.synth import league as L
from sbp_jax.synth import tables as TB
from sbp_jax.synth.week import simulate_week
from sbp_jax.synth.world import World, resolve_world
from sbp_jax.synth.writer import atomic_path, write_csv

MAX_WEEKS = 22
MAX_DROPBACKS = 100
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


def _simulate(job: tuple) -> tuple[dict, int]:
    seed, league, world, week, dropbacks, out, fmt = job
    rngs = (
        np.random.default_rng([seed, week]),
        np.random.default_rng([seed, week, WORLD_STREAM]),
    )
    return simulate_week(rngs, league, world, week, dropbacks, out, fmt)


def _simulated(jobs: list[tuple], workers: int) -> Iterator[tuple[dict, int]]:
    """Each week's (tables, tracking rows), in week order, from up to `workers` processes."""
    if workers <= 1 or len(jobs) == 1:
        yield from map(_simulate, jobs)
        return
    ctx = multiprocessing.get_context("spawn")  # no fork of a process that may hold threads
    with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=ctx) as pool:
        yield from pool.map(_simulate, jobs)


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
    workers: int = 1,
) -> dict:
    """Writes a synthetic season (BDB 2023 schema or BDB 2026 layout + ground truth) into
    ``out_dir``.

    ``world`` is a preset name (world.WORLDS) or a World. Deterministic for (weeks, seed,
    n_teams, dropbacks_per_team_game, world); both formats render the same plays.
    ``progress(week)`` is called after each week is written. ``workers`` > 1 simulates weeks in
    that many processes (each week has its own random streams, so the files are the same).
    Returns summary counts.
    """
    _validate(weeks, seed, n_teams, dropbacks_per_team_game, fmt)
    world = resolve_world(world)
    out = Path(out_dir)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    if fmt == "bdb2026":
        (out / "train").mkdir(exist_ok=True)
    league = L.build_league(np.random.default_rng([seed, 0]), n_teams, world.cast_spread)
    parts: dict[str, list[dict]] = {}
    tracking_rows = 0
    jobs = [
        (seed, league, world, w, dropbacks_per_team_game, out, fmt) for w in range(1, weeks + 1)
    ]
    for week, (week_tables, rows) in enumerate(_simulated(jobs, workers), start=1):
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
