"""Release checks in the ingest report: the pass-result mix with a loud warning when a release has
no incompletions or no interceptions, and releases without linemen."""

import json
import shutil

import pytest
from bdb_fixtures import edit_csv, to_bdb2021, write_bdb2023

from sbp_jax.data.__main__ import main
from sbp_jax.data.ingest import ingest


@pytest.fixture(scope="module")
def fx(tmp_path_factory):
    root = tmp_path_factory.mktemp("checks")
    plays = write_bdb2023(root / "src", n_games=2, plays_per_game=6)
    return root, [p for p in plays if p.release is not None]


def _report(store):
    return json.loads((store.path / "ingest_report.json").read_text())


def test_the_mix_is_counted_and_a_full_mix_is_quiet(fx, tmp_path):
    root, plays = fx
    rep = _report(ingest(root / "src", tmp_path / "s", progress=False))
    mix = {r: sum(p.pass_result == r for p in plays) for r in ("C", "I", "IN")}
    assert rep["release_checks"]["pass_results_kept"] == mix and min(mix.values()) > 0
    assert rep["release_checks"]["linemen_tracked"] is True
    assert rep["warnings"] == [] and rep["notes"] == []


def test_a_completions_only_release_warns_loudly(fx, tmp_path, capsys):
    root, _ = fx
    shutil.copytree(root / "src", tmp_path / "src")
    edit_csv(
        tmp_path / "src" / "plays.csv",
        lambda c, rows: [
            r[: c["passResult"]]
            + ["C" if r[c["passResult"]] in ("I", "IN") else r[c["passResult"]]]
            + r[c["passResult"] + 1 :]
            for r in rows
        ],
    )
    assert main(["ingest", str(tmp_path / "src"), "--out", str(tmp_path / "s"), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "WARNING: no incompletions" in err and "WARNING: no interceptions" in err
    rep = json.loads((tmp_path / "s" / "ingest_report.json").read_text())
    assert rep["release_checks"]["pass_results_kept"]["I"] == 0 and len(rep["warnings"]) == 2
    assert "**WARNING**: no incompletions" in (tmp_path / "s" / "ingest_report.md").read_text()


def test_a_release_without_linemen_warns_about_pressure(fx, tmp_path):
    root, _ = fx
    to_bdb2021(root / "src", tmp_path / "src")
    rep = _report(ingest(tmp_path / "src", tmp_path / "s", progress=False))
    assert rep["release_checks"]["linemen_tracked"] is False
    assert any("tracks no linemen" in w for w in rep["warnings"])
