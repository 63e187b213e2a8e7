"""The play store: memory-mappable arrays + a per-play table + metadata, written atomically.

Layout of a store directory (``FORMAT_VERSION`` 1)::

    meta.json           format_version, release, feature/static names, normalization stats, shapes
    tracking.npy        float32 [total_frames, 22, 8]  direction-normalized, un-standardized
    offsets.npy         int64   [n_plays + 1]          play i owns frames offsets[i]:offsets[i+1]
    lengths.npy         int32   [n_plays]              frames snap..release inclusive
    presence.npy        bool    [n_plays, 22]          slot holds a real player
    static.npy          float32 [n_plays, S]           raw static play features
    yards.npy           float32 [n_plays]              target: pre-penalty yards gained
    plays.parquet       per-play table (gameId, playId, season, week, passer_id, target_slot, ...)
    ingest_report.json  dropped plays with reasons and counts (+ ingest_report.md)

Stores are built by :class:`StoreWriter` inside a temporary sibling directory that is renamed into
place only when complete (`staging`), so an interrupted ingest leaves nothing in place; meta.json
records the store's `fingerprint`.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sbp_jax.data.fingerprint import fingerprint
from sbp_jax.data.layout import FEATURE_NAMES, FORMAT_VERSION, N_FEATURES, N_SLOTS
from sbp_jax.data.normalization import MomentAccumulator, NormStats
from sbp_jax.data.staging import (
    StoreWriteError,
    check_replaceable,
    make_temp_dir,
    remove_stale,
    replace_dir,
    umask_mode,
    writing,
)

__all__ = ["PlayStore", "StoreError", "StoreWriteError", "StoreWriter", "umask_mode"]

_ARRAY_FILES = ("tracking", "offsets", "lengths", "presence", "static", "yards")
# plays.parquet columns that stores written before they existed lack: their values there
DEFAULT_COLUMNS = {"target_id": -1, "target_slot": -1, "target_source": "none"}


class StoreError(ValueError):
    """A store directory is missing, incomplete, of another format version or inconsistent."""


def check_norm_finite(
    norm: NormStats, feature_names: Sequence[str], static_names: Sequence[str], where: str
) -> None:
    """Raise StoreError naming `where` and the feature when a normalization statistic is NaN or
    infinite (the data hold a non-finite value in that feature: training would learn nothing)."""
    for kind, names, mean, std in (
        ("tracking", feature_names, norm.track_mean_F, norm.track_std_F),
        ("static", static_names, norm.static_mean_S, norm.static_std_S),
    ):
        bad = ~(np.isfinite(mean) & np.isfinite(std))
        if bad.any():
            shown = ", ".join(
                f"{names[i] if i < len(names) else i!r} (mean {mean[i]}, std {std[i]})"
                for i in np.flatnonzero(bad)
            )
            raise StoreError(
                f"{where}: the normalization statistics of {kind} feature {shown} are not "
                "finite: the data hold NaN or infinite values there; fix or re-ingest them"
            )


class PlayStore:
    """Read-only view of a store; ``tracking`` is a memmap, so big seasons need little RAM."""

    def __init__(
        self,
        path: Path,
        meta: dict[str, Any],
        arrays: dict[str, np.ndarray],
        plays: dict[str, np.ndarray],
    ) -> None:
        self.path = path
        self.meta = meta
        self.tracking: np.ndarray = arrays["tracking"]
        self.offsets: np.ndarray = arrays["offsets"]
        self.lengths: np.ndarray = arrays["lengths"]
        self.presence: np.ndarray = arrays["presence"]
        self.static: np.ndarray = arrays["static"]
        self.yards: np.ndarray = arrays["yards"]
        self.plays = plays
        self.feature_names: tuple[str, ...] = tuple(meta["feature_names"])
        self.static_names: tuple[str, ...] = tuple(meta["static_names"])
        self.norm = NormStats.from_dict(meta["norm"])
        self.format_version: int = int(meta["format_version"])
        self.release: str = meta.get("release", "")

    @property
    def n_plays(self) -> int:
        return len(self.lengths)

    @property
    def fingerprint(self) -> str:
        """Short stable hash of the play keys and arrays (meta.json's, else computed now)."""
        if "fingerprint" not in self.meta:
            self.meta["fingerprint"] = fingerprint(
                self.plays.get("gameId"),
                self.plays.get("playId"),
                self.tracking,
                self.lengths,
                self.presence,
                self.static,
                self.yards,
            )
        return self.meta["fingerprint"]

    def __len__(self) -> int:
        return self.n_plays

    def __repr__(self) -> str:
        return (
            f"PlayStore({str(self.path)!r}, n_plays={self.n_plays}, "
            f"frames={self.tracking.shape[0]}, release={self.release!r})"
        )

    @classmethod
    def open(cls, path: str | os.PathLike) -> PlayStore:
        """Open a store, checking version, files and shapes (StoreError says what is wrong)."""
        path = Path(path)
        meta_file = path / "meta.json"
        if not meta_file.is_file():
            raise StoreError(
                f"{path}: not a play store (no meta.json); build one with "
                "`python -m sbp_jax.data ingest SRC --out STORE`"
            )
        meta = _read(meta_file, lambda f: json.loads(f.read_text()))
        version = meta.get("format_version")
        if version != FORMAT_VERSION:
            raise StoreError(
                f"{meta_file}: format_version {version!r}, this code reads "
                f"{FORMAT_VERSION}; re-run ingest to rebuild the store"
            )
        for key in ("feature_names", "static_names", "norm"):
            if key not in meta:
                raise StoreError(f"{meta_file}: missing key {key!r}")
        norm = _read(meta_file, lambda _: NormStats.from_dict(meta["norm"]))  # checked, named
        check_norm_finite(norm, meta["feature_names"], meta["static_names"], str(meta_file))
        arrays = {}
        for name in _ARRAY_FILES:
            f = path / f"{name}.npy"
            if not f.is_file():
                raise StoreError(f"{path}: missing array file {f.name}")
            mode = "r" if name == "tracking" else None
            arrays[name] = _read(f, lambda f, mode=mode: np.load(f, mmap_mode=mode))
        plays_file = path / "plays.parquet"
        if not plays_file.is_file():
            raise StoreError(f"{path}: missing per-play table plays.parquet")
        table = _read(plays_file, pq.read_table)
        plays = {c: table.column(c).to_numpy(zero_copy_only=False) for c in table.column_names}
        n = len(arrays["lengths"])
        for col, value in DEFAULT_COLUMNS.items():  # older stores: targets unknown
            plays.setdefault(col, np.full(n, value, object if isinstance(value, str) else int))
        _check_shapes(path, meta, arrays, plays)
        return cls(path, meta, arrays, plays)


def _read(path: Path, reader):
    """``reader(path)``, with a corrupt or truncated file reported as a StoreError naming it."""
    try:
        return reader(path)
    except (ValueError, OSError, EOFError, pa.ArrowException) as e:  # JSONDecodeError: ValueError
        raise StoreError(f"{path}: unreadable ({e}); re-run ingest to rebuild the store") from e


def _check_shapes(
    path: Path, meta: dict[str, Any], a: dict[str, np.ndarray], plays: dict[str, np.ndarray]
) -> None:
    n = len(a["lengths"])
    s = len(meta["static_names"])
    f = len(meta["feature_names"])
    expected = {
        "tracking": (a["tracking"].shape[0], N_SLOTS, f),
        "offsets": (n + 1,),
        "presence": (n, N_SLOTS),
        "static": (n, s),
        "yards": (n,),
    }
    for name, shape in expected.items():
        if a[name].shape != shape:
            raise StoreError(f"{path / (name + '.npy')}: shape {a[name].shape}, expected {shape}")
    off = a["offsets"]
    if n and (off[0] != 0 or off[-1] != a["tracking"].shape[0]):
        raise StoreError(
            f"{path / 'offsets.npy'}: offsets span [{off[0]}, {off[-1]}] but tracking.npy "
            f"has {a['tracking'].shape[0]} frames"
        )
    if not np.array_equal(np.diff(off), a["lengths"]):
        raise StoreError(f"{path}: offsets.npy and lengths.npy disagree")
    if n and a["lengths"].min() < 1:
        raise StoreError(f"{path / 'lengths.npy'}: plays with no frames")
    bad = [c for c, v in plays.items() if len(v) != n]
    if bad:
        raise StoreError(f"{path / 'plays.parquet'}: columns {bad} do not have {n} rows")
    if meta.get("n_plays", n) != n:
        raise StoreError(
            f"{path / 'meta.json'}: n_plays {meta['n_plays']} but arrays hold {n} plays"
        )


class StoreWriter:
    """Builds a store in a temporary sibling directory; ``finish`` renames it into place.

    Tracking is streamed chunk by chunk (one chunk per tracking file) and concatenated at the end
    into one memmap-able ``tracking.npy``; the small per-play arrays are kept in memory. Use as a
    context manager: on an exception the temporary directory is removed and ``out_dir`` is left
    untouched.
    """

    def __init__(self, out_dir: str | os.PathLike, *, overwrite: bool = False) -> None:
        self.out_dir = Path(out_dir)
        check_replaceable(self.out_dir, overwrite)
        with writing(self.out_dir.parent):
            self.out_dir.parent.mkdir(parents=True, exist_ok=True)
            remove_stale(self.out_dir.parent)
            self.tmp_dir = make_temp_dir(self.out_dir)
        self._chunks: list[Path] = []
        self._frames = 0
        self._per_play: dict[str, list[np.ndarray]] = {
            k: [] for k in ("lengths", "presence", "static", "yards")
        }
        self._acc = MomentAccumulator()

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.tmp_dir.exists():
            shutil.rmtree(self.tmp_dir, ignore_errors=True)

    def add(
        self,
        tracking_RxPxF: np.ndarray,
        lengths_N: np.ndarray,
        presence_NxP: np.ndarray,
        static_NxS: np.ndarray,
        yards_N: np.ndarray,
    ) -> None:
        """Append a chunk of plays whose frames are consecutive in ``tracking_RxPxF``."""
        lengths_N = np.asarray(lengths_N, np.int32)
        if tracking_RxPxF.shape[0] != lengths_N.sum():
            raise ValueError("StoreWriter.add: tracking rows != sum(lengths)")
        chunk = self.tmp_dir / f"chunk{len(self._chunks):05d}.npy"
        with writing(chunk):
            np.save(chunk, np.asarray(tracking_RxPxF, np.float32))
        self._chunks.append(chunk)
        self._frames += tracking_RxPxF.shape[0]
        play_of_frame = np.repeat(np.arange(len(lengths_N)), lengths_N)
        self._acc.add_tracking(tracking_RxPxF, presence_NxP[play_of_frame])
        for k, v in (
            ("lengths", lengths_N),
            ("presence", presence_NxP),
            ("static", static_NxS),
            ("yards", yards_N),
        ):
            self._per_play[k].append(np.asarray(v))

    def finish(
        self,
        *,
        plays: dict[str, np.ndarray],
        static_names: list[str],
        meta: dict[str, Any],
        report: dict[str, Any] | None = None,
        report_md: str | None = None,
    ) -> PlayStore:
        """Write arrays, table, meta and report; rename the temp dir to ``out_dir``; open it."""
        lengths = _cat(self._per_play["lengths"], np.int32, (0,))
        presence = _cat(self._per_play["presence"], bool, (0, N_SLOTS))
        static = _cat(self._per_play["static"], np.float32, (0, len(static_names)))
        yards = _cat(self._per_play["yards"], np.float32, (0,))
        self._acc.add_static(static)
        norm = self._acc.finish()
        check_norm_finite(norm, FEATURE_NAMES, static_names, f"store {self.out_dir}")

        tracking = self._write_tracking()
        offsets = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
        for name, arr in (
            ("offsets", offsets),
            ("lengths", lengths),
            ("presence", presence),
            ("static", static),
            ("yards", yards),
        ):
            with writing(self.tmp_dir / f"{name}.npy"):
                np.save(self.tmp_dir / f"{name}.npy", arr)
        with writing(self.tmp_dir / "plays.parquet"):
            pq.write_table(
                pa.table({k: np.asarray(v) for k, v in plays.items()}),
                self.tmp_dir / "plays.parquet",
            )
        full_meta = dict(
            meta,
            format_version=FORMAT_VERSION,
            feature_names=list(FEATURE_NAMES),
            static_names=list(static_names),
            norm=norm.to_dict(),
            n_plays=len(lengths),
            total_frames=int(self._frames),
            n_slots=N_SLOTS,
            fingerprint=fingerprint(
                plays.get("gameId"), plays.get("playId"), tracking, lengths, presence, static, yards
            ),
        )
        del tracking
        texts = {"meta.json": json.dumps(full_meta, indent=2)}
        if report is not None:
            texts["ingest_report.json"] = json.dumps(report, indent=2)
        if report_md is not None:
            texts["ingest_report.md"] = report_md
        for name, text in texts.items():
            with writing(self.tmp_dir / name):
                (self.tmp_dir / name).write_text(text)
        with writing(self.out_dir):
            replace_dir(self.tmp_dir, self.out_dir)
        return PlayStore.open(self.out_dir)

    def _write_tracking(self) -> np.ndarray:
        """Concatenate the chunks into tracking.npy with plain writes (a full disk is an OSError
        there, where a memory map would crash with SIGBUS); returns it memory-mapped."""
        path = self.tmp_dir / "tracking.npy"
        header = {
            "descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)),
            "fortran_order": False,
            "shape": (self._frames, N_SLOTS, N_FEATURES),
        }
        with writing(path), open(path, "wb") as fh:
            np.lib.format.write_array_header_1_0(fh, header)
            for chunk in self._chunks:
                fh.write(np.load(chunk).astype(np.float32, copy=False).tobytes())
                chunk.unlink()
        return np.load(path, mmap_mode="r")


def _cat(parts: list[np.ndarray], dtype, empty_shape: tuple[int, ...]) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(empty_shape, dtype)
