"""Synthetic league: schema, determinism, physical consistency, outcome model and ground truth."""

from __future__ import annotations

import filecmp
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pytest
from scipy import stats

from sbp_jax.synth import generate_league
from sbp_jax.synth import outcome as O
from sbp_jax.synth.__main__ import main as cli_main
from sbp_jax.synth.world import WORLDS

# Column order of the Big Data Bowl 2023 release (written out independently of the generator).
EXPECTED_HEADERS = {
    "week1.csv": "gameId,playId,nflId,frameId,time,jerseyNumber,team,playDirection,x,y,s,a,dis,o,"
    "dir,event",
    "plays.csv": "gameId,playId,playDescription,quarter,down,yardsToGo,possessionTeam,"
    "defensiveTeam,yardlineSide,yardlineNumber,gameClock,preSnapHomeScore,preSnapVisitorScore,passResult,"
    "penaltyYards,prePenaltyPlayResult,playResult,foulName1,foulNFLId1,foulName2,foulNFLId2,"
    "foulName3,foulNFLId3,absoluteYardlineNumber,offenseFormation,personnelO,defendersInBox,"
    "personnelD,dropBackType,pff_playAction,pff_passCoverage,pff_passCoverageType",
    "games.csv": "gameId,season,week,gameDate,gameTimeEastern,homeTeamAbbr,visitorTeamAbbr",
    "players.csv": "nflId,height,weight,birthDate,collegeName,officialPosition,displayName",
    "pffScoutingData.csv": "gameId,playId,nflId,pff_role,pff_positionLinedUp,pff_hit,pff_hurry,"
    "pff_sack,pff_beatenByDefender,pff_hitAllowed,pff_hurryAllowed,pff_sackAllowed,"
    "pff_nflIdBlockedPlayer,pff_blockType,pff_backFieldBlock",
    "truth/passers.csv": "nflId,displayName,team,skill",
}
TRUTH_PLAYS_PREFIX = (
    "gameId,playId,passer_nflId,snap_frameId,release_frameId,passResult,yards,"
    "air_yards,pressure,true_percentile"
)
TINY = dict(weeks=1, seed=0, n_teams=4, dropbacks_per_team_game=10)


def _read(path: Path) -> dict[str, np.ndarray]:
    table = pacsv.read_csv(path)
    return {name: np.array(table[name].to_pylist(), dtype=object) for name in table.column_names}


def _num(col: np.ndarray) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in col], dtype=float)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tiny")
    generate_league(out, **TINY)
    return out


@pytest.fixture(scope="module")
def league(tmp_path_factory) -> Path:
    """One full week of 32 teams: enough released passes for statistics."""
    out = tmp_path_factory.mktemp("league")
    generate_league(out, weeks=1, seed=3, n_teams=32, dropbacks_per_team_game=38)
    return out


@pytest.fixture(scope="module")
def tracks(tiny) -> dict[str, np.ndarray]:
    return _read(tiny / "week1.csv")


def test_headers_match_release_schema(tiny):
    for name, header in EXPECTED_HEADERS.items():
        assert (tiny / name).read_text().split("\n", 1)[0] == header, name
    truth_header = (tiny / "truth" / "plays.csv").read_text().split("\n", 1)[0]
    assert truth_header.startswith(TRUTH_PLAYS_PREFIX)
    assert not list(tiny.rglob(".*")), "temporary files left behind"


def test_deterministic_for_a_seed(tiny, tmp_path):
    again, other = tmp_path / "again", tmp_path / "other"
    summary = generate_league(again, **TINY)
    generate_league(other, **{**TINY, "seed": 1})
    files = sorted(p.relative_to(tiny) for p in tiny.rglob("*.csv"))
    assert len(files) == 7
    for rel in files:
        assert filecmp.cmp(tiny / rel, again / rel, shallow=False), rel
    assert not filecmp.cmp(tiny / "week1.csv", other / "week1.csv", shallow=False)
    assert summary["plays"] == 4 // 2 * 2 * 10
    assert summary["tracking_rows"] == len((again / "week1.csv").read_text().splitlines()) - 1


def _by_track(tr):
    """Sort rows by (game, play, player, frame) and return the order and per-row keys."""
    nfl = _num(tr["nflId"])
    key_player = np.where(np.isnan(nfl), 0, nfl)
    order = np.lexsort(
        (tr["frameId"].astype(int), key_player, tr["playId"].astype(int), tr["gameId"].astype(int))
    )
    return order, key_player


def test_frames_complete_and_contiguous(tracks):
    order, player = _by_track(tracks)
    game, play = tracks["gameId"].astype(int)[order], tracks["playId"].astype(int)[order]
    frame = tracks["frameId"].astype(int)[order]
    player = player[order]
    same_track = (game[1:] == game[:-1]) & (play[1:] == play[:-1]) & (player[1:] == player[:-1])
    assert np.all(frame[1:][same_track] == frame[:-1][same_track] + 1), "gaps in frames"
    assert np.all(frame[1:][~same_track] == 1), "a track does not start at frame 1"
    # Every (play, frame) has 22 players and exactly one ball.
    pf = game * 10_000_000 + play * 1000 + frame
    _, counts = np.unique(pf, return_counts=True)
    assert np.all(counts == 23)
    ball = tracks["team"] == "football"
    _, ball_counts = np.unique(pf[ball[order]], return_counts=True)
    assert np.all(ball_counts == 1) and ball_counts.size == counts.size
    for col in ("nflId", "jerseyNumber", "o", "dir"):
        assert all(v is None for v in tracks[col][ball]), col
        assert not any(v is None for v in tracks[col][~ball]), col
    assert set(tracks["team"]) == {"home", "away", "football"}
    assert set(tracks["playDirection"]) == {"left", "right"}


def test_kinematics_consistent_with_positions(tracks):
    order, player = _by_track(tracks)
    frame = tracks["frameId"].astype(int)[order]
    x, y = _num(tracks["x"])[order], _num(tracks["y"])[order]
    s, dis = _num(tracks["s"])[order], _num(tracks["dis"])[order]
    direction = _num(tracks["dir"])[order]
    assert np.all((x >= 0) & (x <= 120) & (y >= 0) & (y <= 53.3))
    step = frame[1:] > 1
    dx, dy = np.diff(x)[step], np.diff(y)[step]
    moved = np.hypot(dx, dy)
    np.testing.assert_allclose(dis[1:][step], moved, atol=0.0051 + 1e-9)
    np.testing.assert_allclose(s[1:][step], 10 * moved, atol=0.051 + 1e-9)
    players = ~np.isnan(direction[1:][step])
    fast = players & (s[1:][step] > 2.0)
    heading = np.degrees(np.arctan2(dx[fast], dy[fast])) % 360
    err = np.abs((direction[1:][step][fast] - heading + 180) % 360 - 180)
    assert fast.sum() > 1000 and err.max() < 5.0
    player_rows = ~np.isnan(direction)
    assert s[player_rows].max() < 12.0, "faster than any football player"


def _play_frames(tracks, tiny):
    """Per play: truth row, passer/target tracks at the release, LOS and direction."""
    truth = _read(tiny / "truth" / "plays.csv")
    plays = _read(tiny / "plays.csv")
    games = _read(tiny / "games.csv")
    home = dict(zip(games["gameId"], games["homeTeamAbbr"], strict=True))
    key = tracks["gameId"].astype(int) * 10_000 + tracks["playId"].astype(int)
    return truth, plays, home, key


def test_events_match_truth_and_ball_with_passer(tracks, tiny):
    truth, _, _, key = _play_frames(tracks, tiny)
    frame = tracks["frameId"].astype(int)
    nfl = _num(tracks["nflId"])
    ball = tracks["team"] == "football"
    n_released = 0
    for i in range(len(truth["playId"])):
        rows = key == int(truth["gameId"][i]) * 10_000 + int(truth["playId"][i])
        ev = tracks["event"]
        events = {e: frame[rows & ball & (ev == e)] for e in set(ev[rows])}
        snap = int(truth["snap_frameId"][i])
        assert [e for e, f in events.items() if snap in f and e != "None"] in (
            ["ball_snap"],
            ["autoevent_ballsnap"],
        )
        result = truth["passResult"][i]
        if truth["release_frameId"][i] is None:
            assert not {"pass_forward", "pass_arrived"} & events.keys()
            assert {"S": {"qb_sack", "qb_strip_sack"}, "R": {"run"}}[result] & events.keys()
            continue
        n_released += 1
        release = int(truth["release_frameId"][i])
        assert release > snap
        rel_events = [e for e, f in events.items() if release in f]
        assert rel_events[0] in ("pass_forward", "pass_shovel", "autoevent_passforward")
        outcome = {
            "C": "pass_outcome_caught",
            "I": "pass_outcome_incomplete",
            "IN": "pass_outcome_interception",
        }[result]
        arrived = events["pass_arrived"][0]
        assert arrived > release and events[outcome][0] > arrived
        # The ball travels with the passer from shortly after the snap through the release.
        passer = rows & (nfl == truth["passer_nflId"][i])
        held = np.arange(snap + 3, release + 1)
        pxy = np.stack([_num(tracks["x"][passer]), _num(tracks["y"][passer])], 1)[held - 1]
        on_ball = rows & ball
        bxy = np.stack([_num(tracks["x"][on_ball]), _num(tracks["y"][on_ball])], 1)[held - 1]
        assert np.abs(pxy - bxy).max() < 0.02
    assert n_released >= 15


def test_alignment_and_passer_orientation(tracks, tiny):
    """At the snap the offense is behind the line of scrimmage and the defense beyond it; at the
    release the passer faces his target (the model can identify the targeted receiver)."""
    truth, plays, home, key = _play_frames(tracks, tiny)
    frame = tracks["frameId"].astype(int)
    nfl = _num(tracks["nflId"])
    x, y, o = _num(tracks["x"]), _num(tracks["y"]), _num(tracks["o"])
    pff = _read(tiny / "pffScoutingData.csv")
    route_runners: dict[int, list] = {}
    for g, p, n, role in zip(
        pff["gameId"], pff["playId"], pff["nflId"], pff["pff_role"], strict=True
    ):
        if role == "Pass Route":
            route_runners.setdefault(int(g) * 10_000 + int(p), []).append(n)
    hits = 0
    released = 0
    for i in range(len(truth["playId"])):
        rows = key == int(truth["gameId"][i]) * 10_000 + int(truth["playId"][i])
        j = np.flatnonzero(
            (plays["gameId"] == truth["gameId"][i]) & (plays["playId"] == truth["playId"][i])
        )[0]
        los = float(plays["absoluteYardlineNumber"][j])
        forward = 1.0 if tracks["playDirection"][rows][0] == "right" else -1.0
        off_label = "home" if home[plays["gameId"][j]] == plays["possessionTeam"][j] else "away"
        at_snap = rows & (frame == int(truth["snap_frameId"][i])) & (tracks["team"] != "football")
        offense = tracks["team"] == off_label
        assert np.all(forward * (x[at_snap & offense] - los) < 0)
        assert np.all(forward * (x[at_snap & ~offense] - los) > 0)
        if truth["release_frameId"][i] is None:
            continue
        released += 1
        at_rel = rows & (frame == int(truth["release_frameId"][i]))
        qb = np.flatnonzero(at_rel & (nfl == truth["passer_nflId"][i]))[0]
        routes = route_runners[int(truth["gameId"][i]) * 10_000 + int(truth["playId"][i])]
        mates = np.flatnonzero(at_rel & np.isin(nfl, routes))
        bearings = np.degrees(np.arctan2(x[mates] - x[qb], y[mates] - y[qb])) % 360
        off_angle = np.abs((bearings - o[qb] + 180) % 360 - 180)
        target = np.flatnonzero(nfl[mates] == truth["target_nflId"][i])[0]
        assert off_angle[target] < 20
        hits += np.argmin(off_angle) == target
    assert hits >= 0.85 * released


def test_outcome_rules(league):
    truth = _read(league / "truth" / "plays.csv")
    plays = _read(league / "plays.csv")
    assert np.array_equal(truth["playId"], plays["playId"])
    yards = truth["yards"].astype(int)
    assert np.array_equal(plays["playResult"].astype(int), yards)
    assert np.array_equal(plays["prePenaltyPlayResult"].astype(int), yards)
    result = truth["passResult"]
    assert set(result) == {"C", "I", "IN", "S", "R"}
    assert np.all(yards[result == "I"] == 0) and np.all(yards[result == "IN"] <= 0)
    assert np.all(yards[result == "S"] < 0)
    own = np.where(
        plays["yardlineSide"] == plays["possessionTeam"],
        plays["yardlineNumber"].astype(int),
        100 - plays["yardlineNumber"].astype(int),
    )
    to_goal = 100 - own
    assert np.all(yards <= to_goal)
    td = (result == "C") & (yards == to_goal)
    assert td.sum() >= 5, "no touchdowns"
    rel = np.isin(result, ["C", "I", "IN"])
    assert np.all(np.isnan(_num(truth["true_percentile"])[~rel]))
    pct = _num(truth["true_percentile"])[rel]
    assert np.all((pct > 0) & (pct < 1))
    ttt = _num(truth["time_to_throw"])[rel]
    assert 2.0 < np.median(ttt) < 3.2 and ttt.min() >= 1.2 and ttt.max() <= 6.0


def test_outcomes_skewed_bimodal_heavy_tailed(league):
    truth = _read(league / "truth" / "plays.csv")
    result = truth["passResult"]
    yards = truth["yards"][np.isin(result, ["C", "I", "IN"])].astype(int)
    pmf = np.bincount(yards - yards.min()) / yards.size
    zero = -yards.min()
    assert pmf[zero] > 0.25  # incompletions: a spike at 0 ...
    mode_gain = zero + 3 + np.argmax(pmf[zero + 3 :])  # ... and a second mode at a gain
    assert pmf[zero + 1] < pmf[mode_gain] < pmf[zero]
    caught = result == "C"
    gains = truth["yards"][caught].astype(float)
    yac = gains - truth["air_yards"][caught].astype(float)
    assert stats.skew(gains) > 0.5 and stats.skew(yac) > 2.0
    # Right tail heavier than the fitted normal's: far more mass beyond mean + 3 sd.
    beyond = np.mean(gains > gains.mean() + 3 * gains.std())
    assert beyond > 5 * stats.norm.sf(3)


def _passer_skill(league, truth):
    passers = _read(league / "truth" / "passers.csv")
    skill = dict(zip(passers["nflId"], passers["skill"], strict=True))
    return np.array([skill[i] for i in truth["passer_nflId"]], dtype=float)


def test_skill_moves_outcomes_at_equal_separation(league):
    truth = _read(league / "truth" / "plays.csv")
    rel = truth["release_frameId"] != None  # noqa: E711
    skill = _passer_skill(league, truth)[rel]
    sep = _num(truth["separation"])[rel]
    comp = truth["passResult"][rel] == "C"
    lo, hi = np.quantile(skill, [1 / 3, 2 / 3])
    for s_lo, s_hi in zip(
        *[np.quantile(sep, q) for q in ([0, 0.33, 0.66], [0.33, 0.66, 1.0])], strict=True
    ):
        band = (sep >= s_lo) & (sep <= s_hi)
        assert comp[band & (skill > hi)].mean() > comp[band & (skill < lo)].mean() + 0.05


def test_true_percentile_calibrated_for_average_passers(league):
    truth = _read(league / "truth" / "plays.csv")
    rel = truth["release_frameId"] != None  # noqa: E711
    skill = _passer_skill(league, truth)[rel]
    below, pmf = _num(truth["true_cdf_below"])[rel], _num(truth["true_pmf"])[rel]
    np.testing.assert_allclose(_num(truth["true_percentile"])[rel], below + pmf / 2, atol=2e-6)
    pit = below + np.random.default_rng(0).random(below.size) * pmf  # randomized PIT
    average = np.abs(skill) < 0.35
    assert average.sum() > 150
    assert stats.kstest(pit[average], "uniform").pvalue > 1e-3
    pct = _num(truth["true_percentile"])[rel]
    assert pct[skill > 1].mean() > pct[skill < -1].mean() + 0.1
    assert pct[skill > 1].mean() > 0.55


LAWS = pytest.mark.parametrize("law", [w.outcome for w in WORLDS.values()], ids=list(WORLDS))
STATES = dict(  # sep, air, pressure, crowd, to_goal: open/covered, deep/short, near the goal line
    sep=np.array([0.4, 2.0, 5.0, 1.2, 3.0, 0.8]),
    air=np.array([8, 3, 25, -2, 12, 4]),
    pressure=np.array([1, 0, 0, 1, 0, 0]),
    crowd=np.array([2, 0, 0, 1, 0, 1]),
    to_goal=np.array([60, 75, 30, 90, 5, 95]),
)


@LAWS
def test_percentile_formula_matches_monte_carlo(law):
    """The closed-form P(Y < y), P(Y <= y) agree with simulating the sampler (numpy's gamma and
    exponential generators, an independent code path), under every preset world's law."""
    rng = np.random.default_rng(1)
    n_draws = 100_000
    for skill in (0.0, 1.5):
        params = O.outcome_params(law, skill=np.full(6, skill), **STATES)
        rep = O.OutcomeParams(*[np.repeat(p, n_draws) for p in params])
        _, yards = O.sample_outcome(rng, law, rep)
        yards = yards.reshape(6, n_draws)
        grid = np.arange(-110, 111)
        lower, upper = O.yards_cdf_bounds(
            law, O.OutcomeParams(*[np.repeat(p, grid.size) for p in params]), np.tile(grid, 6)
        )
        lower, upper = lower.reshape(6, -1), upper.reshape(6, -1)
        mc_lower = (yards[:, :, None] < grid).mean(1)
        mc_upper = (yards[:, :, None] <= grid).mean(1)
        np.testing.assert_allclose(lower, mc_lower, atol=5e-3)
        np.testing.assert_allclose(upper, mc_upper, atol=5e-3)
        np.testing.assert_allclose(upper[:, -1], 1.0)  # all mass on the grid
        np.testing.assert_allclose(lower[:, 0], 0.0)
        assert np.all(np.diff(upper, axis=1) >= -1e-12)
        assert np.all(yards <= STATES["to_goal"][:, None])


@LAWS
def test_percentile_uniform_only_for_average_skill(law):
    rng = np.random.default_rng(2)
    n = 20_000
    idx = rng.integers(0, 6, n)
    state = {k: v[idx] for k, v in STATES.items()}
    avg = O.outcome_params(law, skill=np.zeros(n), **state)
    for skill, uniform in ((0.0, True), (1.0, False)):
        _, yards = O.sample_outcome(
            rng, law, O.outcome_params(law, skill=np.full(n, skill), **state)
        )
        lower, upper = O.yards_cdf_bounds(law, avg, yards)
        pit = lower + rng.random(n) * (upper - lower)
        p_value = stats.kstest(pit, "uniform").pvalue
        assert (p_value > 1e-3) if uniform else (p_value < 1e-6 and pit.mean() > 0.53)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(weeks=0), "weeks"),
        (dict(weeks=2.5), "weeks"),
        (dict(weeks=True), "weeks"),
        (dict(n_teams=3), "n_teams"),
        (dict(n_teams=40), "n_teams"),
        (dict(seed=-1), "seed"),
        (dict(seed="7"), "seed"),
        (dict(dropbacks_per_team_game=0), "dropbacks_per_team_game"),
    ],
)
def test_bad_arguments_raise(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        generate_league(tmp_path, **{**TINY, **kwargs})
    assert not any(tmp_path.iterdir())


def test_cli_writes_league_and_rejects_bad_args(tmp_path, capsys):
    assert (
        cli_main(
            [
                "--weeks",
                "1",
                "--teams",
                "2",
                "--dropbacks",
                "3",
                "--seed",
                "5",
                "--out",
                str(tmp_path / "cli"),
            ]
        )
        == 0
    )
    assert (tmp_path / "cli" / "week1.csv").exists()
    with pytest.raises(SystemExit) as err:
        cli_main(["--weeks", "0", "--out", str(tmp_path / "bad")])
    assert err.value.code == 2 and "weeks" in capsys.readouterr().err


def test_ids_consistent_across_files(tiny, tracks):
    players = set(_read(tiny / "players.csv")["nflId"])
    assert len(players) == len(_read(tiny / "players.csv")["nflId"])
    assert set(v for v in tracks["nflId"] if v is not None) <= players
    pff = _read(tiny / "pffScoutingData.csv")
    assert set(pff["nflId"]) <= players
    plays = _read(tiny / "plays.csv")
    assert set(plays["gameId"]) == set(_read(tiny / "games.csv")["gameId"])
    assert len(pff["nflId"]) == 22 * len(plays["playId"])
    passers = pff["nflId"][pff["pff_role"] == "Pass"]
    truth = _read(tiny / "truth" / "plays.csv")
    assert np.array_equal(passers, truth["passer_nflId"])
    assert set(passers) <= set(_read(tiny / "truth" / "passers.csv")["nflId"])


@pytest.mark.parametrize("fmt", ["bdb2023", "bdb2026"])
def test_failure_mid_week_leaves_no_partial_file(tmp_path, monkeypatch, fmt):
    from sbp_jax.synth import frames

    calls = []
    real_render = frames.render

    def failing_render(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return real_render(*args, **kwargs)

    monkeypatch.setattr(frames, "render", failing_render)
    monkeypatch.setattr("sbp_jax.synth.tracking.CHUNK_PLAYS", 8)
    with pytest.raises(RuntimeError, match="disk on fire"):
        generate_league(tmp_path, fmt=fmt, **TINY)
    assert not list(tmp_path.rglob("*.csv")) and not list(tmp_path.rglob(".*"))
