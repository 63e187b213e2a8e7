"""The command lines: common flags on every command, config keys in --help, --print-config,
built-in configs, one-line errors with their exit codes, and the old entry points forwarding."""

import importlib
import importlib.util
import tomllib

import jax
import jaxlib
import pytest
from store_fixtures import write_random_store
from trained_fixtures import ROOT, TINY, tiny_trained

import sbp_jax
from sbp_jax import config
from sbp_jax.cli import evaluate, export, ingest, serve, synth, train
from sbp_jax.model.trained import load_trained

COMMANDS = {
    "sbp-synth": synth.main,
    "sbp-ingest": ingest.main,
    "sbp-train": train.main,
    "sbp-evaluate": evaluate.main,
    "sbp-export": export.main,
    "sbp-serve": serve.main,
    "python -m sbp_jax.data": ingest.module_main,
}


def _exit(main, argv) -> int:
    with pytest.raises(SystemExit) as e:
        main(argv)
    return e.value.code


@pytest.mark.parametrize("name", COMMANDS)
def test_version_names_sbp_jax_jax_and_jaxlib(name, capsys):
    assert _exit(COMMANDS[name], ["--version"]) == 0
    expected = f"sbp_jax {sbp_jax.__version__} (jax {jax.__version__}, jaxlib {jaxlib.__version__})"
    assert capsys.readouterr().out.strip() == expected


@pytest.mark.parametrize("name", [n for n in COMMANDS if n.startswith("sbp-")])
def test_quiet_is_documented_and_no_progress_is_a_hidden_alias(name, capsys):
    assert _exit(COMMANDS[name], ["--help"]) == 0
    text = capsys.readouterr().out
    assert "--quiet" in text and "--no-progress" not in text
    parser = importlib.import_module(COMMANDS[name].__module__).build_parser()
    required = [a for a in parser._actions if a.required]  # noqa: SLF001 - argparse's list
    argv = [x for a in required for x in (a.option_strings[:1] + ["v"])]
    assert parser.parse_args([*argv, "--no-progress"]).quiet is True


@pytest.mark.parametrize("name", ["sbp-train", "sbp-evaluate"])
def test_help_lists_every_config_key_with_its_default_and_meaning(name, capsys):
    assert _exit(COMMANDS[name], ["--help"]) == 0
    lines = capsys.readouterr().out.splitlines()
    by_key = {ln.split()[0]: ln for ln in lines if ln.startswith("  ") and " = " in ln}
    for section, cls in (
        ("data", config.DataConfig),
        ("model", config.ModelConfig),
        ("train", config.TrainConfig),
    ):
        for f in cls.__dataclass_fields__.values():
            key = f"{section}.{f.name}"
            assert key in by_key, key
            meaning = by_key[key].split(" = ", 1)[1].split(None, 1)
            assert len(meaning) == 2 and meaning[1].strip(), f"{key} has no meaning in --help"
    # defaults in TOML syntax and the comment beside (or above) the field in config.py
    assert by_key["model.head"].split()[:3] == ["model.head", "=", '"sbp"']
    assert "sbp | gaussian | binned" in by_key["model.head"]
    assert by_key["model.dilations"].split(" = ")[1].startswith("[1, 2, 4, 8] ")
    assert by_key["data.relational_features"].split()[2] == "true"
    assert "append the derived relational channels" in by_key["data.relational_features"]
    assert "seed of the by-game split" in by_key["data.split_seed"]
    assert any("built-in configs for --config: demo, nfl, tiny" in ln for ln in lines)


def test_print_config_prints_the_resolved_config_as_toml(capsys):
    argv = ["--config", "tiny", "--set", "train.epochs=3", "--set", "model.head=binned"]
    assert train.main([*argv, "--print-config"]) == 0
    printed = tomllib.loads(capsys.readouterr().out)
    expected = config.load_config(TINY, ["train.epochs=3", "model.head=binned"])
    assert printed == config.to_dict(expected)
    assert printed["model"]["channels"] == 8  # the built-in tiny config, not the defaults
    # a path works as before, and `tiny.toml` names the same built-in config
    assert train.main(["--config", str(TINY), "--print-config"]) == 0
    by_path = capsys.readouterr().out
    assert train.main(["--config", "tiny.toml", "--print-config"]) == 0
    assert capsys.readouterr().out == by_path


def test_evaluate_print_config_is_the_checkpoints_config(tmp_path_factory, capsys):
    _, workdir = tiny_trained(tmp_path_factory)
    assert evaluate.main(["--workdir", str(workdir), "--print-config"]) == 0
    printed = tomllib.loads(capsys.readouterr().out)
    assert printed == config.to_dict(load_trained(workdir).config)


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err, err
    return err


def test_user_errors_are_one_line_with_exit_code_2(tmp_path, capsys):
    assert train.main(["--config", "huge", "--print-config"]) == 2
    err = _one_error_line(capsys)
    assert "config file huge does not exist" in err and "demo, nfl, tiny" in err
    assert train.main(["--config", "tiny", "--set", "train.epoch=3", "--print-config"]) == 2
    assert "train.epoch" in _one_error_line(capsys)
    assert _exit(train.main, ["--config", "tiny"]) == 2  # usage error: one line too
    assert "--data and --workdir are required" in _one_error_line(capsys)
    assert _exit(train.main, ["--config", "tiny", "--bogus"]) == 2
    assert "unrecognized arguments: --bogus" in _one_error_line(capsys)
    argv = ["--workdir", str(tmp_path / "w"), "--data", str(tmp_path), "--out", str(tmp_path / "o")]
    assert evaluate.main(argv) == 2
    assert str(tmp_path / "w") in _one_error_line(capsys)
    assert ingest.main([str(tmp_path / "nothing"), "--out", str(tmp_path / "s"), "--quiet"]) == 2
    assert "nothing" in _one_error_line(capsys)
    assert serve.main(["--artifact", str(tmp_path)]) == 2
    assert "manifest.json: missing" in _one_error_line(capsys)
    assert _exit(ingest.module_main, []) == 2  # `python -m sbp_jax.data` without a subcommand
    _one_error_line(capsys)
    assert _exit(synth.main, ["--weeks", "0", "--out", str(tmp_path / "league")]) == 2
    assert "weeks must be" in _one_error_line(capsys)  # no progress bar line before it
    assert not (tmp_path / "league").exists()


def test_interrupted_training_exits_130_naming_the_workdir(tmp_path, monkeypatch, capsys):
    store, _ = write_random_store(tmp_path / "store", n_plays=20)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("sbp_jax.train.train", interrupted)
    argv = ["--config", "tiny", "--data", str(store.path), "--workdir", str(tmp_path / "w")]
    assert train.main([*argv, "--quiet"]) == 130
    assert f"resume from {tmp_path / 'w'}/checkpoints" in capsys.readouterr().err


def _load(path):
    spec = importlib.util.spec_from_file_location(path.stem + "_script", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_old_entry_points_forward_to_the_cli():
    assert _load(ROOT / "train.py").main is train.main
    assert _load(ROOT / "evaluate.py").main is evaluate.main
    assert importlib.import_module("sbp_jax.data.__main__").main is ingest.module_main
    assert importlib.import_module("sbp_jax.synth.__main__").main is synth.main


def test_console_scripts_name_existing_mains():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert set(scripts) == {n for n in COMMANDS if n.startswith("sbp-")}
    for name, target in scripts.items():
        module, attr = target.split(":")
        assert getattr(importlib.import_module(module), attr) is COMMANDS[name], name
