"""SqlStore: the storage contract on SQLAlchemy 2 Core, for SQLite and PostgreSQL.

The implementation lives in the private package ``accountkit.storage._sql`` (one module per
concern; see its docstring). This module is its public face.
"""

from __future__ import annotations

from accountkit.storage._sql.store import SqlStore, SqlTransaction, migrate

__all__ = ["SqlStore", "SqlTransaction", "migrate"]
