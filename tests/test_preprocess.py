"""preprocess_play: one play's raw rows give, bit for bit, what ingest stored for that play, for
every release; bad input names the column or value."""

import subprocess
import sys

import numpy as np
import pytest
from bdb_fixtures import (
    play_rows,
    read_rows,
    to_bdb2021,
    to_bdb2024,
    to_bdb2025,
    to_bdb2026,
    write_bdb2023,
)

from sbp_jax.data import preprocess_play
from sbp_jax.data.columns import IngestError
from sbp_jax.data.ingest import ingest
from sbp_jax.data.schemas import SchemaError

CONVERTERS = {"bdb2021": to_bdb2021, "bdb2024": to_bdb2024, "bdb2025": to_bdb2025}
TRACKING = {
    "bdb2021": "week1.csv",
    "bdb2023": "week1.csv",
    "bdb2024": "tracking_week_1.csv",
    "bdb2025": "tracking_week_1.csv",
    "bdb2026": "train/input_2023_w01.csv",
}
CHARTING = ("pffScoutingData.csv", "player_play.csv", "targetedReceiver.csv")
ATTRIBUTES = ("time_to_throw", "air_yards", "pressure", "passer_id", "nearest_defender_yds")


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    root = tmp_path_factory.mktemp("pre")
    write_bdb2023(root / "bdb2023", n_games=1, plays_per_game=6)
    for name, convert in CONVERTERS.items():
        convert(root / "bdb2023", root / name)
    to_bdb2026(root / "bdb2023", root / "bdb2026")
    return root, {n: ingest(root / n, root / f"s_{n}", progress=False) for n in TRACKING}


def _inputs(root, release, game, play, as_columns=False):
    """A play's tracking rows, its context and the release's other files' rows, as users hold
    them (text from the CSVs)."""
    src = root / release
    if release == "bdb2026":
        rows = play_rows(src / TRACKING[release], game, play, "game_id", "play_id")
        context = play_rows(src / "supplementary_data.csv", game, play, "game_id", "play_id")[0]
        tables = {}
    else:
        rows = play_rows(src / TRACKING[release], game, play)
        header, games = read_rows(src / "games.csv")
        game_row = next(dict(zip(header, g, strict=True)) for g in games if g[0] == str(game))
        context = play_rows(src / "plays.csv", game, play)[0] | game_row
        tables = {n: play_rows(src / n, game, play) for n in CHARTING if (src / n).is_file()}
        header, players = read_rows(src / "players.csv")
        tables["players.csv"] = [dict(zip(header, p, strict=True)) for p in players]
    if as_columns:
        rows = {k: [r[k] for r in rows] for k in rows[0]}
    return rows, context, tables


@pytest.mark.parametrize("release", list(TRACKING))
def test_equals_the_store_bit_for_bit(releases, release):
    root, stores = releases
    store = stores[release]
    assert store.n_plays == 5
    for i in range(store.n_plays):
        game, play = int(store.plays["gameId"][i]), int(store.plays["playId"][i])
        rows, context, tables = _inputs(root, release, game, play, as_columns=i % 2 == 1)
        out = preprocess_play(rows, context, tables=tables, static_names=store.static_names)
        assert out.release == release
        frames = store.tracking[store.offsets[i] : store.offsets[i + 1]]
        assert out.tracking.dtype == np.float32 and np.array_equal(out.tracking, frames)
        assert out.length == store.lengths[i]
        np.testing.assert_array_equal(out.presence, store.presence[i])
        assert out.static.tobytes() == store.static[i].tobytes()
        assert out.target_slot == store.plays["target_slot"][i]
        assert out.target_id == store.plays["target_id"][i]
        assert out.target_source == store.plays["target_source"][i]
        for name in ATTRIBUTES:
            assert out.attributes[name] == store.plays[name][i], name


def test_unknown_outcome_and_context_in_the_rows(releases):
    """passResult and yards may be missing (a play to score before its result is known); the
    context may ride on the rows themselves (a merged frame)."""
    root, stores = releases
    store = stores["bdb2023"]
    game, play = int(store.plays["gameId"][0]), int(store.plays["playId"][0])
    rows, context, tables = _inputs(root, "bdb2023", game, play)
    unknown = {k: v for k, v in context.items() if k not in ("passResult", "prePenaltyPlayResult")}
    out = preprocess_play(rows, unknown, tables=tables)
    np.testing.assert_array_equal(out.tracking, store.tracking[: store.offsets[1]])
    assert np.isnan(out.attributes["yards"])
    merged = [r | unknown for r in rows]
    again = preprocess_play(merged, tables=tables)
    assert again.static.tobytes() == store.static[0].tobytes()


def test_bad_input_names_the_column_or_value(releases):
    root, stores = releases
    store = stores["bdb2026"]
    game, play = int(store.plays["gameId"][0]), int(store.plays["playId"][0])
    rows, context, _ = _inputs(root, "bdb2026", game, play)
    with pytest.raises(SchemaError, match=r"rows: .*missing column\(s\) \['x'\]"):
        preprocess_play([{k: v for k, v in r.items() if k != "x"} for r in rows], context)
    with pytest.raises(SchemaError, match=r"play: missing column\(s\) \['down'\]"):
        preprocess_play(rows, {k: v for k, v in context.items() if k != "down"})
    with pytest.raises(SchemaError, match=r"rows: column 's'"):
        preprocess_play([r | {"s": "fast"} for r in rows], context)
    with pytest.raises(IngestError, match=r"static feature\(s\) \['down'\]"):
        preprocess_play(rows, context | {"down": None})
    with pytest.raises(IngestError, match=r"value_out_of_range.*s=99\.0"):
        preprocess_play([r | {"s": "99"} if k == 3 else r for k, r in enumerate(rows)], context)
    passerless = [r | {"player_role": "Other Route Runner"} for r in rows]
    with pytest.raises(IngestError, match="no_passer"):
        preprocess_play(passerless, context)
    with pytest.raises(IngestError, match=r"missing: \['extra_feature'\]"):
        preprocess_play(rows, context, static_names=[*store.static_names, "extra_feature"])
    with pytest.raises(ValueError, match="columns of different lengths"):
        preprocess_play({"x": [1.0, 2.0], "y": [1.0]})


def test_importing_the_package_does_not_load_it():
    code = "import sys, sbp_jax.data; print('sbp_jax.data.preprocess' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
