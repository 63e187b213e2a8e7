"""sbp_jax: masked TCN + spliced binned-Pareto model of yards gained, and the QB passing score."""

__version__ = "0.1.0"
