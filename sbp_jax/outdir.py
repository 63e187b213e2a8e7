"""An output directory a command owns, and the atomic writes that are the only way into it.

A command writes into a directory only if it created it, finds its own marker file there
(`.sbp_jax-output`, JSON naming the tool) or finds it empty. Anything else (a data directory, a
home directory, another tool's outputs) is refused with `OutputDirError` before any work, so
`--out data/league` cannot replace the league's plays.csv. `claim` also checks, before the work
starts, that the directory is writable and has the free space the command needs, and removes the
temporary files of killed runs; `lock` keeps a second process of the same tool out while one writes.

Every file is written to a uniquely named temporary sibling (`.NAME.sbp-tmp.HOST.PID.RANDOM`),
flushed to disk and renamed over its target: a reader, or a second writer, only ever sees whole
files, and a failed write (full disk, kill) leaves the previous version of the file untouched.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import fcntl
import json
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

MARKER = ".sbp_jax-output"
LOCK = ".sbp_jax-output.lock"
_TMP_TAG = ".sbp-tmp."
# A temporary of another host's process is only known stale by its age.
FOREIGN_TMP_MAX_AGE_S = 24 * 3600


class OutputDirError(ValueError):
    """An output directory that is not ours, not writable, too full, or busy; names it."""


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname()) or "host"


def _file_mode() -> int:
    """The mode `open` would give a new file (mkstemp gives 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary sibling of `path` to write (by any library); renamed over `path` when the
    block ends without error, removed otherwise. An OSError (full disk, ...) becomes an
    OutputDirError naming `path`."""
    path = Path(path)
    tmp = None
    try:
        fd, name = tempfile.mkstemp(
            dir=path.parent,
            prefix=f".{path.name}{_TMP_TAG}{_host()}.{os.getpid()}.",
            suffix=path.suffix,
        )
        os.close(fd)
        tmp = Path(name)
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, _file_mode())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except OSError as e:
        raise OutputDirError(
            f"could not write {path}: {e.strerror or e}; any previous {path.name} is unchanged"
        ) from e
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write `data` to `path` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write `text` (UTF-8) to `path` atomically."""
    return write_bytes(path, text.encode("utf-8"))


def is_stale_temporary(path: Path, *, now: float | None = None) -> bool:
    """True for a temporary of `atomic_path` whose writer is gone: its process no longer runs
    (same host), or it is older than a day (another host's)."""
    name = path.name
    if not name.startswith(".") or _TMP_TAG not in name:
        return False
    host, _, rest = name.split(_TMP_TAG, 1)[1].partition(".")
    pid_text = rest.partition(".")[0]
    if not pid_text.isdigit():
        return False
    if host == _host():
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # alive, another user's
            return False
        return False
    try:
        age = (now or time.time()) - path.stat().st_mtime
    except FileNotFoundError:
        return False
    return age > FOREIGN_TMP_MAX_AGE_S


def remove_stale_temporaries(directory: Path) -> list[Path]:
    """Delete the temporaries that killed runs left in `directory`; returns them."""
    removed = []
    for p in directory.iterdir():
        if is_stale_temporary(p):
            p.unlink(missing_ok=True)
            removed.append(p)
    return removed


def _own_bookkeeping(p: Path) -> bool:
    """The marker, the lock, and their temporaries (`atomic_path` names those ".<name>...": a
    concurrent claim in flight must not read as a foreign file)."""
    return p.name.startswith((MARKER, f".{MARKER}"))


def marker_tool(directory: Path) -> str | None:
    """The tool named by `directory`'s marker, or None without a (readable) marker."""
    try:
        return str(json.loads((directory / MARKER).read_text())["tool"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def claim(
    path: str | os.PathLike,
    tool: str,
    *,
    need_bytes: int = 0,
    adopt: Callable[[Path, list[Path]], bool] | None = None,
) -> Path:
    """Make `path` `tool`'s output directory, or refuse (OutputDirError) before any work.

    Accepted: a path that does not exist (created), an empty directory, one with `tool`'s marker,
    or one `adopt(path, entries)` recognizes as `tool`'s from its entries (bookkeeping of this
    module left out): outputs of a version before markers. Then checks
    that a file can be written there with `need_bytes` free and removes stale temporaries."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputDirError(f"{path} exists and is not a directory; choose another output path")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputDirError(f"cannot create the output directory {path}: {e.strerror}") from e
    owner = marker_tool(path)
    if owner is None and (path / MARKER).exists():
        raise OutputDirError(
            f"{path}: its marker {MARKER} is unreadable; remove the directory or use another"
        )
    if owner is not None and owner != tool:
        raise OutputDirError(
            f"{path} holds the outputs of `{owner}`, not `{tool}`; use another directory"
        )
    if owner is None:
        others = [p for p in path.iterdir() if not _own_bookkeeping(p)]
        if others and not (adopt is not None and adopt(path, others)):
            shown = ", ".join(sorted(p.name for p in others)[:5])
            raise OutputDirError(
                f"{path} already exists and was not written by `{tool}` (it holds {shown}"
                f"{', ...' if len(others) > 5 else ''}); refusing to write into it. Use a new "
                "directory (it is created) or an empty one"
            )
    _check_writable(path, need_bytes)
    if owner is None:
        stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        write_text(path / MARKER, json.dumps({"tool": tool, "created": stamp}) + "\n")
    remove_stale_temporaries(path)
    return path


def _check_writable(path: Path, need_bytes: int) -> None:
    try:
        with atomic_path(path / f"{MARKER}.probe"):
            pass
    except OutputDirError as e:
        raise OutputDirError(f"{path} is not writable: {e.__cause__}") from e
    finally:
        (path / f"{MARKER}.probe").unlink(missing_ok=True)
    free = shutil.disk_usage(path).free
    if free < need_bytes:
        raise OutputDirError(
            f"{path}: {free / 2**20:.0f} MiB free on its file system, "
            f"{need_bytes / 2**20:.0f} MiB needed; free some space or choose another directory"
        )


@contextlib.contextmanager
def lock(path: str | os.PathLike, tool: str) -> Iterator[None]:
    """Hold `path` for this process while the block runs; a second holder is refused at once,
    naming the process that writes. The lock dies with its process (a kill frees it)."""
    path = Path(path)
    fd = os.open(path / LOCK, os.O_RDWR | os.O_CREAT, _file_mode())
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            raise OutputDirError(
                f"{path} is being written by another `{tool}` ({holder}); wait for it to finish "
                "or choose another directory"
            ) from e
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock
