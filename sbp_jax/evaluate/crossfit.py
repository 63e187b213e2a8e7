"""Which model scores which play: out of fold for a folds workdir, held out for one model.

A `ModelSet` is what one `--workdir` (or `--compare` workdir) holds: the fold models of a folds
workdir (`W/folds.json`, trained by `train.py --folds K`), or one model. `plan` says which plays
each of its models scores, and in which mode (`MODES`):

- a folds workdir: each play is scored by the model whose test fold holds its game, never by one
  that trained or validated on it ("out-of-fold (K-fold by game)"; "walk-forward": the plays of
  week block 0, which no fold tests, are not scored);
- one model: its held-out test games only ("held-out games only"), or every play with
  `in_sample` ("in-sample": the model has seen the outcomes of its training plays);
- a store the model was not trained on: every play ("other store"; no game is known to be held
  out, nothing can be recalibrated).

`score_set` scores those plays; with `recalibrate`, each model's map g (`calibration`) is fitted
on its own validation games first and applied to its plays.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from sbp_jax.data import PlayStore
from sbp_jax.data.splits import config_split, fold_dir, read_folds_file
from sbp_jax.evaluate import calibration, finite, scoring
from sbp_jax.model.trained import (
    MismatchError,
    TrainedModel,
    check_compatible,
    check_same_store,
    fallback_warning,
    load_trained,
)

MODES = {
    "kfold": "out-of-fold (K-fold by game)",
    "walk_forward": "walk-forward",
    "held_out": "held-out games only",
    "in_sample": "in-sample",
    "other_store": "all plays of a store the model was not trained on",
}
FOLD_KEYS = ("folds", "fold_mode", "split_seed")  # compared folds workdirs must agree on these
SINGLE_KEYS = ("folds", "fold", "fold_mode", "valid_fraction", "test_fraction", "split_seed")


@dataclasses.dataclass(frozen=True)
class Member:
    """One trained model of a set: its label (`fold2`, or the workdir's name), workdir, fold
    index (None for a single model) and its split of the store (None: not its training store)."""

    label: str
    workdir: Path
    trained: TrainedModel
    fold: int | None
    splits: Mapping[str, np.ndarray] | None


@dataclasses.dataclass(frozen=True)
class ModelSet:
    """The models of one workdir; `folds` is its folds.json (None: one model)."""

    name: str
    workdir: Path
    members: tuple[Member, ...]
    folds: Mapping | None

    @property
    def head(self) -> str:
        return self.members[0].trained.config.model.head

    @property
    def config(self):
        return self.members[0].trained.config


def _load(workdir: Path, which: str, notes: list[str]) -> TrainedModel:
    with warnings.catch_warnings():  # recorded in `notes`, shown in the summary and report
        warnings.simplefilter("ignore")
        t = load_trained(workdir, which)
    if t.skipped:
        notes.append(fallback_warning(t.skipped, t.path))
    return t


def _check_fold_model(t: TrainedModel, entry: Mapping, folds: Mapping, where: Path) -> None:
    """A fold model's config must be the fold folds.json says it is."""
    want = {
        "folds": folds["folds"],
        "fold": entry["fold"],
        "fold_mode": folds["fold_mode"],
        "split_seed": folds["split_seed"],
    }
    for key, value in want.items():
        if getattr(t.config.data, key) != value:
            raise MismatchError(
                f"{where}: data.{key}={getattr(t.config.data, key)!r}, but folds.json says "
                f"{value!r}; retrain this fold (train.py --folds)"
            )


def load_set(workdir, which: str, notes: list[str]) -> ModelSet:
    """The models of `workdir` (a folds workdir's fold models, each checked to be the fold
    folds.json says, or one model), not yet bound to a store (`bind`); warnings (checkpoints
    skipped, unfinished folds) are appended to `notes`."""
    workdir = Path(workdir)
    folds = read_folds_file(workdir)
    members = []
    for entry in [None] if folds is None else folds["models"]:
        w = workdir if entry is None else fold_dir(workdir, entry["fold"])
        t = _load(w, which, notes)
        if entry is not None:
            _check_fold_model(t, entry, folds, w)
            if entry.get("status") != "done":
                notes.append(f"{w}: its training has not finished (rerun train.py --folds)")
        label = w.name if entry is None else f"fold{entry['fold']}"
        members.append(Member(label, w, t, None if entry is None else entry["fold"], None))
    name = f"{members[0].trained.config.model.head} ({workdir.name})"
    return ModelSet(name, workdir, tuple(members), folds)


def bind(mset: ModelSet, store: PlayStore, data, notes: list[str]) -> tuple[ModelSet, bool]:
    """`mset` with each model's split of `store` (refusing a store of other features), and
    whether `store` is every model's training store (a note when it is not, or not certain)."""
    members, same = [], True
    for m in mset.members:
        check_compatible(m.trained, store, workdir=m.workdir, data=data)
        check = check_same_store(m.trained, store, workdir=m.workdir, data=data)
        notes += [check.message] if check.message else []
        same &= check.same
        splits = config_split(store, m.trained.config.data) if check.same else None
        if splits is not None and m.fold is None and len(splits["test"]) == 0:
            raise ValueError(
                f"{m.workdir}: the test split (data.test_fraction="
                f"{m.trained.config.data.test_fraction}) is empty for {data}; nothing to compute "
                "metrics on"
            )
        members.append(dataclasses.replace(m, splits=splits))
    if mset.folds is not None and not same:
        raise MismatchError(
            f"{mset.workdir}: its fold models were trained on another store than {data}; "
            "out-of-fold scoring needs their training store (score another store with one fold "
            f"model, e.g. --workdir {members[0].workdir})"
        )
    return dataclasses.replace(mset, members=tuple(members)), same


def split_signature(mset: ModelSet) -> dict[str, object]:
    """What decides the games a set tests: folds.json's K, mode and split seed, or a single
    model's split keys."""
    if mset.folds is not None:
        return {key: mset.folds[key] for key in FOLD_KEYS}
    return {key: getattr(mset.config.data, key) for key in SINGLE_KEYS}


def check_same_folds(a: ModelSet, b: ModelSet) -> None:
    """Compared workdirs must test the same games: the same folds (K, mode, split seed), or for
    single models the same split keys; the error names the first key that differs."""
    sa, sb = split_signature(a), split_signature(b)
    for key in dict.fromkeys([*sa, *sb]):
        va, vb = sa.get(key), sb.get(key)
        if va != vb:
            raise MismatchError(
                f"--compare {b.workdir}: data.{key}={vb!r} but {a.workdir} has data.{key}={va!r}; "
                "compared models must hold out the same games (train them with the same folds)"
            )


def mode_of(mset: ModelSet, same_store: bool, in_sample: bool) -> str:
    """The key in `MODES` of the plays `mset` scores."""
    if mset.folds is not None:
        return mset.folds["fold_mode"]
    if not same_store:
        return "other_store"
    return "in_sample" if in_sample else "held_out"


def plan(mset: ModelSet, store: PlayStore, mode: str) -> list[np.ndarray]:
    """The store rows each member scores (see the module docstring); a folds set's test folds
    must not overlap (and, K-fold, must cover every play)."""
    if mode in ("in_sample", "other_store"):
        return [np.arange(store.n_plays)]
    rows = [np.asarray(m.splits["test"]) for m in mset.members]
    every = np.concatenate(rows)
    if len(np.unique(every)) != len(every) or (mode == "kfold" and len(every) != store.n_plays):
        raise ValueError(
            f"{mset.workdir}: the test folds of its models overlap or miss plays of the store "
            "(were they trained on another store version?)"
        )
    return rows


@dataclasses.dataclass(frozen=True)
class SetScores:
    """Per-play outputs of a model set on the rows it scored (sorted store rows): `before`
    (the models' own) and `after` recalibration (the same arrays when not recalibrated), which
    member scored each row, and whether that member held the row's game out (None: unknown)."""

    rows_N: np.ndarray
    member_N: np.ndarray
    held_out_N: np.ndarray | None
    before: dict[str, np.ndarray]
    after: dict[str, np.ndarray]
    maps: tuple[calibration.Recalibration | None, ...]

    def where(self, rows: np.ndarray) -> np.ndarray:
        """Positions of the store rows `rows` (all scored) in this set's arrays."""
        pos = np.minimum(np.searchsorted(self.rows_N, rows), len(self.rows_N) - 1)
        if np.any(self.rows_N[pos] != rows):
            raise ValueError("rows were not scored by this model set")
        return pos


def score(trained: TrainedModel, store, idx, options, levels, crps_levels) -> dict:
    """Per-play percentile, median, quantiles at `levels`, NLL, PIT bounds and CRPS of `idx`."""
    return scoring.score_plays(
        trained.model,
        scoring.shared_state(trained, levels),
        store,
        idx,
        memory_budget=options.memory_budget,
        progress=options.progress,
        fn=scoring.shared_season_scorer(trained.model, trained.inputs, crps_levels),
    )


def fit_map(member: Member, store: PlayStore, options) -> calibration.Recalibration:
    """The member's recalibration map, fitted on its validation games only (the noise of its
    shrinkage estimated by game)."""
    valid = np.asarray(member.splits["valid"])
    out = score(member.trained, store, valid, options, scoring.LEVELS, 0)
    finite.check_plays({k: v[valid] for k, v in store.plays.items()}, out, ("percentile",))
    game_N = np.asarray(store.plays["gameId"])[valid]
    return calibration.fit(out["pit_low"], out["pit_high"], cluster_N=game_N)


def score_set(
    mset: ModelSet, store: PlayStore, mode: str, options, *, recalibrate: bool
) -> SetScores:
    """Score the plays `plan` gives each member in `mode`, recalibrated on the member's validation
    games when asked and possible (not on another store, whose games it may have seen)."""
    known = mode != "other_store"
    rows = plan(mset, store, mode)
    befores, afters, maps, members, held = [], [], [], [], []
    for k, (m, idx) in enumerate(zip(mset.members, rows, strict=True)):
        g = fit_map(m, store, options) if recalibrate and known else None
        if g is None:
            out = score(m.trained, store, idx, options, scoring.LEVELS, options.crps_levels)
            before = after = out
        else:
            levels = calibration.scorer_levels(g, scoring.LEVELS, options.crps_levels)
            out = score(m.trained, store, idx, options, levels, options.crps_levels)
            before, after = calibration.recalibrate(g, out, scoring.LEVELS)
        befores.append(before)
        afters.append(after)
        maps.append(g)
        members.append(np.full(len(idx), k))
        if known:
            held.append(np.isin(idx, m.splits["test"]))
    order = np.argsort(np.concatenate(rows), kind="stable")

    def joined(parts: list[dict]) -> dict[str, np.ndarray]:
        return {key: np.concatenate([p[key] for p in parts])[order] for key in parts[0]}

    return SetScores(
        rows_N=np.concatenate(rows)[order],
        member_N=np.concatenate(members)[order],
        held_out_N=np.concatenate(held)[order] if len(held) == len(rows) else None,
        before=joined(befores),
        after=joined(afters),
        maps=tuple(maps),
    )
