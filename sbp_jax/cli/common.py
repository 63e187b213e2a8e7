"""What every command line shares: the parser, the common flags, exit codes and error lines.

Exit codes: 0 ok, 2 bad input or usage (one `error: ...` line on stderr naming the key, file or
flag at fault), 3 non-finite training loss, 130 interrupted. Only user errors are caught: a bug
still ends in a traceback.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import sys
from collections.abc import Callable, Mapping

import sbp_jax

EXIT_OK, EXIT_BAD_INPUT, EXIT_NON_FINITE, EXIT_INTERRUPTED = 0, 2, 3, 130
# Bad input as the library reports it: ConfigError, StoreError, SchemaError and IngestError are
# ValueErrors; a missing file is an OSError.
USER_ERRORS: tuple[type[BaseException], ...] = (ValueError, OSError)


class Parser(argparse.ArgumentParser):
    """argparse with one `error: ...` line (no usage block) for a bad command line; exit 2."""

    def error(self, message: str):  # noqa: D102 - argparse's hook
        self.exit(EXIT_BAD_INPUT, f"error: {message} (see {self.prog} --help)\n")


def parser(prog: str, description: str, epilog: str | None = None) -> Parser:
    """A command's parser with `--quiet`, its hidden alias `--no-progress`, and `--version`."""
    p = Parser(
        prog=prog,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common(p)
    return p


def add_common(p: argparse.ArgumentParser) -> None:
    """`--quiet`, its hidden alias `--no-progress` (the flag's old name), and `--version`."""
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--no-progress", dest="quiet", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--version", action="version", version=version_text())


def version_text() -> str:
    """`sbp_jax X.Y.Z (jax A, jaxlib B)`, from the installed distributions (no JAX import)."""
    jax_versions = ", ".join(f"{d} {_dist_version(d)}" for d in ("jax", "jaxlib"))
    return f"sbp_jax {sbp_jax.__version__} ({jax_versions})"


def _dist_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def one_line(err: BaseException) -> str:
    """An exception's message on one line."""
    return " ".join(str(err).split()) or type(err).__name__


def fail(message: str, code: int = EXIT_BAD_INPUT) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def run(
    body: Callable[[], int],
    *,
    codes: Mapping[type[BaseException], int] | None = None,
    interrupted: str = "interrupted",
) -> int:
    """`body()`, with user errors as one stderr line and their exit code.

    `codes` maps further exception types to exit codes (checked first, e.g. a non-finite loss to
    3); a user error is 2; Ctrl-C prints `interrupted` and is 130.
    """
    try:
        return body()
    except KeyboardInterrupt:
        print(interrupted, file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as e:
        for kind, code in (codes or {}).items():
            if isinstance(e, kind):
                return fail(one_line(e), code)
        if isinstance(e, USER_ERRORS):
            return fail(one_line(e))
        raise
