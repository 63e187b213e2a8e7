"""Score a season and report: python evaluate.py --workdir W --data STORE_OR_CSV_DIR --out DIR.

The `sbp-evaluate` command line (`sbp_jax.cli.evaluate`); see docs/passing_score.md.
"""

import sys

from sbp_jax.cli.evaluate import main

if __name__ == "__main__":
    sys.exit(main())
