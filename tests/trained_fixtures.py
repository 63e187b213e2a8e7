"""One tiny trained model shared by the CLI, export and service tests (trained once per session,
under pytest's base temporary directory), and untrained models for a given store."""

from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
from tiny_store import make_tiny_store

from sbp_jax.config import load_config
from sbp_jax.data import InputSpec, PlayStore
from sbp_jax.model import PassModel
from sbp_jax.model.trained import TrainedModel
from sbp_jax.train.loop import train
from sbp_jax.train.resume import store_meta

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "configs" / "tiny.toml"
# plays of at most 16 frames and one padded length: the train step compiles once
OVERRIDES = ["train.epochs=1", "data.time_multiple=16"]


def tiny_trained(tmp_path_factory) -> tuple[PlayStore, Path]:
    """(store, workdir) of a tiny model trained for one epoch on 96 random plays."""
    base = tmp_path_factory.getbasetemp() / "tiny_trained"
    if not (base / "w" / "checkpoints" / "best").is_dir():
        store = make_tiny_store(base / "store", n_games=6, plays_per_game=16, max_len=16)
        train(load_config(TINY, OVERRIDES), store, base / "w", progress=False)
    return PlayStore.open(base / "store"), base / "w"


def untrained(store: PlayStore, seed: int = 0) -> TrainedModel:
    """The tiny config's model with random parameters for `store`'s static features."""
    cfg = load_config(TINY, OVERRIDES)
    model = PassModel(cfg.model)
    names = InputSpec.of(cfg.data).names
    params = model.init(
        jax.random.key(seed),
        jnp.zeros((1, 8, 22, len(names))),
        jnp.ones((1, 22)),
        jnp.ones((1,), jnp.int32),
        jnp.zeros((1, len(store.static_names))),
    )["params"]
    # the head starts at zero (a flat distribution): move it so plays score differently
    params = jax.tree.map(lambda x: x + 0.05 * jnp.sin(jnp.arange(x.size).reshape(x.shape)), params)
    meta = store_meta(store, InputSpec.of(cfg.data))
    return TrainedModel(cfg, model, params, store.norm, meta, step=0, valid_nll=None)
