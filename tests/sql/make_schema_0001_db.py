"""Make tests/sql/data/schema_0001.db: a database file as the first schema (0001) left it.

Run once when the file must be remade (``python tests/sql/make_schema_0001_db.py``); the
committed file is what test_migrations.py upgrades, so that the test proves an upgrade of
a file really made by the first schema, not of one made by today's code.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from accountkit.storage.sql import migrate

TARGET = Path(__file__).parent / "data" / "schema_0001.db"

ROWS = [
    "INSERT INTO accountkit_groups VALUES ('grp_1', 'Wholesale', 'pl-wholesale', "
    "'2025-06-01T08:00:00.000000+00:00')",
    "INSERT INTO accountkit_users VALUES ('usr_1', 'full', 'active', 'Ada@example.com', "
    "'ada@example.com', 'Ada', 'Lovelace', '1990-05-17', 'cheap-sha256$00$ab', 0, "
    "'{\"ski_size\": \"175\"}', 2, 3, '2025-06-01T09:00:00.000000+00:00', "
    "'2025-06-02T09:00:00.000000+00:00')",
    "INSERT INTO accountkit_users VALUES ('usr_2', 'guest', 'active', 'guest@example.com', "
    "'guest@example.com', 'Gus', NULL, NULL, NULL, 0, '{}', 0, 0, "
    "'2025-06-03T10:00:00.000000+00:00', '2025-06-03T10:00:00.000000+00:00')",
    "INSERT INTO accountkit_customers VALUES ('cus_1', 'business', 'Lovelace Ltd', 'K-000001', "
    "'grp_1', 'pl-gold', '7.25', "
    '\'[{"kind": "invoice", "email": "billing@example.com", "contact_person": null}]\', '
    "'pays late', 'web', 4, '2025-06-01T09:30:00.000000+00:00', "
    "'2025-06-04T09:30:00.000000+00:00')",
    "INSERT INTO accountkit_memberships VALUES ('usr_1', 'cus_1', 'company_manager', 1, 1, "
    "'operator', 'staff-1', '2025-06-01T09:45:00.000000+00:00')",
    "INSERT INTO accountkit_events (id, at, actor_kind, actor_id, kind, user_id, customer_id, "
    "data) VALUES ('evt_1', '2025-06-01T09:45:00.000000+00:00', 'operator', 'staff-1', "
    "'membership_added', 'usr_1', 'cus_1', '{\"role\": \"company_manager\"}')",
    "INSERT INTO accountkit_sequences VALUES ('customer_number', 1)",
    "INSERT INTO accountkit_used_tokens VALUES ('tok_1', 'usr_1', 'password_reset', "
    "'2025-06-05T09:45:00.000000+00:00')",
]


def make(path: Path) -> None:
    """Create ``path`` at schema revision 0001 and fill it with ROWS."""
    path.unlink(missing_ok=True)
    migrate(f"sqlite:///{path}", revision="0001")
    conn = sqlite3.connect(path)
    try:
        for statement in ROWS:
            conn.execute(statement)
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")
    finally:
        conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    make(Path(sys.argv[1]) if len(sys.argv) > 1 else TARGET)
