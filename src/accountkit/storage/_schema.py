"""The SQL schema at its newest revision, as SQLAlchemy Core tables.

The migrations in ``migrations/versions`` build the same tables step by step; a test
compares the two, so they cannot drift apart. Change the schema only by adding a
migration and changing this file to match.

Invariants held by the database itself, not only by the services:

- ``users.email_key`` is unique (see ``validation.email_key``; NULL for users without one);
- ``customers.number`` is unique, and ``customer_numbers.number`` is the primary key of every
  number ever given out: a claim inserts its row (a customer may take back only a number it
  held itself), and giving a number up marks the row retired instead of deleting it, so a
  number is never held by two customers, nor handed to a second one after it was retired;
- ``memberships``: one row per (user, customer); at most one row per user with
  ``exclusive`` (memberships made under ONE_CUSTOMER_PER_USER), and at most one with
  ``active``, by partial unique indexes;
- ``used_tokens.token_id`` is the primary key, so a one-time token is redeemed once;
- ``issued_tokens``: one row per (user, purpose), the newest token issued for it (a new
  one replaces the row, so an older link no longer matches);
- ``login_codes``: one row per user (a new code replaces the old), which a redemption
  deletes, so of concurrent redemptions of one code exactly one deletes it;
- ``sessions``, ``login_codes`` and ``issued_tokens`` rows belong to an existing user
  (foreign keys to ``users``);
- ``attempts.key`` is the primary key: one window per key, whose count concurrent failures
  raise in one statement each (an upsert), so none is lost.
"""

from __future__ import annotations

import attrs
import sqlalchemy as sa

from accountkit.storage._sqltypes import UtcDateTime

__all__ = ["HEAD_REVISION", "Tables", "build_tables"]

HEAD_REVISION = "0008"
"""The newest migration revision this package knows."""


@attrs.frozen
class Tables:
    """The accountkit tables in one MetaData."""

    users: sa.Table
    customers: sa.Table
    groups: sa.Table
    memberships: sa.Table
    events: sa.Table
    sequences: sa.Table
    used_tokens: sa.Table
    orders: sa.Table
    addresses: sa.Table
    consents: sa.Table
    issued_tokens: sa.Table
    sessions: sa.Table
    login_codes: sa.Table
    attempts: sa.Table
    customer_numbers: sa.Table


# Sort keys compare by code point on every database (domain.orders.sort_key): SQLite's
# BINARY collation does on UTF-8; PostgreSQL needs the "C" collation, whatever the
# database's default.
_SORT_KEY = sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql")


def _report_indexes(p: str, customers: sa.Table, orders: sa.Table) -> None:
    """The indexes of the reports (revision 0008): one per query, each fitting its ORDER BY,
    so that every page of the overview, of a customer's orders and its summary reads a
    bounded range of one index."""
    c, o = customers.c, orders.c
    # Customers with orders, newest first, ties by sort key and id; customers without
    # orders after them, by sort key and id: two queries, so that NULL ordering (first on
    # SQLite, last on PostgreSQL) never matters.
    sa.Index(
        f"{p}ix_customers_overview",
        c.last_order_at.desc(),
        c.sort_key,
        c.id,
        sqlite_where=c.last_order_at.is_not(None),
        postgresql_where=c.last_order_at.is_not(None),
    )
    sa.Index(
        f"{p}ix_customers_unordered",
        c.sort_key,
        c.id,
        sqlite_where=c.last_order_at.is_(None),
        postgresql_where=c.last_order_at.is_(None),
    )
    # Orders placed without signing in (the overview's NOT_REGISTERED rows).
    sa.Index(
        f"{p}ix_orders_guest_overview",
        o.placed_at.desc(),
        o.sort_key,
        o.id,
        sqlite_where=o.signed_in.is_(sa.false()),
        postgresql_where=o.signed_in.is_(sa.false()),
    )
    # A customer's orders newest first (summary, last orders, pages by customer number).
    sa.Index(f"{p}ix_orders_customer_placed", o.customer_id, o.placed_at, o.id)


def build_tables(metadata: sa.MetaData, prefix: str = "accountkit_") -> Tables:
    """Define accountkit's tables in ``metadata``, each name starting with ``prefix``."""
    p = prefix
    schema = metadata.schema

    def fk(table: str, column: str = "id") -> str:
        return f"{schema}.{p}{table}.{column}" if schema else f"{p}{table}.{column}"

    users = sa.Table(
        f"{p}users",
        metadata,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("email", sa.String(320)),
        sa.Column("email_key", sa.String(320)),
        sa.Column("given_name", sa.String(200)),
        sa.Column("family_name", sa.String(200)),
        sa.Column("birth_date", sa.Date),
        sa.Column("phone", sa.String(16)),
        sa.Column("password_hash", sa.String(512)),
        sa.Column("email_verified_at", UtcDateTime),
        sa.Column("must_complete_profile", sa.Boolean, nullable=False),
        sa.Column("profile", sa.Text, nullable=False),
        sa.Column("security_version", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("email_key", name=f"{p}uq_users_email_key"),
    )
    groups = sa.Table(
        f"{p}groups",
        metadata,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("price_list_id", sa.String(200)),
        # JSON: the sorted list of category ids; NULL for the whole assortment.
        sa.Column("assortment", sa.Text),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    customers = sa.Table(
        f"{p}customers",
        metadata,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("number", sa.String(40)),
        sa.Column("group_id", sa.String(64), sa.ForeignKey(fk("groups"))),
        sa.Column("price_list_id", sa.String(200)),
        sa.Column("discount", sa.String(40), nullable=False),
        sa.Column("document_contacts", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("vat_id", sa.String(14)),
        # JSON objects of the Address fields (keys sorted), or NULL.
        sa.Column("bill_to", sa.Text),
        sa.Column("ship_to", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("last_order_at", UtcDateTime),
        # The overview's tie-breaker (see reports) and whether a test order exists: both
        # kept on the row so that the overview reads one index, never the orders.
        sa.Column("surname", sa.String(200)),
        sa.Column("sort_key", _SORT_KEY),
        sa.Column("has_test_order", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("number", name=f"{p}uq_customers_number"),
    )
    memberships = sa.Table(
        f"{p}memberships",
        metadata,
        sa.Column("user_id", sa.String(64), sa.ForeignKey(fk("users")), primary_key=True),
        sa.Column("customer_id", sa.String(64), sa.ForeignKey(fk("customers")), primary_key=True),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.Column("is_exclusive", sa.Boolean, nullable=False),
        sa.Column("assigned_by_kind", sa.String(16), nullable=False),
        sa.Column("assigned_by_id", sa.String(200)),
        sa.Column("assigned_at", UtcDateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
        sa.Index(f"{p}ix_memberships_customer", "customer_id"),
        sa.Index(
            f"{p}uq_memberships_exclusive",
            "user_id",
            unique=True,
            sqlite_where=sa.text("is_exclusive"),
            postgresql_where=sa.text("is_exclusive"),
        ),
        sa.Index(
            f"{p}uq_memberships_active",
            "user_id",
            "is_active",
            unique=True,
            sqlite_where=sa.text("is_active"),
            postgresql_where=sa.text("is_active"),
        ),
    )
    events = sa.Table(
        f"{p}events",
        metadata,
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("id", sa.String(64), nullable=False, unique=True),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(200)),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64)),
        sa.Column("customer_id", sa.String(64)),
        sa.Column("data", sa.Text, nullable=False),
        sa.Index(f"{p}ix_events_user", "user_id", "seq"),
        sa.Index(f"{p}ix_events_customer", "customer_id", "seq"),
    )
    sequences = sa.Table(
        f"{p}sequences",
        metadata,
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    used_tokens = sa.Table(
        f"{p}used_tokens",
        metadata,
        sa.Column("token_id", sa.String(128), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("used_at", UtcDateTime, nullable=False),
        sa.Index(f"{p}ix_used_tokens_user", "user_id"),
    )
    orders = sa.Table(
        f"{p}orders",
        metadata,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("placed_at", UtcDateTime, nullable=False),
        sa.Column("total", sa.String(40), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("test_order", sa.Boolean, nullable=False),
        sa.Column("signed_in", sa.Boolean, nullable=False),
        sa.Column("user_id", sa.String(64), sa.ForeignKey(fk("users"))),
        sa.Column("customer_id", sa.String(64), sa.ForeignKey(fk("customers"))),
        sa.Column("guest_email", sa.String(320)),
        # A guest's given name (the column predates the split) and family name.
        sa.Column("guest_name", sa.String(400)),
        sa.Column("guest_family_name", sa.String(200)),
        sa.Column("sort_key", _SORT_KEY),
        # The total in the currency's minor unit, so that stores sum amounts exactly.
        sa.Column("total_minor", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("erased", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", UtcDateTime),
        sa.UniqueConstraint("number", name=f"{p}uq_orders_number"),
        sa.Index(f"{p}ix_orders_user", "user_id", "placed_at"),
    )
    _report_indexes(p, customers, orders)
    addresses = sa.Table(
        f"{p}addresses",
        metadata,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("order_id", sa.String(64), sa.ForeignKey(fk("orders"))),
        sa.Column("customer_id", sa.String(64), sa.ForeignKey(fk("customers"))),
        sa.Column(
            "user_id",
            sa.String(64),
            sa.ForeignKey(fk("users"), name=f"{p}fk_addresses_user"),
        ),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("company", sa.String(200)),
        sa.Column("street", sa.String(200), nullable=False),
        sa.Column("extra", sa.String(200)),
        sa.Column("postal_code", sa.String(20), nullable=False),
        sa.Column("city", sa.String(200), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("address_key", sa.String(1200), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Index(f"{p}ix_addresses_order", "order_id"),
        sa.Index(f"{p}ix_addresses_customer", "customer_id"),
        sa.Index(f"{p}ix_addresses_user", "user_id", "created_at"),
    )
    consents = sa.Table(
        f"{p}consents",
        metadata,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), sa.ForeignKey(fk("users")), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("granted", sa.Boolean, nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("wording_version", sa.String(64), nullable=False),
        sa.Index(f"{p}ix_consents_user", "user_id", "purpose", "at"),
    )
    issued_tokens = sa.Table(
        f"{p}issued_tokens",
        metadata,
        sa.Column("user_id", sa.String(64), sa.ForeignKey(fk("users")), primary_key=True),
        sa.Column("purpose", sa.String(32), primary_key=True),
        sa.Column("token_id", sa.String(128), nullable=False),
        sa.Column("issued_at", UtcDateTime, nullable=False),
        sa.Column("note", sa.Text),
    )
    sessions = sa.Table(
        f"{p}sessions",
        metadata,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), sa.ForeignKey(fk("users")), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("security_version", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("last_seen_at", UtcDateTime, nullable=False),
        sa.Index(f"{p}ix_sessions_user", "user_id"),
    )
    login_codes = sa.Table(
        f"{p}login_codes",
        metadata,
        sa.Column("user_id", sa.String(64), sa.ForeignKey(fk("users")), primary_key=True),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("code_hash", sa.String(128), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
    )
    attempts = sa.Table(
        f"{p}attempts",
        metadata,
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("started_at", UtcDateTime, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
    )
    # No foreign key to customers: the row outlives the customer that held the number.
    customer_numbers = sa.Table(
        f"{p}customer_numbers",
        metadata,
        sa.Column("number", sa.String(40), primary_key=True),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("live", sa.Boolean, nullable=False),
        sa.Column("retired_at", UtcDateTime),
    )
    return Tables(
        users=users,
        customers=customers,
        groups=groups,
        memberships=memberships,
        events=events,
        sequences=sequences,
        used_tokens=used_tokens,
        orders=orders,
        addresses=addresses,
        consents=consents,
        issued_tokens=issued_tokens,
        sessions=sessions,
        login_codes=login_codes,
        attempts=attempts,
        customer_numbers=customer_numbers,
    )
