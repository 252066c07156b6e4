"""Alembic migrations of accountkit's schema; run them with :func:`accountkit.storage.migrate`."""
