"""MemoryStore's parts: the whole contract in process memory, for tests, examples and prototypes.

One lock serialises transactions, and every write is recorded in an undo log, so a
transaction that raises leaves no trace, as on a database. Indexes mirror the SQL
unique constraints, so the same conflicts surface in the same places.

Where things live: ``state`` (the tables, indexes and undo log), one module per aggregate
(``users``, ``customers``, ``history``, ``signin``, ``orders``, ``reports``) and ``store``
(MemoryStore and its transaction). :mod:`accountkit.storage.memory` re-exports MemoryStore.
"""
