"""gunicorn settings for the service in production (README "Deploying"):

    gunicorn --config python:newsletter.service.gunicorn_conf --workers 4 --threads 8 \\
        --bind 127.0.0.1:8080 newsletter.service.wsgi:app

- Threaded workers (`gthread`): a sign-up waits on the database, not on the CPU.
- An access log on stdout (the journal, the container log) with the tokens of `/confirm/…` and
  `/unsubscribe/…` cut out, as `newsletter serve` logs them: a token names its address, and an
  unsubscribe token is a permanent key to it.
- A worker that stops (restart, deploy, scale down) first sends the confirmation mails still in its
  queue, for up to 20 seconds, within gunicorn's graceful timeout.
- No control socket; no `--preload`: each worker opens its own database connections and mail
  thread after the fork.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from .server import redact

worker_class = "gthread"
accesslog = "-"
errorlog = "-"
graceful_timeout = 30
# gunicorn ≥ 25.1's control socket sits in $HOME by default: one path for every instance on the
# host, and the service's home may be read-only. Not needed: systemd or the runtime controls it.
control_socket_disable = True
MAIL_DRAIN_SECONDS = 20


class RedactingLogger(Logger):
    """gunicorn's logger with tokens cut out of every access log field."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        fields = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in fields.items()}


logger_class = RedactingLogger


def worker_exit(server: Any, worker: Any) -> None:
    """Send what the worker's confirmation queue still holds before the process ends."""
    service = getattr(getattr(worker, "wsgi", None), "extensions", {}).get("newsletter")
    if service is not None and not service.mailer.wait_idle(timeout=MAIL_DRAIN_SECONDS):
        server.log.warning("some confirmation mails were not sent; those people can sign up again")
