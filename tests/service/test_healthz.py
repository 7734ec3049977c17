"""GET /healthz on each backend: 200 while the database answers with this code's schema, 503 (and
one log line) while it does not, and 200 again once it does, without a restart."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from bench.postgres import fresh_database
from newsletter.store import SCHEMA_VERSION, open_store, upgrade


def execute(url: str, statement: str) -> None:
    with open_store(url, check=False).connect() as conn:
        conn.execute(text(statement))


@pytest.fixture
def client_on(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> Callable[[str], FlaskClient]:
    """A test client of the service on the database at `url`, its schema made current first."""

    def make(url: str) -> FlaskClient:
        monkeypatch.setenv("NEWSLETTER_DATABASE_URL", url)
        upgrade(open_store(url, check=False))
        return make_app().test_client()

    return make


def test_ok_with_the_current_schema(database_url: str, client_on: Callable[[str], FlaskClient]) -> None:
    r = client_on(database_url).get("/healthz")
    assert (r.status_code, r.get_data(), r.mimetype) == (200, b"ok\n", "text/plain")


def test_503_for_a_schema_this_code_does_not_know_then_ok_again(
    database_url: str, client_on: Callable[[str], FlaskClient], caplog: pytest.LogCaptureFixture
) -> None:
    client = client_on(database_url)
    execute(database_url, "UPDATE alembic_version SET version_num = '9999'")  # a newer release migrated it
    with caplog.at_level(logging.ERROR, logger="newsletter.service"):
        r = client.get("/healthz")
    assert r.status_code == 503
    [line] = [rec.getMessage() for rec in caplog.records]
    assert "newer than this newsletter knows" in line and "\n" not in line
    execute(database_url, f"UPDATE alembic_version SET version_num = '{SCHEMA_VERSION}'")  # rolled back
    assert client.get("/healthz").status_code == 200


def test_503_while_the_server_refuses_connections_then_ok_again(
    postgres_server_url: str, client_on: Callable[[str], FlaskClient], caplog: pytest.LogCaptureFixture
) -> None:
    with fresh_database(postgres_server_url) as url:
        client = client_on(url)
        name = url.rsplit("/", 1)[1]
        execute(postgres_server_url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        execute(
            postgres_server_url,
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",
        )
        with caplog.at_level(logging.ERROR, logger="newsletter.service"):
            r = client.get("/healthz")
        assert r.status_code == 503
        assert any(name in rec.getMessage() for rec in caplog.records)
        execute(postgres_server_url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        assert client.get("/healthz").status_code == 200
