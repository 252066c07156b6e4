"""kit.privacy on every store: the newest entry decides, failed calls leave no trace."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accountkit import AccountKit, Actor, ContactPurpose, EventKind, FrozenClock
from accountkit.errors import InvalidValue, UserNotFound
from tests.helpers import OPERATOR, full_user

NL = ContactPurpose.NEWSLETTER
CONSENT_PURPOSES = [p for p in ContactPurpose if p.needs_consent]


def test_newest_entry_decides_at_one_instant(kit: AccountKit) -> None:
    """Grant, withdraw, grant at one frozen instant: the log keeps the call order."""
    user_id = full_user(kit)
    me = Actor.user(user_id)
    kit.privacy.grant_consent(me, user_id, NL, source="checkout", wording_version="v1")
    kit.privacy.withdraw_consent(me, user_id, NL, source="link")
    assert not kit.privacy.may_contact(user_id, NL)
    kit.privacy.grant_consent(me, user_id, NL, source="account", wording_version="v2")
    assert kit.privacy.may_contact(user_id, NL)
    history = kit.privacy.consent_history(user_id)
    assert [(c.granted, c.wording_version) for c in history] == [
        (True, "v1"),
        (False, "v1"),
        (True, "v2"),
    ]


def test_purposes_and_time_round_trip(kit: AccountKit, clock: FrozenClock) -> None:
    """Each purpose stands alone; entries come back with their times, in order."""
    user_id = full_user(kit)
    made = []
    for n, purpose in enumerate(CONSENT_PURPOSES):
        clock.advance(timedelta(seconds=n))
        made.append(
            kit.privacy.grant_consent(
                OPERATOR, user_id, purpose, source="paper", wording_version=f"w{n}"
            )
        )
    kit.privacy.withdraw_consent(OPERATOR, user_id, ContactPurpose.PHONE, source="call")
    assert kit.privacy.consent_history(user_id)[:4] == made
    assert {p: kit.privacy.may_contact(user_id, p) for p in CONSENT_PURPOSES} == {
        p: p is not ContactPurpose.PHONE for p in CONSENT_PURPOSES
    }


def test_failed_consent_calls_leave_no_trace(kit: AccountKit) -> None:
    """A refused grant records neither a log entry nor a history event, on every store."""
    user_id = full_user(kit)
    with pytest.raises(InvalidValue):
        kit.privacy.grant_consent(OPERATOR, user_id, NL, source="a\x00b", wording_version="v")
    with pytest.raises(InvalidValue):
        kit.privacy.grant_consent(OPERATOR, user_id, NL, source="s", wording_version="v" * 65)
    with pytest.raises(UserNotFound):
        kit.privacy.withdraw_consent(OPERATOR, "usr_\x00", NL, source="s")
    assert kit.privacy.consent_history(user_id) == []
    kinds = {e.kind for e in kit.reports.user_history(user_id).items}
    assert not kinds & {EventKind.CONSENT_GRANTED, EventKind.CONSENT_WITHDRAWN}


def test_disabled_user_is_contacted_for_nothing(kit: AccountKit) -> None:
    """may_contact is False for a DISABLED user on every store, True again once enabled."""
    user_id = full_user(kit)
    kit.privacy.grant_consent(OPERATOR, user_id, NL, source="paper", wording_version="v1")
    kit.users.disable(OPERATOR, user_id)
    assert not kit.privacy.may_contact(user_id, NL)
    kit.users.enable(OPERATOR, user_id)
    assert kit.privacy.may_contact(user_id, NL)
