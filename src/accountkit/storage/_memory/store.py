"""MemoryStore and its transaction."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from accountkit.errors import ReadOnlyUnit, StorageError, StoreClosed
from accountkit.storage._memory.customers import _Groups, _Memberships, _Sequences
from accountkit.storage._memory.history import _Consents
from accountkit.storage._memory.privacy import _Privacy
from accountkit.storage._memory.reports import _ReportCustomers, _ReportEvents, _ReportOrders
from accountkit.storage._memory.signin import _Attempts, _LoginCodes, _Sessions, _Tokens
from accountkit.storage._memory.state import _Data, _Journal
from accountkit.storage._memory.users import _Users

_VACUUM_IN_UNIT = "vacuum() runs outside units of work; call it after the unit ended."


class _MemoryTransaction:
    def __init__(self, data: _Data, journal: _Journal) -> None:
        self.journal = journal
        self.readonly = journal.readonly
        self.users = _Users(data, journal)
        self.customers = _ReportCustomers(data, journal)
        self.memberships = _Memberships(data, journal)
        self.groups = _Groups(data, journal)
        self.events = _ReportEvents(data, journal)
        self.consents = _Consents(data, journal)
        self.orders = _ReportOrders(data, journal)
        self.sequences = _Sequences(data, journal)
        self.tokens = _Tokens(data, journal)
        self.sessions = _Sessions(data, journal)
        self.login_codes = _LoginCodes(data, journal)
        self.attempts = _Attempts(data, journal)
        self.privacy = _Privacy(data, journal)


class MemoryStore:
    """A store in process memory, with the same meaning as :class:`SqlStore`.

    Transactions are serialised by one lock, so it is safe across threads (not across
    processes). A transaction that raises is undone completely; a unit nested inside
    another is undone alone when it raises (a savepoint), and the outer one goes on.

    Example:
        >>> from accountkit import AccountKit
        >>> kit = AccountKit(store=MemoryStore(), secret_keys=["k" * 32])
    """

    def __init__(self) -> None:
        self._data = _Data()
        self._lock = threading.RLock()
        self._active: _MemoryTransaction | None = None
        self._closed = False

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[_MemoryTransaction]:
        """Open a unit of work; see :meth:`accountkit.storage.Store.transaction`.

        A unit opened inside another on the same thread joins the outer one; when it
        raises, only its own writes are undone. A read-only unit refuses every write.

        Raises:
            StoreClosed: The store was closed.
            ReadOnlyUnit: A write unit opened inside a read-only one, or a write made in a
                read-only unit.
        """
        with self._lock:
            if self._closed:
                raise StoreClosed()
            outer = self._active
            if outer is not None:
                if outer.readonly and not readonly:
                    raise ReadOnlyUnit(
                        "A write was started inside a read-only unit of work; open the outer "
                        "unit without readonly=True."
                    )
                journal = _Journal(outer.journal.undo, readonly=outer.readonly or readonly)
                mark = len(journal.undo)
                self._active = _MemoryTransaction(self._data, journal)
                try:
                    yield self._active
                except BaseException:
                    journal.rollback(mark)
                    raise
                finally:
                    self._active = outer
                return
            journal = _Journal(readonly=readonly)
            self._active = _MemoryTransaction(self._data, journal)
            try:
                yield self._active
            except BaseException:
                journal.rollback()
                raise
            finally:
                self._active = None

    def vacuum(self, *, full: bool = False) -> None:
        """Nothing to do in memory: erased values are gone with the records that held them.
        See :meth:`accountkit.storage.Store.vacuum`.

        Raises:
            StoreClosed: The store was closed.
            StorageError: A unit of work is open.
        """
        with self._lock:
            if self._closed:
                raise StoreClosed()
            if self._active is not None:
                raise StorageError(_VACUUM_IN_UNIT)

    def close(self) -> None:
        """Drop the data; afterwards every unit of work raises :class:`StoreClosed`."""
        with self._lock:
            self._closed = True
            self._data = _Data()
