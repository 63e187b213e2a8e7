"""The comparison, recalibration and truth-comparison results as tables (column dicts for the
report's HTML) and as the lines `evaluate.py` prints."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from sbp_jax.evaluate.escaping import terminal_text
from sbp_jax.evaluate.tables import Columns

SUMMARY_KEYS = ("nll", "crps", "mae_median", "pit_ks")


def _num(value) -> float:
    return np.nan if value is None else float(value)


def _flag(value) -> str:
    return "n/a" if value is None else "yes" if value else "no"


def _fmt(value, spec: str = ".3f") -> str:
    return "n/a" if value is None or not np.isfinite(value) else format(value, spec)


def forecast_table(compared: Mapping) -> Columns:
    """One row per (model, metric): pooled value, fold mean and sd, and the paired difference from
    the main model with its standard error and whether it exceeds the spread."""
    rows = [
        (name, metric, v)
        for name, by_metric in compared["models"].items()
        for metric, v in by_metric.items()
    ]
    return {
        "model": np.asarray([r[0] for r in rows], object),
        "metric": np.asarray([r[1] for r in rows], object),
        "pooled": np.asarray([_num(r[2]["pooled"]) for r in rows]),
        "fold mean": np.asarray([_num(r[2]["fold_mean"]) for r in rows]),
        "fold sd": np.asarray([_num(r[2]["fold_sd"]) for r in rows]),
        "diff vs main": np.asarray([_num(r[2].get("diff_mean")) for r in rows]),
        "diff se": np.asarray([_num(r[2].get("diff_se")) for r in rows]),
        "differs": np.asarray(
            ["" if "differs" not in r[2] else _flag(r[2]["differs"]) for r in rows], object
        ),
    }


def truth_table(compared: Mapping) -> Columns:
    """One row per (measure, model): Spearman with true skill and its bootstrap interval, fold mean
    and sd, and the difference from the reference with its interval and both verdicts."""
    rows = compared["rows"]

    def column(key: str) -> np.ndarray:
        return np.asarray([_num(r.get(key)) for r in rows])

    return {
        "measure": np.asarray([r["measure"] for r in rows], object),
        "model": np.asarray([r["model"] or "" for r in rows], object),
        "spearman": column("spearman"),
        "low": column("low"),
        "high": column("high"),
        "fold mean": column("fold_mean"),
        "fold sd": column("fold_sd"),
        "diff": column("diff"),
        "diff low": column("diff_low"),
        "diff high": column("diff_high"),
        "differs (passers)": np.asarray(
            ["" if "diff" not in r else _flag(r["differs_bootstrap"]) for r in rows], object
        ),
        "differs (folds)": np.asarray(
            ["" if "diff" not in r else _flag(r["differs_folds"]) for r in rows], object
        ),
    }


def calibration_table(calib: Mapping) -> Columns:
    """Metrics of each model before and after recalibration, on the same plays."""
    rows = [
        (name, when, calib[when][name]) for name in calib["after"] for when in ("before", "after")
    ]
    table: dict[str, np.ndarray] = {
        "model": np.asarray([r[0] for r in rows], object),
        "recalibration": np.asarray([r[1] for r in rows], object),
    }
    for key in SUMMARY_KEYS:
        table[key] = np.asarray([_num(r[2].get(key)) for r in rows])
    for level in rows[0][2]["coverage"]:
        table[f"cover {level}"] = np.asarray([_num(r[2]["coverage"][level]) for r in rows])
    return table


def summary_lines(result: Mapping) -> list[str]:
    """What the printed summary says about the modes, recalibration and comparisons."""
    modes = result["modes"]
    lines = [
        f"leaderboards: {modes['leaderboards']} ({result['data']['n_scored']} plays); "
        f"metrics: {modes['metrics']}"
    ]
    calib = result["calibration"]
    if calib["recalibrated"]:
        for name, after in calib["after"].items():
            was = calib["before"][name]
            lines.append(
                f"  recalibrated {terminal_text(name)}: PIT-KS {_fmt(was['pit_ks'])} -> "
                f"{_fmt(after['pit_ks'])}, NLL {_fmt(was['nll'])} -> {_fmt(after['nll'])}"
            )
    compared = result["comparison"]
    if compared["spread_reported"]:
        lines.append(
            f"comparison over {compared['k']} fold models per head: mean ± sd, and (head − "
            f"{terminal_text(compared['reference'])}) per fold ± se, * when {compared['rule']}"
        )
        for name, by_metric in compared["models"].items():
            parts = []
            for metric in SUMMARY_KEYS:
                v = by_metric[metric]
                diff = ""
                if "diff_mean" in v:
                    star = " *" if v["differs"] else ""
                    diff = f" ({_fmt(v['diff_mean'], '+.3f')} ± {_fmt(v['diff_se'])}{star})"
                parts.append(f"{metric} {_fmt(v['fold_mean'])} ± {_fmt(v['fold_sd'])}{diff}")
            lines.append(f"  {terminal_text(name):<28} " + "  ".join(parts))
    truth = result.get("truth_comparison")
    if truth is not None:
        lines.append(
            f"Spearman with true skill, {truth['interval']:.0%} bootstrap intervals over "
            f"{truth['n_passers']} passers:"
        )
        for r in truth["rows"]:
            who = f" ({terminal_text(r['model'])})" if r["model"] else ""
            verdict = ""
            if "diff" in r:
                verdict = f"  diff {_fmt(r['diff'], '+.2f')}" + (
                    " *" if r["differs_bootstrap"] else ""
                )
            lines.append(
                f"  {r['measure']}{who}: {_fmt(r['spearman'], '.2f')} "
                f"[{_fmt(r['low'], '.2f')}, {_fmt(r['high'], '.2f')}]{verdict}"
            )
    return lines
