"""Where links and notices for people go: the :class:`Notifier` Protocol and the :class:`Outbox`.

accountkit never hands a link that must reach a person back to the caller; it sends it
to the notifier, so that a call answers the same whether or not an account exists. The
shop's notifier writes and sends the e-mail. The sign-in and policy capabilities send
the messages; the foundation defines their shape.
"""

from __future__ import annotations

import enum
import threading
from datetime import datetime
from typing import Protocol, runtime_checkable

import attrs

__all__ = ["Message", "MessageKind", "Notifier", "Outbox"]


class MessageKind(enum.StrEnum):
    """What a message is for."""

    INVITATION = "invitation"
    UPGRADE = "upgrade"
    PASSWORD_RESET = "password_reset"
    EMAIL_VERIFICATION = "email_verification"
    LOGIN_LINK = "login_link"
    PASSWORD_CHANGED = "password_changed"


@attrs.frozen(kw_only=True)
class Message:
    """One message for a person.

    Attributes:
        kind: What it is for.
        recipient: The e-mail address to send it to.
        user_id: The user it concerns.
        link: The link to put in it, if any.
        created_at: When accountkit made it (UTC).
    """

    kind: MessageKind
    recipient: str = attrs.field(repr=False)  # an e-mail address: kept out of logs
    user_id: str
    link: str | None = None
    created_at: datetime


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
