"""Stores: the storage contract (Protocols) and its implementations.

``MemoryStore`` needs nothing; ``SqlStore`` needs the ``sql`` extra (SQLAlchemy) and, for
PostgreSQL, the ``postgres`` extra (psycopg 3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accountkit.storage._protocols import (
    CustomerRepository,
    EventLog,
    GroupRepository,
    MembershipRepository,
    SequenceRepository,
    Store,
    TokenLedger,
    Transaction,
    UserRepository,
)
from accountkit.storage.memory import MemoryStore

if TYPE_CHECKING:
    from accountkit.storage.sql import SqlStore, migrate

__all__ = [
    "CustomerRepository",
    "EventLog",
    "GroupRepository",
    "MembershipRepository",
    "MemoryStore",
    "SequenceRepository",
    "SqlStore",
    "Store",
    "TokenLedger",
    "Transaction",
    "UserRepository",
    "migrate",
]


def __getattr__(name: str) -> Any:
    # SqlStore is imported on first use, so that MemoryStore works without SQLAlchemy.
    if name in ("SqlStore", "migrate"):
        from accountkit.storage import sql

        return getattr(sql, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
