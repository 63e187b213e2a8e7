"""`python -m sbp_jax.data ingest SRC --out STORE [--force] [--quiet]`: the `sbp-ingest` command
line (`sbp_jax.cli.ingest`)."""

import sys

from sbp_jax.cli.ingest import module_main as main

if __name__ == "__main__":
    sys.exit(main())
