"""Contract of GroupRepository: round trip, lookup, list sorted by name."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accountkit.domain import CustomerGroup
from accountkit.storage import Store
from tests.contract.factories import at, in_tx, make_group, uid


def _stored(store: Store, group_id: str) -> CustomerGroup | None:
    return in_tx(store, lambda tx: tx.groups.get(group_id))


def _listed(store: Store) -> list[CustomerGroup]:
    return list(in_tx(store, lambda tx: tx.groups.list()))


@pytest.mark.parametrize("price_list_id", ["pl-wholesale", None], ids=["price-list", "none"])
def test_group_round_trips(store: Store, price_list_id: str | None) -> None:
    """Name, price list and creation time (aware UTC, microseconds) come back equal."""
    group = make_group(price_list_id=price_list_id, created_at=at(0.000042))
    with store.transaction() as tx:
        assert tx.groups.add(group) == group
    got = _stored(store, group.id)
    assert got == group
    assert got is not None
    assert type(got) is CustomerGroup
    assert got.created_at.utcoffset() == timedelta(0)


def test_get_unknown_group_returns_none(store: Store) -> None:
    """get answers None for an id that is not stored."""
    in_tx(store, lambda tx: tx.groups.add(make_group()))
    assert _stored(store, uid("grp")) is None


def test_list_of_no_groups_is_empty(store: Store) -> None:
    """list answers an empty sequence on an empty store."""
    assert _listed(store) == []


def test_list_returns_all_groups_sorted_by_name(store: Store) -> None:
    """list returns every group sorted by name, whatever the order of insertion."""
    names = ["Wholesale", "Retail", "Gold Partners", "Employees", "VIP"]
    groups = [make_group(name=name, created_at=at(i)) for i, name in enumerate(names)]
    with store.transaction() as tx:
        for group in groups[:2]:
            tx.groups.add(group)
    with store.transaction() as tx:
        for group in groups[2:]:
            tx.groups.add(group)
    assert _listed(store) == sorted(groups, key=lambda g: g.name)
    assert [g.name for g in _listed(store)] == [
        "Employees",
        "Gold Partners",
        "Retail",
        "VIP",
        "Wholesale",
    ]
