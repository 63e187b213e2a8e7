"""Play data: Big Data Bowl ingest, the on-disk play store, batches (host or device-resident),
the model's inputs built from raw frames in JAX, and splits.

`preprocess_play` (one play's raw rows -> the store's arrays) is imported on first use, so
importing the package stays light.
"""

from sbp_jax.data.batching import BatchIterator, Call, IndexBatch, gather_raw, make_batch, shard
from sbp_jax.data.ingest import IngestError, ingest
from sbp_jax.data.inputs import (
    Batch,
    InputSpec,
    Normalizer,
    RawBatch,
    input_feature_names,
    model_inputs,
)
from sbp_jax.data.layout import FEATURE_NAMES, FORMAT_VERSION
from sbp_jax.data.normalization import NormStats
from sbp_jax.data.relational import RELATIONAL_NAMES, relational_features
from sbp_jax.data.schemas import SchemaError
from sbp_jax.data.source import open_data
from sbp_jax.data.splits import split_by_game
from sbp_jax.data.store import PlayStore, StoreError
from sbp_jax.data.target_channels import TARGET_NAMES, target_features

__all__ = [
    "FEATURE_NAMES",
    "FORMAT_VERSION",
    "Batch",
    "BatchIterator",
    "Call",
    "IndexBatch",
    "InputSpec",
    "IngestError",
    "NormStats",
    "Normalizer",
    "PlayStore",
    "RELATIONAL_NAMES",
    "RawBatch",
    "SchemaError",
    "StoreError",
    "TARGET_NAMES",
    "gather_raw",
    "ingest",
    "input_feature_names",
    "make_batch",
    "model_inputs",
    "open_data",
    "preprocess_play",
    "relational_features",
    "shard",
    "split_by_game",
    "target_features",
]


def __getattr__(name: str):
    if name in ("preprocess_play", "PlayInputs"):
        from sbp_jax.data import preprocess

        return getattr(preprocess, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
