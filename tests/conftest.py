"""Test-wide JAX setup: four CPU devices so pmap code runs without accelerators."""

import jax

# Must happen before the backend starts (i.e. before any array is created).
jax.config.update("jax_num_cpu_devices", 4)
jax.config.update("jax_platforms", "cpu")
