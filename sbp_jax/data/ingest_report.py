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
    "tracking_without_play_row": (
        "tracking rows whose (gameId, playId) is not in plays.csv "
        "(BDB 2026: supplementary_data.csv)"
    ),
    "missing_nflId": "a player row (not the football) without nflId",
    "bad_play_direction": "playDirection is neither left nor right (detail: the value)",
    "duplicate_rows": "a player (or the ball) has two rows for one frame",
    "no_snap": "no ball_snap / autoevent_ballsnap event",
    "no_release": "no pass_forward / pass_shovel / autoevent_passforward event after the snap",
    "no_ball_row": "no football row at the snap (BDB 2026: no absolute_yardline_number)",
    "no_passer": (
        "no passer (no charted passer and no offensive QB at the snap; BDB 2026: no player_role "
        "Passer row)"
    ),
    "passer_not_tracked": "the charted passer has no tracking row at the snap",
    "too_many_players": "more than 11 players on a side at the snap",
    "missing_tracking_values": "NA in x, y, s, a or dir between snap and release",
    "frames_missing": "a player lacks frames between snap and release",
    "value_out_of_range": (
        "an infinite value, or a tracking value outside its physical range (detail: column=value)"
    ),
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
    ]
    if rep["warnings"]:
        lines += ["## Warnings", ""] + [f"- **WARNING**: {w}" for w in rep["warnings"]] + [""]
    if rep["notes"]:
        lines += ["## Notes", ""] + [f"- {n}" for n in rep["notes"]] + [""]
    checks, targets = rep["release_checks"], rep["targets"]
    lines += [
        "## Release checks",
        "",
        "| pass result | kept | in the plays table |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| {r} | {n} | {checks['pass_results_in_plays_table'][r]} |"
        for r, n in checks["pass_results_kept"].items()
    ]
    lines += [
        "",
        f"Linemen tracked: {checks['linemen_tracked']}; pressure from tracking: "
        f"{checks['pressure_from_tracking']}; plays nullified by penalty (kept): "
        f"{checks['nullified_by_penalty_kept']}.",
        "",
        "## Targets",
        "",
        "| source | plays |",
        "|---|---:|",
    ]
    lines += [f"| {s} | {n} |" for s, n in targets["counts"].items()]
    agree = targets["inferred_vs_release"]
    if agree["plays"]:
        lines += [
            "",
            f"Inference agrees with the release's target on {agree['agree']} of "
            f"{agree['plays']} plays ({agree['rate']}).",
        ]
    if targets["truth"]:
        t = targets["truth"]
        lines += [
            "",
            f"Against {t['file']}: inference right on {t['inferred_correct']} of "
            f"{t['plays']} plays (accuracy {t['inference_accuracy']}); stored targets right "
            f"on {t['stored_correct']} ({t['stored_accuracy']}).",
        ]
    lines += ["", "## Drop reasons", "", "| reason | plays | meaning |", "|---|---:|---|"]
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
