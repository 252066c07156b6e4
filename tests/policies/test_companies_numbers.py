"""Customer numbers on MemoryStore: whatever the operator creates, renumbers and deletes, no
number is ever held by two customers, not even one after the other."""

from __future__ import annotations

import attrs
from hypothesis import given
from hypothesis import strategies as st

from accountkit import AccountKit, CustomerKind, CustomerNumbering, SalesChannel
from accountkit.errors import CustomerNumberTaken
from accountkit.storage import MemoryStore
from accountkit.testing import CheapPasswordHasher
from tests.conftest import SECRET
from tests.helpers import BASE_URL, MANY, OPERATOR

# Hand-given numbers that the automatic pattern also makes, so the two meet.
POOL = st.sampled_from(["N-0001", "N-0002", "N-0003", "N-0004", "HAND-1", "HAND-2"])
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.none() | POOL, st.just(0)),
        st.tuples(st.just("renumber"), st.none() | POOL, st.integers(0, 5)),
        st.tuples(st.just("remove"), st.none(), st.integers(0, 5)),
    ),
    max_size=25,
)


def _kit() -> AccountKit:
    policy = attrs.evolve(MANY, numbering=CustomerNumbering.AUTOMATIC("N-{n:04d}", 1))
    return AccountKit(
        store=MemoryStore(),
        secret_keys=[SECRET],
        channels=[SalesChannel("web", policy, base_url=BASE_URL)],
        password_hasher=CheapPasswordHasher(),
    )


@given(steps=STEPS)
def test_a_number_belongs_to_one_customer_for_ever(
    steps: list[tuple[str, str | None, int]],
) -> None:
    """Every number ever seen on a customer is seen on that customer only; a deleted
    customer's numbers are found by no one afterwards; a refusal is CustomerNumberTaken
    and changes nothing."""
    kit = _kit()
    owner: dict[str, str] = {}  # number -> the one customer that ever held it
    live: list[str] = []
    gone: set[str] = set()

    def seen(customer_id: str, number: str | None) -> None:
        if number is not None:
            assert owner.setdefault(number, customer_id) == customer_id, "number given twice"

    for action, number, pick in steps:
        try:
            if action == "create":
                made = kit.customers.create(
                    OPERATOR, name="Firma", kind=CustomerKind.BUSINESS, number=number
                )
                live.append(made.id)
                seen(made.id, made.number)
            elif action == "renumber" and live:
                target = live[pick % len(live)]
                before = kit.customers.get(target)
                try:
                    changed = kit.customers.set_customer_number(OPERATOR, target, number)
                except CustomerNumberTaken:
                    assert kit.customers.get(target) == before
                    assert number is not None and owner.get(number) not in (None, target)
                    continue
                seen(target, changed.number)
            elif action == "remove" and live:
                target = live.pop(pick % len(live))
                with kit.store.transaction() as tx:
                    tx.customers.remove(target)
                gone.add(target)
        except CustomerNumberTaken:
            assert number is not None and number in owner
        for number_held, holder in owner.items():
            found = kit.customers.find_by_number(number_held)
            assert found is None or found.id == holder
            if holder in gone:
                assert found is None
