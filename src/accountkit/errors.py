"""The errors of accountkit: one root, a few families, a stable ``code`` on each.

Every error that accountkit raises is an :class:`AccountKitError`. Catch a family
(:class:`ValidationError`, :class:`PolicyError`, :class:`AuthenticationError`,
:class:`NotFoundError`, :class:`ConflictError`, :class:`StorageError`) to handle a kind of
failure, or read ``code`` to translate the message for your shop's visitors.

Messages say what was wrong and what to do. They never contain personal data (an
e-mail address, a name, a password) or secrets, so they are safe to log and to show.
Errors of the libraries underneath (argon2, itsdangerous, SQLAlchemy, email-validator)
never escape: they are translated with ``raise ... from``.

Example::

    try:
        kit.registration.register(email="a@example.com", ...)
    except EmailTaken as exc:
        print(exc.code)  # "email_taken"
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AccountKitError",
    "AddressNotAllowed",
    "AlreadyErased",
    "AlreadyMember",
    "AuthenticationError",
    "AwaitingApproval",
    "CannotOpenDatabase",
    "ChannelNotFound",
    "ConcurrentUpdate",
    "ConflictError",
    "CustomerNotFound",
    "CustomerNumberTaken",
    "DamagedSchema",
    "DatabaseBusy",
    "DatabaseCorrupt",
    "DatabaseUnavailable",
    "EmailNotVerified",
    "EmailTaken",
    "GroupNotFound",
    "InvalidAmount",
    "InvalidBirthDate",
    "InvalidCredentials",
    "InvalidCursor",
    "InvalidCustomerNumber",
    "InvalidEmail",
    "InvalidFields",
    "InvalidName",
    "InvalidPassword",
    "InvalidPolicy",
    "InvalidValue",
    "LastCompanyManager",
    "LoginCodeInvalid",
    "MembershipConflict",
    "MembershipNotFound",
    "MissingField",
    "NotABusinessCustomer",
    "NotAMember",
    "NotFoundError",
    "NotPendingApproval",
    "NotPermitted",
    "NotYourCompany",
    "OrderNotFound",
    "OrderNumberTaken",
    "PasswordCommon",
    "PasswordContext",
    "PasswordHasNul",
    "PasswordNotText",
    "PasswordSchemeUnavailable",
    "PasswordTooLong",
    "PasswordTooShort",
    "PermissionDenied",
    "PolicyError",
    "ProfileIncomplete",
    "ReadOnlyUnit",
    "RegistrationClosed",
    "RequestRejected",
    "SchemaTooNew",
    "SessionExpired",
    "SessionInvalid",
    "SessionRevoked",
    "SignInRequired",
    "SpecialUseDomain",
    "StorageError",
    "StoreClosed",
    "TableConflict",
    "TokenExpired",
    "TokenInvalid",
    "TokenRevoked",
    "TokenUsed",
    "TokenWrongPurpose",
    "TooManyAttempts",
    "UnitAborted",
    "UnknownCurrency",
    "UnknownPermission",
    "UnknownRevision",
    "UnknownRole",
    "UnsafePasswordHash",
    "UnsupportedDatabase",
    "UserDisabled",
    "UserErased",
    "UserNotFound",
    "ValidationError",
    "WrongTier",
]


class AccountKitError(Exception):
    """Root of every error accountkit raises.

    Attributes:
        code: A stable machine-readable code, such as ``"email_taken"``. Codes never
            change once released; translate them for your visitors.
        message: A sentence that says what was wrong and what to do. It holds no
            personal data.
    """

    code: ClassVar[str] = "accountkit_error"
    default_message: ClassVar[str] = "The operation failed."

    def __init__(self, message: str | None = None) -> None:
        self.message = message if message is not None else self.default_message
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


# --- validation -------------------------------------------------------------------------


class ValidationError(AccountKitError):
    """Input that cannot be accepted as given. Nothing was stored.

    Attributes:
        field: The name of the argument or field that was wrong, when there is one.
    """

    code = "invalid"
    default_message = "The input is not valid; correct it and try again."

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidEmail(ValidationError):
    """An e-mail address that is malformed; the message says why (never the address)."""

    code = "invalid_email"
    default_message = "The e-mail address is not valid; check it for typing errors."


class SpecialUseDomain(InvalidEmail):
    """An e-mail address under a special-use domain (``.test``, ``.invalid``, ``.local``, ...),
    which cannot receive mail. Test suites allow them with
    ``AccountKit(..., allow_special_use_domains=True)``."""

    code = "special_use_domain"
    default_message = (
        "The e-mail address is under a special-use domain (such as .test, .invalid or .local) "
        "that cannot receive mail; use a real address. Test suites may pass "
        "AccountKit(..., allow_special_use_domains=True)."
    )


class InvalidName(ValidationError):
    """A name that is empty, too long, or holds control characters."""

    code = "invalid_name"
    default_message = "The name is not valid."


class InvalidBirthDate(ValidationError):
    """A birth date in the future or more than 130 years back."""

    code = "invalid_birth_date"
    default_message = "The birth date is not valid."


class InvalidCustomerNumber(ValidationError):
    """A customer number that is empty, too long or holds characters not allowed."""

    code = "invalid_customer_number"
    default_message = "The customer number is not valid."


class InvalidPassword(ValidationError):
    """A password that the policy refuses; the subclass and its `code` say why."""

    code = "invalid_password"
    default_message = "The password is not valid."


class InvalidPolicy(ValidationError):
    """A shop policy or channel set-up that contradicts itself.

    Attributes:
        fields: Every field that takes part in the clash (``field`` is the first).
    """

    code = "invalid_policy"
    default_message = "The shop policy contradicts itself."

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        fields: tuple[str, ...] = (),
    ) -> None:
        chosen = fields or ((field,) if field is not None else ())
        super().__init__(message, field=field if field is not None else next(iter(chosen), None))
        self.fields = chosen


class InvalidFields(ValidationError):
    """Several fields of one request are missing or invalid; all of them are reported.

    Attributes:
        errors: One error per field (MissingField, InvalidName, InvalidEmail, ...), in the
            order of the form.
        fields: Their field names, in the same order (``field`` is the first).
    """

    code = "invalid_fields"
    default_message = "Some fields are missing or not valid; correct them and try again."

    def __init__(
        self, errors: tuple[ValidationError, ...] = (), message: str | None = None
    ) -> None:
        names = tuple(e.field or "?" for e in errors)
        text = message or (
            f"These fields are missing or not valid: {', '.join(names)}." if names else None
        )
        super().__init__(text, field=names[0] if names else None)
        self.errors = errors
        self.fields = names


class UnknownPermission(ValidationError):
    """A permission name that is not a :class:`~accountkit.domain.permissions.Permission`."""

    code = "unknown_permission"
    default_message = "There is no permission of that name."


class InvalidValue(ValidationError):
    """Any other argument outside its allowed range (a discount, a profile entry, ...)."""

    code = "invalid_value"
    default_message = "A value is outside its allowed range."


class InvalidCursor(ValidationError):
    """A page cursor that this kit did not make, that was changed, or that was made for other
    filters or another kind of page (a search, the customer overview, a history, a
    number's orders). Start again from the first page."""

    code = "invalid_cursor"
    default_message = "This page cursor is not valid for these pages; start from the first page."


class UnknownCurrency(ValidationError):
    """A currency that is not an active ISO 4217 code in upper case (``"EUR"``, ``"SEK"``)."""

    code = "unknown_currency"
    default_message = (
        "The currency is not an active ISO 4217 code; pass it in upper case, such as EUR."
    )


class InvalidAmount(ValidationError):
    """An amount that is not a finite, non-negative Decimal in the currency's minor unit."""

    code = "invalid_amount"
    default_message = "The amount is not valid; pass a Decimal of zero or more."


class UnknownRole(InvalidValue):
    """A role that is neither built in nor one of the custom roles the kit was given.

    An InvalidValue, as a bad role argument was before custom roles existed."""

    code = "unknown_role"
    default_message = "There is no role of that name; use a Role or a custom role of the kit."


class MissingField(ValidationError):
    """A field that the operation needs was not given (for example a FULL user's password)."""

    code = "missing_field"
    default_message = "A required field is missing."


class PasswordTooShort(InvalidPassword):
    """A password with fewer characters than the policy's minimum (counted after NFKC)."""

    code = "password_too_short"
    default_message = "The password is too short; use a longer one."


class PasswordTooLong(InvalidPassword):
    """A password with more characters than the policy's maximum; refused before hashing."""

    code = "password_too_long"
    default_message = "The password is too long; use a shorter one."


class PasswordNotText(InvalidPassword):
    """A password that is not text, or holds a lone surrogate that no encoding takes."""

    code = "password_not_text"
    default_message = "The password holds characters that are not valid text; type it again."


class PasswordHasNul(InvalidPassword):
    """A password with a NUL character."""

    code = "password_has_nul"
    default_message = "The password holds a NUL character; remove it."


class PasswordCommon(InvalidPassword):
    """A password on the policy's blocklist of common passwords."""

    code = "password_common"
    default_message = (
        "This password is one of the most common passwords and easy to guess; choose another."
    )


class PasswordContext(InvalidPassword):
    """A password that contains the user's e-mail name, the user's name or the shop's name."""

    code = "password_context"
    default_message = (
        "The password contains your e-mail name, your name or the shop's name, which are easy "
        "to guess; choose one without them."
    )


# --- policy -----------------------------------------------------------------------------


class PolicyError(AccountKitError):
    """The shop's rules do not allow this operation."""

    code = "policy"
    default_message = "The shop's rules do not allow this."


class RegistrationClosed(PolicyError):
    """Self-registration on a channel whose registration access is CLOSED."""

    code = "registration_closed"
    default_message = (
        "This shop does not take registrations; ask the shop to invite you or to open an account."
    )


class NotPermitted(PolicyError):
    """The actor may not make this change (for example a user editing a customer record)."""

    code = "not_permitted"
    default_message = "You may not make this change; ask the shop's operator."


class WrongTier(PolicyError):
    """An operation that needs another user tier (for example upgrading a FULL user)."""

    code = "wrong_tier"
    default_message = "This operation does not apply to the user's tier."


class NotAMember(PolicyError):
    """A company switch to a customer the user does not belong to."""

    code = "not_a_member"
    default_message = "The user does not belong to that customer; ask the operator to assign them."


class UserDisabled(PolicyError):
    """An operation on behalf of a user who is disabled or still waits for approval."""

    code = "user_disabled"
    default_message = "The account is disabled or waits for approval; the operator can enable it."


class AwaitingApproval(UserDisabled):
    """Sign-in (or an action) of a user whose registration the operator has not approved
    yet. A UserDisabled, so code that handles that handles this too."""

    code = "awaiting_approval"
    default_message = (
        "The account waits for the shop's approval; you will get an e-mail once it is approved."
    )


class NotPendingApproval(PolicyError):
    """Approving or rejecting a user who does not wait for approval (already approved, or
    never asked)."""

    code = "not_pending_approval"
    default_message = "This account does not wait for approval; nothing was changed."


class RequestRejected(PolicyError):
    """Approving a registration request that was rejected: it and its data are gone."""

    code = "request_rejected"
    default_message = (
        "This registration request was rejected and deleted; the person must register again."
    )


class LastCompanyManager(PolicyError):
    """A change that would leave a company without a company manager."""

    code = "last_company_manager"
    default_message = (
        "A company needs at least one company manager; make another member manager first."
    )


class AddressNotAllowed(PolicyError):
    """A natural person's postal address given outside an order: it is kept only with an
    order, its legal basis (GDPR Art. 6(1)(b)). Pass it to ``kit.orders.record_order``."""

    code = "address_not_allowed"
    default_message = (
        "A person's address is kept only with an order; pass it to kit.orders.record_order."
    )


class NotABusinessCustomer(PolicyError):
    """Company master data (VAT id, bill-to and ship-to addresses) for a PERSONAL customer:
    a person's address is kept only with an order, never on the customer record."""

    code = "not_a_business_customer"
    default_message = (
        "Only a business customer has company master data; a person's address is kept "
        "with their orders."
    )


class NotYourCompany(NotPermitted):
    """A company manager acting on a company they do not manage, or on its users."""

    code = "not_your_company"
    default_message = "You can manage only the users of your own company."


class PermissionDenied(PolicyError):
    """The user (or visitor) may not do this for the customer they act for.

    Attributes:
        permission: The permission's value that was missing (``"place_orders"``, ...), or
            ``None``.
    """

    code = "permission_denied"
    default_message = "Your account may not do this; ask your company's manager."

    def __init__(self, message: str | None = None, *, permission: str | None = None) -> None:
        super().__init__(message)
        self.permission = permission


class SignInRequired(PermissionDenied):
    """An anonymous visitor asked for what the shop shows only after sign-in."""

    code = "sign_in_required"
    default_message = "Please sign in to see prices and to order."


class ProfileIncomplete(PermissionDenied):
    """A BLANK user (signed in by QR code or link) must complete the profile first."""

    code = "profile_incomplete"
    default_message = "Please complete your profile first."


# --- authentication ---------------------------------------------------------------------


class AuthenticationError(AccountKitError):
    """Credentials or a token that do not prove who someone is."""

    code = "authentication"
    default_message = "Sign-in failed; check your details and try again."


class TokenInvalid(AuthenticationError):
    """A token that is not one of ours: tampered with, truncated, empty, too long, signed
    with a key no longer configured, or dated in the future. The message never quotes it."""

    code = "token_invalid"
    default_message = (
        "The link or code is not valid; copy the whole link from the message, or ask for a new one."
    )


class TokenExpired(AuthenticationError):
    """A token older than the maximum age of its purpose."""

    code = "token_expired"
    default_message = "The link or code has expired; ask for a new one."


class TokenUsed(AuthenticationError):
    """A one-time token that was already redeemed."""

    code = "token_used"
    default_message = "The link or code was already used; ask for a new one if you need it."


class TokenRevoked(AuthenticationError):
    """A token whose user changed password, e-mail, tier or status since it was issued, was
    erased, or signed out everywhere."""

    code = "token_revoked"
    default_message = (
        "The link or code is no longer valid because the account changed since it was sent; "
        "ask for a new one."
    )


class TokenWrongPurpose(AuthenticationError):
    """A genuine token made for another purpose (a login link used to reset a password)."""

    code = "token_wrong_purpose"
    default_message = (
        "The link or code was made for something else; use the link from the right message."
    )


class InvalidCredentials(AuthenticationError):
    """A sign-in with an e-mail address and password that do not match an account that has
    a password. Unknown address, wrong password and an account without a password (guest,
    blank) give this one error, so that it tells nobody which addresses are known."""

    code = "invalid_credentials"
    default_message = (
        "The e-mail address or the password is wrong; try again, or ask for a sign-in link."
    )


class TooManyAttempts(AuthenticationError):
    """Too many failed sign-ins for this account or from this client in a short time.

    Never a permanent lock-out: it ends by itself. A password reset and a sign-in link still
    work meanwhile.

    Attributes:
        retry_after: Whole seconds until sign-in may be tried again (at least 1).
    """

    code = "too_many_attempts"
    default_message = "Too many failed sign-ins; wait a few minutes, or ask for a sign-in link."

    def __init__(self, message: str | None = None, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LoginCodeInvalid(AuthenticationError):
    """An e-mailed login code that is wrong, expired, used, replaced by a newer one or dead
    after three wrong tries; one error for all, so it tells nobody whether the address is
    known."""

    code = "login_code_invalid"
    default_message = "The code is wrong or no longer valid; check it, or ask for a new code."


class EmailNotVerified(AuthenticationError):
    """A password sign-in on a channel that requires a verified e-mail address, by a user who
    has not used the verification link yet."""

    code = "email_not_verified"
    default_message = (
        "Please confirm your e-mail address first with the link we sent you; you can ask for "
        "a new link."
    )


class SessionInvalid(AuthenticationError):
    """A session token that is not one of ours (tampered, truncated, empty, too long, signed
    with a key no longer configured). Treat the visitor as signed out."""

    code = "session_invalid"
    default_message = "You are not signed in; please sign in again."


class SessionExpired(AuthenticationError):
    """A session past its idle or absolute lifetime (see ``SessionPolicy``)."""

    code = "session_expired"
    default_message = "Your session has expired; please sign in again."


class SessionRevoked(AuthenticationError):
    """A session that ended before its time: signed out, signed out everywhere, or the
    user's password, e-mail, tier or status changed, or the user was erased."""

    code = "session_revoked"
    default_message = "You were signed out; please sign in again."


class UnsafePasswordHash(AuthenticationError):
    """A stored password hash whose cost parameters are absurd (argon2 memory above 1 GiB, time
    cost above 100; PBKDF2 or bcrypt work beyond their caps); refused without computing it."""

    code = "unsafe_password_hash"
    default_message = (
        "The stored password hash asks for far more work than accountkit allows, so it was not "
        "checked; the hash is damaged or forged: reset the user's password."
    )


class PasswordSchemeUnavailable(AuthenticationError):
    """A stored bcrypt hash while the optional ``bcrypt`` package is not installed."""

    code = "password_scheme_unavailable"
    default_message = (
        "The stored password hash is a bcrypt hash and the bcrypt package is not installed; "
        "run pip install 'accountkit[bcrypt]'."
    )


# --- not found --------------------------------------------------------------------------


class NotFoundError(AccountKitError):
    """An id that names nothing in the store."""

    code = "not_found"
    default_message = "Nothing was found under that id."


class UserNotFound(NotFoundError):
    """No user under that id (or e-mail address)."""

    code = "user_not_found"
    default_message = "There is no user under that id; check the id."


class CustomerNotFound(NotFoundError):
    """No customer under that id."""

    code = "customer_not_found"
    default_message = "There is no customer under that id; check the id."


class GroupNotFound(NotFoundError):
    """No customer group under that id."""

    code = "group_not_found"
    default_message = "There is no customer group under that id; create it first."


class ChannelNotFound(NotFoundError):
    """A sales channel name that the kit was not configured with."""

    code = "channel_not_found"
    default_message = "There is no sales channel of that name; pass one given to AccountKit."


class MembershipNotFound(NotFoundError):
    """No membership of that user at that customer."""

    code = "membership_not_found"
    default_message = "The user is not assigned to that customer."


class OrderNotFound(NotFoundError):
    """No order under that id (or order number)."""

    code = "order_not_found"
    default_message = "There is no order under that id; check the id."


class UserErased(NotFoundError):
    """The user was erased (GDPR Art. 17): only a tombstone is left, with nothing to show,
    export or change."""

    code = "user_erased"
    default_message = "This user was erased; nothing of their personal data is kept."


class AlreadyErased(UserErased):
    """``kit.privacy.erase`` of a user who is erased already. Nothing changed."""

    code = "already_erased"
    default_message = "This user was erased already; there is nothing left to erase."


# --- conflict ---------------------------------------------------------------------------


class ConflictError(AccountKitError):
    """The operation clashes with data already stored, or with another writer."""

    code = "conflict"
    default_message = "The operation clashes with data already stored."


class EmailTaken(ConflictError):
    """A live user already has this e-mail address (compared by `email_key`: ASCII case
    ignored, nothing else folded)."""

    code = "email_taken"
    default_message = (
        "An account with this e-mail address already exists; sign in, or use another address."
    )


class CustomerNumberTaken(ConflictError):
    """Another customer already holds this customer number."""

    code = "customer_number_taken"
    default_message = "Another customer already has this customer number; choose another."


class MembershipConflict(ConflictError):
    """A second customer for a user under ``MembershipRule.ONE_CUSTOMER_PER_USER``.

    Attributes:
        customer_id: The id of the customer the user already belongs to.
    """

    code = "one_customer_per_user"

    def __init__(self, message: str | None = None, *, customer_id: str | None = None) -> None:
        self.customer_id = customer_id
        if message is None:
            where = f" ({customer_id})" if customer_id else ""
            message = (
                f"The user already belongs to a customer{where} and this shop allows only one; "
                "remove that membership first."
            )
        super().__init__(message)


class AlreadyMember(MembershipConflict):
    """The user is already assigned to this customer; change the role instead."""

    code = "already_member"

    def __init__(self, message: str | None = None, *, customer_id: str | None = None) -> None:
        super().__init__(
            message or "The user is already assigned to this customer; change the role instead.",
            customer_id=customer_id,
        )


class OrderNumberTaken(ConflictError):
    """Another order already has this order number (or this order id)."""

    code = "order_number_taken"
    default_message = "An order with this number is recorded already; it is not recorded twice."


class ConcurrentUpdate(ConflictError):
    """Someone else changed the record since it was read; nothing was overwritten.

    Read the record again, re-apply the change, and retry.
    """

    code = "concurrent_update"
    default_message = (
        "The record was changed by someone else since it was read; reload it and try again."
    )


# --- storage ----------------------------------------------------------------------------


class StorageError(AccountKitError):
    """The store could not carry out the operation; nothing was written."""

    code = "storage"
    default_message = "The store could not complete the operation; nothing was written."


class UnsupportedDatabase(StorageError):
    """A database URL or engine of a kind accountkit does not support."""

    code = "unsupported_database"
    default_message = (
        "This database is not supported; use sqlite:///path.db or postgresql+psycopg://..."
    )


class SchemaTooNew(StorageError):
    """The database was made by a newer accountkit; upgrade the package before using it."""

    code = "schema_too_new"
    default_message = "The database schema is newer than this accountkit; upgrade accountkit."


class DatabaseCorrupt(StorageError):
    """The database file is not a database, or is damaged."""

    code = "database_corrupt"
    default_message = "The database file is damaged or not a database; restore it from a backup."


class DatabaseUnavailable(StorageError):
    """The connection to the database failed or dropped; the operation was rolled back.

    Attributes:
        retryable: True when the connection was found dead before any statement of the unit
            reached the database (a pooled connection the server had closed), so running
            the unit again is safe; the kit does that once by itself.
    """

    code = "database_unavailable"
    default_message = (
        "The database could not be reached or the connection dropped; nothing was written. "
        "Try again."
    )

    def __init__(self, message: str | None = None, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class DatabaseBusy(StorageError):
    """The database stayed locked by another writer beyond the retry bound."""

    code = "database_busy"
    default_message = "The database stayed busy with other writers; nothing was written. Retry."


class StoreClosed(StorageError):
    """The store was closed; it refuses every call and never reopens by itself."""

    code = "store_closed"
    default_message = (
        "The store was closed; open a new store (and kit) instead of using a closed one."
    )


class ReadOnlyUnit(StorageError):
    """A write inside a unit of work opened with ``readonly=True``; nothing was written."""

    code = "read_only_unit"
    default_message = (
        "This unit of work is read-only and refuses writes; open it without readonly=True."
    )


class UnitAborted(StorageError):
    """A statement inside the unit failed and the database rolled the unit back.

    Raised when the unit ends, instead of a commit that would silently write nothing: an
    error was caught inside the ``with`` block after the database had already given up the
    transaction (a statement of the shop's own on ``tx.connection``).
    """

    code = "unit_aborted"
    default_message = (
        "A statement inside this unit of work failed, so the database rolled the whole unit "
        "back; nothing was written. Run the unit again without the failing statement."
    )


class CannotOpenDatabase(StorageError):
    """The SQLite file cannot be opened or created (a missing folder, no permission)."""

    code = "cannot_open_database"
    default_message = (
        "The database file cannot be opened: check that its folder exists and that the "
        "process may write there."
    )


class UnknownRevision(StorageError):
    """A migration target that this accountkit does not ship."""

    code = "unknown_revision"
    default_message = (
        "There is no accountkit schema revision of that name; use 'head' or a revision "
        "listed in accountkit/storage/migrations/versions."
    )


class DamagedSchema(StorageError):
    """accountkit's version table is damaged (a missing column, several or empty rows)."""

    code = "damaged_schema"
    default_message = (
        "accountkit's schema version table is damaged; restore the database from a backup."
    )


class TableConflict(StorageError):
    """A table with one of accountkit's names exists already and is not accountkit's."""

    code = "table_conflict"
    default_message = (
        "A table with one of accountkit's table names exists already and was not made by "
        "accountkit; pass another prefix= (or schema=) to keep the tables apart."
    )
