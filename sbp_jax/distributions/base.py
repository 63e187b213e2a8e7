"""Shared plumbing of the distributions: pytree registration, broadcasting, validation.

Every distribution is a thin face over pure functions. Its numeric parameters are pytree leaves
(so a distribution can be returned from `jit`, mapped over with `vmap` and differentiated with
`grad`); its static metadata (bin range, tail percentile, number of bins) is aux data, so changing
it recompiles.

Validation happens only when the parameter values are concrete (eager construction). Under
`jit`/`vmap` the values are tracers and the checks are skipped; the pure functions then return NaN
for invalid scales.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

Array = jax.Array
ArrayLike = Any


def concrete_or_none(value: ArrayLike) -> np.ndarray | None:
    """The value as a NumPy array, or None when it is a tracer (inside jit/vmap/grad)."""
    if isinstance(value, jax.core.Tracer):
        return None
    return np.asarray(value)


def check_finite(owner: str, name: str, value: ArrayLike) -> None:
    """Raise ValueError naming `name` if a concrete `value` has a NaN or infinite entry."""
    arr = concrete_or_none(value)
    if arr is not None and not np.all(np.isfinite(arr)):
        bad = np.asarray(arr).ravel()[~np.isfinite(np.asarray(arr).ravel())][0]
        raise ValueError(f"{owner}: parameter '{name}' must be finite everywhere (found {bad}).")


def check_positive(owner: str, name: str, value: ArrayLike) -> None:
    """Raise ValueError naming `name` if a concrete `value` has an entry <= 0 (or non-finite)."""
    check_finite(owner, name, value)
    arr = concrete_or_none(value)
    if arr is not None and arr.size and not np.all(arr > 0):
        raise ValueError(f"{owner}: parameter '{name}' must be > 0 (found min {arr.min()}).")


def check_bin_range(owner: str, low: float, high: float) -> None:
    """Raise ValueError unless the static bin range is finite with low < high."""
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(
            f"{owner}: need finite low < high for the bins (got low={low}, high={high})."
        )


def check_logits(owner: str, logits: ArrayLike) -> None:
    """Raise ValueError unless `logits` has a trailing bin axis with at least 2 bins."""
    shape = jnp.shape(logits)
    if len(shape) < 1 or shape[-1] < 2:
        raise ValueError(
            f"{owner}: parameter 'logits' needs a trailing bin axis with >= 2 bins "
            f"(got shape {shape})."
        )


def float_dtype(*values: ArrayLike) -> jnp.dtype:
    """Common floating dtype of the parameters (at least float32; float64 only if given float64)."""
    return jnp.result_type(*values, jnp.float32)


class Distribution:
    """Base class: pytree registration and the methods that follow from log_prob / cdf / icdf.

    Subclasses list their leaf parameters in `_param_names` (with trailing non-batch dims in
    `_param_event_ndims`, e.g. logits has one bin axis) and their static metadata in
    `_static_names`, and call `_set_params` from `__init__` after validating.
    """

    _param_names: ClassVar[tuple[str, ...]] = ()
    _param_event_ndims: ClassVar[dict[str, int]] = {}
    _static_names: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        jax.tree_util.register_pytree_with_keys(
            cls, cls._tree_flatten_with_keys, cls._tree_unflatten, cls._tree_flatten
        )

    # -- pytree -------------------------------------------------------------------------------
    def _tree_flatten(self) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        leaves = tuple(getattr(self, n) for n in self._param_names)
        return leaves, tuple(getattr(self, n) for n in self._static_names)

    def _tree_flatten_with_keys(self) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        leaves, aux = self._tree_flatten()
        keys = map(jax.tree_util.GetAttrKey, self._param_names)
        return tuple(zip(keys, leaves, strict=True)), aux

    @classmethod
    def _tree_unflatten(cls, aux: Sequence[Any], leaves: Sequence[Any]) -> Distribution:
        # No validation here: jax rebuilds pytrees with tracers or placeholder leaves.
        obj = object.__new__(cls)
        for name, value in zip(cls._static_names, aux, strict=True):
            setattr(obj, name, value)
        for name, value in zip(cls._param_names, leaves, strict=True):
            setattr(obj, name, value)
        return obj

    def _set_params(self, **params: ArrayLike) -> None:
        """Cast the parameters to one float dtype and broadcast them to one batch shape."""
        dtype = float_dtype(*params.values())
        arrays = {n: jnp.asarray(v, dtype) for n, v in params.items()}
        batch_shapes = [
            a.shape[: a.ndim - self._param_event_ndims.get(n, 0)] for n, a in arrays.items()
        ]
        batch_shape = jnp.broadcast_shapes(*batch_shapes)
        for name, a in arrays.items():
            event_shape = a.shape[a.ndim - self._param_event_ndims.get(name, 0) :]
            setattr(self, name, jnp.broadcast_to(a, batch_shape + event_shape))

    # -- shapes -------------------------------------------------------------------------------
    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Shape of the batch of independent distributions."""
        name = self._param_names[0]
        value = getattr(self, name)
        return tuple(value.shape[: value.ndim - self._param_event_ndims.get(name, 0)])

    @property
    def event_shape(self) -> tuple[int, ...]:
        """Scalar events."""
        return ()

    @property
    def dtype(self) -> jnp.dtype:
        """Floating dtype of parameters and outputs."""
        return getattr(self, self._param_names[0]).dtype

    def _as_input(self, x: ArrayLike) -> Array:
        """An observation or probability cast to the distribution's dtype."""
        return jnp.asarray(x, self.dtype)

    # -- methods every subclass implements ----------------------------------------------------
    def log_prob(self, x: ArrayLike) -> Array:
        """Log density at `x` (broadcast against batch_shape)."""
        raise NotImplementedError

    def cdf(self, x: ArrayLike) -> Array:
        """P(X <= x)."""
        raise NotImplementedError

    def icdf(self, q: ArrayLike) -> Array:
        """Quantile function; icdf(0)/icdf(1) are the support ends; NaN outside [0, 1]."""
        raise NotImplementedError

    def mean(self) -> Array:
        """Expected value (inf/-inf when a tail has no finite mean)."""
        raise NotImplementedError

    # -- derived methods ----------------------------------------------------------------------
    def prob(self, x: ArrayLike) -> Array:
        """Density at `x`."""
        return jnp.exp(self.log_prob(x))

    def quantile(self, q: ArrayLike) -> Array:
        """Alias of icdf."""
        return self.icdf(q)

    def median(self) -> Array:
        """icdf(0.5)."""
        return self.icdf(jnp.full(self.batch_shape, 0.5, self.dtype))

    def sample(self, *, seed: Array, sample_shape: Sequence[int] | int = ()) -> Array:
        """Samples [*sample_shape, *batch_shape]: the icdf at uniforms in the open interval (0, 1).

        Differentiable with respect to the parameters (reparameterized through icdf).
        """
        if isinstance(sample_shape, int):
            sample_shape = (sample_shape,)
        shape = tuple(sample_shape) + self.batch_shape
        tiny = jnp.finfo(self.dtype).tiny  # never exactly 0, so samples are finite
        u = jax.random.uniform(seed, shape, self.dtype, minval=tiny, maxval=1.0)
        return self.icdf(u)

    def __repr__(self) -> str:
        fields = [f"batch_shape={self.batch_shape}"]
        fields += [f"{n}={getattr(self, n)!r}" for n in self._static_names]
        return f"{type(self).__name__}({', '.join(fields)})"
