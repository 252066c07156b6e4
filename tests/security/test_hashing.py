"""Argon2Hasher: argon2id profiles, NFKC, rehash decisions, absurd hashes, dummy verification."""

from __future__ import annotations

import unicodedata
from typing import Any

import argon2
import argon2.low_level
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accountkit.errors import InvalidPolicy, PasswordNotText, UnsafePasswordHash
from accountkit.security import Argon2Hasher, PasswordHasher
from accountkit.testing import CheapPasswordHasher

# Cheap but above OWASP's floor's memory/time equivalents would be slow; tests that need a
# "production" hasher only read its parameters or verify cheap hashes with it.
DEAR = argon2.Parameters(
    type=argon2.Type.ID,
    version=19,
    salt_len=16,
    hash_len=32,
    time_cost=2,
    memory_cost=19 * 1024,
    parallelism=1,
)


def _encoded(memory: int, time: int, parallelism: int = 1) -> str:
    """An argon2id hash string with the given parameters (salt and tag are filler)."""
    return (
        f"$argon2id$v=19$m={memory},t={time},p={parallelism}"
        "$c29tZXNhbHRzb21lc2FsdA$RdescudvJCsgt3ub+b+dWRWJTmaaJObG9Kzhc1Ot9f0"
    )


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every low-level argon2 computation."""
    calls: list[str] = []
    real_verify = argon2.low_level.verify_secret
    real_hash = argon2.low_level.hash_secret

    def verify(*args: Any, **kwargs: Any) -> bool:
        calls.append("verify")
        return real_verify(*args, **kwargs)

    def hash_(*args: Any, **kwargs: Any) -> bytes:
        calls.append("hash")
        return real_hash(*args, **kwargs)

    monkeypatch.setattr(argon2.low_level, "verify_secret", verify)
    monkeypatch.setattr(argon2.low_level, "hash_secret", hash_)
    return calls


def test_default_is_rfc_9106_low_memory() -> None:
    """Without parameters the hasher uses argon2id at t=3, m=64 MiB, p=4."""
    params = Argon2Hasher().parameters
    assert params == argon2.profiles.RFC_9106_LOW_MEMORY
    assert (params.type, params.time_cost, params.memory_cost, params.parallelism) == (
        argon2.Type.ID,
        3,
        65536,
        4,
    )
    assert isinstance(Argon2Hasher(), PasswordHasher)


@pytest.mark.parametrize(("mib", "t"), [(19, 2), (46, 1), (12, 3), (9, 4), (7, 5), (64, 3)])
def test_owasp_minimums_and_above_are_accepted(mib: int, t: int) -> None:
    """Each of OWASP's argon2id equivalents builds a hasher."""
    params = argon2.Parameters(argon2.Type.ID, 19, 16, 32, t, mib * 1024, 1)
    assert Argon2Hasher(params).parameters == params


@pytest.mark.parametrize(
    "params",
    [
        argon2.profiles.CHEAPEST,
        argon2.Parameters(argon2.Type.ID, 19, 16, 32, 2, 19 * 1024 - 1, 1),
        argon2.Parameters(argon2.Type.ID, 19, 16, 32, 1, 19 * 1024, 1),
        argon2.Parameters(argon2.Type.ID, 19, 16, 32, 4, 8 * 1024, 1),
        argon2.Parameters(argon2.Type.I, 19, 16, 32, 3, 64 * 1024, 4),
        argon2.Parameters(argon2.Type.ID, 19, 8, 32, 3, 64 * 1024, 4),
        argon2.Parameters(argon2.Type.ID, 19, 16, 32, 101, 64 * 1024, 4),
        argon2.Parameters(argon2.Type.ID, 19, 16, 32, 3, 1024 * 1024 + 1, 4),
    ],
)
def test_parameters_below_owasp_or_absurd_are_refused(params: argon2.Parameters) -> None:
    """A production hasher below OWASP's floor (or above the verify cap) is InvalidPolicy."""
    with pytest.raises(InvalidPolicy) as info:
        Argon2Hasher(params)
    assert info.value.field == "parameters"


def test_only_the_test_hasher_may_use_the_cheapest_profile() -> None:
    """CheapPasswordHasher runs argon2id at argon2-cffi's CHEAPEST profile."""
    hasher = CheapPasswordHasher()
    assert hasher.parameters == argon2.profiles.CHEAPEST
    assert isinstance(hasher, Argon2Hasher)
    assert hasher.hash("correct horse battery").startswith("$argon2id$v=19$m=8,t=1,p=1$")


def test_hash_and_verify_round_trip() -> None:
    """A hash verifies its password and no other; hashes are salted."""
    hasher = CheapPasswordHasher()
    encoded = hasher.hash("correct horse battery")
    assert hasher.verify(encoded, "correct horse battery")
    assert not hasher.verify(encoded, "correct horse batterY")
    assert encoded != hasher.hash("correct horse battery")
    assert (hasher.hash_calls, hasher.verify_calls) == (2, 2)


@settings(max_examples=50)
@given(st.text(min_size=1, max_size=40))
def test_composed_and_decomposed_verify_alike(text: str) -> None:
    """For all text, its NFC, NFD, NFKC and NFKD forms verify against one hash."""
    hasher = CheapPasswordHasher()
    encoded = hasher.hash(text)
    for form in ("NFC", "NFD", "NFKC", "NFKD"):
        assert hasher.verify(encoded, unicodedata.normalize(form, text))


def test_e_acute_composed_and_decomposed() -> None:
    """é typed as one code point or as e + combining accent is the same password."""
    hasher = CheapPasswordHasher()
    assert hasher.verify(hasher.hash("caf\u00e9 au lait!"), "cafe\u0301 au lait!")
    assert hasher.verify(hasher.hash("cafe\u0301 au lait!"), "caf\u00e9 au lait!")


def test_malformed_hashes_and_bad_candidates_are_mismatches() -> None:
    """Garbage, a lone surrogate or a non-text candidate is False, not an exception."""
    hasher = CheapPasswordHasher()
    encoded = hasher.hash("correct horse battery")
    assert hasher.verify("not-an-argon2-hash", "whatever") is False
    assert hasher.verify("$argon2id$v=19$m=x,t=1,p=1$abc$abc", "whatever") is False
    assert hasher.verify("", "whatever") is False
    assert hasher.verify(encoded, "correct\ud800horse") is False
    assert hasher.verify(encoded, None) is False  # type: ignore[arg-type]
    assert hasher.verify(encoded, "x" * 1_000_000) is False
    assert hasher.computations == 1


def test_hash_refuses_a_lone_surrogate() -> None:
    """hash() never lets argon2's or the codec's errors out."""
    with pytest.raises(PasswordNotText):
        CheapPasswordHasher().hash("correct\ud800horse")


@pytest.mark.parametrize(
    "encoded",
    [
        _encoded(1024 * 1024 + 1, 3),
        _encoded(64 * 1024, 101),
        _encoded(2**31, 2**31),
        _encoded(64 * 1024, 3, parallelism=65),
        "argon2" + _encoded(4 * 1024 * 1024, 3),
    ],
)
def test_absurd_stored_hashes_are_refused_without_hashing(encoded: str, spy: list[str]) -> None:
    """m above 1 GiB, t above 100 or p above 64: UnsafePasswordHash, nothing computed."""
    hasher = CheapPasswordHasher()
    with pytest.raises(UnsafePasswordHash) as info:
        hasher.verify(encoded, "correct horse battery")
    assert spy == []
    assert hasher.computations == 0
    assert "reset" in info.value.message
    assert encoded not in info.value.message


def test_the_cap_itself_is_still_verified(spy: list[str]) -> None:
    """m of exactly 1 GiB and t of 100 are allowed through to argon2 (which then mismatches)."""
    hasher = CheapPasswordHasher()
    # argon2 rejects m < 8p and so on before allocating; a wrong tag is a plain mismatch.
    assert hasher.verify(_encoded(8, 100), "correct horse battery") is False
    assert spy == ["verify"]


def test_rehash_decisions() -> None:
    """Same parameters: no rehash; cheaper or dearer: rehash; legacy or malformed: rehash."""
    cheap = CheapPasswordHasher()
    dear = Argon2Hasher(DEAR)
    cheap_hash = cheap.hash("correct horse battery")
    assert cheap.needs_rehash(cheap_hash) is False
    assert dear.needs_rehash(cheap_hash) is True  # cheaper -> dearer
    dear_hash = _encoded(DEAR.memory_cost, DEAR.time_cost)
    assert dear.needs_rehash(dear_hash) is False
    assert cheap.needs_rehash(dear_hash) is True  # dearer -> cheaper
    assert dear.needs_rehash(_encoded(DEAR.memory_cost, DEAR.time_cost + 1)) is True
    assert dear.needs_rehash("argon2" + dear_hash) is True
    assert dear.needs_rehash("pbkdf2_sha256$1000$salt$abc=") is True
    assert dear.needs_rehash("$2b$12$" + "a" * 53) is True
    assert dear.needs_rehash("garbage") is True


def test_a_cheap_hash_is_verified_by_a_dear_hasher_then_upgraded() -> None:
    """A hash made under an old profile still signs in; its replacement needs no rehash."""
    cheap = CheapPasswordHasher()
    dear = Argon2Hasher(DEAR)
    old = cheap.hash("correct horse battery")
    assert dear.verify(old, "correct horse battery")
    assert dear.needs_rehash(old)
    assert not dear.needs_rehash(_encoded(DEAR.memory_cost, DEAR.time_cost))


def test_dummy_verify_costs_one_computation_at_the_hashers_parameters(spy: list[str]) -> None:
    """dummy_verify runs exactly one argon2 verification with the hasher's own profile."""
    hasher = CheapPasswordHasher()
    assert hasher.dummy_verify("correct horse battery") is False
    assert hasher.dummy_verify("correct\ud800horse") is False
    assert spy == ["verify", "verify"]
    assert hasher.dummy_verify_calls == 2
    assert hasher.computations == 2
    assert hasher.verify_calls == 0


def test_repr_shows_parameters_only() -> None:
    """A hasher's repr names its profile and nothing else."""
    assert repr(CheapPasswordHasher()) == "CheapPasswordHasher(m=8 KiB, t=1, p=1)"
