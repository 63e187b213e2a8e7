"""nflverse player ids on the outputs: `evaluate.py --players FILE` (an nflverse players export,
CSV or Parquet, e.g. nflreadr's `load_players()`) adds each passer's `gsis_id`, the id nflverse's
play-by-play uses, beside the BDB `nflId` (which nflverse calls `nfl_id`)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from sbp_jax.data.keys import integer_ids, map_ids

COLUMN = "passer_gsis_id"
NEEDED = ("nfl_id", "gsis_id")


class PlayerIds:
    """nfl_id -> gsis_id from one players file (rows without an nfl_id are left out)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        table = _read(self.path)
        missing = [c for c in NEEDED if c not in table.column_names]
        if missing:
            raise ValueError(
                f"--players {self.path}: missing columns {missing} (an nflverse players export "
                f"has {list(NEEDED)}; found {table.column_names[:12]})"
            )
        nfl_id = integer_ids(table["nfl_id"].to_pylist(), what=f"--players {self.path}: nfl_id")
        gsis = np.asarray(table["gsis_id"].to_pylist(), dtype=object)
        keep = (nfl_id >= 0) & np.array([g not in (None, "") for g in gsis], bool)
        self.nfl_id, self.gsis_id = nfl_id[keep], gsis[keep]
        order = np.argsort(self.nfl_id, kind="stable")
        ids, values = self.nfl_id[order], self.gsis_id[order]
        clash = (ids[1:] == ids[:-1]) & (values[1:] != values[:-1])
        if clash.any():
            i = int(np.flatnonzero(clash)[0])
            raise ValueError(
                f"--players {self.path}: nfl_id {ids[i]} has two gsis_id values "
                f"({values[i]!r}, {values[i + 1]!r})"
            )
        first = np.r_[True, ids[1:] != ids[:-1]]
        self.nfl_id, self.gsis_id = ids[first], values[first]

    def of(self, nfl_id_N) -> np.ndarray:
        """The gsis_id of each nflId ("" where the file has none)."""
        return map_ids(nfl_id_N, self.nfl_id, self.gsis_id, fill="").astype(object)

    def add_column(self, table: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """`table` with `passer_gsis_id` inserted after its `passer_id` column."""
        out: dict[str, np.ndarray] = {}
        for name, values in table.items():
            out[name] = values
            if name == "passer_id":
                out[COLUMN] = self.of(values)
        return out

    def coverage_note(self, passer_id_N) -> str | None:
        """A warning when some passers have no gsis_id in the file, else None."""
        passers = np.unique(integer_ids(passer_id_N))
        unmatched = passers[self.of(passers) == ""]
        if not len(unmatched):
            return None
        shown = ", ".join(map(str, unmatched[:5])) + (", ..." if len(unmatched) > 5 else "")
        return (
            f"--players {self.path}: {len(unmatched)} of {len(passers)} passers have no gsis_id "
            f"there (nflId {shown}); their {COLUMN} is empty"
        )


def _read(path: Path) -> pa.Table:
    if not path.is_file():
        raise FileNotFoundError(f"--players {path}: no such file")
    try:
        if path.suffix.lower() == ".parquet":
            return pq.read_table(path)
        return pacsv.read_csv(
            path, convert_options=pacsv.ConvertOptions(column_types={"nfl_id": pa.string()})
        )
    except (pa.ArrowInvalid, OSError) as e:
        raise ValueError(f"--players {path}: not a readable CSV or Parquet file ({e})") from None
