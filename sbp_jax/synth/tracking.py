"""A week's tracking files, whatever the format: the plays rendered CHUNK_PLAYS at a time (the same
frames in every layout) and streamed to the format's CSVs, each renamed into place only when the
whole week went through; and the row order the releases share (play, player by nflId, frame)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from sbp_jax.synth import frames
from sbp_jax.synth.frames import first_rows
from sbp_jax.synth.play import PRE_SNAP_FRAMES
from sbp_jax.synth.simulate import Simulated
from sbp_jax.synth.writer import StreamingCSV

CHUNK_PLAYS = 256
_DIRECTIONS = pa.array(["right", "left"])
Columns = Mapping[str, np.ndarray | pa.Array]


def stream_week(
    rng: np.random.Generator,
    sim: Simulated,
    files: Sequence[tuple[Path, tuple[str, ...]]],
    chunk_columns: Callable[[np.ndarray, frames.Frames], Sequence[Columns]],
) -> int:
    """Renders the week's plays chunk by chunk and writes ``chunk_columns(idx_N, chunk)`` (one
    table per file, for plays idx_N) to ``files`` ((path, header) pairs). On any failure every file
    is aborted, so none is left behind. Returns the rows written."""
    writers: list[StreamingCSV] = []
    n = sim.n_frames.shape[0]
    try:
        for path, header in files:
            writers.append(StreamingCSV(path, header))
        for lo in range(0, n, CHUNK_PLAYS):
            idx_N = np.arange(lo, min(lo + CHUNK_PLAYS, n))
            chunk = frames.render(
                rng,
                sim.paths,
                idx_N,
                sim.n_frames[idx_N],
                sim.los[idx_N],
                sim.center[idx_N],
                sim.flip[idx_N],
                frames.Flight(*[v[idx_N] for v in sim.flight]),
                PRE_SNAP_FRAMES,
            )
            for writer, columns in zip(writers, chunk_columns(idx_N, chunk), strict=True):
                writer.write(columns)
    except BaseException:
        for writer in writers:
            writer.abort()
        raise
    for writer in writers:
        writer.close()
    return sum(writer.rows for writer in writers)


def player_rows(
    include_NxP: np.ndarray, ids_NxP: np.ndarray, first_N: np.ndarray, n_frames_N: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Rows ordered by play, player (nflId ascending), frame: (play, slot, rendered frame row m,
    frame_id 1..n_frames) for the included players of each play over n_frames_N frames from
    rendered row first_N."""
    count_N = include_NxP.sum(1)
    order_NxP = np.argsort(np.where(include_NxP, ids_NxP, np.iinfo(np.int64).max), 1)
    rows_N = count_N * n_frames_N
    p = np.repeat(np.arange(count_N.shape[0]), rows_N)
    q = np.arange(p.shape[0]) - np.repeat(first_rows(rows_N), rows_N)
    rank, f = np.divmod(q, n_frames_N[p])
    return p, order_NxP[p, rank], first_N[p] + f, f + 1


def play_direction(flip_R: np.ndarray) -> pa.Array:
    """The playDirection / play_direction column: "left" where the play is flipped."""
    return _DIRECTIONS.take(pa.array(flip_R.astype(np.int64)))
