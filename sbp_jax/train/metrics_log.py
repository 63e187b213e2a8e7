"""`W/metrics.jsonl`: the training run's append-only log, safe to truncate on resume."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from sbp_jax import outdir


class MetricsLog:
    """Append-only JSON lines (`W/metrics.jsonl`), written by process 0 only."""

    def __init__(self, path: Path, *, enabled: bool) -> None:
        self.path = path
        self.enabled = enabled

    def truncate_after(self, step: int) -> None:
        """Drop lines logged after `step` (steps that a resumed run will redo) and a line left
        half-written by a killed run; atomic rewrite."""
        if not (self.enabled and self.path.is_file()):
            return
        keep = [ln for ln in self.path.read_text().splitlines() if _step_of(ln, step + 1) <= step]
        outdir.write_text(self.path, "".join(ln + "\n" for ln in keep))

    def write(self, **record: Any) -> None:
        """One line; non-finite floats become null so the file stays standard JSON."""
        record = {
            k: None if isinstance(v, float) and not math.isfinite(v) else v
            for k, v in record.items()
        }
        if self.enabled:
            with self.path.open("a") as f:
                f.write(json.dumps(record) + "\n")


def _step_of(line: str, default: int) -> int:
    """The `step` of a metrics line; `default` if the line is not complete JSON."""
    try:
        return json.loads(line)["step"]
    except (json.JSONDecodeError, KeyError, TypeError):
        return default
