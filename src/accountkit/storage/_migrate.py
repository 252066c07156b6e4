"""Running the Alembic migrations that ship inside the package, from Python."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

# Alembic is imported inside the functions: importing SqlStore must not load it, since most
# processes open a database that is already at the newest revision.
if TYPE_CHECKING:
    import sqlalchemy as sa
    from alembic.config import Config

__all__ = ["current_revision", "head_revision", "is_known", "names", "upgrade"]

_SCRIPTS = Path(__file__).parent / "migrations"


def _config(prefix: str, schema: str | None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.attributes["prefix"] = prefix
    config.attributes["schema"] = schema
    return config


def names() -> tuple[str, str | None]:
    """Inside a migration: the table prefix and schema this run works on."""
    from alembic import context

    attributes = context.config.attributes
    return attributes["prefix"], attributes.get("schema")


def head_revision() -> str:
    """The newest revision shipped with this package."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config("", None)).get_current_head()
    assert head is not None
    return head


def is_known(revision: str) -> bool:
    """Whether this package ships ``revision`` (False for one made by a newer accountkit)."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(_config("", None))
    return any(script.revision == revision for script in scripts.walk_revisions())


def current_revision(connection: sa.Connection, prefix: str, schema: str | None) -> str | None:
    """The revision the database is at, or ``None`` for a database without accountkit."""
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(
        connection,
        opts={"version_table": f"{prefix}alembic_version", "version_table_schema": schema},
    )
    return context.get_current_revision()


def upgrade(
    connection: sa.Connection, prefix: str, schema: str | None, revision: str = "head"
) -> None:
    """Bring the database to ``revision`` (default: the newest), inside the connection's
    transaction. The caller has checked that the current revision is one this package
    knows (``sql._run_migrations``)."""
    from alembic import command

    config = _config(prefix, schema)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
