"""What the sign-in and registration services share: sessions, one-time links, messages."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime

import attrs

from accountkit.domain import IssuedToken, Session, SignInMethod, User, UserStatus
from accountkit.errors import (
    AwaitingApproval,
    InvalidPolicy,
    TokenRevoked,
    TokenUsed,
    UserDisabled,
)
from accountkit.notify import Message, MessageKind
from accountkit.policies import SalesChannel
from accountkit.security.passwords import context_words
from accountkit.security.tokens import TokenClaims, TokenPurpose, build_link, new_token_id
from accountkit.services._base import Service
from accountkit.storage._protocols import Transaction

__all__ = ["SignIn"]


@attrs.frozen(kw_only=True)
class SignIn:
    """A successful sign-in: the user and the session token for the shop's cookie.

    Keep ``session_token`` in an HttpOnly, Secure, SameSite cookie and pass it to
    ``kit.auth.authenticate`` on every request. Its ``repr`` hides the token.

    Attributes:
        user: The signed-in user, as stored after the sign-in. A BLANK user has
            ``must_complete_profile`` set: show the profile form first.
        session_token: The signed session id (URL-safe text, about 70 characters).
        method: How the user signed in.
        expires_at: When the session ends at the latest (its absolute lifetime); it ends
            earlier when idle for too long or when the account changes.
    """

    user: User
    session_token: str = attrs.field(repr=False)
    method: SignInMethod
    expires_at: datetime


def start_session(s: Service, tx: Transaction, user: User, method: SignInMethod) -> SignIn:
    """Add a session for ``user`` (as stored, with its current security version)."""
    ctx = s._ctx
    now = ctx.clock.now()
    session = Session(
        id=new_token_id(),
        user_id=user.id,
        method=method,
        security_version=user.security_version,
        created_at=now,
        last_seen_at=now,
    )
    tx.sessions.add(session)
    return SignIn(
        user=user,
        session_token=ctx.session_codec.sign(session.id),
        method=method,
        expires_at=now + ctx.session_policy.absolute,
    )


def base_url(channel: SalesChannel) -> str:
    """The channel's base URL for e-mailed links, or InvalidPolicy when it has none."""
    if channel.base_url is None:
        raise InvalidPolicy(
            f"The sales channel {channel.name!r} has no base_url, so accountkit cannot e-mail "
            "links for it; set SalesChannel(..., base_url='https://shop.example/login').",
            field="base_url",
        )
    return channel.base_url


def one_time_link(
    s: Service,
    tx: Transaction,
    user: User,
    purpose: TokenPurpose,
    channel: SalesChannel,
    *,
    note: str | None = None,
) -> str:
    """Issue a one-time token, record it as the user's newest of its purpose (which kills
    the one before), and return the channel's link with it."""
    token_id = new_token_id()
    token = s._ctx.tokens.issue(user, purpose, token_id=token_id)
    tx.tokens.issue(
        token_id, user_id=user.id, purpose=purpose.value, at=s._ctx.clock.now(), note=note
    )
    return build_link(base_url(channel), token)


def check_current(tx: Transaction, claims: TokenClaims) -> IssuedToken:
    """Refuse a one-time token that was used or that a newer one replaced; never uses it up.

    Raises:
        TokenUsed: It was redeemed before.
        TokenRevoked: A newer token of its purpose was sent since, or none was recorded.
    """
    current = tx.tokens.current(claims.user_id, claims.purpose.value)
    if current is None or current.token_id != claims.token_id:
        if tx.tokens.is_used(claims.token_id):
            raise TokenUsed()
        raise TokenRevoked(
            "A newer link was sent since this one; use the link from the newest message."
        )
    if tx.tokens.is_used(claims.token_id):
        raise TokenUsed()
    return current


def redeem(s: Service, tx: Transaction, claims: TokenClaims) -> IssuedToken:
    """Use up a one-time token in ``tx``, the unit that makes the change it allows.

    Of concurrent redemptions exactly one gets past ``mark_used``; the others raise TokenUsed
    and their units change nothing.
    """
    current = check_current(tx, claims)
    if not tx.tokens.mark_used(
        claims.token_id,
        user_id=claims.user_id,
        purpose=claims.purpose.value,
        at=s._ctx.clock.now(),
    ):
        raise TokenUsed()
    return current


def check_token(s: Service, tx: Transaction, token: str, purpose: TokenPurpose) -> TokenClaims:
    """Check ``token`` for ``purpose`` against the user and the ledger as ``tx`` sees them."""
    return s._ctx.tokens.inspect(
        token, purpose, user_lookup=tx.users.get, is_used=tx.tokens.is_used
    )


def redeem_token(s: Service, tx: Transaction, token: str, purpose: TokenPurpose) -> IssuedToken:
    """Check a one-time token and use it up in ``tx`` (see :func:`redeem`)."""
    return redeem(s, tx, check_token(s, tx, token, purpose))


def peek_token(s: Service, token: str, purpose: TokenPurpose) -> User:
    """The user of a one-time token that could be redeemed now, in a read-only unit.

    The user returned is the record the token was checked against: a second read could
    already see a concurrent redemption's change and answer (say) WrongTier instead of the
    TokenUsed that the redeeming unit will give.
    """

    def work(tx: Transaction) -> User:
        seen: list[User] = []

        def lookup(user_id: str) -> User | None:
            user = tx.users.get(user_id)
            seen.extend([user] if user is not None else [])
            return user

        claims = s._ctx.tokens.inspect(
            token, purpose, user_lookup=lookup, is_used=tx.tokens.is_used
        )
        check_current(tx, claims)
        return seen[0]

    return s._read(work)


def require_may_sign_in(user: User) -> None:
    """Refuse a sign-in of a user who is disabled or waits for approval."""
    if user.status is UserStatus.PENDING_APPROVAL:
        raise AwaitingApproval()
    if user.status is not UserStatus.ACTIVE:
        raise UserDisabled()


def message(
    s: Service,
    kind: MessageKind,
    user: User,
    *,
    channel: SalesChannel | None = None,
    recipient: str | None = None,
    link: str | None = None,
    code: str | None = None,
) -> Message:
    """A message for ``user`` (to ``recipient``, by default the user's address)."""
    to = recipient if recipient is not None else user.email
    assert to is not None, "messages go only to users with an address"
    return Message(
        kind=kind,
        recipient=to,
        user_id=user.id,
        link=link,
        code=code,
        channel=None if channel is None else channel.name,
        created_at=s._ctx.clock.now(),
    )


def send_all(s: Service, messages: Iterable[Message]) -> None:
    """Hand messages to the notifier, after the unit that made them has committed."""
    for item in messages:
        s._ctx.notifier.send(item)


def new_password_hash(
    s: Service,
    password: str,
    *,
    email: str | None,
    given_name: str | None,
    family_name: str | None,
) -> str:
    """Apply the kit's PasswordPolicy (with the user's context words) and hash the result."""
    words = context_words(
        email=email,
        names=[n for n in (given_name, family_name) if n],
        shop_name=s._ctx.shop_name,
    )
    return s._ctx.hasher.hash(s._ctx.password_policy.check(password, context=words))


def password_hash_for(s: Service, password: str, user: User) -> str:
    """:func:`new_password_hash` with the context words of ``user``."""
    return new_password_hash(
        s, password, email=user.email, given_name=user.given_name, family_name=user.family_name
    )


def keyed_digest(s: Service, label: str, value: str) -> str:
    """An HMAC-SHA256 of ``value`` under a key derived from the newest secret key, as hex.

    For values that must be compared but not kept (attempt-limit keys, login codes).
    """
    key = hmac.new(s._ctx.secret_keys[-1], b"accountkit.digest\x00" + label.encode(), "sha256")
    return hmac.new(
        key.digest(), value.encode("utf-8", "surrogatepass"), hashlib.sha256
    ).hexdigest()
