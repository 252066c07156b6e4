"""Stores: the storage contract (Protocols) and its implementations.

``MemoryStore`` needs nothing; ``SqlStore`` needs the ``sql`` extra (SQLAlchemy) and, for
PostgreSQL, the ``postgres`` extra (psycopg 3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accountkit.storage._protocols import (
    AttemptRepository,
    ConsentLog,
    CurrencyTotal,
    CustomerOverview,
    CustomerRepository,
    EventLog,
    EventPages,
    GroupRepository,
    LoginCodeRepository,
    MembershipRepository,
    OrderReports,
    OrderRepository,
    OverviewEntry,
    OverviewKey,
    PrivacyRepository,
    SequenceRepository,
    SessionRepository,
    SigninPurge,
    Store,
    TokenLedger,
    Transaction,
    UserRepository,
)
from accountkit.storage.memory import MemoryStore

if TYPE_CHECKING:
    from accountkit.storage.sql import SqlStore, migrate

__all__ = [
    "AttemptRepository",
    "ConsentLog",
    "CurrencyTotal",
    "CustomerOverview",
    "CustomerRepository",
    "EventLog",
    "EventPages",
    "GroupRepository",
    "LoginCodeRepository",
    "MembershipRepository",
    "MemoryStore",
    "OrderReports",
    "OrderRepository",
    "OverviewEntry",
    "OverviewKey",
    "PrivacyRepository",
    "SequenceRepository",
    "SessionRepository",
    "SigninPurge",
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
        try:
            from accountkit.storage import sql
        except ModuleNotFoundError as exc:
            if exc.name is None or exc.name.partition(".")[0] != "sqlalchemy":
                raise
            raise ImportError(
                f"{name} needs SQLAlchemy, which comes with the sql extra: "
                "pip install 'accountkit[sql]' (and 'accountkit[sql,postgres]' for PostgreSQL).",
                name=f"{__name__}.sql",
            ) from exc
        return getattr(sql, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
