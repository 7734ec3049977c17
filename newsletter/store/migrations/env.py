"""Alembic's entry point: runs the revisions on the connection `versions.upgrade` passes in."""

from alembic import context

from newsletter.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
