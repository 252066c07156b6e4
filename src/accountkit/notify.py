"""Where links and notices for people go: the :class:`Notifier` Protocol and the :class:`Outbox`.

accountkit never hands a link that must reach a person back to the caller; it sends it
to the notifier, so that a call answers the same whether or not an account exists. The
shop's notifier writes and sends the e-mail.

Messages are sent when the kit call's unit of work has committed, never from inside it, so
that a failed call sends nothing. (A kit call inside the shop's own ``with
store.transaction():`` sends when the call returns; should the shop's unit then roll back, a
link in such a message fails as revoked.) The notifier runs in the caller's thread: a slow
mail server slows the request, so a production notifier queues the message and returns.
"""

from __future__ import annotations

import enum
import threading
from datetime import datetime
from typing import Protocol, runtime_checkable

import attrs

__all__ = ["Message", "MessageKind", "Notifier", "Outbox"]


class MessageKind(enum.StrEnum):
    """What a message is for.

    - ``INVITATION``: a link to accept an invitation and set a password.
    - ``UPGRADE``: a link for a guest to become a full user (also sent when someone
      registers with a guest's address).
    - ``PASSWORD_RESET``: a link to set a new password.
    - ``EMAIL_VERIFICATION``: a link that proves the address (double opt-in).
    - ``LOGIN_LINK``: a sign-in link asked for on the sign-in page.
    - ``LOGIN_CODE``: a 6-digit sign-in code (in ``code``; no link).
    - ``PASSWORD_CHANGED``: a notice that the password was changed or reset.
    - ``EMAIL_CHANGE``: a link, to the new address, that confirms an e-mail change.
    - ``EMAIL_CHANGE_NOTICE``: a notice, to the old address, that a change was asked for.
    - ``EMAIL_CHANGED``: a notice, to the old address, that the address has changed.
    - ``ACCOUNT_EXISTS``: a notice that someone tried to register with this address,
      which has an account already (with a sign-in or reset link).
    - ``COMPANY_INVITATION``: a notice to an address that has an account already: a
      company manager invited it to their company (no link; the operator or the manager
      adds the account as a member once its owner agrees).
    - ``REGISTRATION_APPROVED``: a notice that the operator approved the registration;
      the person may sign in now (no link).
    - ``REGISTRATION_REJECTED``: a notice that the operator rejected the registration and
      deleted its data (``reason`` may say why; no link).
    """

    INVITATION = "invitation"
    UPGRADE = "upgrade"
    PASSWORD_RESET = "password_reset"
    EMAIL_VERIFICATION = "email_verification"
    LOGIN_LINK = "login_link"
    LOGIN_CODE = "login_code"
    PASSWORD_CHANGED = "password_changed"
    EMAIL_CHANGE = "email_change"
    EMAIL_CHANGE_NOTICE = "email_change_notice"
    EMAIL_CHANGED = "email_changed"
    ACCOUNT_EXISTS = "account_exists"
    COMPANY_INVITATION = "company_invitation"
    REGISTRATION_APPROVED = "registration_approved"
    REGISTRATION_REJECTED = "registration_rejected"


@attrs.frozen(kw_only=True)
class Message:
    """One message for a person.

    Attributes:
        kind: What it is for.
        recipient: The e-mail address to send it to.
        user_id: The user it concerns.
        link: The link to put in it, if any (it holds a token: never log it).
        code: The sign-in code of a ``LOGIN_CODE`` message (never log it).
        channel: The sales channel it is sent for, to brand the e-mail.
        created_at: When accountkit made it (UTC).
        reason: The operator's words for a ``REGISTRATION_REJECTED`` notice, if any.

    Its ``repr`` shows neither recipient, link, code nor reason.
    """

    kind: MessageKind
    recipient: str = attrs.field(repr=False)  # an e-mail address: kept out of logs
    user_id: str
    link: str | None = attrs.field(default=None, repr=False)
    code: str | None = attrs.field(default=None, repr=False)
    channel: str | None = None
    created_at: datetime
    reason: str | None = attrs.field(default=None, repr=False)


@runtime_checkable
class Notifier(Protocol):
    """Receives messages for people; the shop's implementation sends them."""

    def send(self, message: Message) -> None:
        """Deliver or queue ``message``."""
        ...


class Outbox:
    """A notifier that keeps messages in memory: for tests, examples and the demo."""

    def __init__(self) -> None:
        self._messages: list[Message] = []
        self._lock = threading.Lock()

    def send(self, message: Message) -> None:
        """Keep ``message``."""
        with self._lock:
            self._messages.append(message)

    @property
    def messages(self) -> list[Message]:
        """A copy of the messages kept so far, oldest first."""
        with self._lock:
            return list(self._messages)

    def clear(self) -> None:
        """Forget every message."""
        with self._lock:
            self._messages.clear()
