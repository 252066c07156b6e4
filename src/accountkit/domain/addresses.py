"""Postal addresses. A natural person's address is kept only with an order (GDPR)."""

from __future__ import annotations

import unicodedata

import attrs

__all__ = ["Address"]


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
