"""PasswordPolicy: NFKC, length in code points, blocklist, context words, safe errors."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountkit.errors import (
    AccountKitError,
    InvalidPassword,
    InvalidPolicy,
    PasswordCommon,
    PasswordContext,
    PasswordHasNul,
    PasswordNotText,
    PasswordTooLong,
    PasswordTooShort,
)
from accountkit.security import (
    CommonPasswords,
    PasswordPolicy,
    WordBlocklist,
    check_password,
    context_words,
)
from accountkit.testing import CheapPasswordHasher

MARKER = "Qwertz7Person"
"""Stands for the password in the input; it must never appear in a message or repr."""

POLICY = PasswordPolicy.default()


def test_default_policy_is_12_to_1024_with_the_shipped_list() -> None:
    """The default asks for 12 to 1,024 characters and refuses common passwords."""
    assert PasswordPolicy() == POLICY
    assert (POLICY.min_length, POLICY.max_length) == (12, 1024)
    assert POLICY.blocklist == CommonPasswords()
    assert PasswordPolicy.relaxed().min_length == 8


@pytest.mark.parametrize("min_length", [7, 65, 0, -1, True])
def test_min_length_outside_8_to_64_is_refused(min_length: int) -> None:
    """A minimum below NIST's 8 or above 64 is InvalidPolicy."""
    with pytest.raises(InvalidPolicy) as info:
        PasswordPolicy(min_length=min_length)
    assert info.value.field == "min_length"


@pytest.mark.parametrize("max_length", [63, 1025, 10**6])
def test_max_length_outside_64_to_1024_is_refused(max_length: int) -> None:
    """The cap must accept at least 64 characters and never exceed 1,024."""
    with pytest.raises(InvalidPolicy) as info:
        PasswordPolicy(max_length=max_length)
    assert info.value.field == "max_length"


def test_a_blocklist_without_blocks_is_refused() -> None:
    """Something that is not a Blocklist cannot be a policy's blocklist."""
    with pytest.raises(InvalidPolicy):
        PasswordPolicy(blocklist=frozenset({"x"}))  # type: ignore[arg-type]


def test_policy_is_frozen() -> None:
    """A policy is a value: it cannot be changed after it is made."""
    with pytest.raises(AttributeError):
        POLICY.min_length = 8  # type: ignore[misc]


@pytest.mark.parametrize(
    ("password", "error"),
    [
        ("", PasswordTooShort),
        ("elevenchars", PasswordTooShort),
        ("x" * 1025, PasswordTooLong),
        ("x" * 1_000_000, PasswordTooLong),
        ("correct horse\x00battery", PasswordHasNul),
        ("correct horse\ud800battery", PasswordNotText),
        ("\udfffcorrect horse battery", PasswordNotText),
        ("e\u0301" * 6, PasswordTooShort),
        ("password1234", PasswordCommon),
    ],
)
def test_bad_passwords_raise_their_own_error(password: str, error: type[InvalidPassword]) -> None:
    """Each kind of bad password raises its own InvalidPassword subclass and code."""
    with pytest.raises(error) as info:
        POLICY.check(password)
    assert type(info.value) is error
    assert info.value.field == "password"
    assert info.value.__cause__ is None


def test_not_text_is_refused() -> None:
    """Bytes or None are not a password."""
    with pytest.raises(PasswordNotText):
        POLICY.check(b"correct horse battery")  # type: ignore[arg-type]


def test_length_counts_code_points_after_nfkc() -> None:
    """Six decomposed é are six characters, not twelve; twelve of them pass."""
    with pytest.raises(PasswordTooShort):
        POLICY.check("e\u0301" * 6)
    assert POLICY.check("e\u0301" * 12) == "\u00e9" * 12
    assert POLICY.check("\U0001f600" * 12) == "\U0001f600" * 12


def test_max_length_counts_after_nfkc() -> None:
    """1,024 composed characters typed decomposed (2,048 code points) are accepted."""
    assert len(POLICY.check("e\u0301" * 1024)) == 1024
    with pytest.raises(PasswordTooLong):
        POLICY.check("e\u0301" * 1025)


def test_a_1_mb_password_is_refused_before_hashing() -> None:
    """A 1 MB password is PasswordTooLong and nothing is hashed."""
    hasher = CheapPasswordHasher()
    with pytest.raises(PasswordTooLong):
        hasher.hash(POLICY.check("x" * 1_000_000))
    assert hasher.hash_calls == 0
    assert hasher.computations == 0


def test_64_characters_are_accepted_by_every_policy() -> None:
    """Any policy takes a 64-character password (NIST: at least 64)."""
    password = "a quiet walk along the harbour at dusk, with gulls; then tea ok."
    assert len(password) == 64
    assert PasswordPolicy(max_length=64, min_length=64).check(password) == password


@given(st.text(min_size=12, max_size=200))
def test_check_returns_the_nfkc_form(password: str) -> None:
    """Whatever check accepts, it returns in NFKC, and NFKC input checks the same."""
    try:
        result = POLICY.check(password)
    except InvalidPassword:
        return
    assert result == unicodedata.normalize("NFKC", password)
    assert POLICY.check(result) == result


def test_no_composition_rules() -> None:
    """Lower-case letters and spaces alone are a good password; nothing demands digits."""
    assert POLICY.check("correct horse battery staple") == "correct horse battery staple"


def test_common_passwords_are_refused_ignoring_case() -> None:
    """Shipped list entries are refused in any case, also in full-width form (NFKC)."""
    for password in ("password1234", "PASSWORD1234", "Password1234", "ｐａｓｓｗｏｒｄ１２３４"):
        with pytest.raises(PasswordCommon) as info:
            POLICY.check(password)
        assert "common" in info.value.message


def test_the_shipped_list_holds_at_least_10000_passwords() -> None:
    """The default blocklist holds at least the 10,000 most common passwords."""
    common = CommonPasswords()
    assert len(common) >= 10_000
    assert common.blocks("qwertyuiop")
    assert not common.blocks("a quiet walk along the harbour")


def test_a_shops_own_blocklist_adds_to_the_shipped_one() -> None:
    """WordBlocklist refuses its words and, unless told otherwise, the common ones."""
    own = WordBlocklist(["Musterladen2024"])
    policy = PasswordPolicy(blocklist=own)
    with pytest.raises(PasswordCommon):
        policy.check("musterladen2024")
    with pytest.raises(PasswordCommon):
        policy.check("password1234")
    only_own = PasswordPolicy(blocklist=WordBlocklist(["Musterladen2024"], include_common=False))
    assert only_own.check("password1234") == "password1234"
    assert "Musterladen" not in repr(own)


@pytest.mark.parametrize(
    ("password", "context"),
    [
        ("lovelace rules 1815!", context_words(email="ada.lovelace@example.com")),
        ("my AdaLovelace secret", context_words(email="adalovelace@example.com")),
        ("BYRON forever and ever", context_words(names=["Augusta", "Byron"])),
        ("i shop at Bäckerei daily", context_words(shop_name="Bäckerei Müller")),
        ("i shop at Ba\u0308ckerei daily", context_words(shop_name="Bäckerei Müller")),
    ],
)
def test_context_words_are_refused_with_the_reason(password: str, context: tuple[str]) -> None:
    """A password holding the e-mail name, a name or the shop's name says so, quoting nothing."""
    with pytest.raises(PasswordContext) as info:
        POLICY.check(password, context=context)
    assert "name" in info.value.message
    for word in context:
        assert word.casefold() not in info.value.message.casefold()


def test_short_context_parts_do_not_block() -> None:
    """Parts under 4 characters (``ada``, ``li``) do not refuse unrelated passwords."""
    context = context_words(email="ada.li@example.com", names=["Li"])
    assert POLICY.check("a cadaver of lilies", context=context) == "a cadaver of lilies"


def test_context_words_takes_only_the_local_part() -> None:
    """The e-mail's domain is not a context word: shop.example passwords stay possible."""
    assert context_words(email="ada@example.com", names=["Ada", ""], shop_name="Shop") == (
        "ada",
        "Ada",
        "Shop",
    )


@given(st.text(max_size=300))
def test_no_password_ever_appears_in_an_error(text: str) -> None:
    """For any input, a refusal's message and repr hold none of the password."""
    password = MARKER + text
    context = [MARKER.lower(), "someone"]
    errors: list[AccountKitError] = []
    checks: tuple[Callable[[], str], ...] = (
        lambda: POLICY.check(password),
        lambda: POLICY.check(password, context=context),
        lambda: check_password(password),
    )
    for check in checks:
        try:
            check()
        except AccountKitError as exc:
            errors.append(exc)
    for error in errors:
        assert MARKER not in error.message
        assert MARKER not in repr(error)
        assert error.__cause__ is None
    assert MARKER not in repr(POLICY)


@pytest.mark.parametrize(
    "password", ["", "1234567", "x" * 1025, "password\x00", "correct\ud800horse"]
)
def test_check_password_keeps_its_code(password: str) -> None:
    """check_password, which the services call today, still raises plain invalid_password."""
    with pytest.raises(InvalidPassword) as info:
        check_password(password)
    assert info.value.code == "invalid_password"


def test_a_single_context_string_counts_as_one_word() -> None:
    """context="Bäckerei Müller" (not a list) still refuses the shop's name."""
    with pytest.raises(PasswordContext):
        POLICY.check("müller makes bread!", context="Bäckerei Müller")
