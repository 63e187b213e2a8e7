"""Train a PassModel: python train.py --config C.toml --data STORE_OR_CSV_DIR --workdir W.

The `sbp-train` command line (`sbp_jax.cli.train`); see docs/training.md.
"""

import sys

from sbp_jax.cli.train import main

if __name__ == "__main__":
    sys.exit(main())
