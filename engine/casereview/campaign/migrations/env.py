"""Alembic environment: the connection comes from casereview.campaign.store.migrate."""

from __future__ import annotations

from alembic import context

from casereview.campaign.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # the alembic CLI: take the URL from sqlalchemy.url / $CASEREVIEW_DB
    from casereview.campaign.store import make_engine, store_url

    url = context.config.get_main_option("sqlalchemy.url") or store_url()
    with make_engine(url).begin() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    context.run_migrations()
