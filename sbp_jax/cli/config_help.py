"""Config keys for the command lines: `--config NAME` for the built-in configs, the `--help`
epilog listing every key, and `--print-config`.

The epilog is generated from `sbp_jax.config`'s dataclasses: each key's default from the dataclass
and its meaning from the comment beside the field (or the comment lines just above it), so the list
cannot drift from the code. Built-in configs are the repository's `configs/*.toml`, shipped in the
wheel as `sbp_jax/configs/` (a link to `configs/` in the source tree).
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import io
import json
import tokenize
from pathlib import Path

from sbp_jax import config

BUILTIN_DIR = Path(__file__).resolve().parents[1] / "configs"
_SECTION_CLASSES = {
    "data": config.DataConfig,
    "model": config.ModelConfig,
    "train": config.TrainConfig,
}


def builtin_configs() -> list[str]:
    """Names of the built-in configs (`tiny`, `demo`, `nfl`)."""
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))


def config_path(name: str) -> Path:
    """A config argument as a file: an existing path, else a built-in config's name (with or
    without `.toml`); anything else is a ConfigError listing the built-in names."""
    path = Path(name)
    if path.is_file():
        return path
    builtin = BUILTIN_DIR / (path.name if path.suffix == ".toml" else f"{path.name}.toml")
    if path.name == name and builtin.is_file():
        return builtin
    raise config.ConfigError(
        f"config file {name} does not exist (built-in configs: {', '.join(builtin_configs())})"
    )


def field_comments() -> dict[str, str]:
    """'section.key' -> the comment on the field's line, else the comment lines just above it."""
    source = inspect.getsource(config)
    trailing, own_line = {}, {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            text = tok.string.lstrip("#").strip()
            own = tok.line.strip().startswith("#")
            (own_line if own else trailing)[tok.start[0]] = text
    classes = {cls.__name__: section for section, cls in _SECTION_CLASSES.items()}
    out = {}
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.ClassDef) and node.name in classes):
            continue
        for item in node.body:
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                line = item.lineno
                above = []
                while line - 1 - len(above) in own_line:
                    above.insert(0, own_line[line - 1 - len(above)])
                text = trailing.get(line) or " ".join(above)
                out[f"{classes[node.name]}.{item.target.id}"] = text
    return out


def toml_value(value) -> str:
    """A config value as an inline TOML value (true, "sbp", [1, 2])."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(map(toml_value, value)) + "]"
    return repr(value)


def _default(f: dataclasses.Field) -> str:
    return toml_value(f.default_factory() if f.default is dataclasses.MISSING else f.default)


def epilog() -> str:
    """Every config key with its default and meaning, for `--help`."""
    comments = field_comments()
    rows = [
        (f"{section}.{f.name} = {_default(f)}", comments.get(f"{section}.{f.name}", ""))
        for section, cls in _SECTION_CLASSES.items()
        for f in dataclasses.fields(cls)
    ]
    width = max(len(key) for key, _ in rows)
    lines = [
        "config keys (TOML [section] key = value, or --set section.key=value; default shown):",
        *(f"  {key:<{width}}  {text}".rstrip() for key, text in rows),
        f"built-in configs for --config: {', '.join(builtin_configs())}",
    ]
    return "\n".join(lines)


def print_config(cfg: config.Config) -> int:
    """Print the resolved config as TOML (what `--print-config` does)."""
    print(config.dumps(cfg), end="")
    return 0
