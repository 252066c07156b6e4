"""Fixtures shared by every test folder: a frozen clock, a cheap hasher, kits on MemoryStore."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, settings

from accountkit import AccountKit, FrozenClock, SalesChannel, ShopPolicy
from accountkit.storage import MemoryStore, Store
from accountkit.testing import CheapPasswordHasher
from tests.helpers import BASE_URL

settings.register_profile(
    "default",
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")

POSTGRES_URL = os.environ.get("ACCOUNTKIT_TEST_POSTGRES")
"""Set (by .ci/run) to run the PostgreSQL tests; without it they are skipped with a reason."""

SECRET = "test-secret-key-0123456789abcdef"

KitFactory = Callable[..., AccountKit]


@pytest.fixture
def clock() -> FrozenClock:
    """A clock frozen at 2026-01-01 12:00 UTC."""
    return FrozenClock(datetime(2026, 1, 1, 12, tzinfo=UTC))


@pytest.fixture
def hasher() -> CheapPasswordHasher:
    """A cheap hasher that counts its calls."""
    return CheapPasswordHasher()


@pytest.fixture
def make_kit(clock: FrozenClock, hasher: CheapPasswordHasher) -> KitFactory:
    """Build kits on a MemoryStore (or a given store) with the test clock and hasher."""

    def build(
        *policies: ShopPolicy,
        store: Store | None = None,
        channels: list[SalesChannel] | None = None,
    ) -> AccountKit:
        chosen = channels or [
            SalesChannel(f"ch{i}" if i else "web", p, base_url=BASE_URL)
            for i, p in enumerate(policies)
        ]
        return AccountKit(
            store=store or MemoryStore(),
            secret_keys=[SECRET],
            channels=chosen or [SalesChannel("web", ShopPolicy.b2c_open(), base_url=BASE_URL)],
            clock=clock,
            password_hasher=hasher,
        )

    return build


@pytest.fixture
def kit(make_kit: KitFactory) -> AccountKit:
    """A kit on MemoryStore with one open B2C channel named "web"."""
    return make_kit(ShopPolicy.b2c_open())
