"""The error that stops training at a non-finite loss or gradient (re-exported by `loop`)."""

from __future__ import annotations

from typing import Any


class NonFiniteLossError(RuntimeError):
    """A training step produced a non-finite loss or gradient; names the plays at fault and the
    checkpoint left to resume from (`last_checkpoint`, None when none was written yet)."""

    def __init__(self, step: int, plays: list[tuple[Any, Any]], last_checkpoint: str | None):
        self.step = step
        self.plays = plays
        self.last_checkpoint = last_checkpoint
        shown = ", ".join(f"(gameId={g}, playId={p})" for g, p in plays[:20])
        more = f" and {len(plays) - 20} more" if len(plays) > 20 else ""
        kept = (
            f"The last good checkpoint ({last_checkpoint}) was kept."
            if last_checkpoint is not None
            else "No checkpoint had been written yet: there is nothing to resume from."
        )
        super().__init__(f"non-finite loss at step {step}; plays {shown}{more}. {kept}")
