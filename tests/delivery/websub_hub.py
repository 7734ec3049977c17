"""A WebSub hub on loopback for the tests: it records every publish notification it receives."""

from __future__ import annotations

import contextlib
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextlib.contextmanager
def websub_hub(status: int = 204) -> Iterator[tuple[str, list[dict[str, list[str]]]]]:
    """Yields (the hub's URL, the form fields of each POST it got), answering `status`."""
    received: list[dict[str, list[str]]] = []

    class Hub(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            assert self.headers.get("Content-Type") == "application/x-www-form-urlencoded"
            received.append(urllib.parse.parse_qs(self.rfile.read(length).decode("ascii")))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hub", received
    finally:
        server.shutdown()
        server.server_close()
