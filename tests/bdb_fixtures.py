"""Small hand-built Big Data Bowl 2023 directories with known geometry, and converters that turn any
BDB 2023 directory (these or the synthetic league's) into the 2021 / 2024 / 2025 / 2026 layouts.

The fixture plays are simple on purpose: every player moves in a straight line at a constant speed,
so the expected features of every row are known in closed form, independently of the ingest code.
After the release the targeted receiver (known, written to truth/plays.csv like the synthetic
league does) runs to the ball's arrival point and then carries it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

OFF_POS = ("QB", "T", "G", "C", "G", "T", "RB", "TE", "WR", "WR", "WR")
DEF_POS = ("DE", "DT", "DT", "DE", "OLB", "ILB", "OLB", "CB", "CB", "FS", "SS")
LINEMEN = {"T", "G", "C", "DE", "DT"}
TEAMS = ("AAA", "BBB", "CCC", "DDD")

TRACK_2023 = (
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
PLAYS_2023 = (
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
    "absoluteYardlineNumber",
    "defendersInBox",
)


@dataclass
class FixturePlay:
    gameId: int
    playId: int
    week: int
    offense: str
    defense: str
    left: bool
    los: float  # normalized x of the ball at the snap
    snap: int
    release: int | None
    arrival: int | None
    pass_result: str
    yards: int
    passer: int
    air_yards: float
    pressured: bool
    n_frames_total: int
    target_index: int = -1  # roster index (0..10) of the targeted receiver; -1: no pass

    @property
    def target(self) -> int | None:
        return None if self.target_index < 0 else int(roster_ids(self)[self.target_index])


def _write(path: Path, header, rows) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def roster(team_i: int) -> np.ndarray:
    """nflIds of a team: 11 offense (QB first), 11 defense."""
    return 40000 + 100 * team_i + np.arange(22)


def roster_ids(fp: FixturePlay) -> np.ndarray:
    """nflIds of a play's 22 players: the offense's 11 offensive, the defense's 11 defensive."""
    return np.concatenate(
        [roster(TEAMS.index(fp.offense))[:11], roster(TEAMS.index(fp.defense))[11:]]
    )


CATCH_OFFSET_Y = 0.5  # the target catches the ball this far (in y) from the ball's path


def player_start(play_seed: int) -> np.ndarray:
    """Normalized start positions relative to (los, 26.65) of 11 offense + 11 defense players."""
    rng = np.random.default_rng(play_seed)
    off = np.array(
        [
            [-5.0, 0.0],
            [-1, -4],
            [-1, -2],
            [-1, 0],
            [-1, 2],
            [-1, 4],
            [-7, 1.5],
            [-1, 7],
            [-1, -20],
            [-1, 20],
            [-2, 14],
        ]
    )
    dfn = np.array(
        [
            [1.0, -5],
            [1, -1.5],
            [1, 1.5],
            [1, 5],
            [4, -9],
            [5, 0],
            [4, 9],
            [7, -20],
            [7, 20],
            [15, -6],
            [14, 8],
        ]
    )
    return np.concatenate([off, dfn]) + rng.normal(0, 0.3, (22, 2))


def write_bdb2023(
    out: Path, *, n_games: int = 2, plays_per_game: int = 6, weeks: int = 1, seed: int = 0
) -> list[FixturePlay]:
    """Write games/plays/players/pffScoutingData/week*.csv and truth/plays.csv (the targets);
    returns each play's ground truth.

    Plays alternate direction and offense; per game the last play is a sack (no release); the
    targeted receiver cycles through the three wide receivers.
    """
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    plays: list[FixturePlay] = []
    track: dict[int, list] = {w: [] for w in range(1, weeks + 1)}
    play_rows, pff_rows, game_rows = [], [], []
    for g in range(n_games):
        week = 1 + g % weeks
        game_id = 2021090900 + g
        home, away = g % len(TEAMS), (g + 1) % len(TEAMS)
        game_rows.append([game_id, 2021, week, "09/09/2021", "20:20:00", TEAMS[home], TEAMS[away]])
        for k in range(plays_per_game):
            play_id = 50 + 25 * k
            off_i, def_i = (home, away) if k % 2 == 0 else (away, home)
            left = (k // 2) % 2 == 1
            los = float(20 + rng.integers(0, 60))
            sack = k == plays_per_game - 1
            snap = 6 + int(rng.integers(0, 4))
            release = None if sack else snap + 15 + int(rng.integers(0, 20))
            arrival = None if sack else release + 12
            air = float(rng.integers(-2, 25)) if not sack else np.nan
            n_total = (release or snap + 25) + 18
            result = "S" if sack else ("C", "I", "C", "IN")[k % 4]
            yards = (
                -6 if sack else (int(air) + 3 if result == "C" else (0 if result == "I" else -4))
            )
            ids = np.concatenate([roster(off_i)[:11], roster(def_i)[11:]])
            fp = FixturePlay(
                game_id,
                play_id,
                week,
                TEAMS[off_i],
                TEAMS[def_i],
                left,
                los,
                snap,
                release,
                arrival,
                result,
                yards,
                int(ids[0]),
                air,
                k % 3 == 0,
                n_total,
                -1 if sack else 8 + k % 3,
            )
            plays.append(fp)
            track[week] += _play_rows(fp, ids, seed * 1000 + g * 50 + k)
            side = TEAMS[off_i] if los < 60 else TEAMS[def_i]
            ydl = los - 10 if los < 60 else 110 - los
            play_rows.append(
                [
                    game_id,
                    play_id,
                    "desc",
                    1 + k % 4,
                    1 + k % 3,
                    10,
                    TEAMS[off_i],
                    TEAMS[def_i],
                    side,
                    int(ydl),
                    f"{14 - k}:{(7 * k) % 60:02d}",
                    7 * g,
                    3,
                    result,
                    "",
                    yards,
                    yards,
                    120 - los if left else los,
                    6 + k % 2,
                ]
            )
            for j, nid in enumerate(ids):
                role = (
                    "Pass"
                    if j == 0
                    else (
                        "Pass Block"
                        if j < 6
                        else ("Pass Route" if j < 11 else ("Pass Rush" if j < 15 else "Coverage"))
                    )
                )
                hurry = int(fp.pressured and j == 12)
                pff_rows.append([game_id, play_id, nid, role, "", "", hurry, ""])
    _write(
        out / "games.csv",
        (
            "gameId",
            "season",
            "week",
            "gameDate",
            "gameTimeEastern",
            "homeTeamAbbr",
            "visitorTeamAbbr",
        ),
        game_rows,
    )
    _write(out / "plays.csv", PLAYS_2023, play_rows)
    _write(
        out / "pffScoutingData.csv",
        (
            "gameId",
            "playId",
            "nflId",
            "pff_role",
            "pff_positionLinedUp",
            "pff_hit",
            "pff_hurry",
            "pff_sack",
        ),
        pff_rows,
    )
    player_rows = []
    for t in range(len(TEAMS)):
        for j, nid in enumerate(roster(t)):
            pos = (OFF_POS + DEF_POS)[j]
            player_rows.append([nid, "6-2", 220, "1995-01-01", "State", pos, f"Player {nid}"])
    _write(
        out / "players.csv",
        (
            "nflId",
            "height",
            "weight",
            "birthDate",
            "collegeName",
            "officialPosition",
            "displayName",
        ),
        player_rows,
    )
    for w, rows in track.items():
        _write(out / f"week{w}.csv", TRACK_2023, rows)
    (out / "truth").mkdir(exist_ok=True)
    _write(
        out / "truth" / "plays.csv",
        ("gameId", "playId", "target_nflId"),
        [(p.gameId, p.playId, "" if p.target is None else p.target) for p in plays],
    )
    return plays


def player_motion(fp: FixturePlay, play_seed: int):
    """Normalized (x, y) at frame f, and constant s, a, dir and o (degrees) per player."""
    rng = np.random.default_rng(play_seed + 7)
    start = player_start(play_seed) + np.array([fp.los, 26.65])
    s = rng.uniform(0.5, 4.0, 22)
    direction = rng.uniform(0, 360, 22)
    a = rng.uniform(0.0, 2.0, 22)
    o = rng.uniform(0, 360, 22)

    def straight(f: int) -> np.ndarray:
        dt = (f - fp.snap) / 10.0
        rad = np.deg2rad(direction)
        return start + dt * s[:, None] * np.stack([np.sin(rad), np.cos(rad)], 1)

    def pos(f: int) -> np.ndarray:
        p = straight(f)
        if fp.pressured and fp.release is not None and f >= fp.release:
            p[12] = p[0] + np.array([1.5, 0.0])  # a rusher reaches the passer at the release
        if fp.target_index >= 0 and f > fp.release:  # the target runs to the catch point
            catch = np.array([ball_x(fp, max(f, fp.arrival)), 26.65 + CATCH_OFFSET_Y])
            w = min((f - fp.release) / (fp.arrival - fp.release), 1.0)
            p[fp.target_index] = (1 - w) * straight(fp.release)[fp.target_index] + w * catch
        return p

    return pos, s, a, direction, o


def play_seed(fp: FixturePlay, seed: int = 0) -> int:
    """The motion seed `write_bdb2023(seed=...)` used for a play."""
    return seed * 1000 + (fp.gameId - 2021090900) * 50 + (fp.playId - 50) // 25


def expected_window(fp: FixturePlay) -> tuple[np.ndarray, np.ndarray]:
    """Expected [T, 22, 8] features and slot order (roster index per slot) of a fixture play,
    from its motion model (not from the ingest code)."""
    pos, s, a, direction, o = player_motion(fp, play_seed(fp))
    at_snap = pos(fp.snap)
    d = np.hypot(*(at_snap - at_snap[0]).T)
    order = np.concatenate([[0], 1 + np.argsort(d[1:11]), 11 + np.argsort(d[11:])])
    rad = np.deg2rad(direction)
    T = fp.release - fp.snap + 1
    feats = np.zeros((T, 22, 8))
    for t in range(T):
        p = pos(fp.snap + t)
        feats[t, :, 0] = p[:, 0] - fp.los
        feats[t, :, 1] = p[:, 1]
        feats[t, :, 2:4] = s[:, None] * np.stack([np.sin(rad), np.cos(rad)], 1)
        feats[t, :, 4:6] = a[:, None] * np.stack([np.sin(rad), np.cos(rad)], 1)
        feats[t, :, 6] = direction
        feats[t, :, 7] = o
    return feats[:, order], order


def _raw(fp: FixturePlay, x, y, angle):
    if fp.left:
        return 120 - x, 53.3 - y, np.mod(angle + 180, 360)
    return x, y, angle


def _play_rows(fp: FixturePlay, ids: np.ndarray, play_seed: int) -> list:
    pos, s, a, direction, o = player_motion(fp, play_seed)
    rows = []
    events = {1: "line_set", fp.snap: "ball_snap"}
    if fp.release is not None:
        events |= {
            fp.release: "pass_forward",
            fp.arrival: "pass_arrived",
            fp.arrival + 2: "pass_outcome_caught"
            if fp.pass_result == "C"
            else "pass_outcome_incomplete",
        }
    else:
        events[fp.snap + 25] = "qb_sack"
    team_of = [fp.offense] * 11 + [fp.defense] * 11
    for f in range(1, fp.n_frames_total + 1):
        p = pos(f)
        ev = events.get(f, "None")
        for j in range(22):
            x, y, d = _raw(fp, p[j, 0], p[j, 1], direction[j])
            _, _, oo = _raw(fp, 0, 0, o[j])
            rows.append(
                [
                    fp.gameId,
                    fp.playId,
                    ids[j],
                    f,
                    "t",
                    j,
                    team_of[j],
                    "left" if fp.left else "right",
                    round(x, 4),
                    round(y, 4),
                    round(s[j], 4),
                    round(a[j], 4),
                    0.1,
                    round(oo, 4),
                    round(d, 4),
                    ev,
                ]
            )
        bx = ball_x(fp, f)
        x, y, _ = _raw(fp, bx, 26.65, 0.0)
        rows.append(
            [
                fp.gameId,
                fp.playId,
                "NA",
                f,
                "t",
                "NA",
                "football",
                "left" if fp.left else "right",
                round(x, 4),
                round(y, 4),
                0,
                0,
                0,
                "NA",
                "NA",
                ev,
            ]
        )
    return rows


def ball_x(fp: FixturePlay, f: int) -> float:
    """Normalized ball x: at the LOS until the release, then linearly to los + air at arrival."""
    if fp.release is None or f <= fp.release:
        return fp.los
    frac = min((f - fp.release) / (fp.arrival - fp.release), 1.0 + (f - fp.arrival) / 100)
    return fp.los + frac * fp.air_yards


# ------------------------------------------------------------------ release converters (from 2023)


def _rewrite(
    src: Path,
    dst: Path,
    rename: dict[str, str] | None = None,
    drop=(),
    add=None,
    row_filter=None,
    transform=None,
) -> None:
    header, rows = read_rows(src)
    idx = {c: i for i, c in enumerate(header)}
    if row_filter is not None:
        rows = [r for r in rows if row_filter(idx, r)]
    if transform is not None:
        rows = [transform(idx, r) for r in rows]
    keep = [i for i, c in enumerate(header) if c not in drop]
    new_header = [(rename or {}).get(header[i], header[i]) for i in keep]
    new_rows = [[r[i] for i in keep] for r in rows]
    if add:
        for name, fn in add.items():
            new_header.append(name)
            for r, old in zip(new_rows, rows, strict=True):
                r.append(fn(idx, old))
    _write(dst, new_header, new_rows)


def _week_files(src: Path) -> list[tuple[int, Path]]:
    return sorted((int(p.stem[4:]), p) for p in src.glob("week*.csv"))


def _players(src: Path) -> dict[str, tuple[str, str]]:
    header, rows = read_rows(src / "players.csv")
    i, n, p = header.index("nflId"), header.index("displayName"), header.index("officialPosition")
    return {r[i]: (r[n], r[p]) for r in rows}


def _targets(src: Path) -> dict[tuple[str, str], str]:
    """(gameId, playId) -> targeted nflId ("" for none) from src/truth/plays.csv."""
    header, rows = read_rows(src / "truth" / "plays.csv")
    g, p, t = header.index("gameId"), header.index("playId"), header.index("target_nflId")
    return {(r[g], r[p]): r[t] for r in rows}


def _copy_truth(src: Path, dst: Path) -> None:
    (dst / "truth").mkdir(parents=True, exist_ok=True)
    _rewrite(src / "truth" / "plays.csv", dst / "truth" / "plays.csv")


def _games(src: Path) -> dict[str, tuple[str, str]]:
    header, rows = read_rows(src / "games.csv")
    g, h, v = header.index("gameId"), header.index("homeTeamAbbr"), header.index("visitorTeamAbbr")
    return {r[g]: (r[h], r[v]) for r in rows}


TARGETED_RECEIVER_2021 = ("gameId", "playId", "targetNflId")


def to_bdb2021(src: Path, dst: Path) -> None:
    """2021 layout: team home/away/football, position+displayName+route in tracking, no linemen
    rows, offensePlayResult, defendersInTheBox, MM:SS:00 clock, no season, no defensiveTeam, no PFF
    file; targetedReceiver.csv from src/truth/plays.csv."""
    dst.mkdir(parents=True, exist_ok=True)
    players, games = _players(src), _games(src)

    def not_lineman(idx, r):
        return r[idx["team"]] == "football" or players[r[idx["nflId"]]][1] not in LINEMEN

    def home_away(idx, r):
        r = list(r)
        if r[idx["team"]] not in ("football", "home", "away"):
            r[idx["team"]] = "home" if r[idx["team"]] == games[r[idx["gameId"]]][0] else "away"
        return r

    for w, f in _week_files(src):
        _rewrite(
            f,
            dst / f"week{w}.csv",
            row_filter=not_lineman,
            transform=home_away,
            add={
                "displayName": lambda i, r: players.get(r[i["nflId"]], ("football",))[0],
                "position": lambda i, r: players.get(r[i["nflId"]], ("", ""))[1],
                "route": lambda i, r: "",
            },
        )

    def clock(idx, r):
        r = list(r)
        r[idx["gameClock"]] += ":00"
        return r

    _rewrite(
        src / "plays.csv",
        dst / "plays.csv",
        transform=clock,
        drop=("defensiveTeam",),
        rename={"prePenaltyPlayResult": "offensePlayResult", "defendersInBox": "defendersInTheBox"},
    )
    _rewrite(src / "games.csv", dst / "games.csv", drop=("season",))
    _rewrite(src / "players.csv", dst / "players.csv", rename={"officialPosition": "position"})
    _write(
        dst / "targetedReceiver.csv",
        TARGETED_RECEIVER_2021,
        [(g, p, t or "NA") for (g, p), t in _targets(src).items()],
    )
    _copy_truth(src, dst)


def to_bdb2024(src: Path, dst: Path) -> None:
    """2024 layout: tracking_week_N.csv with club and displayName; no PFF file."""
    dst.mkdir(parents=True, exist_ok=True)
    players = _players(src)
    for w, f in _week_files(src):
        _rewrite(
            f,
            dst / f"tracking_week_{w}.csv",
            rename={"team": "club"},
            add={"displayName": lambda i, r: players.get(r[i["nflId"]], ("football",))[0]},
        )
    _rewrite(src / "plays.csv", dst / "plays.csv", rename={"defendersInBox": "defendersInTheBox"})
    _rewrite(src / "games.csv", dst / "games.csv")
    _rewrite(src / "players.csv", dst / "players.csv", rename={"officialPosition": "position"})


def to_bdb2025(src: Path, dst: Path) -> None:
    """2025 layout: tracking_week_N.csv with club, displayName, frameType; prePenaltyYardsGained;
    player_play.csv (hadDropback, causedPressure, wasTargettedReceiver from src/truth/plays.csv)
    instead of pffScoutingData.csv."""
    dst.mkdir(parents=True, exist_ok=True)
    players = _players(src)
    for w, f in _week_files(src):
        _rewrite(
            f,
            dst / f"tracking_week_{w}.csv",
            rename={"team": "club"},
            add={
                "displayName": lambda i, r: players.get(r[i["nflId"]], ("football",))[0],
                "frameType": lambda i, r: "AFTER_SNAP",
            },
        )
    _rewrite(
        src / "plays.csv",
        dst / "plays.csv",
        drop=("defendersInBox",),
        rename={"prePenaltyPlayResult": "prePenaltyYardsGained", "playResult": "yardsGained"},
    )
    _rewrite(src / "games.csv", dst / "games.csv")
    _rewrite(src / "players.csv", dst / "players.csv", rename={"officialPosition": "position"})

    def pressure(i, r):
        return str(
            int(
                any(
                    r[i[c]] not in ("", "NA", "0")
                    for c in ("pff_hit", "pff_hurry", "pff_sack")
                    if c in i
                )
            )
        )

    targets = _targets(src)
    _rewrite(
        src / "pffScoutingData.csv",
        dst / "player_play.csv",
        drop=("pff_role", "pff_positionLinedUp", "pff_hit", "pff_hurry", "pff_sack"),
        add={
            "hadDropback": lambda i, r: str(int(r[i["pff_role"]] == "Pass")),
            "causedPressure": pressure,
            "wasTargettedReceiver": lambda i, r: str(
                int(targets[r[i["gameId"]], r[i["playId"]]] == r[i["nflId"]])
            ),
        },
    )
    _copy_truth(src, dst)


# ------------------------------------------------------------------ BDB 2026 (from 2023)

INPUT_2026 = (
    "game_id",
    "play_id",
    "player_to_predict",
    "nfl_id",
    "frame_id",
    "play_direction",
    "absolute_yardline_number",
    "player_name",
    "player_height",
    "player_weight",
    "player_birth_date",
    "player_position",
    "player_side",
    "player_role",
    "x",
    "y",
    "s",
    "a",
    "dir",
    "o",
    "num_frames_output",
    "ball_land_x",
    "ball_land_y",
)
OUTPUT_2026 = ("game_id", "play_id", "nfl_id", "frame_id", "x", "y")
SUPPLEMENTARY_2026 = (
    "game_id",
    "season",
    "week",
    "game_date",
    "game_time_eastern",
    "home_team_abbr",
    "visitor_team_abbr",
    "play_id",
    "play_description",
    "quarter",
    "game_clock",
    "down",
    "yards_to_go",
    "possession_team",
    "defensive_team",
    "yardline_side",
    "yardline_number",
    "pre_snap_home_score",
    "pre_snap_visitor_score",
    "play_nullified_by_penalty",
    "pass_result",
    "pass_length",
    "offense_formation",
    "receiver_alignment",
    "route_of_targeted_receiver",
    "play_action",
    "dropback_type",
    "dropback_distance",
    "pass_location_type",
    "defenders_in_the_box",
    "team_coverage_man_zone",
    "team_coverage_type",
    "penalty_yards",
    "pre_penalty_yards_gained",
    "yards_gained",
    "expected_points",
    "expected_points_added",
)
FORMATIONS_2026 = ("SHOTGUN", "EMPTY", "SINGLEBACK", "PISTOL", "I_FORM", "JUMBO")


def charting_2026(i: int) -> dict[str, str]:
    """The supplementary charting the converter writes for the i-th pass of plays.csv."""
    return {
        "offense_formation": FORMATIONS_2026[i % len(FORMATIONS_2026)],
        "play_action": "TRUE" if i % 2 == 0 else "FALSE",
        "team_coverage_man_zone": "MAN_COVERAGE" if i % 3 == 0 else "ZONE_COVERAGE",
        "dropback_distance": f"{3.0 + i % 4:.1f}",
    }


def _play_frames(rows, c) -> dict[tuple[str, str], dict[str, int]]:
    """(gameId, playId) -> first frame of each event."""
    out: dict[tuple[str, str], dict[str, int]] = {}
    for r in rows:
        ev = out.setdefault((r[c["gameId"]], r[c["playId"]]), {})
        ev.setdefault(r[c["event"]], int(r[c["frameId"]]))
    return out


def to_bdb2026(src: Path, dst: Path, season: int = 2023) -> None:
    """BDB 2026 layout: train/input_{season}_wNN.csv (snap..release, frame_id from 1, no ball
    rows, no events, no linemen, player_role from pffScoutingData + truth/plays.csv targets),
    train/output_... (the players to predict during the flight) and supplementary_data.csv (the
    released passes only; empty yardline_side at midfield)."""
    (dst / "train").mkdir(parents=True, exist_ok=True)
    h, player_rows = read_rows(src / "players.csv")
    pc = {n: k for k, n in enumerate(h)}
    player = {r[pc["nflId"]]: r for r in player_rows}
    targets = _targets(src)
    h, pff = read_rows(src / "pffScoutingData.csv")
    passers = {(r[0], r[1]): r[2] for r in pff if r[h.index("pff_role")] == "Pass"}
    h, game_rows = read_rows(src / "games.csv")
    games = {r[0]: dict(zip(h, r, strict=True)) for r in game_rows}
    h, play_rows = read_rows(src / "plays.csv")
    plays = {(r[0], r[1]): dict(zip(h, r, strict=True)) for r in play_rows}
    passes: dict[tuple[str, str], dict] = {}
    for w, f in _week_files(src):
        header, rows = read_rows(f)
        c = {n: k for k, n in enumerate(header)}
        frames = _play_frames(rows, c)
        ball = {
            (r[c["gameId"]], r[c["playId"]], int(r[c["frameId"]])): r
            for r in rows
            if r[c["team"]] == "football"
        }
        inputs, outputs = [], []
        for r in rows:
            key = (r[c["gameId"]], r[c["playId"]])
            ev, pl = frames[key], plays[key]
            if "pass_forward" not in ev or r[c["team"]] == "football":
                continue
            nid = r[c["nflId"]]
            info = player[nid]
            if info[pc["officialPosition"]] in LINEMEN:
                continue
            snap, rel, arr = ev["ball_snap"], ev["pass_forward"], ev["pass_arrived"]
            frame = int(r[c["frameId"]])
            offense = r[c["team"]] == pl["possessionTeam"]
            role = (
                "Passer"
                if passers.get(key) == nid
                else "Targeted Receiver"
                if targets.get(key) == nid
                else "Other Route Runner"
                if offense
                else "Defensive Coverage"
            )
            predict = role in ("Targeted Receiver", "Defensive Coverage")
            land = ball[(*key, arr)]
            if snap <= frame <= rel:
                inputs.append(
                    [key[0], key[1], str(predict), nid, frame - snap + 1, r[c["playDirection"]]]
                    + [pl["absoluteYardlineNumber"], info[pc["displayName"]]]
                    + [info[pc[k]] for k in ("height", "weight", "birthDate", "officialPosition")]
                    + ["Offense" if offense else "Defense", role]
                    + [r[c[k]] for k in ("x", "y", "s", "a", "dir", "o")]
                    + [arr - rel, land[c["x"]], land[c["y"]]]
                )
            elif predict and rel < frame <= arr:
                outputs.append([key[0], key[1], nid, frame - rel, r[c["x"]], r[c["y"]]])
            passes[key] = {"length": float(land[c["x"]]) - float(pl["absoluteYardlineNumber"])}
        _write(dst / "train" / f"input_{season}_w{w:02d}.csv", INPUT_2026, inputs)
        _write(dst / "train" / f"output_{season}_w{w:02d}.csv", OUTPUT_2026, outputs)
    sup = []
    for i, (key, pl) in enumerate(k for k in plays.items() if k[0] in passes):
        g = games[key[0]]
        chart = charting_2026(i)
        midfield = pl["yardlineNumber"] == "50"
        sup.append(
            [key[0], g["season"], g["week"], g["gameDate"], g["gameTimeEastern"]]
            + [g["homeTeamAbbr"], g["visitorTeamAbbr"], key[1], pl["playDescription"]]
            + [pl["quarter"], pl["gameClock"], pl["down"], pl["yardsToGo"]]
            + [pl["possessionTeam"], pl["defensiveTeam"], "" if midfield else pl["yardlineSide"]]
            + [pl["yardlineNumber"], pl["preSnapHomeScore"], pl["preSnapVisitorScore"], "N"]
            + [pl["passResult"], round(abs(passes[key]["length"])), chart["offense_formation"]]
            + ["3x1", "GO", chart["play_action"], "TRADITIONAL", chart["dropback_distance"]]
            + ["INSIDE_BOX", pl["defendersInBox"], chart["team_coverage_man_zone"], "COVER_1_MAN"]
            + ["", pl["prePenaltyPlayResult"], pl["playResult"], "1.5", "0.25"]
        )
    _write(dst / "supplementary_data.csv", SUPPLEMENTARY_2026, sup)
    _copy_truth(src, dst)


def play_rows(path: Path, game, play, game_col: str = "gameId", play_col: str = "playId"):
    """The rows of one play in a CSV file, as dicts of text."""
    header, rows = read_rows(path)
    g, p = header.index(game_col), header.index(play_col)
    return [
        dict(zip(header, r, strict=True)) for r in rows if (r[g], r[p]) == (str(game), str(play))
    ]


def edit_csv(path: Path, fn) -> None:
    """Rewrite a CSV: ``fn(column index, rows)`` returns the new rows (the header is kept)."""
    header, rows = read_rows(path)
    _write(path, header, fn({n: k for k, n in enumerate(header)}, rows))
