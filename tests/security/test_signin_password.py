"""Password sign-in as an attacker probes it: enumeration, guessing, hostile input."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

import argon2
import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountkit import AccountKit, FrozenClock, ImportedUser, MessageKind, ShopPolicy
from accountkit.errors import (
    AwaitingApproval,
    EmailNotVerified,
    EmailTaken,
    InvalidCredentials,
    InvalidValue,
    PasswordContext,
    PasswordNotText,
    PasswordTooLong,
    PasswordTooShort,
    SessionRevoked,
    TooManyAttempts,
    UnsafePasswordHash,
    UserDisabled,
    WrongTier,
)
from accountkit.storage import MemoryStore
from accountkit.testing import CheapPasswordHasher
from tests.conftest import KitFactory
from tests.helpers import (
    BIRTH_DATE,
    OPERATOR,
    SIGN_IN_PASSWORD,
    full_user,
    last_message,
    link_token,
)

PASSWORD = SIGN_IN_PASSWORD
BORN = BIRTH_DATE


# --- one hash computation, one error ---------------------------------------------------------


@pytest.mark.parametrize("case", ["unknown", "guest", "wrong", "right", "malformed"])
def test_every_password_sign_in_costs_exactly_one_hash_computation(
    kit: AccountKit, hasher: CheapPasswordHasher, case: str
) -> None:
    """Unknown address, guest without password, wrong and right password: one computation."""
    full_user(kit)
    kit.registration.register_guest(email="gus@example.com", given_name="Gus")
    email, password = {
        "unknown": ("nobody@example.com", PASSWORD),
        "guest": ("gus@example.com", PASSWORD),
        "wrong": ("ada@example.com", "wrong horse battery"),
        "right": ("ada@example.com", PASSWORD),
        "malformed": ("not an address", PASSWORD),
    }[case]
    before = hasher.computations
    try:
        kit.auth.login_with_password(email, password)
    except InvalidCredentials:
        assert case != "right"
    assert hasher.computations - before == 1


def test_unknown_address_and_wrong_password_are_one_error(kit: AccountKit) -> None:
    """The two failures cannot be told apart: same type, code and message."""
    full_user(kit)
    errors = []
    for email, password in [("nobody@example.com", PASSWORD), ("ada@example.com", "x" * 15)]:
        with pytest.raises(InvalidCredentials) as info:
            kit.auth.login_with_password(email, password)
        errors.append((type(info.value), info.value.code, info.value.message))
    assert errors[0] == errors[1]


def test_a_guest_has_no_password_to_sign_in_with(kit: AccountKit) -> None:
    """A guest's address with any password is the same InvalidCredentials."""
    kit.registration.register_guest(email="gus@example.com", given_name="Gus")
    with pytest.raises(InvalidCredentials):
        kit.auth.login_with_password("gus@example.com", "")


def test_the_right_password_signs_in_in_any_case_of_the_address(kit: AccountKit) -> None:
    """Case variants of the address are one account; the session authenticates."""
    user_id = full_user(kit)
    signed = kit.auth.login_with_password("ADA@Example.COM", PASSWORD)
    assert signed.user.id == user_id
    assert kit.auth.authenticate(signed.session_token).id == user_id


def test_composed_and_decomposed_accents_verify_the_same(kit: AccountKit) -> None:
    """NFKC before hashing: a password typed with a combining accent still matches."""
    composed = "caf\u00e9 au lait s'il vous pla\u00eet"
    full_user(kit, password=composed)
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert kit.auth.login_with_password("ada@example.com", decomposed).user.email


# --- hostile input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "error"),
    [
        ("x" * 1_000_000, PasswordTooLong),
        ("e\u0301" * 1100, PasswordTooLong),
        ("ab\ud800cd" * 3, PasswordNotText),
        (None, PasswordNotText),
        (b"bytes password", PasswordNotText),
    ],
    ids=["1MB", "long-after-nfkc", "lone-surrogate", "none", "bytes"],
)
def test_input_no_password_can_be_is_refused_without_hashing(
    kit: AccountKit, hasher: CheapPasswordHasher, password: object, error: type[Exception]
) -> None:
    """Refused before any lookup or hashing, with its own error, for every address."""
    full_user(kit)
    before = hasher.computations
    for email in ("ada@example.com", "nobody@example.com"):
        with pytest.raises(error):
            kit.auth.login_with_password(email, password)  # type: ignore[arg-type]
    assert hasher.computations == before


def test_empty_and_nul_passwords_are_just_wrong(kit: AccountKit) -> None:
    """A 0-character or NUL-holding password cannot match; it is InvalidCredentials."""
    full_user(kit)
    for password in ("", "correct\x00horse battery"):
        with pytest.raises(InvalidCredentials):
            kit.auth.login_with_password("ada@example.com", password)


# --- the attempt limit -----------------------------------------------------------------------


def test_ten_failures_throttle_the_account_then_the_window_ends(
    kit: AccountKit, clock: FrozenClock, hasher: CheapPasswordHasher
) -> None:
    """After 10 failures in 15 minutes sign-in is refused, costs nothing, then works again."""
    full_user(kit)
    for n in range(10):
        with pytest.raises(InvalidCredentials):
            # Case variants of the address share one count.
            email = "ADA@example.com" if n % 2 else "ada@EXAMPLE.com"
            kit.auth.login_with_password(email, "wrong guess number")
    before = hasher.computations
    with pytest.raises(TooManyAttempts) as info:
        kit.auth.login_with_password("ada@example.com", PASSWORD)
    assert hasher.computations == before
    assert 0 < info.value.retry_after <= 15 * 60
    clock.advance(timedelta(seconds=info.value.retry_after))
    assert kit.auth.login_with_password("ada@example.com", PASSWORD).user


def test_an_unknown_address_is_throttled_like_a_known_one(kit: AccountKit) -> None:
    """The limit tells nobody whether the address has an account."""
    for _ in range(10):
        with pytest.raises(InvalidCredentials):
            kit.auth.login_with_password("nobody@example.com", "wrong guess number")
    with pytest.raises(TooManyAttempts):
        kit.auth.login_with_password("nobody@example.com", "wrong guess number")


def test_a_success_clears_the_accounts_count(kit: AccountKit) -> None:
    """Nine failures, a success, and the next nine failures do not throttle."""
    full_user(kit)
    for _ in range(2):
        for _ in range(9):
            with pytest.raises(InvalidCredentials):
                kit.auth.login_with_password("ada@example.com", "wrong guess number")
        kit.auth.login_with_password("ada@example.com", PASSWORD)


def test_one_client_guessing_many_accounts_is_throttled(make_kit: KitFactory) -> None:
    """The per-client limit holds across accounts; another client is not affected."""
    kit = make_kit(ShopPolicy.b2c_open())
    full_user(kit)
    for n in range(100):
        with pytest.raises(InvalidCredentials):
            kit.auth.login_with_password(f"u{n}@example.com", "guess", client="203.0.113.9")
    with pytest.raises(TooManyAttempts):
        kit.auth.login_with_password("ada@example.com", PASSWORD, client="203.0.113.9")
    assert kit.auth.login_with_password("ada@example.com", PASSWORD, client="198.51.100.1")


def test_a_password_reset_works_while_sign_in_is_throttled(kit: AccountKit) -> None:
    """The owner can still reset; the reset clears the count, and they sign in."""
    full_user(kit)
    for _ in range(10):
        with pytest.raises(InvalidCredentials):
            kit.auth.login_with_password("ada@example.com", "attacker guess!")
    kit.auth.request_password_reset("ada@example.com")
    token = link_token(last_message(kit, MessageKind.PASSWORD_RESET))
    kit.auth.reset_password(token, "a brand new passphrase")
    assert kit.auth.login_with_password("ada@example.com", "a brand new passphrase").user


@pytest.mark.parametrize("client", ["", "x" * 257, 42])
def test_a_bad_client_key_is_refused(kit: AccountKit, client: object) -> None:
    """The client key is 1 to 256 characters of text."""
    full_user(kit)
    with pytest.raises(InvalidValue):
        kit.auth.login_with_password("ada@example.com", PASSWORD, client=client)  # type: ignore[arg-type]


# --- status and verification -----------------------------------------------------------------


def test_a_disabled_user_is_told_only_after_the_right_password(kit: AccountKit) -> None:
    """Wrong password: InvalidCredentials; right password: UserDisabled; no session."""
    user_id = full_user(kit)
    kit.users.disable(OPERATOR, user_id)
    with pytest.raises(InvalidCredentials):
        kit.auth.login_with_password("ada@example.com", "wrong guess number")
    with pytest.raises(UserDisabled):
        kit.auth.login_with_password("ada@example.com", PASSWORD)


def test_a_user_waiting_for_approval_is_told_so(make_kit: KitFactory) -> None:
    """Under APPROVAL the right password says the account waits for approval."""
    kit = make_kit(attrs.evolve(ShopPolicy.b2c_open(), registration_access="approval"))
    full_user(kit)
    with pytest.raises(AwaitingApproval) as info:
        kit.auth.login_with_password("ada@example.com", PASSWORD)
    assert "approval" in info.value.message


def test_a_verifying_channel_refuses_an_unverified_address_until_the_link(
    make_kit: KitFactory,
) -> None:
    """Double opt-in: EmailNotVerified until the verification link is used."""
    kit = make_kit(attrs.evolve(ShopPolicy.b2c_open(), require_email_verification=True))
    answer = kit.registration.register(
        email="ada@example.com",
        password=PASSWORD,
        birth_date=BORN,
        given_name="Ada",
        family_name="Byron",
    )
    assert answer.check_inbox
    with pytest.raises(EmailNotVerified):
        kit.auth.login_with_password("ada@example.com", PASSWORD)
    kit.auth.verify_email(link_token(last_message(kit, MessageKind.EMAIL_VERIFICATION)))
    assert kit.auth.login_with_password("ada@example.com", PASSWORD).user.email_verified_at


# --- rehash and legacy hashes ----------------------------------------------------------------


def test_a_hash_made_with_other_parameters_is_replaced_at_sign_in(
    make_kit: KitFactory, hasher: CheapPasswordHasher
) -> None:
    """A dearer (or cheaper) argon2 hash is rehashed to the kit's parameters once."""
    kit = make_kit(ShopPolicy.b2c_open())
    # The test hasher is argon2's cheapest profile (t=1); this one costs one round more.
    dearer = argon2.PasswordHasher(time_cost=2, memory_cost=8, parallelism=1).hash(PASSWORD)
    user = kit.users.import_user(
        OPERATOR,
        ImportedUser(
            email="ada@example.com", given_name="Ada", birth_date=BORN, password_hash=dearer
        ),
    )
    signed = kit.auth.login_with_password("ada@example.com", PASSWORD)
    stored = kit.users.get(user.id).password_hash
    assert stored != dearer
    assert stored is not None
    assert not hasher.needs_rehash(stored)
    assert signed.user.password_hash == stored
    assert kit.auth.authenticate(signed.session_token).id == user.id
    # The next sign-in finds nothing to do: exactly one computation.
    before = hasher.computations
    kit.auth.login_with_password("ada@example.com", PASSWORD)
    assert hasher.computations - before == 1


def test_a_django_pbkdf2_user_signs_in_and_moves_to_argon2(kit: AccountKit) -> None:
    """An imported Django pbkdf2_sha256 hash verifies and is replaced by argon2id."""
    django = "pbkdf2_sha256$1000$saltsalt$" + _pbkdf2_b64(PASSWORD, "saltsalt", 1000)
    user = kit.users.import_user(
        OPERATOR,
        ImportedUser(
            email="old@example.com",
            given_name="Olga",
            birth_date=BORN,
            password_hash=django,
            email_verified=True,
        ),
    )
    assert user.email_verified_at is not None
    with pytest.raises(InvalidCredentials):
        kit.auth.login_with_password("old@example.com", "not the password")
    kit.auth.login_with_password("old@example.com", PASSWORD)
    assert (kit.users.get(user.id).password_hash or "").startswith("$argon2id$")


def _pbkdf2_b64(password: str, salt: str, iterations: int) -> str:
    import base64
    import hashlib

    raw = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    "bad_hash", ["md5$abc$def", "plaintext", "", "$argon2id$" + "x" * 600, "pbkdf2_sha256$1$\x00"]
)
def test_an_unknown_hash_scheme_is_refused_at_import(kit: AccountKit, bad_hash: str) -> None:
    """Import refuses a hash no sign-in could verify; nothing is stored."""
    with pytest.raises(InvalidValue):
        kit.users.import_user(
            OPERATOR,
            ImportedUser(
                email="x@example.com", given_name="X", birth_date=BORN, password_hash=bad_hash
            ),
        )
    assert kit.users.find_by_email("x@example.com") is None


def test_bulk_import_is_all_or_nothing(kit: AccountKit) -> None:
    """Two records with one address: EmailTaken and no user stored."""
    records = [ImportedUser(email=f"u{n}@example.com", given_name="U") for n in range(3)] + [
        ImportedUser(email="U1@example.com", given_name="Dup")
    ]
    with pytest.raises(EmailTaken):
        kit.users.import_users(OPERATOR, records)
    assert kit.users.find_by_email("u0@example.com") is None
    assert len(kit.users.import_users(OPERATOR, records[:3])) == 3


# --- changing the password -------------------------------------------------------------------


def test_changing_the_password_needs_the_current_one(kit: AccountKit) -> None:
    """Wrong current password: InvalidCredentials and nothing changes."""
    user_id = full_user(kit)
    before = kit.users.get(user_id)
    with pytest.raises(InvalidCredentials):
        kit.auth.change_password(
            user_id, current_password="not it at all", new_password="a brand new passphrase"
        )
    assert kit.users.get(user_id) == before


def test_a_password_change_ends_every_other_session_and_sends_a_notice(kit: AccountKit) -> None:
    """Old sessions die; the returned one works; the new password signs in."""
    user_id = full_user(kit)
    old = kit.auth.login_with_password("ada@example.com", PASSWORD)
    new = kit.auth.change_password(
        user_id, current_password=PASSWORD, new_password="a brand new passphrase"
    )
    with pytest.raises(SessionRevoked):
        kit.auth.authenticate(old.session_token)
    assert kit.auth.authenticate(new.session_token).id == user_id
    assert last_message(kit, MessageKind.PASSWORD_CHANGED).user_id == user_id
    with pytest.raises(InvalidCredentials):
        kit.auth.login_with_password("ada@example.com", PASSWORD)


@pytest.mark.parametrize(
    ("new_password", "error"),
    [("short one", PasswordTooShort), ("ada byron's password", PasswordContext)],
)
def test_a_new_password_must_meet_the_policy(
    kit: AccountKit, new_password: str, error: type[Exception]
) -> None:
    """The policy's reason is the error; the old password still works."""
    user_id = full_user(kit)
    with pytest.raises(error):
        kit.auth.change_password(user_id, current_password=PASSWORD, new_password=new_password)
    assert kit.auth.login_with_password("ada@example.com", PASSWORD).user.id == user_id


def test_a_guest_has_no_password_to_change(kit: AccountKit) -> None:
    """change_password on a guest is WrongTier."""
    gus = kit.registration.register_guest(email="gus@example.com", given_name="Gus")
    assert gus is not None
    with pytest.raises(WrongTier):
        kit.auth.change_password(gus.id, current_password="", new_password="whatever long one")


def test_the_default_hasher_is_rfc_9106_low_memory() -> None:
    """A kit left to itself hashes with argon2id t=3, m=64 MiB, p=4."""
    kit = AccountKit(store=MemoryStore(), secret_keys=["k" * 32])
    params = kit.auth._s._ctx.hasher.parameters  # type: ignore[attr-defined]
    assert (params.time_cost, params.memory_cost, params.parallelism) == (3, 65536, 4)


@given(st.text(min_size=1, max_size=40))
def test_any_wrong_password_is_invalid_credentials(password: str) -> None:
    """Whatever text is typed, a wrong password is InvalidCredentials or a text error."""
    kit = AccountKit(
        store=MemoryStore(),
        secret_keys=["k" * 32],
        password_hasher=CheapPasswordHasher(),
        limiter=_NoLimit(),
    )
    kit.users.import_user(
        OPERATOR,
        ImportedUser(
            email="ada@example.com",
            given_name="Ada",
            birth_date=BORN,
            password_hash=CheapPasswordHasher().hash(PASSWORD),
        ),
    )
    if unicodedata.normalize("NFKC", password) == PASSWORD:
        return
    with pytest.raises((InvalidCredentials, PasswordNotText)):
        kit.auth.login_with_password("ada@example.com", password)


class _NoLimit:
    """A limiter that never refuses (for a property test that signs in many times)."""

    def retry_after(self, **_: object) -> None:
        return None

    def failed(self, **_: object) -> None:
        return None

    def succeeded(self, **_: object) -> None:
        return None


def test_a_stored_hash_with_absurd_parameters_is_refused_without_hashing(
    kit: AccountKit, hasher: CheapPasswordHasher
) -> None:
    """m = 2 GiB in a stored hash: UnsafePasswordHash, and nothing is computed."""
    absurd = "$argon2id$v=19$m=2097152,t=3,p=4$c2FsdHNhbHRzYWx0c2FsdA$" + "A" * 43
    kit.users.import_user(
        OPERATOR,
        ImportedUser(
            email="odd@example.com", given_name="Odd", birth_date=BORN, password_hash=absurd
        ),
    )
    before = hasher.computations
    with pytest.raises(UnsafePasswordHash):
        kit.auth.login_with_password("odd@example.com", PASSWORD)
    assert hasher.computations == before
