"""`evaluate.py --players FILE`: nflverse gsis_id beside each passer's nflId in the outputs."""

import csv
import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sbp_jax.data import PlayStore
from sbp_jax.evaluate.players import PlayerIds
from tests.conftest import load_cli


def _write_players(path, rows, header=("gsis_id", "display_name", "nfl_id", "pfr_id")):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_ids_map_like_a_dictionary_text_ids_missing_ids_and_repeats(tmp_path):
    rows = [
        ("00-0033873", "P. M", "43290", "MahoPa00"),
        ("00-0036442", "J. B", "52413", ""),
        ("00-0099999", "no nfl id", "NA", ""),
        ("00-0033873", "P. M", "43290", "MahoPa00"),  # same row twice (nflverse keeps history)
        ("", "no gsis", "60000", ""),
    ]
    for path in (_write_players(tmp_path / "p.csv", rows), tmp_path / "p.parquet"):
        if path.suffix == ".parquet":
            cols = list(zip(*rows, strict=True))
            pq.write_table(pa.table({"gsis_id": cols[0], "nfl_id": cols[2]}), path)
        ids = PlayerIds(path)
        want = {43290: "00-0033873", 52413: "00-0036442"}
        query = [43290, 52413, 60000, 1, -1, 43290]
        assert list(ids.of(query)) == [want.get(q, "") for q in query]


@pytest.mark.parametrize(
    ("rows", "header", "message"),
    [
        ([("00-1", "1")], ("gsis_id", "nflId"), r"missing columns \['nfl_id'\]"),
        ([("00-1", "1"), ("00-2", "1")], ("gsis_id", "nfl_id"), r"nfl_id 1 has two gsis_id"),
        ([("00-1", "1.5")], ("gsis_id", "nfl_id"), r"nfl_id: 1.5 is not a whole number"),
    ],
)
def test_a_bad_players_file_is_named(tmp_path, rows, header, message):
    path = _write_players(tmp_path / "players.csv", rows, header)
    with pytest.raises(ValueError, match=rf"--players {path}: .*{message}|{message}"):
        PlayerIds(path)
    with pytest.raises(FileNotFoundError, match="--players .*nope.csv: no such file"):
        PlayerIds(tmp_path / "nope.csv")


def test_evaluate_adds_gsis_ids_to_plays_and_leaderboards(tiny_run, tmp_path):
    league, workdir = tiny_run
    passers = np.unique(PlayStore.open(workdir / "store").plays["passer_id"])
    known = {int(p): f"00-00{int(p):05d}" for p in passers[:-1]}  # the last passer is not listed
    players = _write_players(
        tmp_path / "players.csv", [(g, "x", str(p), "") for p, g in known.items()]
    )
    out = tmp_path / "out"
    argv = ["--workdir", str(workdir), "--data", str(league), "--out", str(out), "--in-sample"]
    argv += ["--bootstrap", "20", "--no-progress", "--no-xgboost", "--players", str(players)]
    assert load_cli("evaluate").main(argv) == 0
    for name in ("plays", "leaderboard"):
        with open(out / f"{name}.csv", newline="") as f:
            table = list(csv.DictReader(f))
        header = list(table[0])
        assert header[header.index("passer_id") + 1] == "passer_gsis_id", name
        for row in table:
            assert row["passer_gsis_id"] == known.get(int(row["passer_id"]), ""), name
        parquet = pq.read_table(out / f"{name}.parquet").to_pydict()
        got = dict(zip(parquet["passer_id"], parquet["passer_gsis_id"], strict=True))
        assert got == {int(p): known.get(int(p), "") for p in parquet["passer_id"]}, name
    warnings = json.loads((out / "metrics.json").read_text())["warnings"]
    assert any(f"1 of {len(passers)} passers have no gsis_id" in w for w in warnings)


def test_a_bad_players_file_fails_before_any_output(tiny_run, tmp_path):
    league, workdir = tiny_run
    players = _write_players(tmp_path / "players.csv", [("00-1", "1")], ("gsis_id", "id"))
    out = tmp_path / "out"
    argv = ["--workdir", str(workdir), "--data", str(league), "--out", str(out), "--in-sample"]
    assert load_cli("evaluate").main([*argv, "--no-progress", "--players", str(players)]) == 2
    assert not (out / "plays.csv").exists()
