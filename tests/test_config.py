"""Config files and overrides: strict keys and types, errors that name the key and the file."""

import tomllib
from pathlib import Path

import pytest

from sbp_jax.config import (
    Config,
    ConfigError,
    changed_keys,
    dumps,
    load_config,
    save_config,
)

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", ["demo", "nfl", "tiny"])
def test_shipped_configs_load_and_keep_their_values(name):
    path = CONFIGS / f"{name}.toml"
    raw = tomllib.loads(path.read_text())
    cfg = load_config(path)
    for section, table in raw.items():
        for key, value in table.items():
            got = getattr(getattr(cfg, section), key)
            assert (list(got) if isinstance(got, tuple) else got) == value, f"{section}.{key}"


def test_nfl_bins_are_one_yard_on_half_yard_edges():
    m = load_config(CONFIGS / "nfl.toml").model
    assert (m.high - m.low) / m.num_bins == 1.0
    assert m.low % 1 == 0.5 and m.high % 1 == 0.5
    assert m.head == "sbp" and m.tail_percentile == 0.05 and m.xi_min >= 0


def test_omitted_keys_take_defaults(tmp_path):
    cfg = load_config(_write(tmp_path, "[train]\nepochs = 3\n"))
    assert cfg.train.epochs == 3
    assert cfg.model == Config().model


@pytest.mark.parametrize(
    "text, key",
    [
        ("[train]\nepoch = 3\n", "train.epoch"),  # misspelled key
        ("[trian]\nepochs = 3\n", "trian"),  # misspelled section
        ('[train]\nepochs = "3"\n', "train.epochs"),  # wrong type
        ("[train]\nepochs = 3.0\n", "train.epochs"),  # float for int
        ("[data]\nbucket_by_length = 1\n", "data.bucket_by_length"),  # int for bool
        ("[train]\nbatch_size = true\n", "train.batch_size"),  # bool for int
        ("[model]\ndilations = [1, 2.5]\n", "model.dilations"),  # wrong element type
        ("[model]\ndilations = 4\n", "model.dilations"),  # scalar for list
        ('[model]\nhead = "poisson"\n', "model.head"),  # invalid value
        ("[model]\nlow = 10.5\nhigh = -10.5\n", "model.high"),  # cross-field check
        # the held-out games would leave no training games (split_by_game's error named no key)
        ("[data]\nvalid_fraction = 0.5\ntest_fraction = 0.5\n", "data.test_fraction"),
        ("[train]\nwarmup_steps = -1\n", "train.warmup_steps"),
        ("[train]\nweight_decay = -0.1\n", "train.weight_decay"),
        ("[train]\ngrad_clip = -1.0\n", "train.grad_clip"),
        ("[train]\ncheckpoint_every = -5\n", "train.checkpoint_every"),
        ("[train]\npatience = -1\n", "train.patience"),
        ("[model]\nmlp_hidden = [16, 0]\n", "model.mlp_hidden"),
    ],
)
def test_bad_file_names_key_and_file(tmp_path, text, key):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert key in str(e.value) and str(path) in str(e.value)


def test_int_widens_to_float(tmp_path):
    cfg = load_config(_write(tmp_path, "[train]\nlearning_rate = 1\n"))
    assert cfg.train.learning_rate == 1.0 and isinstance(cfg.train.learning_rate, float)


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match="nope.toml"):
        load_config(tmp_path / "nope.toml")
    bad = _write(tmp_path, "[train\n")
    with pytest.raises(ConfigError, match="c.toml"):
        load_config(bad)


def test_overrides_are_type_checked():
    cfg = load_config(
        None,
        [
            "train.batch_size=512",
            "model.head=gaussian",
            "model.dilations=[1, 3]",
            "train.learning_rate=2e-4",
            "data.bucket_by_length=false",
        ],
    )
    assert cfg.train.batch_size == 512 and cfg.model.head == "gaussian"
    assert cfg.model.dilations == (1, 3) and cfg.train.learning_rate == 2e-4
    assert cfg.data.bucket_by_length is False


@pytest.mark.parametrize(
    "override, key",
    [
        ("train.batch_sise=3", "train.batch_sise"),
        ("train.batch_size=big", "train.batch_size"),
        ("batch_size=3", "batch_size=3"),
        ("train.batch_size", "train.batch_size"),
        ("nosuch.key=1", "nosuch"),
    ],
)
def test_bad_override_names_it(override, key):
    with pytest.raises(ConfigError) as e:
        load_config(CONFIGS / "tiny.toml", [override])
    assert key in str(e.value) and "override" in str(e.value)


def test_save_round_trips_and_is_plain_toml(tmp_path):
    cfg = load_config(CONFIGS / "demo.toml", ["train.epochs=2"])
    save_config(cfg, tmp_path / "config.toml")
    assert load_config(tmp_path / "config.toml") == cfg
    raw = tomllib.loads(dumps(cfg))
    assert raw["train"]["epochs"] == 2 and raw["model"]["dilations"] == list(cfg.model.dilations)
    assert not list(tmp_path.glob("*.tmp"))


def test_changed_keys():
    a = load_config(None)
    b = load_config(None, ["train.epochs=99", "model.channels=7"])
    assert sorted(changed_keys(a, b)) == ["model.channels", "train.epochs"]
    assert changed_keys(a, a) == []
