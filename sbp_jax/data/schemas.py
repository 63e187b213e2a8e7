"""Big Data Bowl releases: detection from file names and headers, column maps to one schema.

Each release is described by the columns ingest needs from its files. Internal names are the BDB
2023 names (``team``, ``prePenaltyPlayResult`` ...); ``Release.tracking_columns`` and
``Release.table_columns`` map internal -> file (BDB 2026 is snake_case and keeps its per-play
columns in ``supplementary_data.csv``).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv


class SchemaError(ValueError):
    """A file is missing, empty, unreadable, or its header does not match a supported release."""


# Columns every release's tracking files carry (file names differ only for team/club).
_TRACKING_COMMON = (
    "gameId",
    "playId",
    "nflId",
    "frameId",
    "playDirection",
    "x",
    "y",
    "s",
    "a",
    "o",
    "dir",
    "event",
)
# plays.csv columns every release has (2021 lacks defensiveTeam).
_PLAYS_COMMON = (
    "gameId",
    "playId",
    "quarter",
    "down",
    "yardsToGo",
    "possessionTeam",
    "gameClock",
    "preSnapHomeScore",
    "preSnapVisitorScore",
    "passResult",
)
_GAMES_COMMON = ("gameId", "week", "homeTeamAbbr", "visitorTeamAbbr")


@dataclasses.dataclass(frozen=True)
class Extra:
    """A release-specific static feature: the first present of ``columns``, read as a number, or
    (with ``ones``) as an indicator: 1 where the text is one of ``ones``, 0 for other text."""

    columns: tuple[str, ...]
    ones: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Release:
    """What ingest reads from one Big Data Bowl release."""

    name: str
    tracking_glob: str  # tracking file names, e.g. week*.csv
    tracking_example: str  # a tracking file name of week 1 (preprocess_play writes one)
    tracking_columns: dict[str, str]  # internal -> file column (required)
    tracking_optional: dict[str, str]  # internal -> file column (used when present)
    yards_columns: tuple[str, ...]  # pre-penalty yards gained; first present wins
    plays_extra: tuple[str, ...]  # release-specific required plays.csv columns
    static_extra: dict[str, Extra]  # static feature -> its plays.csv column(s)
    linemen: bool = True  # tracking holds all 22 players (geometric pressure is meaningful)
    plays_file: str = "plays.csv"  # BDB 2026: supplementary_data.csv (games columns included)
    table_columns: dict[str, str] = dataclasses.field(default_factory=dict)  # internal -> file
    caveats: tuple[str, ...] = ()  # what the release leaves out, for the ingest report

    @property
    def plays_columns(self) -> tuple[str, ...]:
        return _PLAYS_COMMON + self.plays_extra

    @property
    def has_games_file(self) -> bool:
        return self.plays_file == "plays.csv"

    def file_column(self, internal: str) -> str:
        """The plays/games file's name of an internal column."""
        return self.table_columns.get(internal, internal)

    def yards_column(self, header: list[str], path: Path) -> str:
        """The file's pre-penalty yards column."""
        candidates = [self.file_column(c) for c in self.yards_columns]
        return first_present(header, candidates, path, f"{self.name} yards")


def _tracking(team_col: str, *extra: str) -> dict[str, str]:
    cols = {c: c for c in _TRACKING_COMMON}
    cols["team"] = team_col
    cols.update({c: c for c in extra})
    return cols


# BDB 2026 (snake_case): internal -> file names of the tracking input and supplementary columns.
_TRACKING_2026 = {
    "gameId": "game_id",
    "playId": "play_id",
    "nflId": "nfl_id",
    "frameId": "frame_id",
    "playDirection": "play_direction",
    "x": "x",
    "y": "y",
    "s": "s",
    "a": "a",
    "o": "o",
    "dir": "dir",
    "team": "player_side",
    "role": "player_role",
    "losX": "absolute_yardline_number",
    "landX": "ball_land_x",
    "landY": "ball_land_y",
    "flightFrames": "num_frames_output",
    "displayName": "player_name",
}
_TABLES_2026 = {
    "gameId": "game_id",
    "playId": "play_id",
    "season": "season",
    "week": "week",
    "homeTeamAbbr": "home_team_abbr",
    "visitorTeamAbbr": "visitor_team_abbr",
    "quarter": "quarter",
    "down": "down",
    "yardsToGo": "yards_to_go",
    "possessionTeam": "possession_team",
    "defensiveTeam": "defensive_team",
    "gameClock": "game_clock",
    "preSnapHomeScore": "pre_snap_home_score",
    "preSnapVisitorScore": "pre_snap_visitor_score",
    "passResult": "pass_result",
    "prePenaltyYardsGained": "pre_penalty_yards_gained",
    "yardlineSide": "yardline_side",
    "yardlineNumber": "yardline_number",
    "playNullifiedByPenalty": "play_nullified_by_penalty",
}
TRUE_TEXT = ("TRUE", "True", "true", "1", "Y")  # booleans as the releases write them
CAVEATS_2026 = (
    "BDB 2026 leaves out quick passes (under 0.5 s in the air), deflected passes and throwaways: "
    "its pass-result mix and yards are those of the remaining passes only.",
    "BDB 2026 has no snap event: the window starts at the first input frame, and time to throw "
    "is measured from it.",
)

RELEASES: dict[str, Release] = {
    r.name: r
    for r in (
        Release(
            name="bdb2021",
            tracking_glob="week*.csv",
            tracking_example="week1.csv",
            tracking_columns=_tracking("team", "position", "route"),
            tracking_optional={"displayName": "displayName"},
            yards_columns=("offensePlayResult",),
            plays_extra=("offensePlayResult",),
            static_extra={
                "defenders_in_box": Extra(("defendersInTheBox",)),
                "pass_rushers": Extra(("numberOfPassRushers",)),
            },
            linemen=False,
        ),
        Release(
            name="bdb2023",
            tracking_glob="week*.csv",
            tracking_example="week1.csv",
            tracking_columns=_tracking("team"),
            tracking_optional={},
            yards_columns=("prePenaltyPlayResult",),
            plays_extra=("prePenaltyPlayResult", "defensiveTeam"),
            static_extra={"defenders_in_box": Extra(("defendersInBox",))},
        ),
        Release(
            name="bdb2024",
            tracking_glob="tracking_week_*.csv",
            tracking_example="tracking_week_1.csv",
            tracking_columns=_tracking("club", "displayName"),
            tracking_optional={},
            yards_columns=("prePenaltyPlayResult", "playResult"),
            plays_extra=("defensiveTeam",),
            static_extra={"defenders_in_box": Extra(("defendersInTheBox",))},
        ),
        Release(
            name="bdb2025",
            tracking_glob="tracking_week_*.csv",
            tracking_example="tracking_week_1.csv",
            tracking_columns=_tracking("club", "displayName", "frameType"),
            tracking_optional={},
            yards_columns=("prePenaltyYardsGained",),
            plays_extra=("prePenaltyYardsGained", "defensiveTeam"),
            static_extra={},
        ),
        Release(
            name="bdb2026",
            tracking_glob="input_*_w*.csv",
            tracking_example="input_2023_w01.csv",
            tracking_columns=_TRACKING_2026,
            tracking_optional={},
            yards_columns=("prePenaltyYardsGained",),
            plays_extra=(
                "prePenaltyYardsGained",
                "defensiveTeam",
                "season",
                "week",
                "homeTeamAbbr",
                "visitorTeamAbbr",
            ),
            static_extra={
                "defenders_in_box": Extra(("defenders_in_the_box",)),
                "play_action": Extra(("play_action",), TRUE_TEXT),
                "man_coverage": Extra(("team_coverage_man_zone",), ("MAN_COVERAGE",)),
                "dropback_distance": Extra(("dropback_distance",)),
                "formation_shotgun": Extra(("offense_formation",), ("SHOTGUN",)),
                "formation_empty": Extra(("offense_formation",), ("EMPTY",)),
                "formation_pistol": Extra(("offense_formation",), ("PISTOL",)),
                "formation_singleback": Extra(("offense_formation",), ("SINGLEBACK",)),
                "formation_i_form": Extra(("offense_formation",), ("I_FORM",)),
            },
            linemen=False,
            plays_file="supplementary_data.csv",
            table_columns=_TABLES_2026,
            caveats=CAVEATS_2026,
        ),
    )
}

# Columns read from the auxiliary files (internal -> candidate file columns, first present wins).
GAMES_COLUMNS = _GAMES_COMMON
PLAYERS_COLUMNS = {
    "nflId": ("nflId",),
    "displayName": ("displayName",),
    "position": ("officialPosition", "position"),
}
PFF_COLUMNS = ("gameId", "playId", "nflId", "pff_role")
PFF_PRESSURE_COLUMNS = ("pff_hit", "pff_hurry", "pff_sack")
PLAYER_PLAY_COLUMNS = ("gameId", "playId", "nflId", "hadDropback")
PLAYER_PLAY_PRESSURE_COLUMN = "causedPressure"
PLAYER_PLAY_TARGET_COLUMN = "wasTargettedReceiver"  # sic: the release's spelling
TARGETED_RECEIVER_COLUMNS = ("gameId", "playId", "targetNflId")  # BDB 2021 targetedReceiver.csv


def read_header(path: Path) -> list[str]:
    """Column names of a CSV file's first line (a UTF-8 byte-order mark is stripped)."""
    with open(path, "rb") as fh:
        first = fh.readline()
    if not first.strip():
        raise SchemaError(f"{path}: empty file (no header line)")
    text = first.decode("utf-8-sig").strip("\r\n")
    return [c.strip().strip('"') for c in text.split(",")]


def first_present(header: list[str], candidates, path: Path | None = None, what: str = "") -> str:
    """The first of ``candidates`` in ``header``; with ``path`` a missing one is a SchemaError,
    without it the result is "" (an optional column)."""
    for c in candidates:
        if c in header:
            return c
    if path is None:
        return ""
    raise SchemaError(f"{path}: missing {what} column; expected one of {list(candidates)}")


def require_columns(path: Path, header: list[str], required, what: str) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        raise SchemaError(
            f"{path}: missing column(s) {missing} for {what}; expected columns: "
            f"{list(required)}; found: {header}"
        )


_TRACKING_GLOBS = ("week*.csv", "tracking_week_*.csv", "input_*_w*.csv")


def tracking_files(src: Path) -> list[Path]:
    """Tracking files in week order: ``week*.csv`` (2021/2023), ``tracking_week_*.csv``
    (2024/2025) or ``input_*_wNN.csv`` (2026; in ``src`` or ``src/train``)."""
    folder = src / "train" if not _globbed(src) and _globbed(src / "train") else src
    found = {g: sorted(folder.glob(g)) for g in _TRACKING_GLOBS}
    present = [g for g, f in found.items() if f]
    if len(present) > 1:
        raise SchemaError(f"{folder}: both {' and '.join(present)} present; keep one release")
    if not present:
        raise SchemaError(
            f"{src}: no tracking files ({', '.join(_TRACKING_GLOBS)}, or train/input_*_w*.csv)"
        )
    return sorted(found[present[0]], key=week_of_file)


def _globbed(folder: Path) -> bool:
    return folder.is_dir() and any(any(folder.glob(g)) for g in _TRACKING_GLOBS)


def has_tracking(src: Path) -> bool:
    """Whether ``src`` (or ``src/train``) holds a release's tracking files."""
    return _globbed(src) or _globbed(src / "train")


def tables_dir(src: Path, files: list[Path], release: Release) -> Path:
    """Where the per-play tables are: ``src``; for BDB 2026, the first of ``src``, the input
    files' folder and its parent holding supplementary_data.csv."""
    if release.has_games_file:
        return src
    candidates = list(dict.fromkeys([src, files[0].parent, files[0].parent.parent]))
    for folder in candidates:
        if (folder / release.plays_file).is_file():
            return folder
    raise SchemaError(
        f"{src}: missing {release.plays_file} (looked in {', '.join(map(str, candidates))})"
    )


def week_of_file(path: Path) -> int:
    m = re.search(r"(?:week_?|_w)(\d+)\.csv$", path.name)
    if not m:
        raise SchemaError(f"{path}: cannot read the week number from the file name")
    return int(m.group(1))


def detect_release(path: Path | None, header: list[str]) -> Release:
    """The release whose tracking columns and file-name pattern match ``header`` (any file name
    when ``path`` is None); else a SchemaError listing, for the closest release, the missing and
    expected columns."""
    by_name = [r for r in RELEASES.values() if path is None or path.match(r.tracking_glob)]
    if not by_name:
        raise SchemaError(f"{path}: not a tracking file name of a supported release")
    cols = set(header)
    matches = [r for r in by_name if set(r.tracking_columns.values()) <= cols]
    if matches:  # the most specific (most required columns) wins: 2025 over 2024, 2021 over 2023
        return max(matches, key=lambda r: len(r.tracking_columns))
    closest = min(by_name, key=lambda r: len(set(r.tracking_columns.values()) - cols))
    missing = sorted(set(closest.tracking_columns.values()) - cols)
    raise SchemaError(
        f"{path or 'rows'}: header matches no supported Big Data Bowl release; "
        f"closest is {closest.name}, "
        f"missing column(s) {missing}; "
        f"expected columns: {sorted(closest.tracking_columns.values())}; "
        f"found: {header}"
    )


def read_csv(
    path: Path, columns: list[str], types: dict[str, pa.DataType] | None = None
) -> pa.Table:
    """Read ``columns`` of a CSV with pyarrow (multithreaded); BOM-safe; errors name file/column."""
    header = read_header(path)
    require_columns(path, header, columns, path.name)
    types = {c: t for c, t in (types or {}).items() if c in columns}
    try:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=1 << 24),
            convert_options=pacsv.ConvertOptions(
                include_columns=columns,
                column_types=types,
                null_values=["", "NA", "NaN", "nan", "NULL", "null"],
                strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
        raise SchemaError(f"{path}: {_name_column(str(e), header)}") from e


def _name_column(msg: str, header: list[str]) -> str:
    """pyarrow reports 'CSV column #k'; add the column's name."""
    m = re.search(r"column #(\d+)", msg)
    if m and int(m.group(1)) < len(header):
        return f"column {header[int(m.group(1))]!r}: {msg}"
    return msg
