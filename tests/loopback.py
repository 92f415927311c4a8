"""The tests' recorded webs share one way to be served: a threaded HTTP server on 127.0.0.1,
on any free port, that a `with` block starts and stops."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackServer:
    """Serve `handler` on 127.0.0.1; subclasses build their handler class and pass it in."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def crawl_allowance(self) -> str:
        """The `crawl.allow_private` entry that opens this server (and nothing else on
        loopback) to the crawler."""
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> LoopbackServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def reply(
    handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str, **headers: str
) -> None:
    """Answer a request whole: status, Content-Type and Content-Length, any other headers."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)
