"""Erasure and retention in memory (``tx.privacy``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from accountkit.domain import EventKind, UserTier
from accountkit.domain.orders import ERASED_GUEST, erased_address
from accountkit.domain.users import frozen_mapping
from accountkit.storage._checks import check_candidates, check_times
from accountkit.storage._protocols import SigninPurge

if TYPE_CHECKING:
    from accountkit.domain import Event
    from accountkit.storage._memory.state import _Data, _Journal


class _Privacy:
    def __init__(self, data: _Data, journal: _Journal) -> None:
        self._d, self._j = data, journal

    def _replace(self, items: list[Event], old: Event, new: Event) -> None:
        for i, item in enumerate(items):
            if item is old:
                self._j.set_item(items, i, new)
                return

    def redact_events(
        self, user_id: str, customer_ids: Iterable[str], keep: Mapping[EventKind, frozenset[str]]
    ) -> int:
        self._j._check()
        customers = set(customer_ids)
        changed = 0
        for event in list(self._d.events):
            if event.user_id != user_id and event.customer_id not in customers:
                continue
            allowed = keep.get(event.kind, frozenset())
            data = {k: v for k, v in event.data.items() if k in allowed}
            if len(data) == len(event.data):
                continue
            redacted = attrs.evolve(event, data=frozen_mapping(data))
            self._replace(self._d.events, event, redacted)
            if event.user_id is not None:
                self._replace(self._d.events_by_user[event.user_id], event, redacted)
            if event.customer_id is not None:
                self._replace(self._d.events_by_customer[event.customer_id], event, redacted)
            changed += 1
        return changed

    def erase_orders(self, user_id: str, *, at: datetime) -> tuple[int, int]:
        self._j._check()
        check_times(at=at)
        d, orders, rows = self._d, 0, 0
        for order in [o for o in d.orders.values() if o.user_id == user_id and not o.erased]:
            new = attrs.evolve(
                order,
                guest=None if order.guest is None else ERASED_GUEST,
                billing=None if order.billing is None else erased_address(order.billing.country),
                shipping=(
                    None if order.shipping is None else erased_address(order.shipping.country)
                ),
                erased=True,
                updated_at=at,
                version=order.version + 1,
            )
            self._j.put(d.orders, order.id, new)
            old_rows = d.order_addresses.get(order.id, ())
            if old_rows:
                replaced = tuple(
                    attrs.evolve(row, address=erased_address(row.address.country))
                    for row in old_rows
                )
                self._j.put(d.order_addresses, order.id, replaced)
                rows += len(replaced)
            orders += 1
        return orders, rows

    def end_signin(self, user_id: str) -> int:
        self._j._check()
        d, gone = self._d, 0
        for session_id in [s.id for s in d.sessions.values() if s.user_id == user_id]:
            self._j.delete(d.sessions, session_id)
            gone += 1
        if user_id in d.login_codes:
            self._j.delete(d.login_codes, user_id)
            gone += 1
        for key in [k for k in d.issued_tokens if k[0] == user_id]:
            self._j.delete(d.issued_tokens, key)
            gone += 1
        for token_id in [t for t, (owner, _, _) in d.used_tokens.items() if owner == user_id]:
            self._j.delete(d.used_tokens, token_id)
            gone += 1
        return gone

    def purge_signin(
        self,
        *,
        now: datetime,
        seen_before: datetime,
        created_before: datetime,
        tokens_before: datetime,
    ) -> SigninPurge:
        self._j._check()
        check_times(
            now=now,
            seen_before=seen_before,
            created_before=created_before,
            tokens_before=tokens_before,
        )
        d = self._d
        sessions = [
            s.id
            for s in d.sessions.values()
            if s.last_seen_at < seen_before or s.created_at < created_before
        ]
        for session_id in sessions:
            self._j.delete(d.sessions, session_id)
        codes = [user_id for user_id, c in d.login_codes.items() if c.expires_at <= now]
        for user_id in codes:
            self._j.delete(d.login_codes, user_id)
        issued = [k for k, t in d.issued_tokens.items() if t.issued_at < tokens_before]
        for key in issued:
            self._j.delete(d.issued_tokens, key)
        used = [t for t, (_, _, at) in d.used_tokens.items() if at < tokens_before]
        for token_id in used:
            self._j.delete(d.used_tokens, token_id)
        return SigninPurge(len(sessions), len(codes), len(issued) + len(used))

    def users_without_orders(
        self, *, tier: UserTier, created_before: datetime, after: str | None, limit: int
    ) -> Sequence[str]:
        limit = check_candidates(tier, created_before, after, limit)
        buyers = {o.user_id for o in self._d.orders.values() if o.user_id is not None}
        found = sorted(
            u.id
            for u in self._d.users.values()
            if u.tier is tier
            and u.created_at < created_before
            and u.id not in buyers
            and (after is None or u.id > after)
        )
        return found[:limit]
