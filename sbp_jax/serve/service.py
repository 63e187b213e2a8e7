"""The HTTP scoring service over an artifact (stdlib `ThreadingHTTPServer`, JSON in and out).

- `GET /health`: status, sbp_jax version, the artifact's summary.
- `POST /score`: one play's raw tracking rows and context (`sbp_jax.serve.payload`) ->
  `sbp_jax.data.preprocess_play` -> the artifact's single-play scorer.
- `POST /score/arrays`: one play as the play store holds it -> the single-play scorer.

Every answer is JSON; a refused request gets `{"error": {"status", "message", "field"?}}` with a
4xx status naming what is wrong, an unexpected failure a 500 whose details stay in the server's
log (no traceback reaches a client). Request bodies need a Content-Length of at most `max_body`
bytes (413 past it). `serve` stops on SIGINT or SIGTERM after finishing the requests in flight.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import sbp_jax
from sbp_jax import data
from sbp_jax.serve import payload
from sbp_jax.serve.artifact import Artifact, PlayError
from sbp_jax.serve.payload import RequestError

DEFAULT_MAX_BODY = 8 << 20  # bytes; a play's JSON rows are ~0.2 MB, 1000 frames ~6 MB
IDLE_TIMEOUT_S = 5.0  # an idle keep-alive connection is closed after this (and so on shutdown)
ROUTES = {"/health": "GET", "/score": "POST", "/score/arrays": "POST"}


class ScoringServer(ThreadingHTTPServer):
    """One artifact behind a threading HTTP server; requests in flight finish on shutdown."""

    daemon_threads = False
    block_on_close = True

    def __init__(
        self,
        address: tuple[str, int],
        artifact: Artifact,
        *,
        max_body: int = DEFAULT_MAX_BODY,
        quiet: bool = False,
    ) -> None:
        super().__init__(address, Handler)
        self.artifact = artifact
        self.max_body = max_body
        self.quiet = quiet
        self.stopping = threading.Event()  # set on SIGINT/SIGTERM: answer, then close
        self.preprocess_play = data.preprocess_play  # raw rows -> the store's arrays


class Handler(BaseHTTPRequestHandler):
    server: ScoringServer
    server_version = f"sbp_jax/{sbp_jax.__version__}"
    protocol_version = "HTTP/1.1"  # keep-alive
    timeout = IDLE_TIMEOUT_S
    # headers and body leave in two writes: without TCP_NODELAY the body waits for the client's
    # delayed ACK (~40 ms per request on Linux)
    disable_nagle_algorithm = True

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        path = urlsplit(self.path).path
        try:
            if path not in ROUTES:
                raise RequestError(404, f"no such path {path}; paths: {', '.join(ROUTES)}")
            if ROUTES[path] != method:
                raise RequestError(405, f"{path} takes {ROUTES[path]}, not {method}")
            if path == "/health":
                self._send(200, self._health())
            else:
                body = self._body()
                self._send(200, self._score(path, body))
        except RequestError as e:
            self._send(e.status, e.to_json())
        except Exception:  # a bug or a failing backend: details to the log, not to the client
            traceback.print_exc(file=sys.stderr)
            self._send(500, RequestError(500, "internal error; see the service log").to_json())

    def _health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "sbp_jax_version": sbp_jax.__version__,
            "artifact": self.server.artifact.summary(),
        }

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", ""):
            raise RequestError(411, "chunked bodies are not accepted; send a Content-Length")
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            raise RequestError(411, "a Content-Length header is required")
        if int(length) > self.server.max_body:
            self.close_connection = True  # the unread body must not be parsed as a request
            raise RequestError(
                413, f"request body of {length} bytes exceeds {self.server.max_body} bytes"
            )
        return self.rfile.read(int(length))

    def _score(self, path: str, body: bytes) -> dict[str, Any]:
        content_type = self.headers.get("Content-Type", "application/json").split(";")[0].strip()
        allowed = ("application/json", "text/csv") if path == "/score" else ("application/json",)
        if content_type not in allowed:
            raise RequestError(415, f"Content-Type {content_type!r}; {path} takes {allowed}")
        if path == "/score/arrays":
            return self._answer(payload.json_object(body), extra={})
        rows, play, release, tables = payload.rows_request(
            body, content_type, parse_qs(urlsplit(self.path).query)
        )
        yards = payload.play_yards(play, release)
        try:
            prepared = self.server.preprocess_play(rows, play, tables=tables or None)
        except ValueError as e:  # the play cannot be cut into a snap..release window
            raise RequestError(422, str(e), "rows") from None
        stored = {
            "tracking": prepared.tracking,
            "presence": prepared.presence,
            "length": int(prepared.length),
            "static": prepared.static,
            "yards": yards,
            "target_slot": int(prepared.target_slot),
        }
        return self._answer(stored, extra={"release": release.name})

    def _answer(self, play: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
        art = self.server.artifact
        try:
            out = art.score(play)
        except PlayError as e:
            raise RequestError(422, str(e), e.field) from None
        return {
            "percentile": out["percentile"],
            "median": out["median"],
            "quantiles": {str(q): v for q, v in zip(art.levels, out["quantiles"], strict=True)},
            "yards": float(play["yards"]),
            "frames": int(play["length"]),
            **extra,
        }

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data_ = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data_)))
        if self.server.stopping.is_set():
            self.close_connection = True
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data_)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None):
        """http.server's own refusals (bad request line, unsupported method) as JSON too."""
        self.close_connection = True
        text = message or HTTPStatus(code).phrase
        self._send(code, RequestError(code, text).to_json())

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - http.server's signature
        if not self.server.quiet:
            super().log_message(format, *args)


def make_server(
    artifact: Artifact,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    max_body: int = DEFAULT_MAX_BODY,
    quiet: bool = False,
) -> ScoringServer:
    """A bound server (port 0: any free port, see `server.server_address`), not yet serving."""
    return ScoringServer((host, port), artifact, max_body=max_body, quiet=quiet)


def serve(server: ScoringServer) -> None:
    """Serve until SIGINT or SIGTERM, then finish the requests in flight and close (idle
    keep-alive connections within `IDLE_TIMEOUT_S`)."""

    def stop(signum, _frame) -> None:
        server.stopping.set()
        # shutdown() waits for serve_forever to return: call it from another thread
        threading.Thread(target=server.shutdown, daemon=True).start()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.serve_forever()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        server.server_close()
