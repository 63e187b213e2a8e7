"""Big Data Bowl releases: detection from file names and headers, column maps to one schema.

Each release is described by the columns ingest needs from its files. Internal names are the BDB
2023 names (``team``, ``prePenaltyPlayResult`` ...); ``Release.tracking_columns`` etc. map
internal -> file.
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
class Release:
    """What ingest reads from one Big Data Bowl release."""

    name: str
    tracking_glob: str  # tracking file names, e.g. week*.csv
    tracking_columns: dict[str, str]  # internal -> file column (required)
    tracking_optional: dict[str, str]  # internal -> file column (used when present)
    yards_columns: tuple[str, ...]  # pre-penalty yards gained; first present wins
    plays_extra: tuple[str, ...]  # release-specific required plays.csv columns
    static_extra: dict[str, tuple[str, ...]]  # static feature -> candidate plays.csv columns

    @property
    def plays_columns(self) -> tuple[str, ...]:
        return _PLAYS_COMMON + self.plays_extra

    def yards_column(self, header: list[str], path: Path) -> str:
        return first_present(header, self.yards_columns, path, f"{self.name} yards")


def _tracking(team_col: str, *extra: str) -> dict[str, str]:
    cols = {c: c for c in _TRACKING_COMMON}
    cols["team"] = team_col
    cols.update({c: c for c in extra})
    return cols


RELEASES: dict[str, Release] = {
    r.name: r
    for r in (
        Release(
            name="bdb2021",
            tracking_glob="week*.csv",
            tracking_columns=_tracking("team", "position", "route"),
            tracking_optional={"displayName": "displayName"},
            yards_columns=("offensePlayResult",),
            plays_extra=("offensePlayResult",),
            static_extra={
                "defenders_in_box": ("defendersInTheBox",),
                "pass_rushers": ("numberOfPassRushers",),
            },
        ),
        Release(
            name="bdb2023",
            tracking_glob="week*.csv",
            tracking_columns=_tracking("team"),
            tracking_optional={},
            yards_columns=("prePenaltyPlayResult",),
            plays_extra=("prePenaltyPlayResult", "defensiveTeam"),
            static_extra={"defenders_in_box": ("defendersInBox",)},
        ),
        Release(
            name="bdb2024",
            tracking_glob="tracking_week_*.csv",
            tracking_columns=_tracking("club", "displayName"),
            tracking_optional={},
            yards_columns=("prePenaltyPlayResult", "playResult"),
            plays_extra=("defensiveTeam",),
            static_extra={"defenders_in_box": ("defendersInTheBox",)},
        ),
        Release(
            name="bdb2025",
            tracking_glob="tracking_week_*.csv",
            tracking_columns=_tracking("club", "displayName", "frameType"),
            tracking_optional={},
            yards_columns=("prePenaltyYardsGained",),
            plays_extra=("prePenaltyYardsGained", "defensiveTeam"),
            static_extra={},
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


def tracking_files(src: Path) -> list[Path]:
    """Tracking files in week order: ``week*.csv`` (2021/2023) or ``tracking_week_*.csv``."""
    old = sorted(src.glob("week*.csv"))
    new = sorted(src.glob("tracking_week_*.csv"))
    if old and new:
        raise SchemaError(
            f"{src}: both week*.csv and tracking_week_*.csv present; keep one release"
        )
    files = old or new
    if not files:
        raise SchemaError(f"{src}: no tracking files (week*.csv or tracking_week_*.csv)")
    return sorted(files, key=week_of_file)


def week_of_file(path: Path) -> int:
    m = re.search(r"week_?(\d+)\.csv$", path.name)
    if not m:
        raise SchemaError(f"{path}: cannot read the week number from the file name")
    return int(m.group(1))


def detect_release(path: Path, header: list[str]) -> Release:
    """The release whose tracking columns and file-name pattern match ``header``; else a SchemaError
    listing, for the closest release, the missing and expected columns."""
    by_name = [r for r in RELEASES.values() if path.match(r.tracking_glob)]
    if not by_name:
        raise SchemaError(f"{path}: not a tracking file name of a supported release")
    cols = set(header)
    matches = [r for r in by_name if set(r.tracking_columns.values()) <= cols]
    if (
        matches
    ):  # the most specific release (most required columns) wins: 2025 over 2024, 2021 over 2023
        return max(matches, key=lambda r: len(r.tracking_columns))
    closest = min(by_name, key=lambda r: len(set(r.tracking_columns.values()) - cols))
    missing = sorted(set(closest.tracking_columns.values()) - cols)
    raise SchemaError(
        f"{path}: header matches no supported Big Data Bowl release; closest is {closest.name}, "
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
