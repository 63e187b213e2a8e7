"""``--data`` as users give it: a play store, or a directory of Big Data Bowl CSVs ingested once."""

from __future__ import annotations

import os
from pathlib import Path

from sbp_jax.data.schemas import has_tracking
from sbp_jax.data.store import PlayStore


def open_data(
    data: str | os.PathLike, workdir: str | os.PathLike, *, progress: bool = True
) -> PlayStore:
    """A play store, or a directory of BDB CSVs ingested once into `W/store` (reused only for the
    CSV directory it came from)."""
    data = Path(data)
    if (data / "meta.json").is_file():
        return PlayStore.open(data)
    if not data.is_dir():
        raise FileNotFoundError(f"--data {data}: no such directory")
    if not any(data.glob("*.csv")) and not has_tracking(data):
        raise ValueError(
            f"--data {data}: neither a play store (meta.json) nor a directory of CSVs "
            "(nor a BDB 2026 folder with train/input_*.csv)"
        )
    store_dir = Path(workdir) / "store"
    if (store_dir / "meta.json").is_file():
        store = PlayStore.open(store_dir)
        source = store.meta.get("source")
        if source is not None and Path(source).resolve() != data.resolve():
            raise ValueError(
                f"--data {data}: {store_dir} was ingested from {source}; use that directory, "
                "or a new --workdir for other data"
            )
        return store
    from sbp_jax.data.ingest import ingest  # the CSV reader is only needed for raw data

    return ingest(data, store_dir, progress=progress)
