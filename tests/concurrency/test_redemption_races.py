"""Four processes redeem one one-time link through the services at the same moment: exactly
one succeeds, the others get TokenUsed, and only the winner's change is stored. On a SQLite
file and on PostgreSQL (redeeming marks the token in the unit that makes the change)."""

from __future__ import annotations

from datetime import date

import pytest

from accountkit import MessageKind, ShopPolicy
from accountkit.errors import InvalidCredentials
from tests.concurrency._workers import Database, Job, Outcome, open_kit, rounds, run_workers
from tests.helpers import last_message, link_token, made

pytestmark = pytest.mark.slow

WORKERS = 4
ROUNDS = 3
BORN = date(1990, 5, 17)


def _winner_and_losers(outcomes: list[Outcome]) -> None:
    kinds = sorted(o.kind for o in outcomes)
    assert kinds == ["TokenUsed"] * (WORKERS - 1) + ["ok"], outcomes


def test_one_reset_link_redeemed_by_four_processes_sets_one_password(
    database: Database,
) -> None:
    """One success; the stored password is the winner's, and only it signs in."""
    kit = open_kit(database.store, ShopPolicy.b2c_open())
    tokens, emails = [], []
    for n in range(ROUNDS):
        email = f"reset{n}@example.com"
        made(
            kit.registration.register(
                email=email,
                password="correct horse battery",
                birth_date=BORN,
                given_name="Ada",
                family_name="Byron",
            )
        )
        kit.auth.request_password_reset(email)
        tokens.append(link_token(last_message(kit, MessageKind.PASSWORD_RESET)))
        emails.append(email)

    results = run_workers("reset_password", database.target, [Job(tuple(tokens))] * WORKERS)

    for email, outcomes in zip(emails, rounds(results), strict=True):
        _winner_and_losers(list(outcomes))
        winner = next(i for i, o in enumerate(outcomes) if o.kind == "ok")
        for i in range(WORKERS):
            password = f"worker {i} new passphrase"
            if i == winner:
                assert kit.auth.login_with_password(email, password).user.email == email
            else:
                with pytest.raises(InvalidCredentials):
                    kit.auth.login_with_password(email, password)


def test_one_upgrade_link_redeemed_by_four_processes_upgrades_once(database: Database) -> None:
    """One success, one tier change in history."""
    kit = open_kit(database.store, ShopPolicy.b2c_open())
    tokens, guests = [], []
    for n in range(ROUNDS):
        guest = kit.registration.register_guest(email=f"gus{n}@example.com", given_name="Gus")
        assert guest is not None
        kit.auth.request_password_reset(f"gus{n}@example.com")
        tokens.append(link_token(last_message(kit, MessageKind.UPGRADE)))
        guests.append(guest.id)

    results = run_workers("upgrade_guest", database.target, [Job(tuple(tokens))] * WORKERS)

    for guest_id, outcomes in zip(guests, rounds(results), strict=True):
        _winner_and_losers(list(outcomes))
        kinds = [e.kind.value for e in kit.reports.user_history(guest_id).items]
        assert kinds.count("tier_changed") == 1


def test_one_email_change_link_redeemed_by_four_processes_changes_once(
    database: Database,
) -> None:
    """One success; the address is the new one; one change in history."""
    kit = open_kit(database.store, ShopPolicy.b2c_open())
    tokens, users = [], []
    for n in range(ROUNDS):
        user = made(
            kit.registration.register(
                email=f"old{n}@example.com",
                password="correct horse battery",
                birth_date=BORN,
                given_name="Ada",
                family_name="Byron",
            )
        )
        kit.auth.request_email_change(
            user.id, f"new{n}@example.com", current_password="correct horse battery"
        )
        tokens.append(link_token(last_message(kit, MessageKind.EMAIL_CHANGE)))
        users.append(user.id)

    results = run_workers("confirm_email_change", database.target, [Job(tuple(tokens))] * WORKERS)

    for n, (user_id, outcomes) in enumerate(zip(users, rounds(results), strict=True)):
        _winner_and_losers(list(outcomes))
        assert kit.users.get(user_id).email == f"new{n}@example.com"
        kinds = [e.kind.value for e in kit.reports.user_history(user_id).items]
        assert kinds.count("email_changed") == 1
