"""Importing a shop: Django's pbkdf2_sha256, argon2 and bcrypt hashes, and raw bcrypt."""

from __future__ import annotations

import builtins
import hashlib
from typing import Any

import bcrypt
import pytest

from accountkit.errors import PasswordSchemeUnavailable, UnsafePasswordHash
from accountkit.testing import CheapPasswordHasher

PASSWORD = "correct horse battery"
# Made with Django 5.1's own hashers (PBKDF2PasswordHasher, BCryptSHA256PasswordHasher,
# BCryptPasswordHasher) from PASSWORD, salt "seasalt1234", 1,000 iterations, bcrypt cost 4.
DJANGO_PBKDF2 = "pbkdf2_sha256$1000$seasalt1234$dVCseRolHWXn3dKCrJlqQnEHNpty/gC2g6pUYtCGT/4="
DJANGO_PBKDF2_CAFE = (  # "café horse battery", é composed
    "pbkdf2_sha256$1000$seasalt1234$Nv588mJgCMcCgisUGWh04dR1VooJFyoten8jFQMxx9o="
)
DJANGO_BCRYPT_SHA256 = "bcrypt_sha256$$2b$04$TyvAiqS7lKIiOiGglNd4Nuz2QRKUaYlBvaHorCbNS18PMo4vQK5PW"
DJANGO_BCRYPT = "bcrypt$$2b$04$TyvAiqS7lKIiOiGglNd4NuBhDEDzVjGKQoFpedZ.4eXhy2/SuWjOy"
RAW_BCRYPT = DJANGO_BCRYPT.removeprefix("bcrypt$")


@pytest.mark.parametrize(
    "encoded",
    [
        DJANGO_PBKDF2,
        DJANGO_BCRYPT_SHA256,
        DJANGO_BCRYPT,
        RAW_BCRYPT,
        RAW_BCRYPT.replace("$2b$", "$2a$", 1),
        RAW_BCRYPT.replace("$2b$", "$2y$", 1),
    ],
)
def test_legacy_hashes_verify_and_need_rehash(encoded: str) -> None:
    """Each imported scheme verifies its password, refuses others, and asks to be replaced."""
    hasher = CheapPasswordHasher()
    assert hasher.verify(encoded, PASSWORD) is True
    assert hasher.verify(encoded, PASSWORD + "!") is False
    assert hasher.needs_rehash(encoded) is True
    assert hasher.computations == 2


def test_a_legacy_hash_is_replaced_by_argon2id_after_sign_in() -> None:
    """After a successful legacy verify, the new hash is argon2id and needs no rehash."""
    hasher = CheapPasswordHasher()
    assert hasher.verify(DJANGO_PBKDF2, PASSWORD)
    new = hasher.hash(PASSWORD)
    assert new.startswith("$argon2id$")
    assert hasher.verify(new, PASSWORD)
    assert not hasher.needs_rehash(new)


def test_django_hashed_the_password_as_typed() -> None:
    """Django did not normalise: the composed é it hashed verifies, as typed."""
    hasher = CheapPasswordHasher()
    assert hasher.verify(DJANGO_PBKDF2_CAFE, "caf\u00e9 horse battery")


def test_django_argon2_form_verifies() -> None:
    """Django's ``argon2$argon2id$...`` verifies and is replaced by the plain form."""
    hasher = CheapPasswordHasher()
    encoded = "argon2" + hasher.hash(PASSWORD)
    assert hasher.verify(encoded, PASSWORD)
    assert hasher.needs_rehash(encoded)


def test_bcrypt_reads_only_72_bytes_as_it_always_did() -> None:
    """A bcrypt hash of a long password verifies (bcrypt 5 would refuse the long input)."""
    long_password = "x" * 100
    encoded = bcrypt.hashpw(long_password.encode()[:72], bcrypt.gensalt(4)).decode()
    assert CheapPasswordHasher().verify(encoded, long_password)


@pytest.mark.parametrize(
    "encoded",
    [
        "pbkdf2_sha256$10000001$seasalt1234$dVCseRolHWXn3dKCrJlqQnEHNpty/gC2g6pUYtCGT/4=",
        "bcrypt$$2b$17$TyvAiqS7lKIiOiGglNd4NuBhDEDzVjGKQoFpedZ.4eXhy2/SuWjOy",
        "$2b$31$TyvAiqS7lKIiOiGglNd4NuBhDEDzVjGKQoFpedZ.4eXhy2/SuWjOy",
    ],
)
def test_absurd_legacy_work_is_refused_without_hashing(
    encoded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PBKDF2 above 10,000,000 iterations or bcrypt above cost 16: refused, nothing computed."""
    calls: list[str] = []
    monkeypatch.setattr(hashlib, "pbkdf2_hmac", lambda *a: calls.append("pbkdf2"))
    monkeypatch.setattr(bcrypt, "checkpw", lambda *a: calls.append("bcrypt"))
    hasher = CheapPasswordHasher()
    with pytest.raises(UnsafePasswordHash):
        hasher.verify(encoded, PASSWORD)
    assert calls == []
    assert hasher.computations == 0


@pytest.mark.parametrize(
    "encoded",
    [
        "pbkdf2_sha256$1000$seasalt1234",
        "pbkdf2_sha256$abc$seasalt1234$dVCseRolHWXn3dKCrJlqQnEHNpty/gC2g6pUYtCGT/4=",
        "pbkdf2_sha256$0$seasalt1234$dVCseRolHWXn3dKCrJlqQnEHNpty/gC2g6pUYtCGT/4=",
        "pbkdf2_sha256$1000$seasalt1234$not base64!",
        "pbkdf2_sha256$1000$seasalt1234$c2hvcnQ=",
        "pbkdf2_sha256$١٠٠٠$seasalt1234$dVCseRolHWXn3dKCrJlqQnEHNpty/gC2g6pUYtCGT/4=",
        "bcrypt$$2b$04$short",
        "$2x$04$TyvAiqS7lKIiOiGglNd4NuBhDEDzVjGKQoFpedZ.4eXhy2/SuWjOy",
        "md5$salt$abcdef",
        "sha1$salt$abcdef",
    ],
)
def test_malformed_or_unknown_legacy_hashes_are_mismatches(encoded: str) -> None:
    """A damaged or unsupported legacy hash is False, never an exception of a library."""
    hasher = CheapPasswordHasher()
    assert hasher.verify(encoded, PASSWORD) is False
    assert hasher.needs_rehash(encoded) is True


def test_bcrypt_without_the_extra_names_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the bcrypt package, verifying a bcrypt hash says how to install it."""
    real_import = builtins.__import__

    def no_bcrypt(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "bcrypt":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_bcrypt)
    hasher = CheapPasswordHasher()
    for encoded in (DJANGO_BCRYPT, DJANGO_BCRYPT_SHA256, RAW_BCRYPT):
        with pytest.raises(PasswordSchemeUnavailable) as info:
            hasher.verify(encoded, PASSWORD)
        assert "pip install 'accountkit[bcrypt]'" in info.value.message
        assert info.value.__cause__ is None
    assert hasher.verify(DJANGO_PBKDF2, PASSWORD)
