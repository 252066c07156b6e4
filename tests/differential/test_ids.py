"""The test-only id hook that lets the differential test give every store the same ids."""

from __future__ import annotations

import pytest

from accountkit import AccountKit, Actor
from accountkit.domain import _ids
from accountkit.errors import InvalidValue


def test_same_start_gives_the_same_ids_in_creation_order() -> None:
    """Two blocks from the same start make the same ids, unique and sorted as made."""
    runs = []
    for _ in range(2):
        with _ids.sequence(41):
            runs.append([_ids.new_id("usr"), _ids.new_id("cus"), _ids.new_id("evt")])
    assert runs[0] == runs[1]
    suffixes = [i.partition("_")[2] for i in runs[0]]
    assert suffixes == sorted(set(suffixes))
    assert runs[0][0] == "usr_" + f"{41:032x}"


def test_ids_are_random_again_after_the_block() -> None:
    """Leaving the block (also by an error) restores fresh random ids."""
    with pytest.raises(RuntimeError), _ids.sequence(0):
        raise RuntimeError("leave the block")
    first, second = _ids.new_id("usr"), _ids.new_id("usr")
    assert first != second
    assert len(first) == len("usr_") + 32
    assert first != "usr_" + "0" * 32


def test_services_use_the_hook(kit: AccountKit) -> None:
    """Ids made by the services come from the hook (modules import new_id by name)."""
    with _ids.sequence(7):
        user = kit.registration.create_blank(Actor.system())
    assert user.id == "usr_" + f"{7:032x}"


def test_negative_start_is_refused() -> None:
    """A negative start raises InvalidValue."""
    with pytest.raises(InvalidValue), _ids.sequence(-1):
        pass
