"""Old import paths of modules that moved into subpackages, kept working for one release.

`install` (run by ``import sbp_jax``) adds an import hook that answers only for the old module
names in `MOVED`: each becomes a module whose ``__getattr__`` (PEP 562) finds the name in its new
home and returns it with a DeprecationWarning naming the new path. No file stands at the old
paths, so the package tree shows only the new layout."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings
from typing import Any

# old module -> new modules searched in order; "old_name=module:new_name" entries rename
MOVED: dict[str, tuple[str, ...]] = {
    "heads": ("sbp_jax.model.heads",),
    "loss": ("sbp_jax.model.likelihood", "sbp_jax.train.loss"),
    "optimizer": ("sbp_jax.train.optimizer",),
    "train_step": ("sbp_jax.train.step",),
    "parallel": ("sbp_jax.train.parallel",),
    "training": ("sbp_jax.train.loop", "sbp_jax.train.metrics_log", "sbp_jax.data"),
    "checkpoint": ("sbp_jax.model.trained", "sbp_jax.train.checkpoint"),
    "scoring": ("sbp_jax.evaluate.scoring",),
    "passing_score": ("sbp_jax.evaluate.passing_score",),
    "metrics": ("sbp_jax.evaluate.metrics",),
    "baselines": ("sbp_jax.evaluate.baselines",),
    "plots": ("sbp_jax.evaluate.plots",),
    "report": ("sbp_jax.evaluate.tables", "sbp_jax.evaluate.report"),
    "evaluation": (
        "sbp_jax.evaluate.run",
        "sbp_jax.evaluate.metrics",
        "sbp_jax.evaluate.report",
        "sbp_jax.evaluate.truth",
        "sbp_jax.evaluate.figures",
        "sbp_jax.model.trained",
        "passer_mean=sbp_jax.evaluate.metrics:mean_by",
        "open_store=sbp_jax.data:open_data",
        "play_key=sbp_jax.data.keys:play_key",
    ),
}


def _places(targets: tuple[str, ...], name: str) -> list[tuple[str, str]]:
    for t in targets:
        old, sep, new = t.partition("=")
        if sep and old == name:
            module, _, attr = new.partition(":")
            return [(module, attr)]
    return [(t, name) for t in targets if "=" not in t]


def moved_getattr(old: str, targets: tuple[str, ...]):
    """The ``__getattr__`` of the old module ``old``."""

    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        for module_name, attr in _places(targets, name):
            module = importlib.import_module(module_name)
            if hasattr(module, attr):
                warnings.warn(
                    f"{old}.{name} moved to {module_name}.{attr}; the old path will be removed "
                    "in the next release",
                    DeprecationWarning,
                    stacklevel=2,
                )
                return getattr(module, attr)
        raise AttributeError(f"module {old!r} has no attribute {name!r}")

    return __getattr__


class _OldPaths(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path, target=None):
        package, _, short = fullname.rpartition(".")
        if package == "sbp_jax" and short in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return types.ModuleType(spec.name, f"Deprecated path of {_targets(spec.name)[0]}.")

    def exec_module(self, module):
        module.__getattr__ = moved_getattr(module.__name__, _targets(module.__name__))


def _targets(old_module: str) -> tuple[str, ...]:
    return MOVED[old_module.rpartition(".")[2]]


def install() -> None:
    """Answer imports of the old paths (idempotent); real modules always win."""
    if not any(isinstance(f, _OldPaths) for f in sys.meta_path):
        sys.meta_path.append(_OldPaths())
