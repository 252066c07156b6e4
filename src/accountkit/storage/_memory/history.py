"""The event log and the consent log in memory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from accountkit.errors import ConflictError
from accountkit.storage._checks import check_consent
from accountkit.storage._memory.signin import _require_user

if TYPE_CHECKING:
    from accountkit.domain import Consent, Event
    from accountkit.storage._memory.state import _Data, _Journal


class _Events:
    def __init__(self, data: _Data, journal: _Journal) -> None:
        self._d, self._j = data, journal

    def append(self, event: Event) -> None:
        self._j._check()
        self._j.append(self._d.events, event)
        if event.user_id is not None:
            self._j.append(self._d.events_by_user.setdefault(event.user_id, []), event)
        if event.customer_id is not None:
            self._j.append(self._d.events_by_customer.setdefault(event.customer_id, []), event)

    def for_customer(self, customer_id: str) -> Sequence[Event]:
        return list(self._d.events_by_customer.get(customer_id, ()))

    def for_user(self, user_id: str) -> Sequence[Event]:
        return list(self._d.events_by_user.get(user_id, ()))


class _Consents:
    def __init__(self, data: _Data, journal: _Journal) -> None:
        self._d, self._j = data, journal

    def append(self, consent: Consent) -> None:
        self._j._check()
        check_consent(consent)
        _require_user(self._d, consent.user_id)
        if consent.id in self._d.consent_ids:
            raise ConflictError("A consent entry with this id exists.")
        self._j.put(self._d.consent_ids, consent.id, consent.user_id)
        self._j.append(self._d.consents.setdefault(consent.user_id, []), consent)

    def for_user(self, user_id: str) -> Sequence[Consent]:
        # As SQL orders them: by time, then by id (not by the order of the appends).
        mine = self._d.consents.get(user_id, []) if isinstance(user_id, str) else []
        return sorted(mine, key=lambda c: (c.at, c.id))
