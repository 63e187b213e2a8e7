"""`python -m sbp_jax.synth ...`: the `sbp-synth` command line (`sbp_jax.cli.synth`)."""

import sys

from sbp_jax.cli.synth import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m sbp_jax.synth"))
