"""Money: a Decimal amount with an ISO 4217 currency code, rounded to the currency's minor
unit half-even (banker's rounding) wherever accountkit computes an amount."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from types import MappingProxyType

from accountkit.errors import InvalidAmount, UnknownCurrency

__all__ = [
    "CURRENCY_MINOR_UNITS",
    "MAX_AMOUNT_DIGITS",
    "check_amount",
    "check_currency",
    "round_money",
]


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ZERO = _codes("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF")
_THREE = _codes("BHD IQD JOD KWD LYD OMR TND")
_FOUR = _codes("CLF UYW")
_TWO = _codes(
    """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN
    BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP
    GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT
    LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN
    NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE
    SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES
    WST XCD XCG YER ZAR ZMW ZWG
    """
)

CURRENCY_MINOR_UNITS: Mapping[str, int] = MappingProxyType(
    {
        **dict.fromkeys(sorted(_TWO), 2),
        **dict.fromkeys(sorted(_ZERO), 0),
        **dict.fromkeys(sorted(_THREE), 3),
        **dict.fromkeys(sorted(_FOUR), 4),
    }
)
"""The active ISO 4217 currency codes (ISO 4217 amendment list, 2025; precious metals,
test and "no currency" codes left out) and the digits of their minor unit."""

MAX_AMOUNT_DIGITS = 18
"""Most digits of an amount, its minor unit included: an amount in minor units fits a
64-bit integer, so stores can sum amounts exactly."""


def check_currency(value: object, *, field: str = "currency") -> str:
    """Return ``value`` if it is an active ISO 4217 code in upper case (``"EUR"``).

    Raises:
        UnknownCurrency: It is not text, or not a code in :data:`CURRENCY_MINOR_UNITS`.
    """
    if not isinstance(value, str) or value not in CURRENCY_MINOR_UNITS:
        raise UnknownCurrency(field=field)
    return value


def check_amount(value: object, currency: str, *, field: str = "total") -> Decimal:
    """Return ``value`` as a Decimal if it can be an order's amount in ``currency``: a
    finite Decimal (or int) of zero or more, with no more decimal places than the
    currency's minor unit and at most :data:`MAX_AMOUNT_DIGITS` digits. Floats are refused:
    ``0.1`` is not one tenth.

    Raises:
        InvalidAmount: ``value`` breaks one of those rules; the message says which.
    """
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise InvalidAmount(
            'An amount is a decimal.Decimal (or an int), never a float; pass Decimal("9.90").',
            field=field,
        )
    amount = Decimal(value)
    if not amount.is_finite():
        raise InvalidAmount("An amount must be a finite number.", field=field)
    if amount < 0:
        raise InvalidAmount(
            "An amount cannot be negative; record a return as a status change.", field=field
        )
    digits = CURRENCY_MINOR_UNITS[currency]
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if -exponent > digits and amount != amount.quantize(Decimal(1).scaleb(-digits)):
        raise InvalidAmount(
            f"{currency} has {digits} decimal places; round the amount to them.", field=field
        )
    # One spelling per amount: 9.9 and 9.90 are stored and compared as 9.90.
    amount = amount.quantize(Decimal(1).scaleb(-digits))
    if len(amount.as_tuple().digits) > MAX_AMOUNT_DIGITS:
        raise InvalidAmount(
            f"An amount has at most {MAX_AMOUNT_DIGITS} digits, its {digits} decimal places "
            "included.",
            field=field,
        )
    return amount


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round ``amount`` half-even to the minor unit of ``currency`` (2.345 EUR -> 2.34).

    Raises:
        UnknownCurrency: ``currency`` is not an active ISO 4217 code.
    """
    digits = CURRENCY_MINOR_UNITS.get(currency)
    if digits is None:
        raise UnknownCurrency(field="currency")
    try:
        return amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN)
    except InvalidOperation as exc:  # pragma: no cover - amounts are bounded above
        raise InvalidAmount(field="total") from exc
