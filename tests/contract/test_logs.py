"""No personal data in logs: a translated store error, logged with ``logger.exception()``
and its whole chain of causes, holds no e-mail, name, birth date or password hash."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

import attrs
import pytest

from accountkit import AccountKit, Actor
from accountkit.errors import AccountKitError
from accountkit.storage import Store, Transaction
from tests.contract.conftest import personal_data_in
from tests.contract.factories import (
    add_customer,
    add_user,
    in_tx,
    make_customer,
    make_membership,
    make_user,
)
from tests.helpers import made

STAFF = Actor.operator("staff-7")


def _logged(failing: Callable[[], object], caplog: pytest.LogCaptureFixture) -> str:
    """Run ``failing``, log its AccountKitError as a shop would, return the log text."""
    logger = logging.getLogger("shop.checkout")
    with caplog.at_level(logging.ERROR, logger="shop.checkout"):
        try:
            failing()
        except AccountKitError:
            logger.exception("the account step failed")
        else:
            pytest.fail("expected an AccountKitError")
    return caplog.text


def _store_failures(store: Store) -> dict[str, Callable[[], object]]:
    user = add_user(store)
    customer = add_customer(store)
    in_tx(
        store, lambda tx: tx.memberships.add(make_membership(user.id, customer.id), exclusive=True)
    )
    other = add_customer(store)

    def run(work: Callable[[Transaction], object]) -> Callable[[], object]:
        return lambda: in_tx(store, work)

    return {
        "email_taken_on_add": run(lambda tx: tx.users.add(make_user(email=user.email))),
        "email_taken_on_update": run(
            lambda tx: tx.users.update(attrs.evolve(add_user(store), email=user.email))
        ),
        "number_taken": run(lambda tx: tx.customers.add(make_customer(number=customer.number))),
        "membership_conflict": run(
            lambda tx: tx.memberships.add(make_membership(user.id, other.id), exclusive=True)
        ),
        "already_member": run(
            lambda tx: tx.memberships.add(make_membership(user.id, customer.id), exclusive=False)
        ),
        "concurrent_update": run(lambda tx: tx.users.update(attrs.evolve(user, version=99))),
        "duplicate_id": run(lambda tx: tx.users.add(make_user(id=user.id))),
    }


FAILURES = [
    "email_taken_on_add",
    "email_taken_on_update",
    "number_taken",
    "membership_conflict",
    "already_member",
    "concurrent_update",
    "duplicate_id",
]


@pytest.mark.parametrize("failure", FAILURES)
def test_a_logged_store_error_holds_no_personal_data(
    store: Store, caplog: pytest.LogCaptureFixture, failure: str
) -> None:
    """logger.exception() of each translated store error, causes included, is clean."""
    text = _logged(_store_failures(store)[failure], caplog)
    assert "Traceback" in text
    assert personal_data_in(text) == []


def test_a_logged_duplicate_registration_holds_no_personal_data(
    kit: AccountKit, caplog: pytest.LogCaptureFixture
) -> None:
    """The kit's EmailTaken, with the driver's error as its cause, names no address."""

    def register() -> None:
        made(
            kit.registration.register(
                email="Ada.Lovelace@example.com",
                password="correct horse battery",
                birth_date=date(1990, 5, 17),
                given_name="Ada",
                family_name="Lovelace",
            )
        )

    register()
    text = _logged(register, caplog)
    assert "EmailTaken" in text
    assert personal_data_in(text) == []


def test_the_cause_of_a_translated_sql_error_still_says_what_failed(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """On SQL stores the chained cause names the driver error and the constraint, for
    debugging, without the values."""
    text = _logged(_store_failures(store)["number_taken"], caplog)
    if type(store).__name__ == "SqlStore":
        assert "_DriverError" in text
        assert "number" in text
