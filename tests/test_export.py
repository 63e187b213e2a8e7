"""Model export: the artifact scores exactly like the in-process scorer (single play and batch),
records what it claims, loads without flax, serves other parameters of the same architecture, and
refuses what does not fit with the file, key or field named."""

import json
import os
import subprocess
import sys
import tomllib

import jax
import numpy as np
import pytest
from trained_fixtures import ROOT, tiny_trained

import sbp_jax
from sbp_jax.cli import export as export_cli
from sbp_jax.config import from_dict, to_dict
from sbp_jax.data import FEATURE_NAMES, input_feature_names
from sbp_jax.model.trained import load_trained
from sbp_jax.serve import ArtifactError, adapter, load_artifact
from sbp_jax.serve.artifact import FILES, PlayError, flatten_params, unflatten_params
from sbp_jax.serve.export import export_trained

# The exported programs and the in-process scorer are separate XLA compilations (single play,
# batch); equal up to float32 rounding: 1e-6 near zero, a few ulps elsewhere (1 ulp at 19 yards
# is 1.9e-6, and which program rounds which way depends on the CPU's vector instructions).
ATOL = 1e-6
RTOL = 4 * float(np.finfo(np.float32).eps)
OUTPUTS = ("percentile", "median", "quantiles", "nll", "pit_low", "pit_high")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    store, workdir = tiny_trained(tmp_path_factory)
    out = tmp_path_factory.mktemp("export") / "artifact"
    assert export_cli.main(["--workdir", str(workdir), "--out", str(out), "--quiet"]) == 0
    return store, load_trained(workdir), out


def reference(trained, store, i, params=None):
    """The in-process single-play scorer on the store arrays of play i."""
    fn = jax.jit(adapter.scorer(trained))
    tracks, *rest = adapter.play_arguments(store, i)
    multiple = trained.config.data.time_multiple  # padded as the artifact pads
    tracks = np.pad(tracks, ((0, -len(tracks) % multiple), (0, 0), (0, 0)))
    out = fn(trained.params if params is None else params, tracks, *rest)
    return {k: np.asarray(v) for k, v in out.items()}


def plays_to_check(store):
    """The shortest, the longest and a middle play (two padded lengths)."""
    order = np.argsort(store.lengths, kind="stable")
    return [int(order[0]), int(order[len(order) // 2]), int(order[-1])]


def test_single_play_scores_equal_the_in_process_scorer(exported):
    store, trained, out = exported
    art = load_artifact(out)
    medians = set()
    for i in plays_to_check(store):
        got = art.score(adapter.stored_play(store, i))
        ref = reference(trained, store, i)
        for k in OUTPUTS:
            np.testing.assert_allclose(
                got[k], ref[k], rtol=RTOL, atol=ATOL, err_msg=f"play {i} {k}"
            )
        medians.add(round(got["median"], 4))
    assert len(medians) == 3  # the plays score differently: not a comparison of two constants


def test_batch_scorer_equals_the_single_play_scorer(exported):
    store, trained, out = exported
    art = load_artifact(out)
    idx = plays_to_check(store)
    got = art.score_batch([adapter.stored_play(store, i) for i in idx])
    for j, i in enumerate(idx):
        ref = reference(trained, store, i)
        for k in OUTPUTS:
            np.testing.assert_allclose(got[k][j], ref[k], rtol=RTOL, atol=ATOL, err_msg=f"{i} {k}")
    assert got["quantiles"].shape == (len(idx), len(art.levels))


def test_artifact_records_names_versions_normalization_config_and_parameters(exported):
    store, trained, out = exported
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["sbp_jax_version"] == sbp_jax.__version__
    assert manifest["input_names"] == list(input_feature_names(True, True))
    assert manifest["feature_names"] == list(FEATURE_NAMES)
    assert manifest["static_names"] == list(store.static_names)
    assert manifest["model"]["step"] == trained.step and manifest["model"]["head"] == "sbp"
    assert set(manifest["platforms"]) == {"cpu", "cuda"}
    norm = json.loads((out / "normalization.json").read_text())
    for key, value in trained.norm.to_dict().items():
        np.testing.assert_array_equal(np.asarray(norm[key], np.float32), np.float32(value))
    config = from_dict(tomllib.loads((out / "config.toml").read_text()))
    assert to_dict(config) == to_dict(trained.config)
    with np.load(out / "params.npz") as npz:
        saved = {k: npz[k] for k in npz.files}
    expected = {
        "/".join(str(p.key) for p in path): np.asarray(leaf)
        for path, leaf in jax.tree_util.tree_leaves_with_path(trained.params)
    }
    assert saved.keys() == expected.keys()
    for k in expected:
        np.testing.assert_array_equal(saved[k], expected[k])
    # T and B are symbolic in the serialized functions
    batch = jax.export.deserialize(bytearray((out / FILES["batch_scorer"]).read_bytes()))
    tracks = batch.in_avals[len(expected)]
    assert [str(d) for d in tracks.shape] == ["b", "t", "22", str(len(FEATURE_NAMES))]  # raw


def test_params_round_trip_through_flat_names():
    nested = {"a": {"b": np.ones(2), "c": {"d": np.zeros((1, 3))}}, "e": np.arange(3)}
    flat = flatten_params(nested)
    assert sorted(flat) == ["a/b", "a/c/d", "e"]
    back = unflatten_params(flat)
    assert jax.tree.structure(back) == jax.tree.structure(nested)


def test_one_artifact_serves_other_parameters_of_the_same_architecture(exported, tmp_path):
    store, trained, out = exported
    other = jax.tree.map(lambda x: np.asarray(x) * 1.3 + 0.01, trained.params)
    copy = tmp_path / "artifact"
    copy.mkdir()
    for name in FILES.values():
        (copy / name).write_bytes((out / name).read_bytes())
    np.savez(copy / FILES["params"], **flatten_params(other))
    art = load_artifact(copy)
    for i in (0, 3):
        got, ref = art.score(adapter.stored_play(store, i)), reference(trained, store, i, other)
        for k in OUTPUTS:
            np.testing.assert_allclose(got[k], ref[k], rtol=RTOL, atol=ATOL)
    # ... and refuses parameters of another shape, naming the file and the key
    bad = flatten_params(other)
    key = sorted(bad)[0]
    bad[key] = np.zeros(bad[key].shape + (2,), np.float32)
    np.savez(copy / FILES["params"], **bad)
    with pytest.raises(ArtifactError, match=f"params.npz: parameter {key} has shape"):
        load_artifact(copy)


LOADER = r"""
import importlib.abc, json, sys
BLOCKED = ("flax", "optax", "orbax", "sbp_jax.model", "sbp_jax.train", "sbp_jax.evaluate")
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in BLOCKED):
            raise ImportError(f"blocked import of {name}")
        return None
sys.meta_path.insert(0, Block())
import numpy as np
from sbp_jax.serve import load_artifact
art = load_artifact(sys.argv[1])
with np.load(sys.argv[2]) as npz:
    play = {k: npz[k] for k in npz.files}
play["length"] = int(play["length"])
out = art.score(play)
loaded = sorted(m for m in sys.modules if any(m == b or m.startswith(b + ".") for b in BLOCKED))
print(json.dumps({"scores": out, "loaded": loaded}))
"""


def test_loader_scores_without_flax_or_the_model_code(exported, tmp_path):
    store, trained, out = exported
    i = int(np.argmax(store.lengths))
    np.savez(tmp_path / "play.npz", **adapter.stored_play(store, i))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, "-c", LOADER, str(out), str(tmp_path / "play.npz")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["loaded"] == []
    ref = reference(trained, store, i)
    for k in OUTPUTS:
        np.testing.assert_allclose(result["scores"][k], ref[k], rtol=RTOL, atol=ATOL)


def test_bad_plays_are_refused_naming_the_field(exported, tmp_path):
    store, trained, out = exported
    art = load_artifact(out)
    good = adapter.stored_play(store, 0)
    cases = {
        "presence": dict(good, presence=np.ones(21)),
        "tracking": dict(good, tracking=good["tracking"][..., :7]),
        "static": dict(good, static=[1.0, "x", 2.0]),
        "length": dict(good, length=len(good["tracking"]) + 1),
        "yards": {k: v for k, v in good.items() if k != "yards"},
    }
    for field, play in cases.items():
        with pytest.raises(PlayError, match=f"^{field}: ") as err:
            art.score(play)
        assert err.value.field == field
    nan = dict(good, tracking=good["tracking"].copy())
    nan["tracking"][0, 3, 1] = np.nan
    with pytest.raises(PlayError, match="tracking: contains NaN"):
        art.score(nan)
    with pytest.raises(PlayError, match=r"plays\[1\]\.presence"):
        art.score_batch([good, dict(good, presence=np.ones(3))])
    # a model exported for at most 5 frames refuses longer plays
    short = tmp_path / "short"
    export_trained(trained, short, max_frames=5, platforms=("cpu",))
    long_play = adapter.stored_play(store, int(np.argmax(store.lengths)))
    with pytest.raises(PlayError, match="length: .* more than this model's max_frames 5"):
        load_artifact(short).score(long_play)


def test_export_errors_are_one_line_and_leave_nothing_behind(
    exported, tmp_path, capsys, monkeypatch
):
    store, trained, out = exported
    workdir = json.loads((out / "manifest.json").read_text())["model"]["workdir"]
    assert export_cli.main(["--workdir", workdir, "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "already exists" in err
    assert export_cli.main(["--workdir", str(tmp_path / "none"), "--out", str(tmp_path / "a")]) == 2
    assert "holds no checkpoint" in capsys.readouterr().err and not (tmp_path / "a").exists()

    def broken(*args, **kwargs):
        raise ValueError("lowering failed")

    monkeypatch.setattr("sbp_jax.serve.export.export_scorers", broken)
    before = sorted(out.parent.iterdir())
    assert export_cli.main(["--workdir", workdir, "--out", str(out), "--force"]) == 2
    assert "lowering failed" in capsys.readouterr().err
    assert sorted(out.parent.iterdir()) == before  # the old artifact is still there, no temp dir
    assert load_artifact(out).manifest["model"]["step"] == trained.step


def test_a_damaged_artifact_names_the_file(exported, tmp_path):
    _, _, out = exported
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in FILES.values():
        if name != FILES["play_scorer"]:
            (copy / name).write_bytes((out / name).read_bytes())
    with pytest.raises(ArtifactError, match="play_scorer.jaxexport: missing"):
        load_artifact(copy)
    (copy / FILES["manifest"]).write_text('{"format": "something else"}')
    with pytest.raises(ArtifactError, match="manifest.json: not a sbp_jax.artifact"):
        load_artifact(copy)
    with pytest.raises(ArtifactError, match="manifest.json: missing"):
        load_artifact(tmp_path / "nowhere")
