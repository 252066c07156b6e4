"""Security primitives: password policy and hashing (and, with the sign-in capability, tokens
and QR)."""

from accountkit.security.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    Argon2Hasher,
    Blocklist,
    CommonPasswords,
    PasswordHasher,
    PasswordPolicy,
    WordBlocklist,
    check_password,
    context_words,
    normalise_password,
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
    "check_password",
    "context_words",
    "normalise_password",
]
