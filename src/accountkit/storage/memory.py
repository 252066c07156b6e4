"""MemoryStore: the whole contract in process memory, for tests, examples and prototypes.

One lock serialises transactions, and every write is recorded in an undo log, so a
transaction that raises leaves no trace, as on a database. Indexes mirror the SQL
unique constraints, so the same conflicts surface in the same places.

The implementation lives in the private package ``accountkit.storage._memory``.
"""

from __future__ import annotations

from accountkit.storage._memory.store import MemoryStore

__all__ = ["MemoryStore"]
