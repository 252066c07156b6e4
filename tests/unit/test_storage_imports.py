"""Importing the stores: SqlStore without the sql extra names the extra; SqlStore does not load
Alembic until a migration runs. Each check runs in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def run(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a new interpreter of this environment."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_sqlstore_without_sqlalchemy_says_which_extra_to_install() -> None:
    """With SQLAlchemy missing, `from accountkit.storage import SqlStore` raises ImportError
    naming `pip install 'accountkit[sql]'`, while MemoryStore keeps working."""
    result = run(
        """
        import sys
        sys.modules["sqlalchemy"] = None  # as if it were not installed
        from accountkit.storage import MemoryStore
        MemoryStore().close()
        for name in ("SqlStore", "migrate"):
            try:
                exec(f"from accountkit.storage import {name}")
            except ImportError as exc:
                print(type(exc).__name__, exc)
            else:
                print("imported")
        """
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    for line in lines:
        assert line.startswith("ImportError ")
        assert "pip install 'accountkit[sql]'" in line


def test_importing_sqlstore_does_not_load_alembic() -> None:
    """`import accountkit.storage.sql` leaves alembic out of sys.modules."""
    result = run(
        """
        import sys
        import accountkit.storage.sql
        from accountkit.storage import SqlStore
        print(sorted(m for m in sys.modules if m.split(".")[0] == "alembic"))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_migration_still_runs_with_alembic_loaded_on_demand() -> None:
    """Opening a new SQLite database migrates it (Alembic is imported when needed)."""
    result = run(
        """
        from accountkit.storage import SqlStore, _migrate
        store = SqlStore("sqlite://")
        print(store.schema_revision() == _migrate.head_revision())
        store.close()
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_opening_an_up_to_date_database_does_not_load_alembic(tmp_path: Path) -> None:
    """Only a migration that runs loads Alembic: the second open of a database does not."""
    path = tmp_path / "shop.db"
    result = run(
        f"""
        import subprocess, sys
        from accountkit.storage import SqlStore
        SqlStore("sqlite:///{path}").close()  # migrates: loads alembic in this process
        code = (
            "import sys; from accountkit.storage import SqlStore; "
            "SqlStore('sqlite:///{path}').close(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))"
        )
        print(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_head_revision_constant_names_the_newest_shipped_migration() -> None:
    """HEAD_REVISION (used on open instead of Alembic) equals Alembic's head."""
    from accountkit.storage._migrate import head_revision
    from accountkit.storage._schema import HEAD_REVISION

    assert head_revision() == HEAD_REVISION
