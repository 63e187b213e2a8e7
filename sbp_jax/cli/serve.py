"""sbp-serve: an HTTP scoring service over an artifact, `sbp-serve --artifact DIR [--host
127.0.0.1] [--port 8000]`; stops on Ctrl-C or SIGTERM after the requests in flight (exit 0).
API and error codes: docs/serving.md."""

from __future__ import annotations

import sys

from sbp_jax.cli import common
from sbp_jax.host_heap import keep_freed_memory


def build_parser() -> common.Parser:
    from sbp_jax.serve.service import DEFAULT_MAX_BODY

    p = common.parser("sbp-serve", __doc__.split("\n\n")[0])
    p.add_argument("--artifact", required=True, help="artifact directory (sbp-export)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    p.add_argument("--port", type=int, default=8000, help="port (0: any free port)")
    p.add_argument(
        "--max-body", type=int, default=DEFAULT_MAX_BODY, help="largest request body, bytes"
    )
    return p


def main(argv: list[str] | None = None) -> int:
    keep_freed_memory()  # first, before any thread starts: see sbp_jax.host_heap
    args = build_parser().parse_args(argv)
    from sbp_jax.serve import load_artifact
    from sbp_jax.serve.service import make_server, serve

    def body() -> int:
        server = make_server(
            load_artifact(args.artifact),
            args.host,
            args.port,
            max_body=args.max_body,
            quiet=args.quiet,
        )
        host, port = server.server_address[:2]
        print(f"serving {args.artifact} on http://{host}:{port} (Ctrl-C to stop)", flush=True)
        serve(server)
        print("stopped", flush=True)
        return 0

    return common.run(body)


if __name__ == "__main__":
    sys.exit(main())
