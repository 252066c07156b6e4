"""Erasure and retention (``tx.privacy``): statements and repository."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import bindparam

from accountkit.domain import EventKind, UserTier
from accountkit.domain.orders import ERASED, erased_address, sort_key
from accountkit.storage._checks import check_candidates, check_times
from accountkit.storage._protocols import SigninPurge
from accountkit.storage._sql.errors import _bindable
from accountkit.storage._sql.execute import _Repo
from accountkit.storage._sql.reports import _time_param
from accountkit.storage._sqltypes import UtcDateTime

if TYPE_CHECKING:
    from accountkit.storage._schema import Tables

READS = ("users_without_orders",)
"""The statements of this module that only read (a read-only unit runs only these)."""


def build(q: Any, t: Tables, dialect: str) -> None:
    """Build this aggregate's statements onto ``q`` (a ``statements._Statements``)."""
    e, se, lc, a = t.events, t.sessions, t.login_codes, t.addresses
    it, k, u, o = t.issued_tokens, t.used_tokens, t.users, t.orders
    q.event_data_of_user = sa.select(e.c.id, e.c.kind, e.c.data).where(
        e.c.user_id == bindparam("u")
    )
    q.event_data_of_customer = sa.select(e.c.id, e.c.kind, e.c.data).where(
        e.c.customer_id == bindparam("c")
    )
    q.event_set_data = (
        sa.update(e).where(e.c.id == bindparam("b_id")).values(data=bindparam("data"))
    )
    mine = sa.and_(o.c.user_id == bindparam("u"), sa.not_(o.c.erased))
    q.address_countries_to_erase = (
        sa.select(a.c.country)
        .where(a.c.order_id.in_(sa.select(o.c.id).where(mine)))
        .group_by(a.c.country)
    )
    lines: dict[str, Any] = {
        name: bindparam("b_erased") for name in ("name", "street", "postal_code", "city")
    }
    q.addresses_erase = (
        sa.update(a)
        .where(
            a.c.order_id.in_(sa.select(o.c.id).where(mine)),
            a.c.country == bindparam("b_country"),
        )
        .values(**lines, company=None, extra=None, address_key=bindparam("key"))
    )
    has_guest = o.c.guest_email.is_not(None)
    q.orders_erase = (
        sa.update(o)
        .where(mine)
        .values(
            guest_email=sa.case((has_guest, bindparam("b_erased")), else_=None),
            guest_name=sa.case((has_guest, bindparam("b_erased")), else_=None),
            guest_family_name=sa.case((has_guest, bindparam("b_erased")), else_=None),
            sort_key=sa.case((has_guest, bindparam("erased_key")), else_=o.c.sort_key),
            erased=True,
            version=o.c.version + 1,
            updated_at=bindparam("at", type_=UtcDateTime),
        )
    )
    q.used_tokens_delete_of_user = sa.delete(k).where(k.c.user_id == bindparam("u"))
    q.sessions_delete_stale = sa.delete(se).where(
        sa.or_(
            se.c.last_seen_at < bindparam("seen", type_=UtcDateTime),
            se.c.created_at < bindparam("created", type_=UtcDateTime),
        )
    )
    q.login_codes_delete_expired = sa.delete(lc).where(
        lc.c.expires_at <= bindparam("now", type_=UtcDateTime)
    )
    q.issued_tokens_delete_before = sa.delete(it).where(
        it.c.issued_at < bindparam("before", type_=UtcDateTime)
    )
    q.used_tokens_delete_before = sa.delete(k).where(
        k.c.used_at < bindparam("before", type_=UtcDateTime)
    )
    # This read also runs on the raw SQLite path, which binds values as they are: SQLite
    # gets the time as its stored text (reports._time_param), PostgreSQL the datetime.
    before = (
        bindparam("before", type_=sa.String())
        if dialect == "sqlite"
        else bindparam("before", type_=UtcDateTime())
    )
    q.users_without_orders = (
        sa.select(u.c.id)
        .where(
            u.c.tier == sa.cast(bindparam("tier"), sa.String),
            u.c.created_at < before,
            sa.or_(
                sa.cast(bindparam("after"), sa.String).is_(None),
                u.c.id > sa.cast(bindparam("after"), sa.String),
            ),
            ~sa.exists().where(o.c.user_id == u.c.id),
        )
        .order_by(u.c.id)
        .limit(bindparam("n"))
        .offset(bindparam("skip"))
    )


class _Privacy(_Repo):
    def _redact(
        self,
        name: str,
        params: dict[str, Any],
        keep: Mapping[EventKind, frozenset[str]],
        seen: set[str],
    ) -> int:
        changes = []
        for event_id, kind, text in self._x.all(name, params):
            if event_id in seen:
                continue
            seen.add(event_id)
            data = json.loads(text)
            allowed = keep.get(EventKind(kind), frozenset())
            kept = {key: value for key, value in data.items() if key in allowed}
            if len(kept) != len(data):
                text = json.dumps(kept, sort_keys=True, ensure_ascii=False)
                changes.append({"b_id": event_id, "data": text})
        if changes:
            self._x.run("event_set_data", changes)
        return len(changes)

    def redact_events(
        self, user_id: str, customer_ids: Iterable[str], keep: Mapping[EventKind, frozenset[str]]
    ) -> int:
        self._writing()
        self._x.erased()
        seen: set[str] = set()
        changed = 0
        if _bindable(user_id):
            changed += self._redact("event_data_of_user", {"u": user_id}, keep, seen)
        for customer_id in customer_ids:
            if _bindable(customer_id):
                changed += self._redact("event_data_of_customer", {"c": customer_id}, keep, seen)
        return changed

    def erase_orders(self, user_id: str, *, at: datetime) -> tuple[int, int]:
        self._writing()
        check_times(at=at)
        if not _bindable(user_id):
            return 0, 0
        self._x.erased()
        rows = 0
        # Address rows first: they are found through the orders not yet erased.
        for (country,) in self._x.all("address_countries_to_erase", {"u": user_id}):
            key = erased_address(country).key()
            params = {"u": user_id, "b_country": country, "b_erased": ERASED, "key": key}
            rows += self._x.run("addresses_erase", params)
        params = {"u": user_id, "b_erased": ERASED, "erased_key": sort_key(ERASED), "at": at}
        return self._x.run("orders_erase", params), rows

    def end_signin(self, user_id: str) -> int:
        self._writing()
        self._x.erased()
        if not _bindable(user_id):
            return 0
        params = {"u": user_id}
        return sum(
            self._x.run(name, params)
            for name in (
                "sessions_delete_of_user",
                "login_code_delete_of_user",
                "tokens_delete_of_user",
                "used_tokens_delete_of_user",
            )
        )

    def purge_signin(
        self,
        *,
        now: datetime,
        seen_before: datetime,
        created_before: datetime,
        tokens_before: datetime,
    ) -> SigninPurge:
        self._writing()
        check_times(
            now=now, seen_before=seen_before, created_before=created_before,
            tokens_before=tokens_before,
        )  # fmt: skip
        sessions = self._x.run(
            "sessions_delete_stale", {"seen": seen_before, "created": created_before}
        )
        codes = self._x.run("login_codes_delete_expired", {"now": now})
        before = {"before": tokens_before}
        tokens = self._x.run("issued_tokens_delete_before", before)
        tokens += self._x.run("used_tokens_delete_before", before)
        return SigninPurge(sessions, codes, tokens)

    def users_without_orders(
        self, *, tier: UserTier, created_before: datetime, after: str | None, limit: int
    ) -> Sequence[str]:
        limit = check_candidates(tier, created_before, after, limit)
        params = {
            "tier": tier.value,
            "before": _time_param(self._store, created_before),
            "after": after,
            "n": limit,
            "skip": 0,
        }
        return [str(row[0]) for row in self._x.all("users_without_orders", params)]
