"""The house layout: imports flow data -> model -> train -> evaluate, modules stay small, and the
old import paths keep working (with a warning) for one release."""

import ast
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sbp_jax"
# What each subpackage may import from the rest of sbp_jax (besides itself).
ALLOWED = {
    "config": set(),
    "outdir": set(),
    "distributions": set(),
    "synth": set(),
    "data": {"config", "outdir"},
    "model": {"config", "outdir", "distributions", "data"},
    "train": {"config", "outdir", "distributions", "data", "model"},
    "evaluate": {"config", "outdir", "distributions", "data", "model"},
}
# Not listed, so they may import anything: the top level (config aside) and the top layers `cli`
# (command lines) and `serve` (export and HTTP service). A package's `__main__` module is its
# command line, a forward to `sbp_jax.cli`, so it is top level too.
MAX_LINES = 400


def imported_packages(path: Path) -> set[str]:
    """First component under sbp_jax of every import in a file (relative imports resolved)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    here = path.relative_to(ROOT).with_suffix("").parts
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level]
                names = [".".join(base + ((node.module,) if node.module else ()))]
            else:
                names = [node.module or ""]
            if names == ["sbp_jax"]:  # from sbp_jax import x, y
                names = [f"sbp_jax.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "sbp_jax" and len(parts) > 1:
                found.add(parts[1])
    return found


def layer_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    if len(rel.parts) == 1 or rel.name == "__main__.py":
        return rel.stem
    return rel.parts[0]


def violations(files) -> list[str]:
    out = []
    for f in files:
        layer = layer_of(f)
        if layer not in ALLOWED:
            continue  # top level (demo, __init__, ...) may import anything
        for pkg in imported_packages(f) - {layer}:
            if pkg not in ALLOWED[layer]:
                out.append(f"{f.relative_to(ROOT)} ({layer}) imports sbp_jax.{pkg}")
    return out


def test_imports_flow_one_way():
    assert violations(sorted(PACKAGE.rglob("*.py"))) == []


def test_import_check_catches_a_lower_package_reaching_up(tmp_path):
    # The checker itself must be able to fail: plant offending files in a copy of the layout.
    global PACKAGE, ROOT
    fake = tmp_path / "sbp_jax"
    for sub, text in {
        "data/bad.py": "from sbp_jax.model import PassModel\n",
        "evaluate/bad.py": "from sbp_jax.train import loop\n",
        "model/bad.py": "from ..train import step\n",
        "evaluate/ok.py": "from sbp_jax.model import PassModel\nfrom . import scoring\n",
        "distributions/bad.py": "from sbp_jax import data\n",
        "data/cli_bad.py": "from sbp_jax.cli.ingest import main\n",
        "data/__main__.py": "from sbp_jax.cli.ingest import module_main\n",
        "evaluate/serve_bad.py": "from sbp_jax.serve import load_artifact\n",
        "serve/ok.py": "from sbp_jax.model import load_trained\nfrom sbp_jax import cli\n",
    }.items():
        (fake / sub).parent.mkdir(parents=True, exist_ok=True)
        (fake / sub).write_text(text)
    old = PACKAGE, ROOT
    PACKAGE, ROOT = fake, tmp_path
    try:
        found = violations(sorted(fake.rglob("*.py")))
    finally:
        PACKAGE, ROOT = old
    assert sorted(found) == [
        "sbp_jax/data/bad.py (data) imports sbp_jax.model",
        "sbp_jax/data/cli_bad.py (data) imports sbp_jax.cli",
        "sbp_jax/distributions/bad.py (distributions) imports sbp_jax.data",
        "sbp_jax/evaluate/bad.py (evaluate) imports sbp_jax.train",
        "sbp_jax/evaluate/serve_bad.py (evaluate) imports sbp_jax.serve",
        "sbp_jax/model/bad.py (model) imports sbp_jax.train",
    ]


def test_no_module_is_over_the_size_limit():
    big = {
        str(f.relative_to(ROOT)): n
        for f in PACKAGE.rglob("*.py")
        if (n := len(f.read_text().splitlines())) > MAX_LINES
    }
    assert big == {}


@pytest.mark.parametrize(
    "old, name, new",
    [
        ("sbp_jax.scoring", "score_plays", "sbp_jax.evaluate.scoring"),
        ("sbp_jax.scoring", "play_scorer", "sbp_jax.evaluate.scoring"),
        ("sbp_jax.checkpoint", "load_trained", "sbp_jax.model.trained"),
        ("sbp_jax.checkpoint", "Checkpoints", "sbp_jax.train.checkpoint"),
        ("sbp_jax.training", "train", "sbp_jax.train.loop"),
        ("sbp_jax.training", "open_data", "sbp_jax.data"),
        ("sbp_jax.loss", "nll", "sbp_jax.model.likelihood"),
        ("sbp_jax.heads", "apply_head", "sbp_jax.model.heads"),
        ("sbp_jax.evaluation", "spearman", "sbp_jax.evaluate.metrics"),
        ("sbp_jax.report", "write_csv", "sbp_jax.evaluate.tables"),
    ],
)
def test_old_paths_warn_and_give_the_same_object(old, name, new):
    import importlib

    module = importlib.import_module(old)
    with pytest.warns(DeprecationWarning, match=f"{old}.{name} moved to {new}"):
        got = getattr(module, name)
    assert got is getattr(importlib.import_module(new), name)


def test_old_path_without_the_name_is_an_attribute_error():
    import sbp_jax.scoring as old

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(AttributeError, match="no attribute 'nope'"):
            old.nope  # noqa: B018


def test_current_paths_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from sbp_jax.data import PlayStore, make_batch  # noqa: F401
        from sbp_jax.distributions import SplicedBinnedPareto  # noqa: F401
        from sbp_jax.evaluate import play_scorer, score_plays  # noqa: F401
        from sbp_jax.model import PassModel, load_trained  # noqa: F401


def test_importing_the_package_does_not_start_the_jax_backend():
    # `initialize_distributed` must run before any backend exists (multi-host training).
    code = (
        "import sbp_jax.train, sbp_jax.evaluate.run, sbp_jax.model, sbp_jax.data\n"
        "from jax._src import xla_bridge\n"
        "assert not xla_bridge._backends, xla_bridge._backends\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# Optional extras: imported in one module each, and only there, so that everything else runs
# without them (evaluation skips the plots / the XGBoost baseline with a one-line note).
OPTIONAL = {
    "matplotlib": {"sbp_jax/evaluate/plots.py"},
    "xgboost": {"sbp_jax/evaluate/baselines.py"},
    "scipy": set(),  # a test dependency only
}


def third_party_importers(files) -> dict[str, set[str]]:
    """Top-level name of every absolute import -> the files importing it."""
    found: dict[str, set[str]] = {}
    for f in files:
        for node in ast.walk(ast.parse(f.read_text(), filename=str(f))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(f.relative_to(ROOT)))
    return found


def test_optional_extras_are_imported_only_where_they_are_optional():
    found = third_party_importers(sorted(PACKAGE.rglob("*.py")))
    assert {name: found.get(name, set()) for name in OPTIONAL} == OPTIONAL
    # baselines imports xgboost inside the function that falls back without it
    tree = ast.parse((PACKAGE / "evaluate" / "baselines.py").read_text())
    top_level = {a.name for node in tree.body if isinstance(node, ast.Import) for a in node.names}
    assert "xgboost" not in top_level
