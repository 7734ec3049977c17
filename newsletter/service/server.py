"""A threaded HTTP server for the service (`newsletter serve`) that never logs a token.

Werkzeug's server, one thread per request, with a listen backlog deep enough for bursts of
sign-ups. Request lines are logged with the token cut out: a token names its address, and
an unsubscribe token is a permanent key to it.
"""

from __future__ import annotations

import re

from flask import Flask
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

_TOKEN = re.compile(r"/(confirm|unsubscribe)/[^\s?#]+")


def redact(line: str) -> str:
    """A request line with tokens replaced by `…`."""
    return _TOKEN.sub(r"/\1/…", line)


class RedactingHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        line = redact(getattr(self, "requestline", "") or "-")
        self.log("info", '"%s" %s %s', line.translate(self._control_char_table), code, size)


class ServiceServer(ThreadedWSGIServer):
    request_queue_size = 1024
    daemon_threads = True


def make_service_server(host: str, port: int, app: Flask) -> ServiceServer:
    """Bound and listening (port 0 picks a free one: see `server.server_port`); call serve_forever()."""
    return ServiceServer(host, port, app, handler=RedactingHandler)
