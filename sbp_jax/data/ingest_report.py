"""The ingest report: every dropped play with its reason, as JSON and Markdown."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import numpy as np

from sbp_jax.data.store import PlayStore

REASONS = {
    "game_not_in_games_csv": "the play's gameId is not in games.csv",
    "not_targeted_pass": "passResult is not C, I or IN (sack, scramble, run, ...)",
    "missing_yards": "the pre-penalty yards column is empty",
    "week_not_provided": "no tracking file for the game's week",
    "no_tracking": "plays.csv row without tracking rows",
    "tracking_without_play_row": "tracking rows whose (gameId, playId) is not in plays.csv",
    "duplicate_rows": "a player (or the ball) has two rows for one frame",
    "no_snap": "no ball_snap / autoevent_ballsnap event",
    "no_release": "no pass_forward / pass_shovel / autoevent_passforward event after the snap",
    "no_ball_row": "no football row at the snap",
    "no_passer": "no passer (no PFF/player_play passer and no offensive QB at the snap)",
    "passer_not_tracked": "the charted passer has no tracking row at the snap",
    "too_many_players": "more than 11 players on a side at the snap",
    "missing_tracking_values": "NA in x, y, s, a or dir between snap and release",
    "frames_missing": "a player lacks frames between snap and release",
}


class DropReport:
    def __init__(self) -> None:
        self.dropped: list[dict[str, Any]] = []

    def drop(self, game, play, reason: str, detail: str | list[str] = "") -> None:
        game, play = np.atleast_1d(game).tolist(), np.atleast_1d(play).tolist()
        details = [detail] * len(game) if isinstance(detail, str) else detail
        for g, p, d in zip(game, play, details, strict=True):
            self.dropped.append({"gameId": int(g), "playId": int(p), "reason": reason, "detail": d})

    def counts(self) -> dict[str, int]:
        return dict(Counter(d["reason"] for d in self.dropped).most_common())


def report_markdown(rep: dict[str, Any]) -> str:
    lines = [
        f"# Ingest report: {rep['source']}",
        "",
        f"Release {rep['release']} ({len(rep['tracking_files'])} tracking files, "
        f"{rep['tracking_rows']:,} rows, {rep['rows_per_second']:,} rows/s); "
        f"{rep['plays_kept']} plays kept, {rep['plays_dropped']} dropped.",
        "",
        "| reason | plays | meaning |",
        "|---|---:|---|",
    ]
    lines += [f"| {r} | {n} | {REASONS[r]} |" for r, n in rep["dropped_counts"].items()]
    lines += [
        "",
        "## Dropped plays",
        "",
        "| gameId | playId | reason | detail |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {d['gameId']} | {d['playId']} | {d['reason']} | {d['detail']} |" for d in rep["dropped"]
    ]
    return "\n".join(lines) + "\n"


def report_json(store: PlayStore) -> dict[str, Any]:
    """The ingest report of a store."""
    return json.loads((store.path / "ingest_report.json").read_text())
