"""The sign-in lookup's fast path gives exactly the key that full validation gives."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accountkit.domain.validation import _PLAIN_EMAIL, email_key, lookup_key, normalise_email
from accountkit.errors import InvalidEmail


def _slow_key(address: str) -> str | None:
    try:
        return email_key(normalise_email(address))
    except InvalidEmail:
        return None


def _fast_key(address: str) -> str | None:
    try:
        return lookup_key(address)
    except InvalidEmail:
        return None


@settings(max_examples=500)
@given(st.from_regex(_PLAIN_EMAIL, fullmatch=True))
def test_plain_addresses_get_the_validated_key(address: str) -> None:
    """For every plain ASCII address, the fast key equals email_key(normalise_email(...)),
    and the fast path refuses exactly what email-validator refuses."""
    assert _fast_key(address) == _slow_key(address)


@given(st.text(max_size=80))
def test_any_text_gets_the_validated_key(text: str) -> None:
    """For any text at all, the lookup key is the validated key or the same refusal."""
    assert _fast_key(text) == _slow_key(text)


@pytest.mark.parametrize(
    "address",
    [
        " Ada.Lovelace@Example.COM ",
        "user@bücher.de",
        '"quoted"@example.com',
        "a..b@example.com",
        "a@example.test",
        "a@xn--bcher-kva.de",
        "a@exa--mple.com",
    ],
)
def test_unusual_addresses_match_full_validation(address: str) -> None:
    """Addresses outside the fast path take the full validation, with the same result."""
    assert _fast_key(address) == _slow_key(address)
