"""Does the score measure the quarterback? Checks against a synthetic league's ground truth.

The generator writes `truth/passers.csv` (each passer's latent skill) and `truth/plays.csv` (each
pass's true percentile under a league-average passer). Correlations of the model's play
percentiles and passer scores with them, next to what traditional statistics reach and the ceiling
`ORACLE`: each passer's mean of the true percentiles, i.e. the score a perfect model of the
league-average passer would give on the same plays."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv

from sbp_jax.data.keys import play_key, rows_of
from sbp_jax.evaluate.metrics import mean_by, pearson, spearman

ORACLE = "oracle_mean_true_percentile"
_REQUIRED = {
    "passers.csv": ("nflId", "skill"),
    "plays.csv": ("gameId", "playId", "true_percentile"),
}


def find_truth(data, truth) -> Path | None:
    """`--truth` if given (must exist), else `truth/` next to the data (CSV dir or store)."""
    if truth is not None:
        path = Path(truth)
        for name in _REQUIRED:
            if not (path / name).is_file():
                raise FileNotFoundError(f"--truth {path}: missing {name}")
        return path
    for cand in (Path(data) / "truth", Path(data).parent / "truth"):
        if all((cand / name).is_file() for name in _REQUIRED):
            return cand
    return None


def read_truth(truth_dir: Path) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(passers, plays) columns of a truth directory; a missing column names its file."""
    tables = []
    for name, need in _REQUIRED.items():
        table = pacsv.read_csv(truth_dir / name)
        cols = {c: table[c].to_numpy(zero_copy_only=False) for c in table.column_names}
        missing = [c for c in need if c not in cols]
        if missing:
            raise ValueError(f"{truth_dir / name}: missing columns {missing}")
        tables.append(cols)
    return tables[0], tables[1]


def true_percentiles(truth_plays: Mapping[str, np.ndarray], plays: Mapping) -> np.ndarray:
    """The true percentile of each play of `plays` (NaN where the truth has no row)."""
    row = rows_of(
        play_key(truth_plays["gameId"], truth_plays["playId"]),
        play_key(plays["gameId"], plays["playId"]),
    )
    out = np.full(len(row), np.nan)
    out[row >= 0] = np.asarray(truth_plays["true_percentile"], np.float64)[row[row >= 0]]
    return out


def truth_passers(
    passers: Mapping[str, np.ndarray], season: Mapping[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, str]:
    """(ids, true skill, which passers) of the passers the truth check ranks: those ranked in the
    season leaderboard with a truth row, or all with a truth row when fewer than 5 are ranked."""
    passer_ids = np.asarray(season["passer_id"], np.int64)
    row = rows_of(np.asarray(passers["nflId"], np.int64), passer_ids)
    qualified = (np.asarray(season["rank"]) > 0) & (row >= 0)
    use = qualified if qualified.sum() >= 5 else row >= 0
    label = "qualified (ranked)" if use is qualified else "all with a truth row"
    return passer_ids[use], np.asarray(passers["skill"], np.float64)[row[use]], label


def truth_check(
    truth_dir: Path,
    plays: Mapping[str, np.ndarray],
    percentile_N: np.ndarray,
    held_out_N: np.ndarray | None,
    season: Mapping[str, np.ndarray],
    trad: Mapping[str, np.ndarray],
) -> dict[str, object]:
    """Spearman of passer-level measures with true skill (ranked passers, or all with a truth row
    when fewer than 5 are ranked) and play-level correlations with the true percentiles, on all
    plays and on the held-out ones (`held_out_N`; None: no play is known to be held out)."""
    passers, truth_plays = read_truth(truth_dir)
    true_pct = true_percentiles(truth_plays, plays)
    ok = np.isfinite(true_pct)

    passer_ids, skill, passers_label = truth_passers(passers, season)
    trad_row = rows_of(np.asarray(trad["passer_id"]), passer_ids)
    season_row = rows_of(np.asarray(season["passer_id"], np.int64), passer_ids)
    measures = {
        "qb_passing_score": np.asarray(season["score"])[season_row],
        "mean_percentile": np.asarray(season["mean_percentile"])[season_row],
        "passer_rating": trad["passer_rating"][trad_row],
        "yards_per_attempt": trad["yards_per_attempt"][trad_row],
        ORACLE: mean_by(plays["passer_id"][ok], true_pct[ok], passer_ids),
    }
    passer_level = {
        "n_passers": len(passer_ids),
        "passers": passers_label,
        "spearman_skill": {name: spearman(v, skill) for name, v in measures.items()},
    }
    play_level: dict[str, object] = {"n_plays": int(ok.sum())}
    subsets = [("all", ok)] + ([("held_out", ok & held_out_N)] if held_out_N is not None else [])
    for name, mask in subsets:
        play_level[name] = {
            "pearson": pearson(percentile_N[mask], true_pct[mask]),
            "spearman": spearman(percentile_N[mask], true_pct[mask]),
            "n": int(mask.sum()),
        }
    return {"truth_dir": str(truth_dir), "passer_level": passer_level, "play_level": play_level}
