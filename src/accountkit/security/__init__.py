"""Security primitives: password hashing (and, with the sign-in capability, tokens and QR)."""

from accountkit.security.passwords import Argon2Hasher, PasswordHasher, check_password

__all__ = ["Argon2Hasher", "PasswordHasher", "check_password"]
