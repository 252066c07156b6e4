"""The GDPR tests run on every store: the contract suite's ``store`` and ``kit`` fixtures."""

from tests.contract.conftest import kit, store

__all__ = ["kit", "store"]
