"""CSV output: atomic (temp file + rename), streamed in chunks, unquoted header as in releases."""

from __future__ import annotations

import contextlib
import csv
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

_OPTIONS = pacsv.WriteOptions(include_header=False, quoting_style="none", batch_size=65536)


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yields a temporary sibling of ``path``; renames it onto ``path`` only if the block
    succeeds."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def to_arrow(columns: Mapping[str, np.ndarray | pa.Array], header: tuple[str, ...]) -> pa.Table:
    """Builds a table in ``header`` order; a key missing from ``columns`` is a programming error."""
    missing = [h for h in header if h not in columns]
    if missing:
        raise ValueError(f"columns missing for the CSV header: {missing}")
    return pa.table({h: columns[h] for h in header})


class StreamingCSV:
    """Writes a CSV chunk by chunk to a temp path; ``close()`` renames it into place."""

    def __init__(self, path: Path, header: tuple[str, ...]):
        self.header = header
        self._ctx = atomic_path(path)
        tmp = self._ctx.__enter__()
        self._sink = pa.OSFile(str(tmp), "wb")
        self._sink.write((",".join(header) + "\n").encode())
        self._writer: pacsv.CSVWriter | None = None
        self.rows = 0

    def write(self, columns: Mapping[str, np.ndarray | pa.Array]) -> None:
        table = to_arrow(columns, self.header)
        if self._writer is None:
            self._writer = pacsv.CSVWriter(self._sink, table.schema, write_options=_OPTIONS)
        self._writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._sink.close()
        self._ctx.__exit__(None, None, None)

    def abort(self) -> None:
        self._sink.close()
        with contextlib.suppress(OSError):
            self._ctx.__exit__(RuntimeError, RuntimeError("aborted"), None)


def write_csv(
    path: Path, columns: Mapping[str, np.ndarray | list], header: tuple[str, ...]
) -> None:
    """Writes one whole table atomically. Values are written as given (None -> empty field); string
    fields containing commas are quoted (csv module), others go through pyarrow unquoted."""
    needs_quotes = any(
        isinstance(v, np.ndarray)
        and v.dtype.kind in "UO"
        and any("," in str(x) or '"' in str(x) for x in v)
        for v in columns.values()
    )
    with atomic_path(path) as tmp:
        if needs_quotes:
            with open(tmp, "w", newline="") as f:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(header)
                w.writerows(zip(*[_as_py(columns[h]) for h in header], strict=True))
        else:
            stream = pa.OSFile(str(tmp), "wb")
            stream.write((",".join(header) + "\n").encode())
            pacsv.write_csv(
                to_arrow({h: _as_arrow(columns[h]) for h in header}, header),
                stream,
                write_options=_OPTIONS,
            )
            stream.close()


def _as_py(values) -> list:
    return [
        "" if v is None else v
        for v in (values.tolist() if isinstance(values, np.ndarray) else values)
    ]


def _as_arrow(values) -> pa.Array:
    return (
        values
        if isinstance(values, pa.Array)
        else pa.array(values.tolist() if values.dtype == object else values)
    )
