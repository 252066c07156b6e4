"""Erasure and retention (``tx.privacy``): statements and repository."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import bindparam

from accountkit.domain import EventKind, UserTier
from accountkit.errors import InvalidValue
from accountkit.storage._checks import check_after, check_limit, check_times
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
    e, se, lc = t.events, t.sessions, t.login_codes
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
        limit = check_limit(limit)
        check_times(created_before=created_before)
        check_after(after)
        if not isinstance(tier, UserTier):
            raise InvalidValue("tier is a UserTier.", field="tier")
        params = {
            "tier": tier.value,
            "before": _time_param(self._store, created_before),
            "after": after,
            "n": limit,
            "skip": 0,
        }
        return [str(row[0]) for row in self._x.all("users_without_orders", params)]
