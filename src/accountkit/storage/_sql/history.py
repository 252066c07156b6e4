"""The event log and the consent log: their statements and repositories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import bindparam

from accountkit.errors import ConflictError, UserNotFound
from accountkit.storage._checks import check_consent
from accountkit.storage._sql.errors import _bindable, _cause, _is_foreign_key
from accountkit.storage._sql.execute import _Repo
from accountkit.storage._sql.rows import (
    CONSENT_COLUMNS,
    EVENT_COLUMNS,
    _consent,
    _consent_values,
    _event,
    _event_values,
)
from accountkit.storage._sql.signin import _require_storable_user
from accountkit.storage._sql.statements import _select

if TYPE_CHECKING:
    from accountkit.domain import Consent, Event
    from accountkit.storage._schema import Tables

READS = (
    "events_of_user",
    "events_of_customer",
    "consents_of_user",
)
"""The statements of this module that only read (a read-only unit runs only these)."""


def build(q: Any, t: Tables, dialect: str) -> None:
    """Build this aggregate's statements onto ``q`` (a ``statements._Statements``)."""
    e = t.events
    q.event_insert = sa.insert(e)
    q.events_of_user = (
        _select(e, EVENT_COLUMNS).where(e.c.user_id == bindparam("u")).order_by(e.c.seq)
    )
    q.events_of_customer = (
        _select(e, EVENT_COLUMNS).where(e.c.customer_id == bindparam("c")).order_by(e.c.seq)
    )
    co = t.consents
    q.consent_insert = sa.insert(co)
    # Ordered in Python by (at, id), ids in code point order, not the database's collation.
    q.consents_of_user = _select(co, CONSENT_COLUMNS).where(co.c.user_id == bindparam("u"))


class _Events(_Repo):
    def append(self, event: Event) -> None:
        self._writing()
        self._x.run("event_insert", _event_values(event))

    def for_customer(self, customer_id: str) -> Sequence[Event]:
        if not _bindable(customer_id):
            return []
        return [_event(r) for r in self._x.all("events_of_customer", {"c": customer_id})]

    def for_user(self, user_id: str) -> Sequence[Event]:
        if not _bindable(user_id):
            return []
        return [_event(r) for r in self._x.all("events_of_user", {"u": user_id})]


class _Consents(_Repo):
    def append(self, consent: Consent) -> None:
        self._writing()
        check_consent(consent)
        _require_storable_user(consent.user_id)
        try:
            self._x.run("consent_insert", _consent_values(consent))
        except sa.exc.IntegrityError as exc:
            if _is_foreign_key(exc):
                raise UserNotFound() from _cause(exc)
            raise ConflictError("A consent entry with this id exists.") from _cause(exc)

    def for_user(self, user_id: str) -> Sequence[Consent]:
        if not _bindable(user_id):
            return []
        consents = [_consent(r) for r in self._x.all("consents_of_user", {"u": user_id})]
        return sorted(consents, key=lambda c: (c.at, c.id))
