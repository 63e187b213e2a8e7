"""`manifest.json`: what produced an evaluation, to reproduce or audit it.

Code (package version, git commit when run from a checkout), library versions, Python, devices,
the command line, the model's resolved config and checkpoint (and every fold model's), the store
and its fingerprint, the mode of each table (which model scored which plays), and the SHA-256 of
every output file. It is written last and
the previous one is removed before any output is replaced, so a manifest on disk always describes
a complete set of files: those whose hashes it lists.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import importlib.metadata
import platform
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jax

from sbp_jax.config import to_dict
from sbp_jax.model.trained import TrainedModel

NAME = "manifest.json"
PACKAGES = ("sbp_jax", "jax", "jaxlib", "flax", "optax", "orbax-checkpoint", "numpy", "pyarrow")
SOURCE = Path(__file__).resolve().parents[2]  # the directory holding the sbp_jax package


def package_versions(names: Sequence[str] = PACKAGES) -> dict[str, str | None]:
    """Installed version of each distribution (None when not installed)."""
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_state(source: Path) -> dict[str, Any] | None:
    """{commit, dirty} of the git checkout holding `source`, or None when it is not one (or git is
    not installed)."""
    root = next((p for p in (source, *source.parents) if (p / ".git").exists()), None)
    if root is None:
        return None

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": dirty}


def devices() -> dict[str, Any]:
    """Platform, kind and count of the JAX devices that scored."""
    devs = jax.devices()
    return {
        "platform": devs[0].platform,
        "kind": devs[0].device_kind,
        "count": len(devs),
        "process_count": jax.process_count(),
    }


def file_hashes(out: Path, names: Sequence[str]) -> dict[str, str]:
    """SHA-256 of each named file under `out`."""
    return {n: hashlib.sha256((out / n).read_bytes()).hexdigest() for n in names}


def run_manifest(
    *,
    trained: TrainedModel,
    workdir,
    store_path,
    fingerprint: str,
    options: Any,
    modes: Mapping[str, str],
    members: Sequence[Mapping[str, Any]] = (),
    command: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The manifest without its file hashes (added when the files are written). `trained` is the
    (first) model of `workdir`, `members` every model that scored plays (fold models), `modes`
    which mode produced each table (`fold`: the leaderboards')."""
    return {
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": list(command if command is not None else [sys.executable, *sys.argv]),
        "code": {"source": str(SOURCE), "git": git_state(SOURCE)},
        "versions": {**package_versions(), "python": platform.python_version()},
        "devices": devices(),
        "model": {
            "workdir": str(workdir),
            "checkpoint": str(trained.path),
            "step": trained.step,
            "config": to_dict(trained.config),
        },
        "store": {"path": str(store_path), "fingerprint": fingerprint},
        "models": list(members),
        "fold": modes["leaderboards"],
        "modes": dict(modes),
        "options": dataclasses.asdict(options),
    }
