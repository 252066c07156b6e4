"""The one rule for enum arguments: the member itself, or its exact value as a plain string."""

from __future__ import annotations

import enum
from typing import TypeVar

from accountkit.errors import InvalidValue, ValidationError

__all__ = ["as_enum"]

E = TypeVar("E", bound=enum.Enum)


def as_enum(
    enum_type: type[E],
    value: object,
    *,
    field: str,
    error: type[ValidationError] = InvalidValue,
) -> E:
    """Return ``value`` as a member of ``enum_type``.

    Accepted: a member of ``enum_type``, or a plain string equal to a member's value
    (``"full"`` for ``UserTier.FULL``). Anything else (another case, another enum's member,
    ``None``, a number) is refused, so that a typo never silently means something else.

    Args:
        enum_type: The enum the argument belongs to.
        value: What the caller passed.
        field: The argument's name, for the error and its message.
        error: The ValidationError subclass to raise (policies raise InvalidPolicy).

    Raises:
        InvalidValue: (or ``error``) ``value`` is not accepted; the message names the enum
            and its allowed values, never the value given.
    """
    if isinstance(value, enum_type):
        return value
    if isinstance(value, str) and not isinstance(value, enum.Enum):
        for member in enum_type:
            if member.value == value:
                return member
    allowed = ", ".join(repr(member.value) for member in enum_type)
    raise error(
        f"{field} must be a member of {enum_type.__name__} or one of its values: {allowed}.",
        field=field,
    )
