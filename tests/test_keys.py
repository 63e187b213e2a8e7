"""nflverse interop keys: old_game_id/play_id -> play keys, nfl_id -> gsis_id."""

import numpy as np
import pytest

from sbp_jax.data.keys import integer_ids, map_ids, nflverse_play_key, play_key, rows_of


def test_integer_ids_from_text_numbers_and_missing():
    got = integer_ids(["43290", 43291.0, None, "", "NA", 7])
    np.testing.assert_array_equal(got, [43290, 43291, -1, -1, -1, 7])
    with pytest.raises(ValueError, match=r"nfl_id: 1\.5 is not a whole number"):
        integer_ids([1.5], what="nfl_id")
    with pytest.raises(ValueError, match="old_game_id: not a number"):
        integer_ids(["20210909_DAL"], what="old_game_id")


def test_nflverse_plays_join_store_plays():
    store_game, store_play = np.array([2021090900, 2021090900, 2021091200]), np.array([55, 80, 55])
    pbp_old_game_id = ["2021091200", "2021090900", "2021090900"]
    pbp_play_id = ["55", "999", "80"]
    row = rows_of(nflverse_play_key(pbp_old_game_id, pbp_play_id), play_key(store_game, store_play))
    np.testing.assert_array_equal(row, [-1, 2, 0])  # (2021090900, 55) is not in the pbp rows


def test_passer_nfl_id_to_gsis_id():
    players_nfl_id = ["52410", None, "46070"]
    players_gsis_id = ["00-0034857", "00-0099999", "00-0033873"]
    passers = np.array([46070, 52410, 12345, -1])
    got = map_ids(passers, players_nfl_id, players_gsis_id)
    assert list(got) == ["00-0033873", "00-0034857", "", ""]
    assert list(map_ids(passers, [], [], fill=None)) == [None] * 4
