"""kit.privacy on MemoryStore: every consent rule, every bad input with its error code."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accountkit import AccountKit, Actor, ContactPurpose, EventKind, FrozenClock, ShopPolicy
from accountkit.errors import AccountKitError, UserNotFound
from accountkit.services.privacy import NEVER_GRANTED_WORDING
from tests.conftest import KitFactory
from tests.helpers import OPERATOR, full_user

NL = ContactPurpose.NEWSLETTER
CONSENT_PURPOSES = [p for p in ContactPurpose if p.needs_consent]
"""The purposes consent is given for (ORDER_UPDATES rests on the order instead)."""


def _grant(
    kit: AccountKit, user_id: str, purpose: ContactPurpose = NL, version: str = "v1"
) -> None:
    kit.privacy.grant_consent(
        Actor.user(user_id), user_id, purpose, source="account_page", wording_version=version
    )


def _withdraw(kit: AccountKit, user_id: str, purpose: ContactPurpose = NL) -> None:
    kit.privacy.withdraw_consent(Actor.user(user_id), user_id, purpose, source="unsubscribe")


def _unchanged(kit: AccountKit, user_id: str, before: int) -> None:
    assert len(kit.privacy.consent_history(user_id)) == before
    kinds = {e.kind for e in kit.reports.user_history(user_id).items}
    assert before or not kinds & {EventKind.CONSENT_GRANTED, EventKind.CONSENT_WITHDRAWN}


def test_no_consent_means_no_contact(kit: AccountKit) -> None:
    """A new user may be contacted for nothing and has an empty log."""
    user_id = full_user(kit)
    assert not any(kit.privacy.may_contact(user_id, p) for p in ContactPurpose)
    assert kit.privacy.consent_history(user_id) == []


def test_grant_allows_only_its_purpose(kit: AccountKit, clock: FrozenClock) -> None:
    """A grant is recorded with time, source and wording and allows only its own purpose."""
    user_id = full_user(kit)
    consent = kit.privacy.grant_consent(
        Actor.user(user_id), user_id, "newsletter", source="checkout", wording_version="nl-3"
    )
    assert (consent.user_id, consent.purpose, consent.granted) == (user_id, NL, True)
    assert (consent.at, consent.source, consent.wording_version) == (
        clock.now(),
        "checkout",
        "nl-3",
    )
    assert kit.privacy.may_contact(user_id, NL)
    assert not any(kit.privacy.may_contact(user_id, p) for p in ContactPurpose if p is not NL)
    assert kit.privacy.consent_history(user_id) == [consent]


def test_withdrawal_in_one_call_ends_consent(kit: AccountKit, clock: FrozenClock) -> None:
    """A withdrawal ends the consent and keeps the grant; a new grant allows again."""
    user_id = full_user(kit)
    _grant(kit, user_id, version="v7")
    clock.advance(timedelta(days=1))
    withdrawal = kit.privacy.withdraw_consent(Actor.user(user_id), user_id, NL, source="link")
    assert not withdrawal.granted and withdrawal.wording_version == "v7"
    assert not kit.privacy.may_contact(user_id, NL)
    _grant(kit, user_id, version="v8")
    assert kit.privacy.may_contact(user_id, NL)
    assert [c.granted for c in kit.privacy.consent_history(user_id)] == [True, False, True]


def test_withdrawal_of_what_was_never_granted_is_recorded(kit: AccountKit) -> None:
    """Withdrawing with no grant records the "no" with the never-granted wording."""
    user_id = full_user(kit)
    withdrawal = kit.privacy.withdraw_consent(OPERATOR, user_id, "post", source="phone_call")
    assert withdrawal.wording_version == NEVER_GRANTED_WORDING and not withdrawal.granted
    assert kit.privacy.consent_history(user_id) == [withdrawal]
    assert not kit.privacy.may_contact(user_id, ContactPurpose.POST)


def test_consent_changes_are_history_events(kit: AccountKit) -> None:
    """Grant and withdrawal are history events with purpose and wording, by their actor."""
    user_id = full_user(kit)
    _grant(kit, user_id, ContactPurpose.PHONE, version="ph-1")
    kit.privacy.withdraw_consent(OPERATOR, user_id, ContactPurpose.PHONE, source="hotline")
    events = [
        e
        for e in kit.reports.user_history(user_id).items
        if e.kind in (EventKind.CONSENT_GRANTED, EventKind.CONSENT_WITHDRAWN)
    ]
    assert [(e.kind, e.actor) for e in events] == [
        (EventKind.CONSENT_GRANTED, Actor.user(user_id)),
        (EventKind.CONSENT_WITHDRAWN, OPERATOR),
    ]
    assert [dict(e.data) for e in events] == [
        {"purpose": "phone", "wording_version": "ph-1", "source": "account_page"},
        {"purpose": "phone", "wording_version": "ph-1", "source": "hotline"},
    ]


@given(steps=st.lists(st.tuples(st.sampled_from(CONSENT_PURPOSES), st.booleans()), max_size=12))
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_newest_entry_decides_even_at_one_instant(
    make_kit: KitFactory, steps: list[tuple[ContactPurpose, bool]]
) -> None:
    """On a frozen clock, may_contact follows the last call per purpose, in call order."""
    kit = make_kit()
    user_id = full_user(kit)
    last: dict[ContactPurpose, bool] = {}
    for purpose, granted in steps:
        (_grant if granted else _withdraw)(kit, user_id, purpose)
        last[purpose] = granted
    assert {p: kit.privacy.may_contact(user_id, p) for p in CONSENT_PURPOSES} == {
        p: last.get(p, False) for p in CONSENT_PURPOSES
    }
    history = kit.privacy.consent_history(user_id)
    assert [(c.purpose, c.granted) for c in history] == steps


def test_clock_stepping_back_keeps_the_order(kit: AccountKit, clock: FrozenClock) -> None:
    """An entry made after the clock stepped back still comes last and decides."""
    user_id = full_user(kit)
    _grant(kit, user_id)
    clock.advance(timedelta(minutes=-5))
    _withdraw(kit, user_id)
    history = kit.privacy.consent_history(user_id)
    assert [c.granted for c in history] == [True, False]
    assert history[1].at >= history[0].at
    assert not kit.privacy.may_contact(user_id, NL)


def test_disabled_user_is_contacted_for_nothing(kit: AccountKit) -> None:
    """A DISABLED user's grant does not count until they are enabled; their log stays."""
    user_id = full_user(kit)
    _grant(kit, user_id)
    kit.users.disable(OPERATOR, user_id)
    assert not kit.privacy.may_contact(user_id, NL)
    kit.users.enable(OPERATOR, user_id)
    assert kit.privacy.may_contact(user_id, NL)


def test_disabled_user_may_withdraw_but_not_grant(kit: AccountKit) -> None:
    """A DISABLED user cannot grant as themself (user_disabled), but can withdraw."""
    user_id = full_user(kit)
    kit.users.disable(OPERATOR, user_id)
    with pytest.raises(AccountKitError) as info:
        _grant(kit, user_id)
    assert info.value.code == "user_disabled"
    _unchanged(kit, user_id, 0)
    _withdraw(kit, user_id)
    kit.privacy.grant_consent(OPERATOR, user_id, NL, source="paper", wording_version="v1")
    assert [c.granted for c in kit.privacy.consent_history(user_id)] == [False, True]


def test_another_user_may_not_change_consent(kit: AccountKit) -> None:
    """One user changing another's consent gets not_permitted; nothing is recorded."""
    user_id, other = full_user(kit), full_user(kit, email="bob@example.com")
    calls: list[Callable[[], object]] = [
        lambda: kit.privacy.grant_consent(
            Actor.user(other), user_id, NL, source="s", wording_version="v"
        ),
        lambda: kit.privacy.withdraw_consent(Actor.user(other), user_id, NL, source="s"),
    ]
    for call in calls:
        with pytest.raises(AccountKitError) as info:
            call()
        assert info.value.code == "not_permitted"
    _unchanged(kit, user_id, 0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"purpose": "sms"}, "purpose"),
        ({"purpose": None}, "purpose"),
        ({"source": ""}, "source"),
        ({"source": "x" * 65}, "source"),
        ({"source": "a\tb"}, "source"),
        ({"source": 7}, "source"),
        ({"wording_version": ""}, "wording_version"),
        ({"wording_version": "v\u200d"}, "wording_version"),
        ({"wording_version": "v" * 65}, "wording_version"),
        ({"actor": "ada"}, "actor"),
    ],
)
def test_bad_grant_is_refused(kit: AccountKit, kwargs: dict[str, object], field: str) -> None:
    """A grant with a bad argument raises invalid_value naming it; nothing is recorded."""
    user_id = full_user(kit)
    args: dict[str, object] = {
        "actor": Actor.user(user_id),
        "purpose": NL,
        "source": "checkout",
        "wording_version": "v1",
        **kwargs,
    }
    with pytest.raises(AccountKitError) as info:
        kit.privacy.grant_consent(
            args["actor"],  # type: ignore[arg-type]
            user_id,
            args["purpose"],  # type: ignore[arg-type]
            source=args["source"],  # type: ignore[arg-type]
            wording_version=args["wording_version"],  # type: ignore[arg-type]
        )
    assert (info.value.code, getattr(info.value, "field", None)) == ("invalid_value", field)
    _unchanged(kit, user_id, 0)


@pytest.mark.parametrize(
    ("purpose", "source", "field"),
    [("email", "s", "purpose"), (NL, "", "source"), (NL, "a\nb", "source")],
)
def test_bad_withdrawal_is_refused(
    kit: AccountKit, purpose: object, source: object, field: str
) -> None:
    """A withdrawal with a bad argument raises invalid_value naming it; nothing changes."""
    user_id = full_user(kit)
    _grant(kit, user_id)
    with pytest.raises(AccountKitError) as info:
        kit.privacy.withdraw_consent(
            Actor.user(user_id),
            user_id,
            purpose,  # type: ignore[arg-type]
            source=source,  # type: ignore[arg-type]
        )
    assert (info.value.code, getattr(info.value, "field", None)) == ("invalid_value", field)
    _unchanged(kit, user_id, 1)
    assert kit.privacy.may_contact(user_id, NL)


def test_unknown_user_is_user_not_found(kit: AccountKit) -> None:
    """Every call about an unknown user raises user_not_found."""
    ghost = "usr_nobody"
    calls: list[Callable[[], object]] = [
        lambda: kit.privacy.grant_consent(OPERATOR, ghost, NL, source="s", wording_version="v"),
        lambda: kit.privacy.withdraw_consent(OPERATOR, ghost, NL, source="s"),
        lambda: kit.privacy.may_contact(ghost, NL),
        lambda: kit.privacy.consent_history(ghost),
    ]
    for call in calls:
        with pytest.raises(AccountKitError) as info:
            call()
        assert info.value.code == "user_not_found"


def test_may_contact_refuses_unknown_purpose(kit: AccountKit) -> None:
    """may_contact with a purpose that is no ContactPurpose raises invalid_value."""
    user_id = full_user(kit)
    with pytest.raises(AccountKitError) as info:
        kit.privacy.may_contact(user_id, "order_email")
    assert (info.value.code, getattr(info.value, "field", None)) == ("invalid_value", "purpose")


def test_rejecting_a_request_with_consents_removes_them_too(make_kit: KitFactory) -> None:
    """A pending request that gave consent can still be rejected; nothing of it stays."""
    kit = make_kit(ShopPolicy.b2b_approval())
    result = kit.registration.register(
        email="applicant@example.com",
        password="correct horse battery",
        birth_date=date(1990, 5, 17),
        given_name="Ann",
        family_name="Plicant",
        company_name="Applicant GmbH",
    )
    assert result.user is not None
    user_id = result.user.id
    kit.privacy.grant_consent(OPERATOR, user_id, NL, source="form", wording_version="v1")
    kit.registration.reject(OPERATOR, user_id)
    with pytest.raises(UserNotFound):
        kit.privacy.consent_history(user_id)
    assert kit.users.find_by_email("applicant@example.com") is None
