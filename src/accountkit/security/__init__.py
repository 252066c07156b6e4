"""Security primitives: password policy and hashing, signed one-purpose tokens and links.

QR codes are drawn by :mod:`accountkit.security.qr` (segno is loaded only when one is drawn).
"""

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
from accountkit.security.tokens import (
    PURPOSE_RULES,
    SessionCodec,
    TokenClaims,
    TokenCodec,
    TokenPurpose,
    build_link,
    new_token_id,
)

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "PURPOSE_RULES",
    "Argon2Hasher",
    "Blocklist",
    "CommonPasswords",
    "PasswordHasher",
    "PasswordPolicy",
    "SessionCodec",
    "TokenClaims",
    "TokenCodec",
    "TokenPurpose",
    "WordBlocklist",
    "build_link",
    "check_password",
    "context_words",
    "new_token_id",
    "normalise_password",
]
