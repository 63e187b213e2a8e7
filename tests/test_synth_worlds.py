"""Synthetic-league worlds: presets generate, differ where their knobs say (measured on the written
CSVs), are deterministic, carry exact truth (checked against an independent SciPy computation of
the outcome law from truth/world.json), and bad worlds are refused; the targeted receiver is where
the ball arrives."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pytest
from scipy import special, stats

from sbp_jax.synth import generate_league
from sbp_jax.synth import league as L
from sbp_jax.synth import outcome as O
from sbp_jax.synth.__main__ import main as cli_main
from sbp_jax.synth.world import WORLDS, World

PRESETS = ("default", "spread_zone", "power_man")  # differently built ones
TINY = dict(weeks=1, seed=0, n_teams=4, dropbacks_per_team_game=6)
RELEASE_EVENTS = ("pass_forward", "pass_shovel", "autoevent_passforward")
SNAP = 11  # frameId of the snap in the BDB 2023 rendering
FPS = 10


def read(path: Path) -> dict[str, np.ndarray]:
    """A CSV as NumPy columns (nullable numbers become float with NaN)."""
    table = pacsv.read_csv(path)
    return {c: table[c].to_numpy(zero_copy_only=False) for c in table.column_names}


def play_keys(cols: dict[str, np.ndarray], game: str = "gameId", play: str = "playId"):
    return cols[game].astype(np.int64) * 10_000 + cols[play].astype(np.int64)


class Tracking:
    """week*.csv indexed by (play, nflId, frameId); the ball is nflId 0."""

    def __init__(self, path: Path):
        self.cols = read(path)
        self.plays, play = np.unique(play_keys(self.cols), return_inverse=True)
        nfl = np.nan_to_num(self.cols["nflId"].astype(float)).astype(np.int64)
        key = (play * 100_000 + nfl) * 1000 + self.cols["frameId"].astype(np.int64)
        self.order = np.argsort(key)
        self.sorted = key[self.order]

    def rows(self, play_key, nfl, frame) -> np.ndarray:
        play_key, nfl, frame = np.broadcast_arrays(play_key, nfl, frame)
        key = (np.searchsorted(self.plays, play_key) * 100_000 + nfl) * 1000 + frame
        i = np.minimum(np.searchsorted(self.sorted, key), self.sorted.size - 1)
        assert np.all(self.sorted[i] == key), "a (play, player, frame) is missing"
        return self.order[i]

    def xy(self, play_key, nfl, frame) -> np.ndarray:
        r = self.rows(play_key, nfl, frame)
        return np.stack([self.cols["x"][r], self.cols["y"][r]], -1)

    def has(self, play_key, nfl, frame) -> np.ndarray:
        play_key, nfl, frame = np.broadcast_arrays(play_key, nfl, frame)
        key = (np.searchsorted(self.plays, play_key) * 100_000 + nfl) * 1000 + frame
        i = np.minimum(np.searchsorted(self.sorted, key), self.sorted.size - 1)
        return self.sorted[i] == key

    def event_frame(self, keys: np.ndarray, events: tuple[str, ...]) -> np.ndarray:
        """Frame of the first ball row with one of ``events`` per play (NaN if none)."""
        c = self.cols
        hit = np.isnan(c["nflId"].astype(float)) & np.isin(c["event"], events)
        first = {}
        for k, f in zip(play_keys(c)[hit], c["frameId"][hit], strict=True):
            first.setdefault(int(k), int(f))
        return np.array([first.get(int(k), np.nan) for k in keys], dtype=float)


class League:
    """One generated BDB 2023 league: its tables, tracking and per-play lineup by pff role."""

    def __init__(self, root: Path):
        self.root = root
        self.plays = read(root / "plays.csv")
        self.truth = read(root / "truth" / "plays.csv")
        self.world = json.loads((root / "truth" / "world.json").read_text())
        self.track = Tracking(root / "week1.csv")
        self.keys = play_keys(self.plays)
        pff = read(root / "pffScoutingData.csv")
        assert np.array_equal(play_keys(pff)[::22], self.keys)
        role, ids = pff["pff_role"].reshape(-1, 22), pff["nflId"].astype(np.int64).reshape(-1, 22)
        self.passer = ids[role == "Pass"]
        self.receivers = ids[role == "Pass Route"].reshape(-1, 5)
        self.defenders = ids[np.isin(role, ["Pass Rush", "Coverage"])].reshape(-1, 11)
        self.release = self.track.event_frame(self.keys, RELEASE_EVENTS)
        self.arrival = self.track.event_frame(self.keys, ("pass_arrived",))
        self.passed = ~np.isnan(self.release)

    def los_forward(self) -> tuple[np.ndarray, np.ndarray]:
        """Line of scrimmage x and the offense's direction (+1 right) per play."""
        r = self.track.rows(self.keys, self.passer, SNAP)
        forward = np.where(self.track.cols["playDirection"][r] == "right", 1.0, -1.0)
        return self.plays["absoluteYardlineNumber"].astype(float), forward

    def separation(self, frame: np.ndarray) -> np.ndarray:
        """[N, 5] distance from each receiver to the nearest defender at a frame per play."""
        k = self.keys[:, None, None]
        rec = self.track.xy(k, self.receivers[:, :, None], frame[:, None, None])
        dfn = self.track.xy(k, self.defenders[:, None, :], frame[:, None, None])
        return np.linalg.norm(rec - dfn, axis=-1).min(-1)


@pytest.fixture(scope="module")
def leagues(tmp_path_factory) -> dict[str, League]:
    """Each preset, one week of 32 teams (320 dropbacks): enough plays to compare worlds."""
    out = {}
    for name in PRESETS:
        root = tmp_path_factory.mktemp(name)
        generate_league(root, weeks=1, seed=4, n_teams=32, dropbacks_per_team_game=10, world=name)
        out[name] = League(root)
    return out


@pytest.mark.parametrize("name", list(WORLDS))
def test_presets_generate_deterministically_and_record_their_world(name, tmp_path):
    first, again, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    summary = generate_league(first, world=name, **TINY)
    generate_league(again, world=WORLDS[name], **TINY)
    generate_league(other, world=name, **{**TINY, "seed": 1})
    files = sorted(p.relative_to(first) for p in first.rglob("*.*"))
    assert len(files) == 8 and Path("truth/world.json") in files
    for rel in files:
        assert filecmp.cmp(first / rel, again / rel, shallow=False), rel
    assert not filecmp.cmp(first / "week1.csv", other / "week1.csv", shallow=False)
    assert summary["world"] == name and summary["plays"] == 4 // 2 * 2 * 6
    recorded = json.loads((first / "truth" / "world.json").read_text())
    assert recorded["name"] == name
    params = recorded["params"]
    assert World(**{**params, "outcome": O.OutcomeLaw(**params["outcome"])}) == WORLDS[name]
    assert not list(first.rglob(".*")), "temporary files left behind"


def test_worlds_with_one_seed_are_different_leagues(leagues):
    tracks = [lg.root / "week1.csv" for lg in leagues.values()]
    assert not filecmp.cmp(tracks[0], tracks[1], shallow=False)
    assert not filecmp.cmp(tracks[1], tracks[2], shallow=False)
    # Same league (rosters, skills), different football.
    passers = [(lg.root / "truth" / "passers.csv").read_text() for lg in leagues.values()]
    assert passers[0] == passers[1] == passers[2]


def _pressured_by(lg: League, seconds: float) -> np.ndarray:
    """A defender within 2.5 yd of the passer in the first ``seconds`` after the snap."""
    frames = SNAP + np.arange(1, int(seconds * FPS) + 1)
    k, f = lg.keys[:, None], frames[None, :]
    ok = lg.track.has(k, lg.passer[:, None], f)
    f = np.where(ok, f, SNAP)  # plays that ended earlier: their snap frame (never pressured)
    qb = lg.track.xy(k, lg.passer[:, None], f)
    dfn = lg.track.xy(k[..., None], lg.defenders[:, None, :], f[..., None])
    near = np.linalg.norm(dfn - qb[:, :, None], axis=-1).min(-1) < 2.5
    return (near & ok).any(1)


def test_pass_rush_and_passer_clock_follow_the_knobs(leagues):
    """power_man: strongest rush, quickest throws; spread_zone: weakest rush, longest holds."""
    pressured = {n: _pressured_by(lg, 2.5).mean() for n, lg in leagues.items()}
    assert pressured["power_man"] > pressured["default"] + 0.08
    assert pressured["default"] > pressured["spread_zone"] + 0.08
    ttt = {n: np.median(lg.release[lg.passed] - SNAP) / FPS for n, lg in leagues.items()}
    assert ttt["power_man"] + 0.25 < ttt["default"] < ttt["spread_zone"] - 0.1


def test_route_trees_and_completion_laws_follow_the_knobs(leagues):
    """Air yards of the catch point (the ball at pass_arrived), completion rates, YAC tails."""
    air = {}
    for name, lg in leagues.items():
        los, forward = lg.los_forward()
        p = lg.passed
        ball = lg.track.xy(lg.keys[p], 0, lg.arrival[p].astype(np.int64))
        air[name] = np.median(forward[p] * (ball[:, 0] - los[p]))
    assert air["spread_zone"] > air["default"] + 2
    assert air["default"] > air["power_man"] + 2
    comp = {n: np.mean(lg.plays["passResult"][lg.passed] == "C") for n, lg in leagues.items()}
    assert comp["power_man"] > comp["spread_zone"] + 0.05
    # The breakaway tail of the laws at one state: spread_zone's is the heaviest.
    rng = np.random.default_rng(0)
    n = 200_000
    state = dict(
        sep=np.full(n, 3.0),
        air=np.full(n, 8),
        pressure=np.zeros(n),
        crowd=np.zeros(n),
        skill=np.zeros(n),
        to_goal=np.full(n, 99),
    )
    far = {}
    for name in PRESETS:
        law = WORLDS[name].outcome
        result, yards = O.sample_outcome(rng, law, O.outcome_params(law, **state))
        far[name] = np.quantile(yards[result == "C"] - 8, 0.995)
    assert far["spread_zone"] > far["default"] > far["power_man"]


def test_coverage_formations_and_play_action_follow_the_knobs(leagues):
    man = {n: np.mean(lg.plays["pff_passCoverageType"] == "Man") for n, lg in leagues.items()}
    assert man["power_man"] > 0.7 and man["spread_zone"] < 0.35
    # Zone leaves receivers more room at the release than man (measured, not labelled).
    sep = {
        n: np.median(lg.separation(np.nan_to_num(lg.release, nan=SNAP).astype(np.int64))[lg.passed])
        for n, lg in leagues.items()
    }
    assert sep["spread_zone"] > sep["default"] + 0.5
    sz = leagues["spread_zone"]
    sep_sz = sz.separation(np.nan_to_num(sz.release, nan=SNAP).astype(np.int64)).mean(1)
    zone = (sz.plays["pff_passCoverageType"] == "Zone") & sz.passed
    assert np.median(sep_sz[zone]) > np.median(sep_sz[(~zone) & sz.passed]) + 0.5
    # Press coverage: power_man's defenders line up closer to the receivers at the snap.
    cushion = {
        n: np.median(lg.separation(np.full(lg.keys.size, SNAP))) for n, lg in leagues.items()
    }
    assert cushion["power_man"] < cushion["default"] - 0.5
    # Formations: spread_zone spreads the field wider than power_man at the snap.
    width = {}
    for name, lg in leagues.items():
        y = lg.track.xy(lg.keys[:, None], lg.receivers, SNAP)[..., 1]
        width[name] = np.median(y.max(1) - y.min(1))
    assert width["spread_zone"] > width["power_man"] + 5
    pa = {n: np.mean(lg.plays["pff_playAction"]) for n, lg in leagues.items()}
    assert pa["power_man"] > pa["default"] + 0.1
    assert pa["default"] > pa["spread_zone"] + 0.05


def test_targeted_receiver_is_where_the_ball_arrives(leagues):
    """The ball flies from the release to the target: at pass_arrived the nearest offensive player
    to the ball is truth's target_nflId, and the ball closes on the landing spot every frame."""
    for name, lg in leagues.items():
        assert np.array_equal(play_keys(lg.truth), lg.keys)
        p = np.flatnonzero(lg.passed)
        arrive = lg.arrival[p].astype(np.int64)
        assert np.all(arrive > lg.release[p])
        ball = lg.track.xy(lg.keys[p], 0, arrive)
        offense = np.concatenate([lg.passer[p, None], lg.receivers[p]], 1)
        pos = lg.track.xy(lg.keys[p, None], offense, arrive[:, None])
        nearest = offense[np.arange(p.size), np.linalg.norm(pos - ball[:, None], axis=-1).argmin(1)]
        target = lg.truth["target_nflId"][p].astype(np.int64)
        assert np.mean(nearest == target) > 0.98, name
        assert np.all(np.isnan(lg.truth["target_nflId"][~lg.passed]))
        for i in p[:40]:
            frames = np.arange(int(lg.release[i]), int(lg.arrival[i]) + 1)
            flight = lg.track.xy(lg.keys[i], 0, frames)
            to_land = np.linalg.norm(flight - flight[-1], axis=-1)
            assert np.all(np.diff(to_land) < 0), (name, i)


def _independent_cdf(law: dict, sep, air, pressure, crowd, to_goal, yards):
    """P(Y < y), P(Y = y) for a skill-0 passer, by enumerating the integer pmf of every component
    with SciPy's distributions (written from docs/synthetic_league.md, not from the generator)."""
    grid = np.arange(-250, 251)
    sep_c, deep = np.minimum(sep, 6.0), np.maximum(air, 0.0)
    p_int = special.expit(
        law["int_intercept"]
        + law["int_sep"] * np.minimum(sep, 5.0)
        + law["int_air"] * deep
        + law["int_pressure"] * pressure
        + law["int_crowd"] * crowd
    )
    p_comp = (1 - p_int) * special.expit(
        law["comp_intercept"]
        + law["comp_sep"] * (sep_c - 2.0)
        + law["comp_air"] * deep
        + law["comp_pressure"] * pressure
        + law["comp_crowd"] * crowd
    )
    w = special.expit(law["break_intercept"] + law["break_sep"] * sep_c + law["break_air"] * deep)
    theta = np.maximum(
        law["yac_base"] + law["yac_sep"] * sep_c + law["yac_air"] * deep, law["yac_min"]
    )

    def yac_cdf(x):
        tail = stats.lomax.cdf(x - law["break_shift"], law["break_alpha"], scale=law["break_sigma"])
        return (1 - w[:, None]) * stats.gamma.cdf(x, 2, scale=theta[:, None]) + w[:, None] * tail

    def ret_cdf(x):
        cont = (1 - law["return_long_p"]) * stats.expon.cdf(x, scale=law["return_mean"])
        cont += law["return_long_p"] * stats.lomax.cdf(
            x, law["return_alpha"], scale=law["return_sigma"]
        )
        return np.where(x >= 0, law["return_downed"] + (1 - law["return_downed"]) * cont, 0.0)

    def capped_pmf(cdf, k, kmax):
        """pmf of min(round-half-up(X), kmax) at integers k, for X >= 0 with CDF ``cdf``."""
        pmf = np.where(k == 0, cdf(0.5), cdf(k + 0.5) - cdf(k - 0.5))
        pmf = np.where(k == kmax, 1 - cdf(kmax - 0.5), pmf)
        pmf = np.where(kmax == 0, 1.0, pmf)
        return np.where((k < 0) | (k > kmax), 0.0, pmf)

    air_eff = np.minimum(air, to_goal)[:, None]
    comp = capped_pmf(yac_cdf, grid[None, :] - air_eff, to_goal[:, None] - air_eff)
    to_own = np.maximum(100 - to_goal + air, 0)[:, None]
    intercepted = capped_pmf(ret_cdf, -grid[None, :].astype(float), to_own)
    pmf = p_comp[:, None] * comp + p_int[:, None] * intercepted
    pmf += (1 - p_int - p_comp)[:, None] * (grid == 0)[None, :]
    assert np.allclose(pmf.sum(1), 1.0, atol=1e-9)
    col = np.searchsorted(grid, yards)
    below = np.cumsum(pmf, 1)[np.arange(yards.size), col] - pmf[np.arange(yards.size), col]
    return below, pmf[np.arange(yards.size), col]


def test_truth_is_exact_under_each_worlds_own_law(leagues):
    """truth/plays.csv's P(Y < y) and P(Y = y) for every pass equal an independent computation from
    truth/world.json's outcome law and the state measured on the tracking at the release
    (separation and crowd from rounded positions: a few plays near the 3-yd crowd line may
    differ)."""
    for name, lg in leagues.items():
        p = np.flatnonzero(lg.passed)
        release = lg.release[p].astype(np.int64)
        target = lg.truth["target_nflId"][p].astype(np.int64)
        k = lg.keys[p, None]
        gaps = np.linalg.norm(
            lg.track.xy(k, lg.defenders[p], release[:, None])
            - lg.track.xy(lg.keys[p], target, release)[:, None],
            axis=-1,
        )
        los, forward = lg.los_forward()
        to_goal = np.where(forward[p] > 0, 110 - los[p], los[p] - 10)
        below, pmf = _independent_cdf(
            lg.world["params"]["outcome"],
            gaps.min(1),
            lg.truth["air_yards"][p].astype(float),
            lg.truth["pressure"][p].astype(float),
            (gaps < 3.0).sum(1).astype(float),
            to_goal,
            lg.truth["yards"][p].astype(np.int64),
        )
        err = np.maximum(
            np.abs(below - lg.truth["true_cdf_below"][p]), np.abs(pmf - lg.truth["true_pmf"][p])
        )
        assert np.mean(err < 4e-3) > 0.97 and np.median(err) < 5e-4, name


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(shotgun_rate=1.5), "shotgun_rate"),
        (dict(rush_scale=float("nan")), "rush_scale"),
        (dict(man_lag=True), "man_lag"),
        (dict(plan_base=-0.1), "plan_base"),
        (dict(formations={"wishbone": 1.0}), "formations"),
        (dict(wr_routes={"go": 0.5, "post": 0.4}), "wr_routes"),
        (dict(zone_shells={}), "zone_shells"),
        (dict(te_routes="seam"), "te_routes"),
        (dict(read="psychic"), "read"),
        (dict(read_skill=0.5), "read_skill"),
        (dict(sack_rate=0.9, scramble_rate=0.2), "scramble_rate"),
        (dict(outcome={"break_alpha": 2.0}), "outcome"),
        (dict(name=""), "name"),
        (dict(cast_spread=-0.5), "cast_spread"),
    ],
)
def test_bad_world_parameters_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        World(**kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(break_alpha=0.0), "break_alpha"),
        (dict(return_downed=1.2), "return_downed"),
        (dict(comp_sep=float("inf")), "comp_sep"),
    ],
)
def test_bad_outcome_law_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        O.OutcomeLaw(**kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [(dict(world="nope"), "world"), (dict(world=3), "world"), (dict(fmt="bdb2099"), "fmt")],
)
def test_bad_world_or_format_raise_before_writing(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        generate_league(tmp_path / "out", **{**TINY, **kwargs})
    assert not (tmp_path / "out").exists()


def test_world_replace_and_presets():
    assert WORLDS["default"] == World()
    faster = WORLDS["default"].replace(rush_base=1.0, wr_routes={"go": 0.5, "slant": 0.5})
    assert faster.rush_base == 1.0 and faster.wr_routes == (("go", 0.5), ("slant", 0.5))
    with pytest.raises(ValueError, match="man_rate"):
        WORLDS["default"].replace(man_rate=-1)
    knobs = [{**w.as_json(), "name": "", "description": ""} for w in WORLDS.values()]
    assert all(a != b for i, a in enumerate(knobs) for b in knobs[i + 1 :])  # no two alike


def test_cli_lists_worlds_and_uses_one(tmp_path, capsys):
    assert cli_main(["--list-worlds"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in WORLDS)
    args = ["--weeks", "1", "--teams", "2", "--dropbacks", "3", "--world", "power_man"]
    assert cli_main([*args, "--out", str(tmp_path / "pm")]) == 0
    assert json.loads((tmp_path / "pm" / "truth" / "world.json").read_text())["name"] == "power_man"
    with pytest.raises(SystemExit) as err:
        cli_main(["--world", "nope", "--out", str(tmp_path / "bad")])
    assert err.value.code == 2 and "world" in capsys.readouterr().err


def test_weeks_simulated_in_two_processes_write_the_same_files(tmp_path):
    kw = dict(weeks=2, seed=5, n_teams=4, dropbacks_per_team_game=6, world="spread_zone")
    one = generate_league(tmp_path / "one", **kw)
    two = generate_league(tmp_path / "two", workers=2, **kw)
    assert one == two
    files = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*.*"))
    assert len(files) > 5
    for f in files:
        assert (tmp_path / "one" / f).read_bytes() == (tmp_path / "two" / f).read_bytes(), f


def test_cast_spread_scales_the_team_level_supporting_cast_only():
    def build(spread):
        return L.build_league(np.random.default_rng([7, 0]), 32, cast_spread=spread)

    none, one, wide = build(0.0), build(1.0), build(3.0)
    team_one = one.quality_Tx23 - none.quality_Tx23  # the team-level part of each quality
    team_wide = wide.quality_Tx23 - none.quality_Tx23
    np.testing.assert_allclose(team_wide, 3.0 * team_one, atol=1e-12)
    rec = team_one[:, L.RECEIVERS]
    assert np.ptp(rec, axis=1).max() < 1e-12 and rec.std() > 0.2  # one shift per team
    assert np.abs(np.delete(team_one, L.RECEIVERS, axis=1)).max() == 0  # passers, defenders kept
    assert np.all(none.pass_block_T == 0)
    np.testing.assert_allclose(wide.pass_block_T, 3.0 * one.pass_block_T, atol=1e-12)
    assert np.array_equal(wide.pass_rush_T, one.pass_rush_T)
    assert WORLDS["supporting_cast"] == WORLDS["default"].replace(
        name="supporting_cast",
        description=WORLDS["supporting_cast"].description,
        cast_spread=2.0,
    )
