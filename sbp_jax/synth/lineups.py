"""Lineups: who is on the field for each play of a week (the starters, or a backup passer for a
whole game now and then) and the game context each play is snapped in (play ids, quarter, clock,
score, wall-clock time)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sbp_jax.synth import league as L
from sbp_jax.synth import play as P
from sbp_jax.synth.world import World

BACKUP_GAME_RATE = 0.05
SECONDS_PER_PLAY = 40


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


def draw_lineups(
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
