"""Passwords: the policy a new password must meet, and argon2id hashing with rehash and import.

:class:`PasswordPolicy` follows NIST SP 800-63B: a length rule counted in code points after NFKC
normalisation, a blocklist of common passwords and of context words (the e-mail's local part, the
user's names, the shop's name), and no composition rules. :class:`Argon2Hasher` hashes with
argon2id (RFC 9106's low-memory profile by default, never below OWASP's minimum), tells when a
stored hash should be replaced (:meth:`Argon2Hasher.needs_rehash`), and verifies hashes imported
from Django (``pbkdf2_sha256``, ``argon2``, ``bcrypt``, ``bcrypt_sha256``) and raw bcrypt
(``$2a$``/``$2b$``/``$2y$``, with the optional extra ``accountkit[bcrypt]``).

:func:`check_password` is the minimum the services apply today (8 to 1,024 characters, no NUL,
valid text); the sign-in work switches them to :class:`PasswordPolicy`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import gzip
import hashlib
import hmac
import importlib.resources
import os
import re
import unicodedata
from collections.abc import Iterable
from typing import Any, ClassVar, Protocol, runtime_checkable

import argon2
import argon2.low_level
import attrs

from accountkit.errors import (
    InvalidPassword,
    InvalidPolicy,
    InvalidValue,
    PasswordCommon,
    PasswordContext,
    PasswordHasNul,
    PasswordNotText,
    PasswordSchemeUnavailable,
    PasswordTooLong,
    PasswordTooShort,
    UnsafePasswordHash,
)

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "Argon2Hasher",
    "Blocklist",
    "CommonPasswords",
    "PasswordHasher",
    "PasswordPolicy",
    "WordBlocklist",
    "check_imported_hash",
    "check_password",
    "context_words",
    "normalise_password",
]

MIN_PASSWORD_LENGTH = 8
"""The lowest minimum length a policy may set (NIST SP 800-63B's floor)."""
MAX_PASSWORD_LENGTH = 1024
"""The hard cap on a password's length, in code points after NFKC."""

_DEFAULT_MIN_LENGTH = 12
_HIGHEST_MIN_LENGTH = 64
_LOWEST_MAX_LENGTH = 64
# NFKC may shrink a decomposed input (e + combining accent -> é), so the cap is counted after
# normalising; input this much longer cannot shrink below the cap and is refused untouched.
_RAW_LENGTH_FACTOR = 4
_CONTEXT_MIN_LENGTH = 4
_WORD_SPLIT = re.compile(r"[\W_]+")

# Stored hashes beyond these are refused without computing them: a forged or damaged hash
# must not make one sign-in attempt cost gigabytes or minutes.
_MAX_ARGON2_MEMORY_KIB = 1024 * 1024
_MAX_ARGON2_TIME_COST = 100
_MAX_ARGON2_PARALLELISM = 64
_MAX_PBKDF2_ITERATIONS = 10_000_000
_MAX_BCRYPT_COST = 16
# OWASP's Password Storage Cheat Sheet: argon2id equivalents (memory in MiB, time cost), p=1.
_OWASP_FLOOR = ((46, 1), (19, 2), (12, 3), (9, 4), (7, 5))
_MIN_SALT_LEN = 16
_MIN_HASH_LEN = 16
_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
_BCRYPT_MAX_BYTES = 72


def normalise_password(password: str) -> str:
    """Return ``password`` in Unicode NFKC, the form accountkit counts and hashes.

    Composed and decomposed input (``"é"`` and ``"e\\u0301"``) become the same text, so a
    password typed on another keyboard or device still matches.
    """
    return unicodedata.normalize("NFKC", password)


def _check_text(password: object) -> str:
    if not isinstance(password, str):
        raise PasswordNotText("A password must be text.", field="password")
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (half of an emoji cut off by a client) is not text argon2 or a
        # database could take. ``from None``: the codec error holds the whole password.
        raise PasswordNotText(
            "The password holds characters that are not valid text; type it again.",
            field="password",
        ) from None
    return password


def _too_long(max_length: int) -> PasswordTooLong:
    return PasswordTooLong(
        f"The password is too long; use at most {max_length} characters.", field="password"
    )


def _too_short(min_length: int) -> PasswordTooShort:
    return PasswordTooShort(
        f"The password is too short; use at least {min_length} characters.", field="password"
    )


def check_password(password: str) -> str:
    """Check the hard rules every password must meet, and return it unchanged.

    The minimum the services apply today: 8 to 1,024 characters, valid text, no NUL. It
    neither normalises nor checks a blocklist, and it raises plain ``InvalidPassword`` (code
    ``invalid_password``) as the services have so far; :meth:`PasswordPolicy.check` does all
    of it, with a code per reason, and replaces this call when the services move to
    :class:`PasswordPolicy`.

    Args:
        password: The password as typed.

    Raises:
        InvalidPassword: Not text (also: a lone surrogate), shorter than 8 or longer than
            1,024 characters, or with a NUL character. The message never quotes it.
    """
    if isinstance(password, str) and len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidPassword(_too_long(MAX_PASSWORD_LENGTH).message, field="password")
    try:
        _check_text(password)
    except PasswordNotText as exc:
        raise InvalidPassword(exc.message, field="password") from None
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidPassword(_too_short(MIN_PASSWORD_LENGTH).message, field="password")
    if "\x00" in password:
        raise InvalidPassword("The password holds a NUL character; remove it.", field="password")
    return password


# --- blocklists ------------------------------------------------------------------------------


@runtime_checkable
class Blocklist(Protocol):
    """Decides whether a password is too common to allow; plug in your own (a breach corpus)."""

    def blocks(self, password: str) -> bool:
        """Return whether ``password`` (already NFKC-normalised) is refused."""
        ...


def _fold(word: str) -> str:
    return normalise_password(word).casefold()


@functools.cache
def _shipped_passwords() -> frozenset[str]:
    data = importlib.resources.files("accountkit.security").joinpath(
        "data", "common-passwords.txt.gz"
    )
    text = gzip.decompress(data.read_bytes()).decode("utf-8")
    return frozenset(_fold(line.strip()) for line in text.splitlines() if line.strip())


@attrs.frozen(repr=False)
class CommonPasswords:
    """The 20,000 most common passwords shipped with accountkit (Django's list, BSD licence).

    Loaded on first use, once per process. Compared case-insensitively after NFKC.
    """

    def blocks(self, password: str) -> bool:
        """Return whether ``password`` is on the shipped list (ignoring case)."""
        return _fold(password) in _shipped_passwords()

    def __len__(self) -> int:
        return len(_shipped_passwords())

    def __repr__(self) -> str:
        return "CommonPasswords()"


def _to_words(words: Iterable[str]) -> frozenset[str]:
    return frozenset(_fold(word) for word in words if word)


@attrs.frozen(repr=False)
class WordBlocklist:
    """A blocklist of your own words, on top of the shipped common passwords by default.

    Args:
        words: Passwords to refuse (compared whole, ignoring case, after NFKC).
        include_common: Also refuse the shipped common passwords (default True).
    """

    words: frozenset[str] = attrs.field(converter=_to_words)
    include_common: bool = attrs.field(default=True, kw_only=True)

    def blocks(self, password: str) -> bool:
        """Return whether ``password`` is one of ``words`` (or a common password)."""
        folded = _fold(password)
        if folded in self.words:
            return True
        return self.include_common and folded in _shipped_passwords()

    def __repr__(self) -> str:
        # The words may be a shop's own secrets (its staff's old passwords); show the size.
        return f"WordBlocklist(<{len(self.words)} words>, include_common={self.include_common})"


def context_words(
    *, email: str | None = None, names: Iterable[str] = (), shop_name: str | None = None
) -> tuple[str, ...]:
    """Return the context words a password must not contain, for :meth:`PasswordPolicy.check`.

    Args:
        email: The user's e-mail address; only its local part counts.
        names: The user's names (given, family).
        shop_name: The shop's name.
    """
    words: list[str] = []
    if email:
        words.append(email.rpartition("@")[0] if "@" in email else email)
    words.extend(name for name in names if name)
    if shop_name:
        words.append(shop_name)
    return tuple(words)


def _context_parts(context: Iterable[str]) -> set[str]:
    # One string passed alone is one context word, not a sequence of characters.
    items = (context,) if isinstance(context, str) else tuple(context)
    parts: set[str] = set()
    for item in items:
        if not isinstance(item, str):
            continue
        folded = _fold(item)
        for part in [folded, *_WORD_SPLIT.split(folded)]:
            if len(part) >= _CONTEXT_MIN_LENGTH:
                parts.add(part)
    return parts


# --- policy ----------------------------------------------------------------------------------


def _min_length_in_range(_: object, __: attrs.Attribute[int], value: int) -> None:
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or not MIN_PASSWORD_LENGTH <= value <= _HIGHEST_MIN_LENGTH
    ):
        raise InvalidPolicy(
            f"min_length must be a whole number from {MIN_PASSWORD_LENGTH} to "
            f"{_HIGHEST_MIN_LENGTH}.",
            field="min_length",
        )


def _max_length_in_range(_: object, __: attrs.Attribute[int], value: int) -> None:
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or not _LOWEST_MAX_LENGTH <= value <= MAX_PASSWORD_LENGTH
    ):
        raise InvalidPolicy(
            f"max_length must be a whole number from {_LOWEST_MAX_LENGTH} to "
            f"{MAX_PASSWORD_LENGTH}.",
            field="max_length",
        )


def _is_blocklist(_: object, __: attrs.Attribute[Blocklist], value: Blocklist) -> None:
    if not isinstance(value, Blocklist):
        raise InvalidPolicy(
            "blocklist must have a blocks(password) method, such as CommonPasswords().",
            field="blocklist",
        )


@attrs.frozen(kw_only=True)
class PasswordPolicy:
    """The rules a new password must meet (NIST SP 800-63B), as a value.

    Length is counted in code points after NFKC normalisation; no composition rules (digits,
    symbols, cases) are imposed.

    Args:
        min_length: The fewest characters, 8 to 64 (default 12).
        max_length: The most characters, 64 to 1,024 (default 1,024); longer input is refused
            before anything is hashed.
        blocklist: Refuses common passwords; defaults to :class:`CommonPasswords`.

    Raises:
        InvalidPolicy: A length outside its range, or a blocklist without ``blocks()``.
    """

    min_length: int = attrs.field(default=_DEFAULT_MIN_LENGTH, validator=_min_length_in_range)
    max_length: int = attrs.field(default=MAX_PASSWORD_LENGTH, validator=_max_length_in_range)
    blocklist: Blocklist = attrs.field(factory=CommonPasswords, validator=_is_blocklist)

    @classmethod
    def default(cls) -> PasswordPolicy:
        """Return the default policy: 12 to 1,024 characters, common passwords refused."""
        return cls()

    @classmethod
    def relaxed(cls) -> PasswordPolicy:
        """Return NIST's floor: 8 to 1,024 characters, common passwords refused."""
        return cls(min_length=MIN_PASSWORD_LENGTH)

    def check(self, password: str, *, context: Iterable[str] = ()) -> str:
        """Check a new password and return it NFKC-normalised, ready to hash.

        Args:
            password: The password as typed.
            context: Words the password must not contain, ignoring case (see
                :func:`context_words`): each is split at non-letters, and parts of at least 4
                characters count.

        Raises:
            PasswordNotText: Not text, or a lone surrogate.
            PasswordTooLong: Longer than ``max_length`` (checked before normalising too).
            PasswordHasNul: A NUL character.
            PasswordTooShort: Shorter than ``min_length`` after normalising.
            PasswordCommon: On the blocklist.
            PasswordContext: Contains a context word.
            (No message quotes the password or the context.)
        """
        if isinstance(password, str) and len(password) > self.max_length * _RAW_LENGTH_FACTOR:
            raise _too_long(self.max_length)
        _check_text(password)
        if "\x00" in password:
            raise PasswordHasNul("The password holds a NUL character; remove it.", field="password")
        normalised = normalise_password(password)
        if len(normalised) > self.max_length:
            raise _too_long(self.max_length)
        if len(normalised) < self.min_length:
            raise _too_short(self.min_length)
        if self.blocklist.blocks(normalised):
            raise PasswordCommon(
                "This password is one of the most common passwords and easy to guess; "
                "choose another.",
                field="password",
            )
        folded = normalised.casefold()
        if any(part in folded for part in _context_parts(context)):
            raise PasswordContext(
                "The password contains your e-mail name, your name or the shop's name, which "
                "are easy to guess; choose one without them.",
                field="password",
            )
        return normalised


# --- hashing ---------------------------------------------------------------------------------


@runtime_checkable
class PasswordHasher(Protocol):
    """Turns passwords into encoded hashes and checks them."""

    def hash(self, password: str) -> str:
        """Return an encoded hash of ``password`` (with its own random salt)."""
        ...

    def verify(self, encoded: str, password: str) -> bool:
        """Return whether ``password`` matches ``encoded``; never raise for a mismatch."""
        ...


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii").rstrip("=")


def _describe(parameters: argon2.Parameters) -> str:
    return f"m={parameters.memory_cost} KiB, t={parameters.time_cost}, p={parameters.parallelism}"


def _meets_owasp(parameters: argon2.Parameters) -> bool:
    return (
        parameters.type is argon2.Type.ID
        and parameters.salt_len >= _MIN_SALT_LEN
        and parameters.hash_len >= _MIN_HASH_LEN
        and any(
            parameters.memory_cost >= mib * 1024 and parameters.time_cost >= t
            for mib, t in _OWASP_FLOOR
        )
    )


def _absurd(parameters: argon2.Parameters) -> bool:
    return (
        parameters.memory_cost > _MAX_ARGON2_MEMORY_KIB
        or parameters.time_cost > _MAX_ARGON2_TIME_COST
        or parameters.parallelism > _MAX_ARGON2_PARALLELISM
    )


def _unsafe() -> UnsafePasswordHash:
    return UnsafePasswordHash()


class Argon2Hasher:
    """argon2id through argon2-cffi, at RFC 9106's low-memory profile by default.

    :meth:`verify` also checks hashes imported from Django and bcrypt; :meth:`needs_rehash`
    says when to replace a stored hash (after the next successful sign-in) with :meth:`hash`.

    Args:
        parameters: An ``argon2.Parameters`` profile; defaults to
            ``argon2.profiles.RFC_9106_LOW_MEMORY`` (t=3, m=64 MiB, p=4).

    Raises:
        InvalidPolicy: Parameters below OWASP's minimum for argon2id (m=19 MiB t=2, or
            m=46 MiB t=1, m=12 MiB t=3, m=9 MiB t=4, m=7 MiB t=5; salt and tag of at least 16
            bytes), another argon2 type, or above the cap :meth:`verify` enforces (m above
            1 GiB, t above 100, p above 64).
    """

    # Only accountkit.testing.CheapPasswordHasher sets this, for argon2's CHEAPEST profile.
    _allows_test_profile: ClassVar[bool] = False

    def __init__(self, parameters: argon2.Parameters | None = None) -> None:
        params = parameters if parameters is not None else argon2.profiles.RFC_9106_LOW_MEMORY
        if not isinstance(params, argon2.Parameters):
            raise InvalidPolicy(
                "parameters must be an argon2.Parameters, such as "
                "argon2.profiles.RFC_9106_LOW_MEMORY.",
                field="parameters",
            )
        is_test_profile = self._allows_test_profile and params == argon2.profiles.CHEAPEST
        if not is_test_profile and not _meets_owasp(params):
            raise InvalidPolicy(
                f"The argon2 parameters ({_describe(params)}) are below OWASP's minimum; use "
                "argon2id with at least m=19 MiB and t=2 (the default is RFC 9106's "
                "low-memory profile).",
                field="parameters",
            )
        if _absurd(params):
            raise InvalidPolicy(
                f"The argon2 parameters ({_describe(params)}) exceed what accountkit verifies "
                "(m at most 1 GiB, t at most 100, p at most 64).",
                field="parameters",
            )
        self._parameters = params

    @property
    def parameters(self) -> argon2.Parameters:
        """The argon2 parameters new hashes are made with."""
        return self._parameters

    def __repr__(self) -> str:
        return f"{type(self).__name__}({_describe(self._parameters)})"

    def _computed(self) -> None:
        """Called once per hash computation; the test hasher counts them."""

    def hash(self, password: str) -> str:
        """Return the argon2id encoded hash of ``password`` after NFKC normalisation.

        Raises:
            PasswordNotText: Not text, or a lone surrogate. Apply :class:`PasswordPolicy`
                first: this method checks nothing else.
        """
        secret = normalise_password(_check_text(password)).encode("utf-8")
        p = self._parameters
        self._computed()
        try:
            return argon2.low_level.hash_secret(
                secret,
                os.urandom(p.salt_len),
                time_cost=p.time_cost,
                memory_cost=p.memory_cost,
                parallelism=p.parallelism,
                hash_len=p.hash_len,
                type=p.type,
                version=p.version,
            ).decode("ascii")
        except argon2.exceptions.HashingError:  # pragma: no cover - argon2 refusing memory
            raise InvalidPolicy(
                "argon2 could not hash with these parameters; lower memory_cost.",
                field="parameters",
            ) from None

    def verify(self, encoded: str, password: str) -> bool:
        """Return whether ``password`` matches the stored hash ``encoded``.

        argon2 hashes (also Django's ``argon2$...``) are checked against the NFKC form of
        ``password``; Django's ``pbkdf2_sha256$...``, ``bcrypt$...``, ``bcrypt_sha256$...``
        and raw ``$2a$``/``$2b$``/``$2y$`` bcrypt against the password exactly as typed, as
        those systems hashed it. A malformed hash, an unknown scheme or a password that is
        not valid text is a mismatch (``False``), and then nothing is computed.

        Raises:
            UnsafePasswordHash: The hash asks for absurd work (argon2 m above 1 GiB, t above
                100 or p above 64; PBKDF2 above 10,000,000 iterations; bcrypt cost above 16).
                Nothing was computed; the hash is damaged or forged.
            PasswordSchemeUnavailable: A bcrypt hash without the optional ``bcrypt`` package.
        """
        if not isinstance(encoded, str) or not isinstance(password, str):
            return False
        if len(password) > MAX_PASSWORD_LENGTH * _RAW_LENGTH_FACTOR:
            return False
        try:
            raw = password.encode("utf-8")
        except UnicodeEncodeError:
            return False
        if encoded.startswith("$argon2"):
            return self._verify_argon2(encoded, password)
        if encoded.startswith("argon2$argon2"):
            return self._verify_argon2(encoded[len("argon2") :], password)
        if encoded.startswith("pbkdf2_sha256$"):
            return self._verify_pbkdf2(encoded, raw)
        if encoded.startswith("bcrypt_sha256$"):
            digest = binascii.hexlify(hashlib.sha256(raw).digest())
            return self._verify_bcrypt(encoded[len("bcrypt_sha256$") :], digest)
        if encoded.startswith("bcrypt$"):
            return self._verify_bcrypt(encoded[len("bcrypt$") :], raw)
        if encoded.startswith(_BCRYPT_PREFIXES):
            return self._verify_bcrypt(encoded, raw)
        return False

    def _verify_argon2(self, encoded: str, password: str) -> bool:
        try:
            params = argon2.extract_parameters(encoded)
        except (argon2.exceptions.InvalidHashError, ValueError):
            return False
        if _absurd(params):
            raise _unsafe()
        secret = normalise_password(password).encode("utf-8")
        self._computed()
        try:
            return argon2.low_level.verify_secret(encoded.encode("ascii"), secret, params.type)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False
        except (UnicodeEncodeError, ValueError):
            return False

    def _verify_pbkdf2(self, encoded: str, raw: bytes) -> bool:
        parts = encoded.split("$")
        if len(parts) != 4 or not parts[1].isascii() or not parts[1].isdigit():
            return False
        iterations = int(parts[1])
        if iterations > _MAX_PBKDF2_ITERATIONS:
            raise _unsafe()
        if iterations < 1:
            return False
        try:
            salt = parts[2].encode("ascii")
            expected = base64.b64decode(parts[3].encode("ascii"), validate=True)
        except (UnicodeEncodeError, binascii.Error, ValueError):
            return False
        if len(expected) != hashlib.sha256().digest_size:
            return False
        self._computed()
        actual = hashlib.pbkdf2_hmac("sha256", raw, salt, iterations)
        return hmac.compare_digest(actual, expected)

    def _verify_bcrypt(self, encoded: str, secret: bytes) -> bool:
        parts = encoded.split("$")
        if (
            len(parts) != 4
            or f"${parts[1]}$" not in _BCRYPT_PREFIXES
            or not parts[2].isascii()
            or not parts[2].isdigit()
        ):
            return False
        if int(parts[2]) > _MAX_BCRYPT_COST:
            raise _unsafe()
        bcrypt = _load_bcrypt()
        self._computed()
        try:
            # bcrypt only ever read the first 72 bytes; bcrypt 5 refuses longer input
            # instead of cutting it, so cut it as the stored hash was made.
            return bool(bcrypt.checkpw(secret[:_BCRYPT_MAX_BYTES], encoded.encode("ascii")))
        except (ValueError, TypeError, UnicodeEncodeError):
            return False

    def needs_rehash(self, encoded: str) -> bool:
        """Return whether ``encoded`` should be replaced by :meth:`hash` after a sign-in.

        True for every hash that is not argon2 with exactly this hasher's parameters: legacy
        schemes, Django's ``argon2$`` form, malformed hashes, and argon2 hashes whose
        parameters differ in either direction (cheaper or dearer).
        """
        if not isinstance(encoded, str) or not encoded.startswith("$argon2"):
            return True
        try:
            return self._parameters != argon2.extract_parameters(encoded)
        except (argon2.exceptions.InvalidHashError, ValueError):
            return True

    def dummy_verify(self, password: str) -> bool:
        """Run one verification at this hasher's cost against a hash nobody has; return False.

        Call it when there is no stored hash to check (an unknown e-mail address), so every
        sign-in attempt costs exactly one hash computation.
        """
        p = self._parameters
        encoded = (
            f"$argon2id$v={p.version}$m={p.memory_cost},t={p.time_cost},p={p.parallelism}"
            f"${_b64(os.urandom(p.salt_len))}${_b64(os.urandom(p.hash_len))}"
        )
        candidate = password if isinstance(password, str) else ""
        self._verify_argon2(encoded, candidate.encode("utf-8", "replace").decode("utf-8"))
        return False


_IMPORTABLE_PREFIXES = (
    "$argon2id$",
    "$argon2i$",
    "argon2$argon2",
    "pbkdf2_sha256$",
    "bcrypt_sha256$",
    "bcrypt$",
    *_BCRYPT_PREFIXES,
)
_MAX_IMPORTED_HASH_LENGTH = 512


def check_imported_hash(encoded: object) -> str:
    """Return ``encoded`` if :class:`Argon2Hasher` can verify it; refuse it otherwise.

    Accepted: argon2 (``$argon2id$...``, Django's ``argon2$...``), Django's
    ``pbkdf2_sha256$...``, ``bcrypt$...`` and ``bcrypt_sha256$...``, and raw bcrypt
    (``$2a$``, ``$2b$``, ``$2y$``). Each is replaced by an argon2id hash at the user's next
    successful sign-in.

    Raises:
        InvalidValue: Not text, longer than 512 characters, or of another scheme (the
            message never quotes it).
        PasswordSchemeUnavailable: A bcrypt hash while the ``bcrypt`` extra is not
            installed (sign-in could never verify it).
    """
    if (
        not isinstance(encoded, str)
        or not 0 < len(encoded) <= _MAX_IMPORTED_HASH_LENGTH
        or not encoded.isascii()
        or not encoded.isprintable()
        or not encoded.startswith(_IMPORTABLE_PREFIXES)
    ):
        raise InvalidValue(
            "password_hash must be an argon2, Django pbkdf2_sha256, bcrypt or bcrypt_sha256 "
            "hash as the old system stored it.",
            field="password_hash",
        )
    if "bcrypt" in encoded.split("$", 1)[0] or encoded.startswith(_BCRYPT_PREFIXES):
        _load_bcrypt()
    return encoded


def _load_bcrypt() -> Any:
    try:
        import bcrypt
    except ImportError:
        raise PasswordSchemeUnavailable() from None
    return bcrypt
