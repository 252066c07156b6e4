"""After kit.privacy.erase, nothing of the person can be read back: not on SQLite from the
bytes of the database file and its log once the store is closed, not on PostgreSQL from any
table's data, not in MemoryStore's records; orders and consent records keep their count."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import attrs
import pytest

from accountkit import AccountKit
from accountkit.storage import MemoryStore, SqlStore, Store
from tests.conftest import KitFactory
from tests.contract.conftest import _sql_store
from tests.gdpr._people import STAFF, make_bystander, make_person

BYSTANDER = ("Bystanderine", "Unaffectedson", "bystander.unaffected@example.com")


def _counts(kit: AccountKit, store: Store, user_ids: list[str]) -> tuple[int, int]:
    """(orders, consent records) of the given users, read through the store."""
    with store.transaction() as tx:
        orders = sum(len(tx.orders.for_user(u)) for u in user_ids)
        consents = sum(len(tx.consents.for_user(u)) for u in user_ids)
    return orders, consents


def _erase_everyone(kit: AccountKit, store: Store) -> tuple[str, ...]:
    person = make_person(kit)
    make_bystander(kit)
    ids = [person.user_id, person.guest_user_id]
    before = _counts(kit, store, ids)
    kit.privacy.erase(STAFF, person.user_id)
    kit.privacy.erase(STAFF, person.guest_user_id)
    assert _counts(kit, store, ids) == before
    assert before[0] == 3
    assert before[1] == 2
    return person.values


def test_sqlite_file_and_log_hold_no_erased_byte(make_kit: KitFactory, tmp_path: Path) -> None:
    """Once the store is closed, the database file and any -wal file hold neither the
    person's e-mail, names, phone, note nor address lines; the bystander's data is there."""
    store = SqlStore(f"sqlite:///{tmp_path / 'shop.db'}")
    kit = make_kit(store=store)
    values = _erase_everyone(kit, store)
    kit.close()
    files = sorted(tmp_path.iterdir())
    assert files, "the database file is missing"
    content = b"".join(path.read_bytes() for path in files)
    left = [v for v in values if v.encode() in content]
    assert left == [], f"{left} still readable in {[f.name for f in files]}"
    assert all(word.encode() in content for word in BYSTANDER)


def test_sqlite_log_is_checkpointed_after_an_erasure(make_kit: KitFactory, tmp_path: Path) -> None:
    """While the store stays open, the log no longer holds the erased rows either once the
    erasing unit has committed (the checkpoint truncates it)."""
    store = SqlStore(f"sqlite:///{tmp_path / 'shop.db'}")
    kit = make_kit(store=store)
    values = _erase_everyone(kit, store)
    wal = tmp_path / "shop.db-wal"
    content = (tmp_path / "shop.db").read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert [v for v in values if v.encode() in content] == []
    kit.close()


@pytest.fixture
def pg_store(tmp_path: Path) -> Iterator[SqlStore]:
    """A SqlStore on PostgreSQL in a schema of its own (the contract suite's)."""
    for store in _sql_store("postgres", tmp_path):
        assert isinstance(store, SqlStore)
        yield store


@pytest.mark.postgres
def test_postgres_tables_hold_no_erased_value(make_kit: KitFactory, pg_store: SqlStore) -> None:
    """Every row of every accountkit table, read as text through SQL, is free of the
    person's data after the erasure (and after store.vacuum())."""
    kit = make_kit(store=pg_store)
    values = _erase_everyone(kit, pg_store)
    pg_store.vacuum()
    texts: list[str] = []
    with pg_store.engine.connect() as conn:
        for field in attrs.fields(type(pg_store.tables)):
            table = getattr(pg_store.tables, field.name)
            name = conn.dialect.identifier_preparer.format_table(table)
            texts.extend(
                str(row[0]) for row in conn.exec_driver_sql(f"SELECT t::text FROM {name} t")
            )
    content = "\n".join(texts)
    assert [v for v in values if v in content] == []
    assert all(word in content for word in BYSTANDER)


def _strings(value: object) -> Iterator[str]:
    """Every string inside a record, mapping or container, however deep."""
    if isinstance(value, str):
        yield value
    elif attrs.has(type(value)):
        for field in attrs.fields(type(value)):  # type: ignore[arg-type]
            yield from _strings(getattr(value, field.name))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings(item)


def test_memory_store_records_hold_no_erased_value(make_kit: KitFactory) -> None:
    """Every string in MemoryStore's tables and indexes is free of the person's data."""
    store = MemoryStore()
    kit = make_kit(store=store)
    values = _erase_everyone(kit, store)
    content = "\n".join(_strings(store._data))
    assert [v for v in values if v in content] == []
    assert all(word in content for word in BYSTANDER)
