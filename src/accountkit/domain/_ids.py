"""Opaque ids. Callers must treat them as strings with no meaning."""

from __future__ import annotations

import uuid

__all__ = ["new_id"]


def new_id(prefix: str) -> str:
    """Return a fresh random id such as ``"usr_3f2c..."``; the prefix only helps humans."""
    return f"{prefix}_{uuid.uuid4().hex}"
