"""One play's raw tracking rows and context -> exactly what a play store holds for that play.

`preprocess_play` writes the play as a one-play release (the tracking rows, a plays/supplementary
row, games/players/charting rows) into a temporary folder and runs ingest's own per-file core
(`ingest.open_source` + `ingest.process_files`) on it, so a model sees the same numbers at
inference as in training: it is the same code, not a reimplementation.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sbp_jax.data.columns import IngestError
from sbp_jax.data.ingest import open_source, process_files
from sbp_jax.data.ingest_report import DropReport
from sbp_jax.data.schemas import SchemaError, detect_release

Rows = Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]]


@dataclasses.dataclass(frozen=True)
class PlayInputs:
    """What a store holds for one play (see docs/data.md for every field)."""

    release: str
    tracking: np.ndarray  # float32 [T, 22, 8] raw features, snap..release
    presence: np.ndarray  # bool [22]
    length: int  # T
    static: np.ndarray  # float32 [S]
    static_names: tuple[str, ...]
    target_slot: int  # 0..21, -1 unknown
    target_id: int  # nflId, -1 unknown
    target_source: str  # "release", "inferred" or "none"
    attributes: dict[str, Any]  # the play's plays.parquet row: time_to_throw, air_yards, ...


def _columns(rows: Rows | None, what: str) -> dict[str, list]:
    """A dict of columns from a dict of columns or a list of row dicts."""
    if rows is None:
        return {}
    if isinstance(rows, Mapping):
        cols = {str(k): list(np.asarray(v, object).ravel()) for k, v in rows.items()}
        lengths = {len(v) for v in cols.values()}
        if len(lengths) > 1:
            raise ValueError(f"{what}: columns of different lengths {sorted(lengths)}")
        return cols
    if isinstance(rows, str | bytes) or not all(isinstance(r, Mapping) for r in rows):
        raise ValueError(f"{what}: expected a dict of columns or a list of row dicts")
    names = list(dict.fromkeys(k for r in rows for k in r))
    return {k: [r.get(k) for r in rows] for k in names}


def _text(v: Any) -> str:
    """A value as a release writes it (empty for missing; floats round-trip exactly; a whole
    float such as a JSON client's 2021091200.0 is written as the integer an id column needs)."""
    if isinstance(v, np.generic):
        v = v.item()
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(v)
    return str(v)


def _write(path: Path, cols: dict[str, list]) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        w.writerows(zip(*([_text(v) for v in col] for col in cols.values()), strict=True))


def _tables(release, rows: dict[str, list], play: dict[str, Any], tables) -> dict[str, dict]:
    """The one-play release's per-play files (name -> columns)."""
    fc, tc = release.file_column, release.tracking_columns
    ids = {fc(k): rows[tc[k]][0] for k in ("gameId", "playId") if tc[k] in rows}
    play = ids | {fc("week"): 0} | dict(play)  # the week is not a model input
    for internal in ("passResult", release.yards_columns[0]):  # unknown outcome: empty
        play.setdefault(fc(internal), None)
    if not release.has_games_file:
        play.setdefault(fc("season"), int(play[fc("gameId")]) // 1_000_000)
    out = {release.plays_file: {k: [v] for k, v in play.items()}}
    if release.has_games_file:
        out["games.csv"] = {k: [v] for k, v in play.items()}
        pos = next((c for c in ("position", "officialPosition") if c in rows), None)
        ids = rows[tc["nflId"]]
        out["players.csv"] = {
            "nflId": ids,
            "displayName": rows.get("displayName", [""] * len(ids)),
            "position": rows[pos] if pos else [""] * len(ids),
        }
        first = {}  # each player once; the ball (no nflId) not at all
        for i, k in enumerate(map(_text, ids)):
            if k not in ("", "NA"):
                first.setdefault(k, i)
        out["players.csv"] = {
            k: [v[i] for i in first.values()] for k, v in out["players.csv"].items()
        }
    out.update({name: _columns(t, f"tables[{name!r}]") for name, t in (tables or {}).items()})
    return out


def _rename(e: Exception, tmp: Path, names: dict[str, str]) -> Exception:
    """The error with the temporary files named as the caller gave them."""
    msg = str(e).replace(f"{tmp}/", "").replace(str(tmp), "the play")
    for file, what in names.items():
        msg = re.sub(rf"\b{re.escape(file)}\b", what, msg)
    return type(e)(msg)


def preprocess_play(
    rows: Rows,
    play: Mapping[str, Any] | None = None,
    *,
    tables: Mapping[str, Rows] | None = None,
    static_names: Sequence[str] | None = None,
) -> PlayInputs:
    """The store's arrays and attributes of ONE play, from its raw tracking ``rows`` (any supported
    release's column names: camelCase with ball rows and events, or BDB 2026 snake_case) and its
    context ``play`` (a plays.csv row with the games.csv columns, or a supplementary_data.csv
    row; None: taken from the rows' first row). ``tables`` adds the release's other files' rows
    for the play, by file name (players.csv, pffScoutingData.csv, player_play.csv,
    targetedReceiver.csv). The outcome (passResult, yards) may be missing. With
    ``static_names`` (a store's) the static features must be exactly those.
    """
    cols = _columns(rows, "rows")
    release = detect_release(None, list(cols))
    context = dict(play) if play is not None else {k: v[0] for k, v in cols.items() if v}
    files = _tables(release, cols, context, tables)
    names = {release.tracking_example: "rows", release.plays_file: "play", "games.csv": "play"}
    names |= {n: f"tables[{n!r}]" for n in tables or {}}
    with tempfile.TemporaryDirectory(prefix="sbp_play_") as d:
        tmp = Path(d)
        try:
            _write(tmp / release.tracking_example, cols)
            for name, table in files.items():
                _write(tmp / name, table)
            report = DropReport()
            source = open_source(tmp, report, outcome_required=False)
            done = np.zeros(len(source.plays.key), bool)
            results = [r for r in process_files(source, report, done, lambda _: None)]
        except (SchemaError, IngestError) as e:
            raise _rename(e, tmp, names) from None
    return _inputs(release.name, results[0], report, static_names)


def _inputs(release: str, res, report: DropReport, static_names) -> PlayInputs:
    """The single kept play of a one-play run; a dropped play is an IngestError with its reason."""
    if len(res.week.cand) != 1:
        why = "; ".join(f"{d['reason']} ({d['detail']})" for d in report.dropped) or "no rows"
        raise IngestError(f"play not preprocessed: {why}")
    missing = [n for n, v in zip(res.static_names, res.static[0], strict=True) if np.isnan(v)]
    if missing:
        raise IngestError(f"play: missing or unreadable value for static feature(s) {missing}")
    if static_names is not None and tuple(static_names) != tuple(res.static_names):
        raise IngestError(
            f"play: static features {res.static_names} but the store has {list(static_names)} "
            f"(missing: {sorted(set(static_names) - set(res.static_names))})"
        )
    attrs = {k: v[0].item() if isinstance(v[0], np.generic) else v[0] for k, v in res.table.items()}
    return PlayInputs(
        release=release,
        tracking=res.week.tracking,
        presence=res.week.presence[0],
        length=int(res.week.lengths[0]),
        static=res.static[0].astype(np.float32),
        static_names=tuple(res.static_names),
        target_slot=int(attrs["target_slot"]),
        target_id=int(attrs["target_id"]),
        target_source=str(attrs["target_source"]),
        attributes=attrs,
    )
