"""Alembic environment. Migrations run on a connection handed in by `models.db.upgrade_schema`
(async engines run them through `run_sync`), or on a URL given with `-x url=...`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from models import entities  # noqa: F401  (registers the tables on the metadata)
from models.base import Base

config = context.config
target_metadata = Base.metadata


def _configure_and_run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things: use batch mode everywhere
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _configure_and_run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("pass a synchronous URL: alembic -x url=sqlite:///file.db ...")
    with create_engine(url).connect() as conn:
        _configure_and_run(conn)
        conn.commit()
