"""The error contract: one root, families, stable codes, safe messages, no leaked library errors."""

from __future__ import annotations

from datetime import date

import email_validator
import pytest

import accountkit.errors as errors_module
from accountkit import AccountKit, Actor, UserTier
from accountkit.domain.validation import normalise_email, validate_name
from accountkit.errors import (
    AccountKitError,
    AuthenticationError,
    ConflictError,
    EmailTaken,
    InvalidBirthDate,
    InvalidEmail,
    InvalidName,
    InvalidPassword,
    MembershipConflict,
    NotFoundError,
    PolicyError,
    StorageError,
    ValidationError,
)
from accountkit.security.passwords import Argon2Hasher, check_password
from tests.helpers import made

EXPECTED_CODES: dict[str, tuple[str, type[AccountKitError]]] = {
    # name: (code, family)
    "AccountKitError": ("accountkit_error", AccountKitError),
    "ValidationError": ("invalid", ValidationError),
    "InvalidEmail": ("invalid_email", ValidationError),
    "SpecialUseDomain": ("special_use_domain", ValidationError),
    "InvalidName": ("invalid_name", ValidationError),
    "InvalidBirthDate": ("invalid_birth_date", ValidationError),
    "InvalidCustomerNumber": ("invalid_customer_number", ValidationError),
    "InvalidPassword": ("invalid_password", ValidationError),
    "InvalidPolicy": ("invalid_policy", ValidationError),
    "InvalidValue": ("invalid_value", ValidationError),
    "InvalidCursor": ("invalid_cursor", ValidationError),
    "MissingField": ("missing_field", ValidationError),
    "PasswordTooShort": ("password_too_short", ValidationError),
    "PasswordTooLong": ("password_too_long", ValidationError),
    "PasswordNotText": ("password_not_text", ValidationError),
    "PasswordHasNul": ("password_has_nul", ValidationError),
    "PasswordCommon": ("password_common", ValidationError),
    "PasswordContext": ("password_context", ValidationError),
    "PolicyError": ("policy", PolicyError),
    "RegistrationClosed": ("registration_closed", PolicyError),
    "NotPermitted": ("not_permitted", PolicyError),
    "WrongTier": ("wrong_tier", PolicyError),
    "NotAMember": ("not_a_member", PolicyError),
    "UserDisabled": ("user_disabled", PolicyError),
    "AuthenticationError": ("authentication", AuthenticationError),
    "TokenInvalid": ("token_invalid", AuthenticationError),
    "TokenExpired": ("token_expired", AuthenticationError),
    "TokenUsed": ("token_used", AuthenticationError),
    "TokenRevoked": ("token_revoked", AuthenticationError),
    "TokenWrongPurpose": ("token_wrong_purpose", AuthenticationError),
    "UnsafePasswordHash": ("unsafe_password_hash", AuthenticationError),
    "InvalidCredentials": ("invalid_credentials", AuthenticationError),
    "TooManyAttempts": ("too_many_attempts", AuthenticationError),
    "LoginCodeInvalid": ("login_code_invalid", AuthenticationError),
    "EmailNotVerified": ("email_not_verified", AuthenticationError),
    "SessionInvalid": ("session_invalid", AuthenticationError),
    "SessionExpired": ("session_expired", AuthenticationError),
    "SessionRevoked": ("session_revoked", AuthenticationError),
    "AwaitingApproval": ("awaiting_approval", PolicyError),
    "InvalidFields": ("invalid_fields", ValidationError),
    "UnknownPermission": ("unknown_permission", ValidationError),
    "UnknownRole": ("unknown_role", ValidationError),
    "NotPendingApproval": ("not_pending_approval", PolicyError),
    "RequestRejected": ("request_rejected", PolicyError),
    "LastCompanyManager": ("last_company_manager", PolicyError),
    "NotYourCompany": ("not_your_company", PolicyError),
    "NotABusinessCustomer": ("not_a_business_customer", PolicyError),
    "PermissionDenied": ("permission_denied", PolicyError),
    "SignInRequired": ("sign_in_required", PolicyError),
    "ProfileIncomplete": ("profile_incomplete", PolicyError),
    "PasswordSchemeUnavailable": ("password_scheme_unavailable", AuthenticationError),
    "NotFoundError": ("not_found", NotFoundError),
    "UserNotFound": ("user_not_found", NotFoundError),
    "CustomerNotFound": ("customer_not_found", NotFoundError),
    "GroupNotFound": ("group_not_found", NotFoundError),
    "ChannelNotFound": ("channel_not_found", NotFoundError),
    "MembershipNotFound": ("membership_not_found", NotFoundError),
    "ConflictError": ("conflict", ConflictError),
    "EmailTaken": ("email_taken", ConflictError),
    "CustomerNumberTaken": ("customer_number_taken", ConflictError),
    "MembershipConflict": ("one_customer_per_user", ConflictError),
    "AlreadyMember": ("already_member", ConflictError),
    "ConcurrentUpdate": ("concurrent_update", ConflictError),
    "OrderNumberTaken": ("order_number_taken", ConflictError),
    "UnknownCurrency": ("unknown_currency", ValidationError),
    "InvalidAmount": ("invalid_amount", ValidationError),
    "AddressNotAllowed": ("address_not_allowed", PolicyError),
    "OrderNotFound": ("order_not_found", NotFoundError),
    "UserErased": ("user_erased", NotFoundError),
    "AlreadyErased": ("already_erased", NotFoundError),
    "StorageError": ("storage", StorageError),
    "UnsupportedDatabase": ("unsupported_database", StorageError),
    "SchemaTooNew": ("schema_too_new", StorageError),
    "DatabaseCorrupt": ("database_corrupt", StorageError),
    "DatabaseUnavailable": ("database_unavailable", StorageError),
    "DatabaseBusy": ("database_busy", StorageError),
    "StoreClosed": ("store_closed", StorageError),
    "ReadOnlyUnit": ("read_only_unit", StorageError),
    "UnitAborted": ("unit_aborted", StorageError),
    "CannotOpenDatabase": ("cannot_open_database", StorageError),
    "UnknownRevision": ("unknown_revision", StorageError),
    "DamagedSchema": ("damaged_schema", StorageError),
    "TableConflict": ("table_conflict", StorageError),
}

PUBLIC_ERRORS: list[type[AccountKitError]] = [
    getattr(errors_module, name) for name in errors_module.__all__
]

MARKER = "Qwertz7Person"
"""A string that stands for personal data in the input; it must never appear in a message."""


def test_every_public_error_has_a_pinned_code() -> None:
    """Each error in errors.__all__ is listed here with its released code; codes never change."""
    names = {cls.__name__ for cls in PUBLIC_ERRORS}
    assert names == set(EXPECTED_CODES)
    for cls in PUBLIC_ERRORS:
        code, _ = EXPECTED_CODES[cls.__name__]
        assert cls.code == code, cls.__name__


@pytest.mark.parametrize("cls", PUBLIC_ERRORS, ids=lambda c: c.__name__)
def test_every_error_belongs_to_its_family_under_the_root(cls: type[AccountKitError]) -> None:
    """Every error is an AccountKitError and sits in the family a shop catches it by."""
    _, family = EXPECTED_CODES[cls.__name__]
    assert issubclass(cls, AccountKitError)
    assert issubclass(cls, family)


def test_codes_are_unique_machine_words() -> None:
    """No two errors share a code, and each code is a lower-case snake_case word."""
    codes = [cls.code for cls in PUBLIC_ERRORS]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert code.replace("_", "").isalpha()
        assert code == code.lower()


def test_families_do_not_overlap() -> None:
    """An error belongs to exactly one family, so `except ConflictError` never catches a 404."""
    families = [
        ValidationError,
        PolicyError,
        AuthenticationError,
        NotFoundError,
        ConflictError,
        StorageError,
    ]
    for cls in PUBLIC_ERRORS:
        if cls is AccountKitError:
            continue
        assert sum(issubclass(cls, family) for family in families) == 1, cls.__name__


@pytest.mark.parametrize("cls", PUBLIC_ERRORS, ids=lambda c: c.__name__)
def test_default_message_says_something(cls: type[AccountKitError]) -> None:
    """Every error built without arguments has a non-empty message and shows its code in repr."""
    exc = cls()
    assert exc.message
    assert str(exc) == exc.message
    assert cls.code in repr(exc)


def test_custom_message_replaces_the_default() -> None:
    """A message passed in is the one shown."""
    exc = InvalidName("The given_name is empty; enter a name.", field="given_name")
    assert exc.message == str(exc) == "The given_name is empty; enter a name."
    assert exc.field == "given_name"


def test_membership_conflict_names_the_current_customer() -> None:
    """MembershipConflict carries the id of the customer the user already belongs to."""
    exc = MembershipConflict(customer_id="cus_123")
    assert exc.customer_id == "cus_123"
    assert "cus_123" in exc.message
    assert isinstance(exc, ConflictError)
    assert MembershipConflict().customer_id is None


def test_invalid_email_is_translated_from_email_validator() -> None:
    """email-validator's error never escapes; InvalidEmail is raised from it."""
    with pytest.raises(InvalidEmail) as info:
        normalise_email(f"{MARKER}@@example.com")
    assert not isinstance(info.value, email_validator.EmailNotValidError)
    assert isinstance(info.value.__cause__, email_validator.EmailNotValidError)
    assert info.value.field == "email"


def test_argon2_errors_do_not_escape_verify() -> None:
    """A malformed stored hash is a mismatch, not an argon2 exception."""
    assert Argon2Hasher().verify("not-an-argon2-hash", "whatever password") is False


@pytest.mark.parametrize(
    "bad_email",
    [f"{MARKER}@@example.com", f"{MARKER} space@example.com", f"{MARKER}@nodot", f"{MARKER}"],
)
def test_invalid_email_message_never_quotes_the_address(bad_email: str) -> None:
    """The message of InvalidEmail holds none of the address typed in."""
    with pytest.raises(InvalidEmail) as info:
        normalise_email(bad_email)
    assert MARKER not in info.value.message
    assert MARKER not in repr(info.value)


@pytest.mark.parametrize("bad_name", [MARKER * 200, f"{MARKER}\x00", f"{MARKER}\u200b"])
def test_invalid_name_message_never_quotes_the_name(bad_name: str) -> None:
    """The message of InvalidName holds none of the name typed in."""
    with pytest.raises(InvalidName) as info:
        validate_name(bad_name, field="given_name")
    assert MARKER not in info.value.message
    assert info.value.field == "given_name"


@pytest.mark.parametrize("bad_password", [MARKER[:7], f"{MARKER}\x00", MARKER * 100])
def test_invalid_password_message_never_quotes_the_password(bad_password: str) -> None:
    """The message of InvalidPassword holds none of the password."""
    with pytest.raises(InvalidPassword) as info:
        check_password(bad_password)
    assert MARKER[:7] not in info.value.message
    assert info.value.field == "password"


def test_service_errors_hold_no_personal_data(kit: AccountKit) -> None:
    """Errors raised by the services for taken e-mails or bad dates quote none of the input."""
    email = f"{MARKER}@example.com"
    made(
        kit.registration.register(
            email=email,
            password="correct horse",
            birth_date=date(1990, 1, 1),
            given_name=MARKER,
            family_name=MARKER,
        )
    )
    with pytest.raises(EmailTaken) as taken:
        made(
            kit.registration.register(
                email=email.upper(),
                password="correct horse",
                birth_date=date(1990, 1, 1),
                given_name=MARKER,
                family_name=MARKER,
            )
        )
    assert MARKER.casefold() not in taken.value.message.casefold()
    with pytest.raises(InvalidBirthDate) as born:
        made(
            kit.registration.register(
                email=f"other{MARKER}@example.com",
                password="correct horse",
                birth_date=date(2099, 1, 1),
                given_name=MARKER,
                family_name=MARKER,
            )
        )
    assert MARKER not in born.value.message
    assert "2099" not in born.value.message


def test_set_tier_missing_field_names_what_is_missing(kit: AccountKit) -> None:
    """MissingField from set_tier names the missing field so the operator knows what to add."""
    blank = kit.registration.create_blank(Actor.operator("staff-1"))
    with pytest.raises(ValidationError) as info:
        kit.users.set_tier(Actor.operator("staff-1"), blank.id, UserTier.GUEST)
    assert info.value.code == "missing_field"
    assert info.value.field == "email"
    assert "email" in info.value.message
