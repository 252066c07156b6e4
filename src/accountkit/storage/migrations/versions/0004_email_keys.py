"""E-mail keys: the ASCII-lower-cased local part and the domain's IDNA A-label, not casefold().

The key of revision 0001 was ``email.casefold()``, which made ``anna@straße.de`` and
``anna@strasse.de`` (or ``ﬁle@`` and ``file@``) one user, though a mail server delivers them
to different mailboxes. This revision recomputes every stored key with the new rule. The new
key is finer (two addresses with one new key had one old key), so no live users collide.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import idna
import sqlalchemy as sa
from alembic import op

from accountkit.storage._migrate import names

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BATCH = 1000
"""Rows read and rewritten per round trip, so a million users never sit in memory at once."""

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def email_key(email: str) -> str:
    """A frozen copy of ``accountkit.domain.validation.email_key`` as of this revision."""
    local, at, domain = email.rpartition("@")
    if not at:
        return email.translate(_ASCII_LOWER)
    if domain.isascii():
        a_label = domain.lower()
    else:
        try:
            a_label = idna.encode(domain, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            a_label = domain.lower()
    return f"{local.translate(_ASCII_LOWER)}@{a_label}"


def upgrade() -> None:
    p, schema = names()
    users = sa.table(
        f"{p}users",
        sa.column("id", sa.String),
        sa.column("email", sa.String),
        sa.column("email_key", sa.String),
        schema=schema,
    )
    bind = op.get_bind()
    read = (
        sa.select(users.c.id, users.c.email, users.c.email_key)
        .where(users.c.email.is_not(None), users.c.id > sa.bindparam("after"))
        .order_by(users.c.id)
        .limit(BATCH)
    )
    write = (
        sa.update(users)
        .where(users.c.id == sa.bindparam("row_id"))
        .values(email_key=sa.bindparam("new_key"))
    )
    after = ""
    while True:
        rows = bind.execute(read, {"after": after}).all()
        if not rows:
            break
        keys = [(row_id, email_key(email), key) for row_id, email, key in rows]
        changed = [{"row_id": i, "new_key": new} for i, new, old in keys if new != old]
        if changed:
            bind.execute(write, changed)
        after = rows[-1][0]
