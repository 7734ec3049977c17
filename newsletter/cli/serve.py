"""`newsletter serve`: run the subscription service."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import click

from ..config import load_config
from ..service.app import Service, create_app
from ..service.server import make_service_server
from .options import config_option, user_errors


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="Port to listen on."
)
@config_option
@user_errors
def serve_command(host: str, port: int, config_path: Path | None) -> None:
    """Run the sign-up, confirmation and one-click unsubscribe service.

    Needs NEWSLETTER_SECRET (the same as `newsletter send`); mails go to the outbox, or over
    SMTP when NEWSLETTER_SMTP_URL is set. Behind a reverse proxy with TLS, set
    [service] trusted_proxies = 1. In production run it under gunicorn (README "Deploying"):

    \b
    gunicorn --config python:newsletter.service.gunicorn_conf --workers 4 --threads 8 \\
      --bind 127.0.0.1:8080 newsletter.service.wsgi:app

    \b
    Example: NEWSLETTER_SECRET=… newsletter serve --host 127.0.0.1 --port 8080
    """
    app = create_app(load_config(config_path))
    service: Service = app.extensions["newsletter"]
    server = make_service_server(host, port, app)

    def stop(*_: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    click.echo(
        f"serving {service.settings.public_url} on http://{host}:{server.server_port}/ (Ctrl-C stops)",
        err=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if not service.mailer.wait_idle(timeout=20):
            click.echo(
                "warning: some confirmation mails were not sent; those people can sign up again", err=True
            )
