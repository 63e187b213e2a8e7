"""Where a store is built before it exists: a temporary sibling directory that records its owner
process, is renamed into place when complete, and is removed by a later ingest into the same
parent once its owner is dead. Also the rules for replacing a directory (only a play store) and
for failed writes (an error naming the file)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import tempfile
from pathlib import Path

OWNER_FILE = ".owner"  # {"pid": ..., "host": ...} of the process building the store
TEMP_MARK = ".tmp-"  # temporary stores are named .{store name}.tmp-XXXX


class StoreWriteError(OSError):
    """Writing a store failed (disk full, permissions, ...); the message names the file."""


def umask_mode(mode: int) -> int:
    """`mode` as the process umask would leave it (what mkdir/open would give, unlike mkstemp)."""
    umask = os.umask(0)
    os.umask(umask)
    return mode & ~umask


def is_play_store(path: Path) -> bool:
    """A directory holding a store's meta.json (with its format_version)."""
    try:
        meta = json.loads((path / "meta.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and "format_version" in meta


def check_replaceable(out_dir: Path, overwrite: bool) -> None:
    """An existing ``out_dir`` may be replaced only with ``overwrite`` and only if it is a store."""
    if not out_dir.exists() and not out_dir.is_symlink():
        return
    if not overwrite:
        raise FileExistsError(f"{out_dir} already exists (pass overwrite=True / --force)")
    if not out_dir.is_dir() or out_dir.is_symlink() or not is_play_store(out_dir):
        raise FileExistsError(
            f"{out_dir} exists and is not a play store (no meta.json with a format_version); "
            "--force only replaces a play store, never other files: choose another --out"
        )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_stale(parent: Path) -> list[Path]:
    """Remove temporary stores in ``parent`` whose owner process (on this host) is dead; those
    without an owner record, or owned by a live process or another host, are left alone."""
    removed = []
    for d in parent.glob(f".*{TEMP_MARK}*"):
        try:
            owner = json.loads((d / OWNER_FILE).read_text())
            pid, host = int(owner["pid"]), owner["host"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if host == socket.gethostname() and not _alive(pid):
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    return removed


def make_temp_dir(out_dir: Path) -> Path:
    """A new temporary sibling of ``out_dir`` recording this process as its owner."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}{TEMP_MARK}", dir=out_dir.parent))
    # mkdtemp makes it private (0700); the finished store should be as readable as a mkdir's.
    tmp.chmod(umask_mode(0o777))
    with writing(tmp / OWNER_FILE):
        (tmp / OWNER_FILE).write_text(
            json.dumps({"pid": os.getpid(), "host": socket.gethostname()})
        )
    return tmp


@contextlib.contextmanager
def writing(path: Path):
    """Run a write of ``path``; an OSError (e.g. ENOSPC) becomes a StoreWriteError naming it."""
    try:
        yield
    except StoreWriteError:
        raise
    except OSError as e:
        raise StoreWriteError(
            e.errno, f"{path}: write failed ({e.strerror or e}); the store was not written"
        ) from e


def replace_dir(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst``; an existing ``dst`` is moved aside first and removed after."""
    (src / OWNER_FILE).unlink(missing_ok=True)
    old = None
    if dst.exists():
        old = dst.with_name(f".{dst.name}.old-{os.getpid()}")
        os.replace(dst, old)
    os.replace(src, dst)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
