"""Postal addresses. A natural person's address is kept only with an order (GDPR)."""

from __future__ import annotations

import re
import unicodedata

import attrs

from accountkit.errors import InvalidFields, InvalidValue, MissingField, ValidationError

__all__ = ["MAX_ADDRESS_LINE_LENGTH", "MAX_POSTAL_CODE_LENGTH", "Address", "validate_address"]

MAX_ADDRESS_LINE_LENGTH = 200
"""Longest line of an address (name, company, street, city, extra), in code points after NFC."""

MAX_POSTAL_CODE_LENGTH = 16
"""Longest postal code (the longest in use has 10 characters with its space)."""

_COUNTRY = re.compile(r"[A-Z]{2}")


@attrs.frozen(kw_only=True)
class Address:
    """A postal address, as printed on a label.

    Every line is personal data, so its ``repr`` shows the country only.

    Attributes:
        name: The recipient's name line.
        street: Street and house number.
        postal_code: Postal code.
        city: City.
        country: ISO 3166-1 alpha-2 country code, upper case (for example ``"DE"``).
        company: Company name line, if any.
        extra: A further line (c/o, floor), if any.
    """

    name: str = attrs.field(repr=False)
    street: str = attrs.field(repr=False)
    postal_code: str = attrs.field(repr=False)
    city: str = attrs.field(repr=False)
    country: str
    company: str | None = attrs.field(default=None, repr=False)
    extra: str | None = attrs.field(default=None, repr=False)

    def key(self) -> str:
        """A normalised form that makes two spellings of one address compare equal."""
        parts = (self.company, self.name, self.extra, self.street, self.postal_code, self.city)
        text = "|".join(" ".join((p or "").split()) for p in parts) + "|" + self.country
        return unicodedata.normalize("NFKC", text).casefold()


def _line(value: object, field: str, *, limit: int, required: bool) -> str | None:
    """One address line trimmed and NFC-normalised; ``None`` for an empty optional line."""
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise InvalidValue(f"The {field} must be text.", field=field)
    line = unicodedata.normalize("NFC", value).strip()
    if not line:
        if required:
            raise MissingField(f"The {field} is empty; fill it in.", field=field)
        return None
    if len(line) > limit:
        raise InvalidValue(f"The {field} is longer than {limit} characters.", field=field)
    if any(unicodedata.category(ch)[0] == "C" for ch in line):
        raise InvalidValue(
            f"The {field} holds control or invisible characters (a line break, a zero-width "
            "space); remove them.",
            field=field,
        )
    return line


def validate_address(value: object, *, field: str = "address") -> Address:
    """Check every line of a postal address and return it normalised: lines trimmed and in
    NFC, empty optional lines (company, extra) as ``None``, the country upper-cased.

    Name, street, postal code, city and country are required; each line is text of at most
    200 characters (a postal code 16) without control or format characters; the country is
    an ISO 3166-1 alpha-2 code (``"DE"``). Messages never quote the address.

    Args:
        value: The :class:`Address` as given.
        field: The argument's name; each line's error is named ``field.line`` (for example
            ``"bill_to.postal_code"``).

    Raises:
        InvalidValue: ``value`` is not an Address (field ``field``).
        InvalidFields: One or more lines are missing or invalid; ``errors`` holds one
            MissingField or InvalidValue per line, in the order of the label.

    Example:
        >>> validate_address(
        ...     Address(name=" Ada ", street="Main St 1", postal_code="10115", city="Berlin",
        ...             country="de"), field="bill_to").country
        'DE'
    """
    if not isinstance(value, Address):
        raise InvalidValue(
            f"The {field} must be an Address(name=..., street=..., postal_code=..., "
            "city=..., country=...).",
            field=field,
        )
    errors: list[ValidationError] = []
    lines: dict[str, str | None] = {}
    specs = (
        ("company", MAX_ADDRESS_LINE_LENGTH, False),
        ("name", MAX_ADDRESS_LINE_LENGTH, True),
        ("extra", MAX_ADDRESS_LINE_LENGTH, False),
        ("street", MAX_ADDRESS_LINE_LENGTH, True),
        ("postal_code", MAX_POSTAL_CODE_LENGTH, True),
        ("city", MAX_ADDRESS_LINE_LENGTH, True),
    )
    for name, limit, required in specs:
        try:
            lines[name] = _line(
                getattr(value, name), f"{field}.{name}", limit=limit, required=required
            )
        except ValidationError as exc:
            errors.append(exc)
    country = value.country
    if not isinstance(country, str) or not _COUNTRY.fullmatch(country.strip().upper()):
        errors.append(
            InvalidValue(
                f"The {field}.country is the ISO 3166-1 alpha-2 code, such as DE or SE.",
                field=f"{field}.country",
            )
        )
    if errors:
        raise InvalidFields(tuple(errors))
    assert isinstance(country, str)
    return Address(
        name=_required(lines["name"]),
        street=_required(lines["street"]),
        postal_code=_required(lines["postal_code"]),
        city=_required(lines["city"]),
        country=country.strip().upper(),
        company=lines["company"],
        extra=lines["extra"],
    )


def _required(line: str | None) -> str:
    assert line is not None  # a required line is never None once checked
    return line
