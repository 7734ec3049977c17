"""Schema versions: every command checks the database's, `newsletter db upgrade` moves it.

The migrations are Alembic revisions in migrations/versions/, run from here with the store's
own engine (no alembic.ini). A brand-new SQLite file at the default place is created on first
use, so `make build` and a first `subscribers add` just work; any other database that is not at
this code's version is refused with one line saying what to run.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from ..errors import NewsletterError
from .database import Store, database_error
from .schema import SCHEMA_VERSION

MIGRATIONS = Path(__file__).parent / "migrations"
#: Tables the SQLite state had before schema versions existed; `db upgrade` adopts them.
LEGACY_TABLES = {"subscribers", "sends", "deliveries", "pending_signups"}
#: Every revision this code knows, oldest first (migrations/versions/ holds them).
KNOWN_VERSIONS = ("0001",)


def current_version(store: Store) -> str | None:
    """The database's revision; "" for an empty database; None for one from before versions."""
    try:
        with store.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            if "alembic_version" not in tables:
                return None if tables & LEGACY_TABLES else ""
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    except DBAPIError as e:
        raise database_error(e, store) from None
    return row[0] if row else ""


def check_schema(store: Store, *, create: bool = False) -> None:
    """Refuse (one line) a database older or newer than this code; `create` makes an empty one."""
    version = current_version(store)
    if version == SCHEMA_VERSION:
        return
    where = store.describe()
    if version == "" and create:
        upgrade(store)
        return
    if version == "":
        raise NewsletterError(
            f"{where}: the database has no newsletter tables yet; run `newsletter db upgrade`"
        )
    if version is None:
        raise NewsletterError(
            f"{where}: the database was made by an older newsletter (no schema version); "
            "run `newsletter db upgrade` (back it up first)"
        )
    if version in KNOWN_VERSIONS:
        raise NewsletterError(
            f"{where}: the database's schema {version} is older than this newsletter's {SCHEMA_VERSION}; "
            "run `newsletter db upgrade`"
        )
    raise NewsletterError(
        f"{where}: the database's schema {version} is newer than this newsletter knows ({SCHEMA_VERSION}); "
        "upgrade newsletter (pip install -U) before using it"
    )


def upgrade(store: Store) -> tuple[str | None, str]:
    """Create or migrate the schema to SCHEMA_VERSION; returns (version before, version after)."""
    from alembic import command
    from alembic.config import Config as AlembicConfig

    before = current_version(store)
    if before not in (None, "", *KNOWN_VERSIONS):
        check_schema(store)  # newer than this code: the same one line
    if store.path is not None:
        try:
            store.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise NewsletterError(
                f"cannot create the database's folder: {e.strerror}", path=str(store.path)
            ) from None
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with store.engine.connect() as conn:
            # Migrations run in one transaction where the backend allows (PostgreSQL).
            conn = conn.execution_options(
                isolation_level="SERIALIZABLE" if store.is_sqlite else "READ COMMITTED"
            )
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            conn.commit()
    except DBAPIError as e:
        raise database_error(e, store) from None
    return before, SCHEMA_VERSION
