"""What the store keeps for signing in: sessions, e-mailed login codes, issued one-time
tokens and failed-attempt counters. Frozen records; the rules live in ``services.auth``."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

__all__ = ["AttemptWindow", "IssuedToken", "LoginCode", "Session", "SignInMethod"]


class SignInMethod(enum.StrEnum):
    """How a session began."""

    PASSWORD = "password"
    LOGIN_LINK = "login_link"
    LOGIN_CARD = "login_card"
    CODE = "code"
    UPGRADE = "upgrade"
    PASSWORD_RESET = "password_reset"
    INVITATION = "invitation"


@attrs.frozen(kw_only=True)
class Session:
    """One signed-in browser (or app): what ``kit.auth.authenticate`` checks per request.

    Attributes:
        id: Random and unguessable; the session token is this id, signed. Kept out of
            ``repr`` all the same.
        user_id: Who is signed in.
        method: How the session began.
        security_version: The user's security version at sign-in; once the user's differs
            (a password, e-mail, tier or status change, ``revoke_tokens``) the session is dead.
        created_at: When it began (UTC); the absolute lifetime counts from here.
        last_seen_at: When it was last used (UTC, refreshed now and then); the idle
            lifetime counts from here.
    """

    id: str = attrs.field(repr=False)
    user_id: str
    method: SignInMethod = attrs.field(converter=SignInMethod)
    security_version: int
    created_at: datetime
    last_seen_at: datetime


@attrs.frozen(kw_only=True)
class LoginCode:
    """The one live e-mailed login code of a user, stored only as a keyed hash.

    Attributes:
        id: Random; tells this code from the one a new request puts in its place.
        user_id: Whose code it is (one per user: a new request replaces the old).
        code_hash: HMAC of the code under the kit's newest secret key; never the code.
        created_at: When it was sent (UTC).
        expires_at: After this moment it is dead (UTC).
        failures: Wrong codes tried against it so far.
    """

    id: str = attrs.field(repr=False)
    user_id: str
    code_hash: str = attrs.field(repr=False)
    created_at: datetime
    expires_at: datetime
    failures: int = 0


@attrs.frozen(kw_only=True)
class IssuedToken:
    """The newest one-time token of one purpose issued to a user.

    A new one of the same purpose takes its place, so that an older link (a password reset
    asked for twice, a verification sent again) dies.

    Attributes:
        token_id: The token's random id (the key of the used-token ledger).
        user_id: Whom it was issued to.
        purpose: The token purpose's value (``"password_reset"``, ...).
        issued_at: When (UTC).
        note: What the redemption needs that the token may not carry, such as the new
            address of an e-mail change; ``None`` for most purposes.
    """

    token_id: str = attrs.field(repr=False)
    user_id: str
    purpose: str
    issued_at: datetime
    note: str | None = attrs.field(default=None, repr=False)


@attrs.frozen(kw_only=True)
class AttemptWindow:
    """Failed sign-in attempts counted under one opaque key in the current window.

    Attributes:
        key: An opaque digest (the services never pass an e-mail or an address).
        started_at: When the window's first failure happened (UTC).
        failures: How many failures the window holds.
    """

    key: str
    started_at: datetime
    failures: int
