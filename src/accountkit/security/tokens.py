"""Signed one-purpose tokens (on itsdangerous) and the links that carry them.

A token proves "the holder may do *this one thing* for *this user*" until it expires or the
user's security state changes. It carries only a random token id, the user id, a purpose
code and a fingerprint of the user's ``security_version``: no e-mail, no name. Each purpose
signs with its own salt, so a token of one purpose never passes as another; the newest of
the configured keys signs and every key verifies, so keys rotate without cutting anyone off.

Checking (:meth:`TokenCodec.inspect`) never uses a token up: one-time purposes are marked
in :data:`PURPOSE_RULES` and redeemed by the caller through the store's ``TokenLedger``.

Example::

    codec = TokenCodec(["old-key", "new-key"], clock=SystemClock())
    token = codec.issue(user, TokenPurpose.PASSWORD_RESET)
    link = build_link("https://shop.example/reset", token)
    claims = codec.inspect(token, TokenPurpose.PASSWORD_RESET, user_lookup=store_get_user)
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import attrs
from itsdangerous import BadData, Signer, TimestampSigner, URLSafeSerializer, URLSafeTimedSerializer

from accountkit._clock import Clock, SystemClock, checked_clock
from accountkit.domain._enums import as_enum
from accountkit.domain.users import User
from accountkit.domain.validation import check_base_url
from accountkit.errors import (
    InvalidValue,
    SessionInvalid,
    TokenExpired,
    TokenInvalid,
    TokenRevoked,
    TokenUsed,
    TokenWrongPurpose,
)

__all__ = [
    "MAX_CARD_AGE",
    "MAX_TOKEN_LENGTH",
    "PURPOSE_RULES",
    "PurposeRule",
    "SessionCodec",
    "TokenClaims",
    "TokenCodec",
    "TokenPurpose",
    "build_link",
    "new_token_id",
]

MAX_TOKEN_LENGTH: Final = 4096
"""Longer input is refused before any decoding or cryptography (ours are ~150 characters)."""

MAX_CARD_AGE: Final = timedelta(days=365)
"""The longest validity a shop may give a printed QR login card."""


class TokenPurpose(enum.StrEnum):
    """What a token may be used for; each purpose signs with its own salt.

    - ``LOGIN``: a sign-in link or on-screen QR code, valid 15 minutes.
    - ``LOGIN_CARD``: a sign-in QR code printed on a card; the shop sets its validity at
      issue (``max_age=``, at most 365 days).
    - ``UPGRADE``: turns a guest into a full user (one-time, 14 days).
    - ``PASSWORD_RESET``: sets a new password (one-time, 1 hour).
    - ``EMAIL_VERIFICATION``: proves the address (one-time, 48 hours).
    - ``EMAIL_CHANGE``: confirms a new address (one-time, 48 hours).
    - ``INVITATION``: accepts an invitation (one-time, 14 days).
    """

    LOGIN = "login"
    LOGIN_CARD = "login_card"
    UPGRADE = "upgrade"
    PASSWORD_RESET = "password_reset"
    EMAIL_VERIFICATION = "email_verification"
    EMAIL_CHANGE = "email_change"
    INVITATION = "invitation"


@attrs.frozen
class PurposeRule:
    """How long a token of one purpose lives and whether it may be redeemed only once.

    Attributes:
        max_age: The age after which the token is expired. For ``LOGIN_CARD`` this is the
            upper bound of the ``max_age`` the shop passes at issue.
        one_time: True when the caller must redeem the token through the ``TokenLedger``.
        shop_sets_age: True when ``issue`` requires ``max_age=`` (the printed card).
        code: The short code written into the token (stable: changing it kills tokens).
    """

    max_age: timedelta
    one_time: bool
    shop_sets_age: bool
    code: str


PURPOSE_RULES: Final[Mapping[TokenPurpose, PurposeRule]] = MappingProxyType(
    {
        TokenPurpose.LOGIN: PurposeRule(timedelta(minutes=15), False, False, "l"),
        TokenPurpose.LOGIN_CARD: PurposeRule(MAX_CARD_AGE, False, True, "c"),
        TokenPurpose.UPGRADE: PurposeRule(timedelta(days=14), True, False, "u"),
        TokenPurpose.PASSWORD_RESET: PurposeRule(timedelta(hours=1), True, False, "r"),
        TokenPurpose.EMAIL_VERIFICATION: PurposeRule(timedelta(hours=48), True, False, "v"),
        TokenPurpose.EMAIL_CHANGE: PurposeRule(timedelta(hours=48), True, False, "e"),
        TokenPurpose.INVITATION: PurposeRule(timedelta(days=14), True, False, "i"),
    }
)
"""The maximum age and one-time flag of every purpose."""

_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-.]+")
_TOKEN_ID = re.compile(r"[A-Za-z0-9_\-]{16,64}")
_B64_SEGMENT = re.compile(r"[A-Za-z0-9_\-]+")
_FINGERPRINT_CHARS = 16  # base64url characters of the HMAC kept in the token: 96 bits
_FINGERPRINT_LABEL = b"accountkit.token.fingerprint\x00"
_SALT_PREFIX = "accountkit.token."


@attrs.frozen(kw_only=True)
class TokenClaims:
    """What a checked token says. Holds no token text and no personal data.

    Attributes:
        token_id: The random id of this token (the key of the ``TokenLedger``).
        user_id: The user it was issued to.
        purpose: What it may be used for.
        issued_at: When it was signed (UTC, whole seconds).
        expires_at: The last moment it is still valid (UTC).
    """

    token_id: str
    user_id: str
    purpose: TokenPurpose
    issued_at: datetime
    expires_at: datetime

    @property
    def one_time(self) -> bool:
        """True when the token must be redeemed through the ``TokenLedger`` (at most once)."""
        return PURPOSE_RULES[self.purpose].one_time


class _ClockSigner(TimestampSigner):
    """itsdangerous's TimestampSigner that reads the time from the kit's clock."""

    def __init__(self, *args: Any, clock: Clock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        """Return the clock's time in whole seconds since the epoch."""
        return _seconds(self._clock.now())


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp() // 1)


def _keys(secret_keys: object) -> tuple[bytes, ...]:
    if isinstance(secret_keys, str | bytes):
        secret_keys = [secret_keys]
    if not isinstance(secret_keys, Iterable):
        raise InvalidValue(
            "secret_keys must be a list of keys (text or bytes), oldest first.",
            field="secret_keys",
        )
    keys: list[bytes] = []
    for key in secret_keys:
        if isinstance(key, str):
            try:
                key = key.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidValue(
                    "A secret key is text that cannot be encoded; use plain text or bytes.",
                    field="secret_keys",
                ) from None
        if not isinstance(key, bytes) or not key:
            raise InvalidValue(
                "Every secret key must be non-empty text or bytes.", field="secret_keys"
            )
        keys.append(key)
    if not keys:
        raise InvalidValue(
            "Give at least one secret key (oldest first; the newest signs).",
            field="secret_keys",
        )
    return tuple(keys)


def _purpose(value: object) -> TokenPurpose:
    return as_enum(TokenPurpose, value, field="purpose")


def _is_canonical_base64(segment: str) -> bool:
    """True when the segment decodes and encodes back to itself.

    Base64 leaves the low bits of the last character unused, so two spellings decode to the
    same bytes; refusing the non-canonical one makes every changed character a bad token.
    """
    if not _B64_SEGMENT.fullmatch(segment):
        return False
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return False
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") == segment


def _well_formed(token: object) -> str | None:
    """Return the token when its shape could be ours, without any cryptography."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    if not token.isascii() or not _TOKEN_CHARS.fullmatch(token):
        return None
    parts = token.split(".")
    if parts[0] == "":  # itsdangerous marks a compressed payload with a leading dot
        parts = parts[1:]
    if len(parts) != 3 or not all(_is_canonical_base64(part) for part in parts):
        return None
    return token


class TokenCodec:
    """Issues and checks signed one-purpose tokens.

    Args:
        secret_keys: The signing keys, text or bytes, oldest first. The newest signs; every
            key verifies, so add a new key at the end, and drop the oldest once the longest
            lived token signed with it (a printed card: up to 365 days) has expired.
        clock: Where the time comes from, for issuing and for checking; defaults to the
            system clock.

    Raises:
        InvalidValue: No key, an empty key, or a key that is neither text nor bytes; or a
            clock without ``now()``.
    """

    def __init__(
        self, secret_keys: Iterable[str | bytes] | str | bytes, *, clock: Clock | None = None
    ) -> None:
        self._keys = _keys(secret_keys)
        self._clock = checked_clock(clock if clock is not None else SystemClock())
        self._serializers = {
            purpose: URLSafeTimedSerializer(
                list(self._keys),
                salt=_SALT_PREFIX + purpose.value,
                signer=_ClockSigner,
                signer_kwargs={"clock": self._clock, "digest_method": hashlib.sha256},
            )
            for purpose in TokenPurpose
        }

    def __repr__(self) -> str:
        return f"TokenCodec(keys={len(self._keys)})"

    def _fingerprint(self, key: bytes, user_id: str, security_version: int) -> str:
        message = _FINGERPRINT_LABEL + f"{user_id}\x00{security_version}".encode()
        digest = hmac.new(key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii")[:_FINGERPRINT_CHARS]

    def issue(
        self,
        user: User,
        purpose: TokenPurpose | str,
        *,
        max_age: timedelta | None = None,
        token_id: str | None = None,
    ) -> str:
        """Sign a new token for ``user`` and ``purpose``.

        Args:
            user: The user the token is for; its ``security_version`` is fingerprinted, so
                any later change of password, e-mail, tier or status kills the token.
            purpose: A :class:`TokenPurpose` (or its value).
            max_age: Required for ``LOGIN_CARD`` (more than 0 s, at most 365 days, whole
                seconds); refused for every other purpose, whose age is fixed.
            token_id: The token's id, when the caller records it (in the ``TokenLedger``)
                before sending the token; 16 to 64 URL-safe characters from
                :func:`new_token_id`. Defaults to a new random id.

        Returns:
            A URL-safe token (letters, digits, ``-``, ``_`` and ``.``).

        Raises:
            InvalidValue: ``user`` is not a User, ``purpose`` is unknown, ``max_age`` is
                missing, out of range or given where the purpose fixes the age, or
                ``token_id`` is not 16 to 64 URL-safe characters.
        """
        if not isinstance(user, User):
            raise InvalidValue("Pass the User the token is for.", field="user")
        chosen = _purpose(purpose)
        rule = PURPOSE_RULES[chosen]
        if token_id is None:
            token_id = new_token_id()
        elif not isinstance(token_id, str) or not _TOKEN_ID.fullmatch(token_id):
            raise InvalidValue(
                "token_id is 16 to 64 URL-safe characters; use new_token_id().", field="token_id"
            )
        payload: list[str | int] = [
            token_id,
            user.id,
            rule.code,
            self._fingerprint(self._keys[-1], user.id, user.security_version),
        ]
        if rule.shop_sets_age:
            payload.append(_card_age(max_age))
        elif max_age is not None:
            raise InvalidValue(
                f"The age of a {chosen.value} token is fixed; leave max_age out.",
                field="max_age",
            )
        return self._serializers[chosen].dumps(payload)

    def inspect(
        self,
        token: object,
        purpose: TokenPurpose | str,
        *,
        user_lookup: Callable[[str], User | None] | User,
        is_used: Callable[[str], bool] | None = None,
    ) -> TokenClaims:
        """Check a token for ``purpose`` and return its claims; never uses it up.

        Args:
            token: The token as received (from a link's query or a scanned code).
            purpose: The purpose the caller is about to act on.
            user_lookup: The user's current record: a callable ``user_id -> User | None``
                (called once, only for a token that is genuine and unexpired), or the User
                when the caller already holds it.
            is_used: For one-time purposes, the ledger's ``is_used``: a genuine, unexpired
                token it knows raises TokenUsed before the user's state is compared (a
                replayed reset link says "used", not "revoked").

        Returns:
            The claims; ``claims.one_time`` tells whether the caller must redeem it.

        Raises:
            TokenInvalid: Not a string, empty, longer than 4,096 characters, non-ASCII,
                tampered, truncated, signed with a key no longer configured, dated in the
                future, or (with a User given) issued to another user.
            TokenWrongPurpose: A genuine token of another purpose.
            TokenExpired: Older than the purpose's maximum age.
            TokenRevoked: The user's security state changed since issue, or the user no
                longer exists (erased).
            InvalidValue: ``purpose`` is unknown.
        """
        chosen = _purpose(purpose)
        # Every check runs outside an ``except`` block, so that no itsdangerous exception
        # (whose payload is the token) is chained to the error raised.
        text = _well_formed(token)
        if text is None:
            raise TokenInvalid()
        loaded = self._load(text, chosen)
        if loaded is None:
            if self._other_purpose(text, chosen):
                raise TokenWrongPurpose()
            raise TokenInvalid()
        payload, signed_at = loaded
        fields = _fields(payload, PURPOSE_RULES[chosen])
        if fields is None:
            raise TokenInvalid()
        token_id, user_id, fingerprint, max_age = fields

        now = self._clock.now()
        age = _seconds(now) - _seconds(signed_at)
        if age < 0:
            raise TokenInvalid("The link or code is dated in the future; ask for a new one.")
        if age > max_age:
            raise TokenExpired()

        if is_used is not None and PURPOSE_RULES[chosen].one_time and is_used(token_id):
            raise TokenUsed()
        if isinstance(user_lookup, User):
            if user_lookup.id != user_id:
                raise TokenInvalid("The link or code was not issued for this account.")
            user: User | None = user_lookup
        else:
            user = user_lookup(user_id)
        if (
            user is None
            or user.id != user_id
            or not any(
                hmac.compare_digest(
                    fingerprint, self._fingerprint(key, user_id, user.security_version)
                )
                for key in self._keys
            )
        ):
            # Asked again: a redemption that committed after the first question (it changed
            # the user in the same unit) makes this token used, not revoked.
            if is_used is not None and PURPOSE_RULES[chosen].one_time and is_used(token_id):
                raise TokenUsed()
            raise TokenRevoked()
        return TokenClaims(
            token_id=token_id,
            user_id=user_id,
            purpose=chosen,
            issued_at=signed_at,
            expires_at=signed_at + timedelta(seconds=max_age),
        )

    def _load(self, text: str, purpose: TokenPurpose) -> tuple[object, datetime] | None:
        try:
            payload, signed_at = self._serializers[purpose].loads(text, return_timestamp=True)
        except (BadData, ValueError, TypeError, OverflowError):
            return None
        if not isinstance(signed_at, datetime):
            return None
        return payload, signed_at.astimezone(UTC)

    def _other_purpose(self, text: str, purpose: TokenPurpose) -> bool:
        return any(
            self._load(text, other) is not None for other in TokenPurpose if other is not purpose
        )


def _card_age(max_age: timedelta | None) -> int:
    if max_age is None:
        raise InvalidValue(
            "A printed login card needs max_age=, how long it stays valid (at most 365 days).",
            field="max_age",
        )
    if not isinstance(max_age, timedelta):
        raise InvalidValue("max_age must be a timedelta.", field="max_age")
    if max_age <= timedelta(0) or max_age > MAX_CARD_AGE:
        raise InvalidValue(
            "max_age of a login card must be more than 0 seconds and at most 365 days.",
            field="max_age",
        )
    if max_age % timedelta(seconds=1):
        raise InvalidValue("max_age must be a whole number of seconds.", field="max_age")
    return max_age // timedelta(seconds=1)


def _fields(payload: object, rule: PurposeRule) -> tuple[str, str, str, int] | None:
    """Unpack a signed payload; ``None`` when its shape is not that of ``rule``'s tokens."""
    size = 5 if rule.shop_sets_age else 4
    if not isinstance(payload, list) or len(payload) != size:
        return None
    token_id, user_id, code, fingerprint = payload[:4]
    if not all(isinstance(value, str) for value in (token_id, user_id, code, fingerprint)):
        return None
    if code != rule.code:
        return None
    limit = rule.max_age // timedelta(seconds=1)
    if rule.shop_sets_age:
        max_age = payload[4]
        if type(max_age) is not int or not 0 < max_age <= limit:
            return None
    else:
        max_age = limit
    return token_id, user_id, fingerprint, max_age


def new_token_id() -> str:
    """Return a new random token id (128 bits, URL-safe)."""
    return secrets.token_urlsafe(16)


_SESSION_SALT = "accountkit.session"


class SessionCodec:
    """Signs session ids into the session token a shop keeps in its cookie, and back.

    The token is the id and an HMAC-SHA256 under the newest key (every configured key
    verifies, as with :class:`TokenCodec`). It carries no time, user or personal data: the
    session row holds the rest, and ``kit.auth.authenticate`` checks it.

    Args:
        secret_keys: The signing keys, oldest first.

    Raises:
        InvalidValue: No key, an empty key, or a key that is neither text nor bytes.
    """

    def __init__(self, secret_keys: Iterable[str | bytes] | str | bytes) -> None:
        keys = _keys(secret_keys)
        self._serializer = URLSafeSerializer(
            list(keys), salt=_SESSION_SALT, signer_kwargs={"digest_method": hashlib.sha256}
        )
        # authenticate runs on every request: derive each key's HMAC key once (as
        # itsdangerous's Signer does on every call) and check the signature with one
        # hmac.digest per key, newest first. The token format stays itsdangerous's.
        self._derived = tuple(
            Signer(key, salt=_SESSION_SALT, digest_method=hashlib.sha256).derive_key()
            for key in reversed(keys)
        )

    def __repr__(self) -> str:
        return "SessionCodec()"

    def sign(self, session_id: str) -> str:
        """Return the session token for ``session_id``."""
        return str(self._serializer.dumps(session_id))

    def session_id(self, token: object) -> str:
        """Return the session id inside ``token``.

        Raises:
            SessionInvalid: Not a string, empty, too long, non-ASCII, tampered, truncated or
                signed with a key no longer configured. The message never quotes it.
        """
        if (
            not isinstance(token, str)
            or not 0 < len(token) <= MAX_TOKEN_LENGTH
            or not token.isascii()
            or not _TOKEN_CHARS.fullmatch(token)
            or token.count(".") != 1
        ):
            raise SessionInvalid()
        # No canonical-base64 check as for TokenCodec: the signature is compared with the
        # one computed over the payload's exact text, so another spelling of either fails.
        payload, _, signature = token.partition(".")
        value = self._loads(payload, signature)
        if not isinstance(value, str) or not _TOKEN_ID.fullmatch(value):
            raise SessionInvalid()
        return value

    def _loads(self, payload: str, signature: str) -> object:
        message = payload.encode("ascii")
        if not any(
            hmac.compare_digest(
                signature,
                base64.urlsafe_b64encode(hmac.digest(key, message, "sha256"))
                .rstrip(b"=")
                .decode("ascii"),
            )
            for key in self._derived
        ):
            return None
        # Outside an ``except`` block the error is raised without a decoder's exception
        # (whose text may quote the token) chained to it.
        try:
            return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (ValueError, TypeError):
            return None


def build_link(base_url: str, token: str, *, param: str = "token") -> str:
    """Return ``base_url`` with ``token`` added as the query parameter ``param``.

    The base URL comes from the shop's configuration (a channel's ``base_url`` or a card's
    landing page), never from a request's Host header. Its own query is kept.

    Args:
        base_url: An absolute ``https`` or ``http`` URL with a host, without user name,
            password or fragment.
        token: The token, as :meth:`TokenCodec.issue` returned it.
        param: The query parameter's name.

    Raises:
        InvalidValue: The base URL is not text, not http(s), has no host, has credentials,
            a fragment, a bad port, spaces or control characters, or already has ``param``
            in its query; or ``token`` or ``param`` are not URL-safe text. The message
            quotes neither the URL nor the token.
    """
    if not isinstance(param, str) or not re.fullmatch(r"[A-Za-z0-9_\-]{1,64}", param):
        raise InvalidValue("param must be 1 to 64 letters, digits, '-' or '_'.", field="param")
    if (
        not isinstance(token, str)
        or not token
        or len(token) > MAX_TOKEN_LENGTH
        or not _TOKEN_CHARS.fullmatch(token)
    ):
        raise InvalidValue("Pass the token as TokenCodec.issue returned it.", field="token")
    parts = urlsplit(check_base_url(base_url))
    if any(name == param for name, _ in parse_qsl(parts.query, keep_blank_values=True)):
        raise InvalidValue(
            f"The base URL already has a {param!r} parameter; remove it.", field="base_url"
        )
    # The shop's own query stays as written; the token needs no escaping (URL-safe alphabet).
    query = f"{parts.query}&{param}={token}" if parts.query else f"{param}={token}"
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, ""))
