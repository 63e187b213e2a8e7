"""Request bodies of the scoring service -> checked Python values, or a `RequestError` naming the
field at fault (its HTTP status, and a message the client sees).

`POST /score` takes one play's raw tracking rows, as in a Big Data Bowl tracking file, and the
play's context (its plays.csv row, with the games.csv columns of its game):

- JSON: `{"rows": [{"gameId": ..., "frameId": ..., "x": ..., ...}, ...], "play": {...},
  "release": "bdb2023"}` (`release` optional: detected from the row columns);
- CSV: a tracking CSV (header and rows) as the body, `Content-Type: text/csv`, with the play
  context as a JSON object in the query parameter `play` (and optionally `release`).

`POST /score/arrays` takes one play as the play store holds it (`sbp_jax.serve.artifact`
`PLAY_FIELDS`), as a JSON object.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping
from typing import Any

from sbp_jax.data.schemas import RELEASES, Release

MAX_REQUEST_FRAMES = 1000  # distinct frameIds in one request (100 s of tracking at 10 Hz)
MAX_ROWS_PER_FRAME = 23  # 22 players and the ball
# Tracking columns read as numbers (internal names); the first three may not be missing.
_REQUIRED_NUMBERS = ("gameId", "playId", "frameId")
_NUMBERS = (*_REQUIRED_NUMBERS, "nflId", "x", "y", "s", "a", "o", "dir")
_MISSING = ("", "NA", "NaN", "nan", "NULL", "null")  # what ingest reads as missing in a CSV


class RequestError(Exception):
    """A request the service refuses: HTTP `status`, the `field` at fault and a message."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field

    def to_json(self) -> dict[str, Any]:
        body = {"status": self.status, "message": self.message}
        return {"error": body | ({"field": self.field} if self.field else {})}


def json_object(body: bytes, what: str = "request body") -> dict[str, Any]:
    """The body as a JSON object (400 if it is not one)."""
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise RequestError(400, f"{what}: invalid JSON ({e})") from None
    if not isinstance(value, dict):
        raise RequestError(400, f"{what}: expected a JSON object, got {type(value).__name__}")
    return value


def rows_request(
    body: bytes, content_type: str, query: Mapping[str, list[str]]
) -> tuple[list[dict[str, Any]], dict[str, Any], Release, dict[str, list]]:
    """`POST /score`: (tracking rows with numbers parsed, play context, release, the release's
    other files' rows for the play by file name, e.g. players.csv: optional `tables`)."""
    if content_type == "text/csv":
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise RequestError(400, f"request body: not UTF-8 text ({e})") from None
        rows = list(csv.DictReader(io.StringIO(text)))
        if "play" not in query:
            raise RequestError(400, "a CSV body needs the play context in ?play=JSON", "play")
        play = json_object(query["play"][0].encode(), "query parameter play")
        requested = query.get("release", [None])[0]
        tables = json_object(query["tables"][0].encode(), "tables") if "tables" in query else {}
    else:
        req = json_object(body)
        for key in ("rows", "play"):
            if key not in req:
                raise RequestError(400, f"missing field {key!r}", key)
        rows, play, requested = req["rows"], req["play"], req.get("release")
        tables = req.get("tables", {})
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise RequestError(400, "expected a list of row objects", "rows")
        if not isinstance(play, dict):
            raise RequestError(400, "expected a JSON object (the plays.csv row)", "play")
    if not isinstance(tables, dict) or not all(
        isinstance(t, list) and all(isinstance(r, dict) for r in t) for t in tables.values()
    ):
        raise RequestError(400, "expected {file name: [row objects]}", "tables")
    if not rows:
        raise RequestError(422, "no tracking rows", "rows")
    columns = list(dict.fromkeys(c for r in rows for c in r))
    release = tracking_release(columns, requested)
    return parse_rows(rows, release), play, release, tables


def tracking_release(columns: list[str], requested: Any = None) -> Release:
    """The release named by `requested`, else the most specific one whose tracking columns are all
    in `columns`; 400 for an unknown name, 422 naming the missing columns."""
    if requested is not None:
        if requested not in RELEASES:
            raise RequestError(
                400, f"unknown release {requested!r}; known: {', '.join(RELEASES)}", "release"
            )
        candidates = [RELEASES[requested]]
    else:
        candidates = list(RELEASES.values())
    have = set(columns)
    fits = [r for r in candidates if set(r.tracking_columns.values()) <= have]
    if fits:
        return max(fits, key=lambda r: len(r.tracking_columns))
    closest = min(candidates, key=lambda r: len(set(r.tracking_columns.values()) - have))
    missing = sorted(set(closest.tracking_columns.values()) - have)
    raise RequestError(
        422,
        f"missing column(s) {missing} for {closest.name} tracking rows "
        f"(expected {sorted(closest.tracking_columns.values())})",
        "rows",
    )


def parse_rows(rows: list[dict[str, Any]], release: Release) -> list[dict[str, Any]]:
    """The rows with the numeric tracking columns as float (None where missing); 422 naming
    `rows[i].column` for a non-number, and for more than `MAX_REQUEST_FRAMES` frames."""
    if len(rows) > MAX_REQUEST_FRAMES * MAX_ROWS_PER_FRAME:
        raise RequestError(
            422,
            f"too many rows ({len(rows)}; at most {MAX_REQUEST_FRAMES} frames of "
            f"{MAX_ROWS_PER_FRAME} rows)",
            "rows",
        )
    file_names = {c: release.tracking_columns[c] for c in _NUMBERS}
    out = []
    for i, row in enumerate(rows):
        parsed = dict(row)
        for internal, col in file_names.items():
            parsed[col] = _number(row.get(col), f"rows[{i}].{col}", internal in _REQUIRED_NUMBERS)
        out.append(parsed)
    frames = {r[file_names["frameId"]] for r in out}
    if len(frames) > MAX_REQUEST_FRAMES:
        raise RequestError(
            422, f"too many frames ({len(frames)}; at most {MAX_REQUEST_FRAMES})", "rows"
        )
    return out


def _number(value: Any, field: str, required: bool) -> float | None:
    """A JSON number or CSV text as float; None for a missing value (422 if `required`)."""
    if value is None or (isinstance(value, str) and value.strip() in _MISSING):
        result = None
    elif isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RequestError(422, f"expected a number, got {value!r}", field)
    else:
        try:
            result = float(value)
        except ValueError:
            raise RequestError(422, f"expected a number, got {value!r}", field) from None
        result = None if math.isnan(result) else result
    if result is None and required:
        raise RequestError(422, "missing value", field)
    if result is not None and math.isinf(result):
        raise RequestError(422, f"expected a finite number, got {value!r}", field)
    return result


def play_yards(play: Mapping[str, Any], release: Release) -> float:
    """The play's pre-penalty yards gained from its context (the release's yards column)."""
    for col in release.yards_columns:
        if col in play:
            return _number(play[col], f"play.{col}", required=True)
    raise RequestError(
        422, f"missing the yards gained; expected one of {list(release.yards_columns)}", "play"
    )
