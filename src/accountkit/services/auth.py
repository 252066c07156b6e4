"""Sign-in: ``kit.auth``. Passwords, links and QR codes, e-mailed codes, sessions, resets,
e-mail verification and change.

Rules every method keeps (docs/security.md explains why):

- A call that takes an e-mail address answers the same whether an account has it or not;
  what must reach the person goes to the Notifier, after the unit of work committed.
- A password sign-in costs exactly one hash computation, whatever the address.
- One-time links are redeemed in the unit that makes their change: at most once, also
  across processes; a newer link of the same purpose kills the older one.
- Every session, token and link of a user dies when their password, e-mail, tier or status
  changes, and on :meth:`AuthService.revoke_tokens`.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Literal

import attrs

from accountkit.domain import Actor, EventKind, LoginCode, SignInMethod, User, UserTier
from accountkit.domain._enums import as_enum
from accountkit.domain._ids import new_id
from accountkit.domain.validation import email_key, lookup_key, normalise_email
from accountkit.errors import (
    ConcurrentUpdate,
    EmailNotVerified,
    EmailTaken,
    InvalidCredentials,
    InvalidEmail,
    InvalidValue,
    LoginCodeInvalid,
    PasswordNotText,
    PasswordTooLong,
    SessionExpired,
    SessionRevoked,
    TokenRevoked,
    TokenWrongPurpose,
    TooManyAttempts,
    WrongTier,
)
from accountkit.notify import Message, MessageKind
from accountkit.security import qr
from accountkit.security.passwords import MAX_PASSWORD_LENGTH, normalise_password
from accountkit.security.tokens import TokenClaims, TokenPurpose, build_link, new_token_id
from accountkit.services._base import Service, load_user, require_self_or_staff
from accountkit.services._signin import (
    SignIn,
    check_current,
    check_token,
    keyed_digest,
    message,
    one_time_link,
    password_hash_for,
    peek_token,
    redeem_token,
    require_may_sign_in,
    send_all,
    start_session,
)
from accountkit.services._signin import base_url as channel_base_url
from accountkit.storage._protocols import Transaction

__all__ = ["AuthService", "SignIn"]

LOGIN_CODE_AGE = timedelta(minutes=10)
"""How long an e-mailed login code stays valid."""

LOGIN_CODE_TRIES = 3
"""Wrong codes after which a login code is dead."""

_MAX_CLIENT_KEY = 256


class AuthService:
    """Signing in and out: ``kit.auth``.

    Every successful sign-in returns a :class:`SignIn` whose ``session_token`` the shop keeps
    in its cookie; :meth:`authenticate` turns it back into the user on each request.
    """

    def __init__(self, service: Service) -> None:
        self._s = service
        # For a hasher without dummy_verify: a hash nobody has, made once, to verify against.
        self._dummy_hash: str | None = None

    # --- keys and checks --------------------------------------------------------------------

    def _account_key(self, email: object) -> tuple[str | None, str]:
        """The e-mail key to look the account up by (None when it cannot be one) and the
        limiter's digest of it. Case variants share both."""
        allow = self._s._ctx.allow_special_use_domains
        key: str | None
        try:
            key = lookup_key(email, allow_special_use=allow) if isinstance(email, str) else None
        except InvalidEmail:
            key = None
        basis = (
            key if key is not None else (email.strip().lower() if isinstance(email, str) else "")
        )
        return key, "a:" + keyed_digest(self._s, "account", basis)

    def _client_key(self, client: str | None) -> str | None:
        if client is None:
            return None
        if not isinstance(client, str) or not 0 < len(client) <= _MAX_CLIENT_KEY:
            raise InvalidValue(
                f"client is the shop's key for the client (an IP address), 1 to "
                f"{_MAX_CLIENT_KEY} characters, or None.",
                field="client",
            )
        return "c:" + keyed_digest(self._s, "client", client)

    def _throttle(self, account: str, client: str | None) -> None:
        wait = self._s._ctx.limiter.retry_after(
            account=account, client=client, at=self._s._ctx.clock.now()
        )
        if wait is not None:
            raise TooManyAttempts(retry_after=max(1, int(wait.total_seconds())))

    def _failed(self, account: str, client: str | None) -> None:
        self._s._ctx.limiter.failed(account=account, client=client, at=self._s._ctx.clock.now())

    def _succeeded(self, account: str, client: str | None) -> None:
        self._s._ctx.limiter.succeeded(account=account, client=client, at=self._s._ctx.clock.now())

    def _verify_once(self, user: User | None, password: str) -> bool:
        """Exactly one hash computation: against the user's hash, or a dummy one."""
        hasher = self._s._ctx.hasher
        if user is None or user.password_hash is None:
            dummy = getattr(hasher, "dummy_verify", None)
            if callable(dummy):
                dummy(password)
            else:
                # A hasher without dummy_verify: verify against a hash made once per hasher.
                if self._dummy_hash is None:
                    self._dummy_hash = hasher.hash(secrets.token_urlsafe(16))
                hasher.verify(self._dummy_hash, password)
            return False
        return hasher.verify(user.password_hash, password)

    def _rehash_for(self, user: User, password: str) -> str | None:
        """A new hash when the stored one is legacy or made with other parameters."""
        hasher = self._s._ctx.hasher
        needs = getattr(hasher, "needs_rehash", None)
        if user.password_hash is None or not callable(needs) or not needs(user.password_hash):
            return None
        return hasher.hash(password)

    def _store_rehash(self, tx: Transaction, user: User, new_hash: str | None) -> User:
        """Store the new hash; skipped (until the next sign-in) when another change of the
        user won the race, without failing the sign-in."""
        if new_hash is None:
            return user
        fresh = attrs.evolve(user, password_hash=new_hash, updated_at=self._s._ctx.clock.now())
        try:
            with self._s._ctx.store.transaction() as inner:
                return inner.users.update(fresh)
        except ConcurrentUpdate:
            return user

    # --- passwords --------------------------------------------------------------------------

    def login_with_password(
        self,
        email: str,
        password: str,
        *,
        client: str | None = None,
        channel: str | None = None,
    ) -> SignIn:
        """Sign in with e-mail address and password.

        Costs exactly one hash computation whether the address is unknown, belongs to a
        guest or blank user without a password, or is right; unknown address and wrong
        password raise the same error. A hash made with other parameters (or a legacy
        Django or bcrypt hash) is replaced by an argon2id hash at this sign-in.

        Args:
            email: The address as typed (case and Unicode form do not matter).
            password: The password as typed (composed and decomposed accents verify the
                same).
            client: The shop's key for the client, such as the IP address, for the
                per-client attempt limit; ``None`` counts per account only.
            channel: The channel signed in on; its ``require_email_verification`` applies.

        Raises:
            InvalidCredentials: Unknown address, wrong password, or no password set.
            TooManyAttempts: Too many failures for this account or client; nothing was
                computed. ``retry_after`` says how long to wait.
            PasswordTooLong, PasswordNotText: Input no password can be; nothing computed.
            EmailNotVerified: The channel requires a verified address, and this one was not
                verified yet (only after the password was right).
            UserDisabled, AwaitingApproval: The account may not sign in (likewise).
            ChannelNotFound: No such channel.
        """
        ch = self._s._channel(channel)
        key, account = self._account_key(email)
        client_key = self._client_key(client)
        password = _login_password(password)
        self._throttle(account, client_key)
        user = None if key is None else self._s._read(lambda tx: tx.users.get_by_email(key))
        if not self._verify_once(user, password) or user is None:
            self._failed(account, client_key)
            raise InvalidCredentials()
        self._succeeded(account, client_key)
        require_may_sign_in(user)
        if ch.policy.require_email_verification and user.email_verified_at is None:
            raise EmailNotVerified()
        checked = user
        # Outside the unit: a hash computation must not hold the database's write lock.
        new_hash = self._rehash_for(user, password)

        def work(tx: Transaction) -> SignIn:
            current = load_user(tx, checked.id)
            if current.security_version != checked.security_version:
                # The password (or status) changed since it was checked.
                raise InvalidCredentials()
            new = None if current.password_hash != checked.password_hash else new_hash
            return start_session(
                self._s, tx, self._store_rehash(tx, current, new), SignInMethod.PASSWORD
            )

        return self._s._write(work)

    def change_password(
        self,
        user_id: str,
        *,
        current_password: str,
        new_password: str,
        client: str | None = None,
    ) -> SignIn:
        """Change a FULL user's password; needs the current one.

        Every session and link of the user dies (a stolen session cannot outlive the
        change); the returned SignIn is the caller's new session. A PASSWORD_CHANGED notice
        goes to the user's address.

        Raises:
            InvalidCredentials: ``current_password`` is wrong (counts for the attempt limit).
            TooManyAttempts: Too many wrong passwords for this account.
            WrongTier: The user has no password (a guest or blank user).
            InvalidPassword: ``new_password`` breaks the PasswordPolicy (its subclass says
                why); nothing changed.
            UserNotFound, UserDisabled, AwaitingApproval.
        """
        user = self._s._read(lambda tx: load_user(tx, user_id))
        require_may_sign_in(user)
        if user.tier is not UserTier.FULL or user.password_hash is None:
            raise WrongTier("Only a full user has a password to change.")
        assert user.email is not None
        _, account = self._account_key(user.email)
        client_key = self._client_key(client)
        current_password = _login_password(current_password)
        self._throttle(account, client_key)
        if not self._s._ctx.hasher.verify(user.password_hash, current_password):
            self._failed(account, client_key)
            raise InvalidCredentials("The current password is wrong; try again.")
        new_hash = password_hash_for(self._s, new_password, user)
        checked = user

        def work(tx: Transaction) -> SignIn:
            current = load_user(tx, checked.id, expected_version=checked.version)
            changed = self._s._save_user(
                tx,
                current,
                attrs.evolve(current, password_hash=new_hash),
                EventKind.PASSWORD_CHANGED,
                Actor.user(current.id),
                {"how": "change"},
            )
            tx.sessions.remove_for_user(current.id)
            return start_session(self._s, tx, changed, SignInMethod.PASSWORD)

        result = self._s._write(work)
        self._succeeded(account, client_key)
        send_all(self._s, [message(self._s, MessageKind.PASSWORD_CHANGED, result.user)])
        return result

    def request_password_reset(self, email: str, *, channel: str | None = None) -> None:
        """E-mail a PASSWORD_RESET link (valid 1 hour, once) if a full account has this
        address; a guest gets an UPGRADE link instead (it has no password to reset).

        Answers the same (``None``) for every address, known or not, and works while
        password sign-in is throttled. A new request kills the link sent before.

        Raises:
            InvalidEmail: Not an e-mail address at all.
            InvalidPolicy: The channel has no ``base_url`` (checked first, for every address).
            ChannelNotFound: No such channel.
        """
        ch = self._s._channel(channel)
        channel_base_url(ch)
        key = self._lookup(email)

        def work(tx: Transaction) -> list[Message]:
            user = tx.users.get_by_email(key)
            if user is None or not user.is_active or user.email is None:
                return []
            if user.tier is UserTier.FULL:
                link = one_time_link(self._s, tx, user, TokenPurpose.PASSWORD_RESET, ch)
                return [message(self._s, MessageKind.PASSWORD_RESET, user, channel=ch, link=link)]
            if user.tier is UserTier.GUEST:
                link = one_time_link(self._s, tx, user, TokenPurpose.UPGRADE, ch)
                return [message(self._s, MessageKind.UPGRADE, user, channel=ch, link=link)]
            return []

        send_all(self._s, self._s._write(work))

    def reset_password(self, token: str, new_password: str) -> SignIn:
        """Set a new password with a PASSWORD_RESET link's token; signs the user in.

        The token is used up in the unit that sets the password. Every other session and
        link of the user dies, the attempt limit for the account is cleared, the address
        counts as verified (the link reached it), and a PASSWORD_CHANGED notice is sent.

        Raises:
            TokenInvalid, TokenExpired, TokenUsed, TokenRevoked, TokenWrongPurpose: The
                token cannot be used (a newer reset link also revokes this one).
            InvalidPassword: ``new_password`` breaks the PasswordPolicy; the token stays
                usable.
            UserDisabled, AwaitingApproval.
        """
        user = peek_token(self._s, token, TokenPurpose.PASSWORD_RESET)
        require_may_sign_in(user)
        new_hash = password_hash_for(self._s, new_password, user)

        def work(tx: Transaction) -> SignIn:
            issued = redeem_token(self._s, tx, token, TokenPurpose.PASSWORD_RESET)
            current = load_user(tx, issued.user_id)
            require_may_sign_in(current)
            changed = self._s._save_user(
                tx,
                current,
                attrs.evolve(
                    current,
                    password_hash=new_hash,
                    email_verified_at=current.email_verified_at or self._s._ctx.clock.now(),
                ),
                EventKind.PASSWORD_CHANGED,
                Actor.user(current.id),
                {"how": "reset"},
            )
            tx.sessions.remove_for_user(current.id)
            return start_session(self._s, tx, changed, SignInMethod.PASSWORD_RESET)

        result = self._s._write(work)
        assert result.user.email is not None
        self._succeeded(self._account_key(result.user.email)[1], None)
        send_all(self._s, [message(self._s, MessageKind.PASSWORD_CHANGED, result.user)])
        return result

    # --- links and QR codes -----------------------------------------------------------------

    def login_link(
        self,
        user_id: str,
        *,
        base_url: str | None = None,
        max_age: timedelta | None = None,
        channel: str | None = None,
    ) -> str:
        """Return a direct sign-in link for the user (for an order e-mail, a newsletter, a
        printed card). Anyone holding it can sign in as the user until it expires.

        Args:
            user_id: The user; any tier, active.
            base_url: The page the link opens, from the shop's own configuration (a card's
                landing page); defaults to the channel's ``base_url``. Never take it from a
                request's Host header.
            max_age: Leave out for a LOGIN link valid 15 minutes; give it (at most 365
                days) for a printed card (a LOGIN_CARD token).
            channel: Whose ``base_url`` to use by default.

        Raises:
            UserNotFound, UserDisabled, AwaitingApproval.
            InvalidPolicy: No ``base_url`` given and the channel has none.
            InvalidValue: A bad ``base_url`` or ``max_age``.
        """
        ch = self._s._channel(channel)
        url = base_url if base_url is not None else channel_base_url(ch)
        user = self._s._read(lambda tx: load_user(tx, user_id))
        require_may_sign_in(user)
        purpose = TokenPurpose.LOGIN if max_age is None else TokenPurpose.LOGIN_CARD
        token = self._s._ctx.tokens.issue(user, purpose, max_age=max_age)
        return build_link(url, token)

    def login_qr(
        self,
        user_id: str,
        *,
        base_url: str | None = None,
        max_age: timedelta | None = None,
        format: Literal["svg", "png"] = "svg",
        scale: int = 4,
        channel: str | None = None,
    ) -> bytes:
        """Return :meth:`login_link` drawn as a QR code (error correction M, quiet zone
        kept), as SVG or PNG bytes. segno is imported only here.

        Args:
            user_id, base_url, max_age, channel: As for :meth:`login_link`.
            format: ``"svg"`` or ``"png"``.
            scale: Pixels (SVG units) per module, 1 to 64.

        Raises:
            As :meth:`login_link`; InvalidValue for a bad ``format`` or ``scale``.
        """
        link = self.login_link(user_id, base_url=base_url, max_age=max_age, channel=channel)
        return qr.render(link, format, scale=scale)

    def upgrade_link(
        self, user_id: str, *, base_url: str | None = None, channel: str | None = None
    ) -> str:
        """Return an UPGRADE link for a guest (14 days, once), for a page or a printed
        receipt of the shop's own; ``upgrade_guest`` redeems it. It kills the upgrade link
        sent before. Whoever holds it can make the account full, so hand it only to the
        guest (the e-mailed way is ``request_password_reset``, which sends one).

        Raises:
            UserNotFound, UserDisabled, AwaitingApproval.
            WrongTier: The user is not a guest.
            InvalidPolicy: No ``base_url`` given and the channel has none.
            InvalidValue: A bad ``base_url``.
        """
        ch = self._s._channel(channel)
        url = base_url if base_url is not None else channel_base_url(ch)

        def work(tx: Transaction) -> str:
            user = load_user(tx, user_id)
            require_may_sign_in(user)
            if user.tier is not UserTier.GUEST:
                raise WrongTier("Only a guest gets an upgrade link.")
            token_id = new_token_id()
            token = self._s._ctx.tokens.issue(user, TokenPurpose.UPGRADE, token_id=token_id)
            tx.tokens.issue(
                token_id,
                user_id=user.id,
                purpose=TokenPurpose.UPGRADE.value,
                at=self._s._ctx.clock.now(),
            )
            return build_link(url, token)

        return self._s._write(work)

    def upgrade_qr(
        self,
        user_id: str,
        *,
        base_url: str | None = None,
        format: Literal["svg", "png"] = "svg",
        scale: int = 4,
        channel: str | None = None,
    ) -> bytes:
        """Return :meth:`upgrade_link` drawn as a QR code (as :meth:`login_qr` draws).

        Raises:
            As :meth:`upgrade_link`; InvalidValue for a bad ``format`` or ``scale``.
        """
        # Checked before the link is recorded, so a bad argument kills no earlier link.
        if format not in ("svg", "png"):
            raise InvalidValue('format must be "svg" or "png".', field="format")
        if (
            isinstance(scale, bool)
            or not isinstance(scale, int)
            or not 1 <= scale <= qr.MAX_QR_SCALE
        ):
            raise InvalidValue(
                f"scale must be a whole number from 1 to {qr.MAX_QR_SCALE}.", field="scale"
            )
        link = self.upgrade_link(user_id, base_url=base_url, channel=channel)
        return qr.render(link, format, scale=scale)

    def login_with_token(self, token: str) -> SignIn:
        """Sign in with the token of a login link or QR code (LOGIN or LOGIN_CARD).

        The token is not used up: it works until it expires or the user's password, e-mail,
        tier or status changes (so a mail scanner opening the link does no harm).

        Raises:
            TokenInvalid, TokenExpired, TokenRevoked, TokenWrongPurpose.
            UserDisabled, AwaitingApproval.
        """

        def work(tx: Transaction) -> SignIn:
            claims = self._inspect_login(tx, token)
            user = load_user(tx, claims.user_id)
            require_may_sign_in(user)
            method = (
                SignInMethod.LOGIN_CARD
                if claims.purpose is TokenPurpose.LOGIN_CARD
                else SignInMethod.LOGIN_LINK
            )
            return start_session(self._s, tx, user, method)

        return self._s._write(work)

    def _inspect_login(self, tx: Transaction, token: str) -> TokenClaims:
        codec = self._s._ctx.tokens
        try:
            return codec.inspect(token, TokenPurpose.LOGIN, user_lookup=tx.users.get)
        except TokenWrongPurpose:
            return codec.inspect(token, TokenPurpose.LOGIN_CARD, user_lookup=tx.users.get)

    def request_login_link(self, email: str, *, channel: str | None = None) -> None:
        """E-mail a LOGIN link (valid 15 minutes) if an active account has this address.

        Answers the same (``None``) for every address.

        Raises:
            InvalidEmail: Not an e-mail address at all.
            InvalidPolicy: The channel has no ``base_url``.
            ChannelNotFound: No such channel.
        """
        ch = self._s._channel(channel)
        url = channel_base_url(ch)
        key = self._lookup(email)
        user = self._s._read(lambda tx: tx.users.get_by_email(key))
        if user is None or not user.is_active or user.email is None:
            return
        link = build_link(url, self._s._ctx.tokens.issue(user, TokenPurpose.LOGIN))
        send_all(self._s, [message(self._s, MessageKind.LOGIN_LINK, user, channel=ch, link=link)])

    # --- e-mailed codes ---------------------------------------------------------------------

    def request_login_code(self, email: str, *, channel: str | None = None) -> None:
        """E-mail a 6-digit sign-in code (valid 10 minutes) if an active account has this
        address. Only a keyed hash of the code is stored; a new request kills the code
        before. Answers the same (``None``) for every address.

        Raises:
            InvalidEmail: Not an e-mail address at all.
            ChannelNotFound: No such channel.
        """
        ch = self._s._channel(channel)
        key = self._lookup(email)
        code = f"{secrets.randbelow(1_000_000):06d}"

        def work(tx: Transaction) -> list[Message]:
            user = tx.users.get_by_email(key)
            if user is None or not user.is_active or user.email is None:
                return []
            now = self._s._ctx.clock.now()
            tx.login_codes.put(
                LoginCode(
                    id=new_id("lc"),
                    user_id=user.id,
                    code_hash=self._code_hash(user.id, code),
                    created_at=now,
                    expires_at=now + LOGIN_CODE_AGE,
                )
            )
            return [message(self._s, MessageKind.LOGIN_CODE, user, channel=ch, code=code)]

        send_all(self._s, self._s._write(work))

    def _code_hash(self, user_id: str, code: str) -> str:
        return keyed_digest(self._s, "login-code", f"{user_id}\x00{code}")

    def login_with_code(self, email: str, code: str, *, client: str | None = None) -> SignIn:
        """Sign in with the code :meth:`request_login_code` sent.

        A code works once, for 10 minutes, and dies after 3 wrong tries or a new request.
        Wrong codes also count for the account's attempt limit. Using a code proves the
        address, so it counts as verified afterwards.

        Raises:
            LoginCodeInvalid: Wrong, expired, used or dead code, or unknown address (one
                error for all).
            TooManyAttempts: Too many failures for this account or client.
            UserDisabled, AwaitingApproval.
        """
        key, account = self._account_key(email)
        client_key = self._client_key(client)
        if not isinstance(code, str):
            raise InvalidValue("code is the text of the e-mailed code.", field="code")
        typed = code.strip().replace(" ", "").replace("-", "")
        self._throttle(account, client_key)

        def work(tx: Transaction) -> SignIn | None:
            user = None if key is None else tx.users.get_by_email(key)
            stored = None if user is None else tx.login_codes.get(user.id)
            if user is None or stored is None:
                return None
            now = self._s._ctx.clock.now()
            if now >= stored.expires_at or stored.failures >= LOGIN_CODE_TRIES:
                tx.login_codes.take(user.id, stored.id)
                return None
            right = (
                len(typed) == 6
                and typed.isascii()
                and typed.isdigit()
                and hmac.compare_digest(self._code_hash(user.id, typed), stored.code_hash)
            )
            if not right:
                failures = tx.login_codes.add_failure(user.id, stored.id)
                if failures is not None and failures >= LOGIN_CODE_TRIES:
                    tx.login_codes.take(user.id, stored.id)
                return None
            if not tx.login_codes.take(user.id, stored.id):
                return None
            require_may_sign_in(user)
            if user.email_verified_at is None:
                user = self._s._save_user(
                    tx,
                    user,
                    attrs.evolve(user, email_verified_at=now),
                    EventKind.EMAIL_VERIFIED,
                    Actor.user(user.id),
                    {"how": "login_code"},
                    security=False,
                )
            return start_session(self._s, tx, user, SignInMethod.CODE)

        result = self._s._write(work)
        if result is None:
            self._failed(account, client_key)
            raise LoginCodeInvalid()
        self._succeeded(account, client_key)
        return result

    # --- tokens -----------------------------------------------------------------------------

    def inspect_token(self, token: str, purpose: TokenPurpose | str) -> TokenClaims:
        """Check a token for ``purpose`` without using it up (a page that shows a form, or
        a mail scanner's GET, may call this freely).

        Raises:
            TokenInvalid, TokenExpired, TokenRevoked, TokenWrongPurpose; and for one-time
            purposes TokenUsed, or TokenRevoked when a newer link was sent since.
            InvalidValue: An unknown purpose.
        """

        def work(tx: Transaction) -> TokenClaims:
            claims = check_token(
                self._s, tx, token, as_enum(TokenPurpose, purpose, field="purpose")
            )
            if claims.one_time:
                check_current(tx, claims)
            return claims

        return self._s._read(work)

    # --- e-mail verification ----------------------------------------------------------------

    def verify_email(self, token: str) -> User:
        """Mark the address verified with an EMAIL_VERIFICATION link's token (once).

        Raises:
            TokenInvalid, TokenExpired, TokenUsed, TokenRevoked, TokenWrongPurpose.
        """

        def work(tx: Transaction) -> User:
            issued = redeem_token(self._s, tx, token, TokenPurpose.EMAIL_VERIFICATION)
            user = load_user(tx, issued.user_id)
            if user.email_verified_at is not None:
                return user
            return self._s._save_user(
                tx,
                user,
                attrs.evolve(user, email_verified_at=self._s._ctx.clock.now()),
                EventKind.EMAIL_VERIFIED,
                Actor.user(user.id),
                {"how": "link"},
                security=False,
            )

        return self._s._write(work)

    def resend_verification(self, email: str, *, channel: str | None = None) -> None:
        """Send a new EMAIL_VERIFICATION link if an account with this address is not
        verified yet; the link sent before dies. Answers the same for every address.

        Raises:
            InvalidEmail, InvalidPolicy (no ``base_url``), ChannelNotFound.
        """
        ch = self._s._channel(channel)
        channel_base_url(ch)
        key = self._lookup(email)

        def work(tx: Transaction) -> list[Message]:
            user = tx.users.get_by_email(key)
            if user is None or user.email_verified_at is not None or user.email is None:
                return []
            link = one_time_link(self._s, tx, user, TokenPurpose.EMAIL_VERIFICATION, ch)
            return [message(self._s, MessageKind.EMAIL_VERIFICATION, user, channel=ch, link=link)]

        send_all(self._s, self._s._write(work))

    # --- e-mail change ----------------------------------------------------------------------

    def request_email_change(
        self,
        user_id: str,
        new_email: str,
        *,
        current_password: str | None = None,
        channel: str | None = None,
    ) -> None:
        """Ask to change the user's address: an EMAIL_CHANGE link (48 hours, once) goes to
        the new address and an EMAIL_CHANGE_NOTICE to the old one. Nothing changes until
        the link is used.

        A new address that another account has answers the same as a free one (the notice
        still goes to the old address; no link is sent); uniqueness is checked again when
        the link is used.

        Args:
            user_id: The user (signed in; call it for the session's user).
            new_email: The new address.
            current_password: Required for a FULL user.
            channel: Whose ``base_url`` the link uses.

        Raises:
            InvalidCredentials: A FULL user's ``current_password`` is missing or wrong.
            TooManyAttempts: Too many wrong passwords.
            InvalidEmail: ``new_email`` is not an address; InvalidValue when it is the
                current one.
            WrongTier: A BLANK user (complete the profile instead).
            UserNotFound, UserDisabled, AwaitingApproval, InvalidPolicy, ChannelNotFound.
        """
        ch = self._s._channel(channel)
        channel_base_url(ch)
        address = normalise_email(
            new_email, field="new_email", allow_special_use=self._s._ctx.allow_special_use_domains
        )
        user = self._s._read(lambda tx: load_user(tx, user_id))
        require_may_sign_in(user)
        if user.email is None:
            raise WrongTier("A blank user has no address to change; complete the profile.")
        if email_key(address) == email_key(user.email):
            raise InvalidValue("That is the current address already.", field="new_email")
        if user.tier is UserTier.FULL:
            _, account = self._account_key(user.email)
            self._throttle(account, None)
            checked = _login_password(current_password) if current_password is not None else ""
            if user.password_hash is None or not self._s._ctx.hasher.verify(
                user.password_hash, checked
            ):
                self._failed(account, None)
                raise InvalidCredentials("The current password is wrong; try again.")
        checked_user = user

        def work(tx: Transaction) -> list[Message]:
            current = load_user(tx, checked_user.id, expected_version=checked_user.version)
            notice = message(self._s, MessageKind.EMAIL_CHANGE_NOTICE, current, channel=ch)
            if tx.users.get_by_email(email_key(address)) is not None:
                return [notice]
            link = one_time_link(self._s, tx, current, TokenPurpose.EMAIL_CHANGE, ch, note=address)
            change = message(
                self._s, MessageKind.EMAIL_CHANGE, current, channel=ch, recipient=address, link=link
            )
            return [change, notice]

        send_all(self._s, self._s._write(work))

    def confirm_email_change(self, token: str) -> SignIn:
        """Change the address with an EMAIL_CHANGE link's token (once); signs the user in.

        The new address counts as verified. Every other session and link of the user dies,
        and an EMAIL_CHANGED notice goes to the old address.

        Raises:
            TokenInvalid, TokenExpired, TokenUsed, TokenRevoked, TokenWrongPurpose.
            EmailTaken: Another account took the address since the request; the token
                stays unused.
            UserDisabled, AwaitingApproval.
        """

        def work(tx: Transaction) -> tuple[SignIn, Message]:
            # Redeem first: a concurrent redemption of the same link is TokenUsed here, not
            # EmailTaken by its own change. An error below rolls the redemption back.
            issued = redeem_token(self._s, tx, token, TokenPurpose.EMAIL_CHANGE)
            user = load_user(tx, issued.user_id)
            require_may_sign_in(user)
            address = issued.note
            if address is None:  # pragma: no cover - request_email_change always notes it
                raise TokenRevoked()
            if tx.users.get_by_email(email_key(address)) is not None:
                raise EmailTaken(
                    "Another account has taken this address since you asked; choose another."
                )
            old = message(self._s, MessageKind.EMAIL_CHANGED, user)
            changed = self._s._save_user(
                tx,
                user,
                attrs.evolve(user, email=address, email_verified_at=self._s._ctx.clock.now()),
                EventKind.EMAIL_CHANGED,
                Actor.user(user.id),
                {},
            )
            tx.sessions.remove_for_user(user.id)
            return start_session(self._s, tx, changed, SignInMethod.LOGIN_LINK), old

        result, notice = self._s._write(work)
        send_all(self._s, [notice])
        return result

    # --- sessions ---------------------------------------------------------------------------

    def authenticate(self, session_token: str) -> User:
        """Return the signed-in user of a session token (the cookie), or raise.

        One read by primary key (the session with its user); the session's last-seen time
        is written only when it is older than ``SessionPolicy.touch_every``.

        Raises:
            SessionInvalid: Not a session token of this shop (tampered, truncated, ...).
            SessionExpired: Idle or absolute lifetime passed.
            SessionRevoked: Signed out, signed out everywhere, or the account's password,
                e-mail, tier or status changed, or the user was erased.
        """
        ctx = self._s._ctx
        session_id = ctx.session_codec.session_id(session_token)
        found = self._s._read(lambda tx: tx.sessions.get(session_id))
        if found is None:
            raise SessionRevoked()
        session, user = found
        if session.security_version != user.security_version or not user.is_active:
            raise SessionRevoked()
        now = ctx.clock.now()
        policy = ctx.session_policy
        if now >= session.created_at + policy.absolute or now >= session.last_seen_at + policy.idle:
            raise SessionExpired()
        if now - session.last_seen_at >= policy.touch_every:
            self._s._write(lambda tx: tx.sessions.touch(session_id, now))
        return user

    def logout(self, session_token: str) -> None:
        """End one session (sign out this browser). Ending an ended session is harmless.

        Raises:
            SessionInvalid: Not a session token of this shop.
        """
        session_id = self._s._ctx.session_codec.session_id(session_token)
        self._s._write(lambda tx: tx.sessions.remove(session_id))

    def revoke_tokens(self, actor: Actor, user_id: str) -> None:
        """Sign out everywhere: end every session of the user and kill every link, code and
        token issued to them so far.

        Args:
            actor: The user themself or staff.
            user_id: Whose sessions and tokens end.

        Raises:
            NotPermitted: Another user acts.
            UserNotFound.
        """
        require_self_or_staff(actor, user_id)

        def work(tx: Transaction) -> None:
            user = load_user(tx, user_id)
            self._s._save_user(tx, user, user, EventKind.TOKENS_REVOKED, actor, {})
            tx.sessions.remove_for_user(user_id)
            code = tx.login_codes.get(user_id)
            if code is not None:
                tx.login_codes.take(user_id, code.id)

        self._s._write(work)

    def _lookup(self, email: str) -> str:
        return lookup_key(email, allow_special_use=self._s._ctx.allow_special_use_domains)


def _login_password(password: object) -> str:
    """Refuse, before any lookup or hashing, input that no password can be."""
    if not isinstance(password, str):
        raise PasswordNotText()
    if len(password) > MAX_PASSWORD_LENGTH * 4:
        raise PasswordTooLong()
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        raise PasswordNotText() from None
    if len(normalise_password(password)) > MAX_PASSWORD_LENGTH:
        raise PasswordTooLong()
    return password
