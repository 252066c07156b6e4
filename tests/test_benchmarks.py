"""The benchmark scripts run to the end at a tiny scale; their figures are not checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "bench_storage.py"
KEYS_SCRIPT = ROOT / "benchmarks" / "bench_sqlite_keys.py"
ROWS = (
    "| bulk import, ",
    "| kit.users.find_by_email @1,000 ",
    "| tx.users.get_by_email @1,000 ",
    "| find_by_email @1,000 / @1,000 ",
    "| kit.registration.register, ",
)
TINY = ["--scale", "0.001", "--rounds", "2", "--lookups", "50", "--registrations", "20"]


def _run(script: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _assert_table(out: str, raw: str) -> None:
    assert "accountkit storage benchmark: 1,000 users" in out
    header = next(line for line in out.splitlines() if line.startswith("| measure"))
    assert [cell.strip() for cell in header.strip("|").split("|")] == [
        "measure",
        "accountkit",
        raw,
        "ratio",
        "target",
        "met",
    ]
    rows = [line for line in out.splitlines() if line.startswith("| ")][1:]
    for prefix in ROWS:
        assert any(row.startswith(prefix) for row in rows), (prefix, out)
    assert len(rows) == 7, out
    assert all(
        row.rstrip(" |").rsplit("|", 1)[1].strip() in ("yes", "no", "partly") for row in rows
    )
    assert "import totals: accountkit 1,000 users" in out


def test_storage_benchmark_runs_on_sqlite(tmp_path: Path) -> None:
    """bench_storage.py at --scale 0.001 on SQLite exits 0 and prints every table row."""
    _assert_table(_run(SCRIPT, *TINY, "--dir", str(tmp_path)), "raw sqlite3")


def test_key_order_experiment_runs_on_the_filled_files(tmp_path: Path) -> None:
    """bench_sqlite_keys.py runs on the files bench_storage.py left and prints all variants."""
    _run(SCRIPT, *TINY, "--dir", str(tmp_path))
    out = _run(KEYS_SCRIPT, "--dir", str(tmp_path), "--chunks", "1", "--size", "50")
    rows = [line for line in out.splitlines() if line.startswith("| ")][1:]
    assert len(rows) == 4, out
    assert {row.split(",")[0].strip("| ") for row in rows} == {
        "raw sqlite3",
        "accountkit add_many",
    }


@pytest.mark.postgres
def test_storage_benchmark_runs_on_postgres() -> None:
    """bench_storage.py at --scale 0.001 on PostgreSQL exits 0 and prints every table row."""
    if POSTGRES_URL is None:
        pytest.skip("ACCOUNTKIT_TEST_POSTGRES is not set; PostgreSQL benchmark run skipped")
    _assert_table(_run(SCRIPT, *TINY, "--url", POSTGRES_URL), "raw psycopg")


SIGNIN_SCRIPT = ROOT / "benchmarks" / "bench_signin.py"
SIGNIN_ROWS = (
    ("| login token issue+inspect ", "itsdangerous dumps+loads"),
    ("| kit.auth.login_with_password ", "argon2 PasswordHasher.verify"),
    ("| kit.auth.authenticate @1,000 ", "{raw} SELECT by id"),
    ("| kit.auth.authenticate @1,000 ", "SQLAlchemy Core select"),
    ("| authenticate @1,000 / @1,000 ", "{raw} SELECT by id"),
    ('| kit.auth.login_qr format="png" ', "segno make+save png"),
    ('| kit.auth.login_qr format="svg" ', "segno make+save svg"),
)
SIGNIN_TINY = [
    "--scale", "0.001", "--rounds", "1", "--tokens", "20", "--logins", "1",
    "--sessions", "20", "--lookups", "20", "--codes", "2",
]  # fmt: skip


def _assert_signin_table(out: str, raw: str) -> None:
    assert "accountkit sign-in benchmark: 1,000 users" in out
    header = next(line for line in out.splitlines() if line.startswith("| measure"))
    assert [cell.strip() for cell in header.strip("|").split("|")] == [
        "measure",
        "accountkit",
        "baseline",
        "baseline time",
        "ratio",
        "target",
        "met",
    ]
    rows = [line for line in out.splitlines() if line.startswith("| ")][1:]
    cells = [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]
    assert len(rows) == 9, out
    for prefix, baseline in SIGNIN_ROWS:
        expected = baseline.format(raw=raw)
        assert any(
            row.startswith(prefix) and cell[2] == expected
            for row, cell in zip(rows, cells, strict=True)
        ), (prefix, out)
    assert all(cell[6] in ("yes", "no", "-") for cell in cells), out
    assert sum(cell[6] != "-" for cell in cells) == 7, out


def test_signin_benchmark_runs_on_sqlite(tmp_path: Path) -> None:
    """bench_signin.py at --scale 0.001 on SQLite exits 0 and prints every row with its baseline."""
    _assert_signin_table(_run(SIGNIN_SCRIPT, *SIGNIN_TINY, "--dir", str(tmp_path)), "sqlite3")


@pytest.mark.postgres
def test_signin_benchmark_runs_on_postgres() -> None:
    """bench_signin.py at --scale 0.001 on PostgreSQL exits 0 and prints every row."""
    if POSTGRES_URL is None:
        pytest.skip("ACCOUNTKIT_TEST_POSTGRES is not set; PostgreSQL benchmark run skipped")
    _assert_signin_table(_run(SIGNIN_SCRIPT, *SIGNIN_TINY, "--url", POSTGRES_URL), "psycopg")


REPORTS_SCRIPT = ROOT / "benchmarks" / "bench_reports.py"
REPORTS_ROWS = (
    "| overview page 1 @1,000 ",
    "| overview first page @1,000 / @1,000 ",
    "| overview first page, last order computed at query time ",
    "| order_summary, typical customer ",
    "| order_summary, customer with 3,000 orders ",
    "| peak memory paging every customer ",
    "| kit.orders.record_order, one per unit ",
)
REPORTS_TINY = [
    "--scale", "0.001", "--rounds", "1", "--pages", "5", "--summaries", "5", "--orders", "5",
]  # fmt: skip


def _assert_reports_table(out: str, raw: str) -> None:
    assert "accountkit reports benchmark: 1,000 customers" in out
    header = next(line for line in out.splitlines() if line.startswith("| measure"))
    assert [cell.strip() for cell in header.strip("|").split("|")] == [
        "measure",
        "accountkit",
        raw,
        "ratio",
        "target",
        "met",
    ]
    rows = [line for line in out.splitlines() if line.startswith("| ")][1:]
    for prefix in REPORTS_ROWS:
        assert any(row.startswith(prefix) for row in rows), (prefix, out)
    assert len(rows) == 9, out
    met = [row.rstrip(" |").rsplit("|", 1)[1].strip() for row in rows]
    assert all(cell in ("yes", "no", "partly", "-") for cell in met), out


def test_reports_benchmark_runs_on_sqlite(tmp_path: Path) -> None:
    """bench_reports.py at --scale 0.001 on SQLite exits 0 and prints every table row."""
    _assert_reports_table(
        _run(REPORTS_SCRIPT, *REPORTS_TINY, "--dir", str(tmp_path)), "raw sqlite3"
    )


@pytest.mark.postgres
def test_reports_benchmark_runs_on_postgres() -> None:
    """bench_reports.py at --scale 0.001 on PostgreSQL exits 0 and prints every table row."""
    if POSTGRES_URL is None:
        pytest.skip("ACCOUNTKIT_TEST_POSTGRES is not set; PostgreSQL benchmark run skipped")
    _assert_reports_table(_run(REPORTS_SCRIPT, *REPORTS_TINY, "--url", POSTGRES_URL), "raw psycopg")


PRIVACY_SCRIPT = ROOT / "benchmarks" / "bench_privacy.py"
PRIVACY_ROWS = (
    "| kit.privacy.export, 10 orders ",
    "| kit.privacy.erase, 10 orders ",
)
PRIVACY_TINY = ["--scale", "0.01", "--rounds", "1", "--people", "2", "--orders", "10"]


def _assert_privacy_table(out: str, raw: str) -> None:
    assert "accountkit privacy benchmark: 1,000 users" in out
    header = next(line for line in out.splitlines() if line.startswith("| measure"))
    assert [cell.strip() for cell in header.strip("|").split("|")] == [
        "measure",
        "accountkit",
        raw,
        "ratio",
        "target",
        "met",
    ]
    rows = [line for line in out.splitlines() if line.startswith("| ")][1:]
    for prefix in PRIVACY_ROWS:
        assert any(row.startswith(prefix) for row in rows), (prefix, out)
    assert len(rows) == 2, out
    met = [row.rstrip(" |").rsplit("|", 1)[1].strip() for row in rows]
    assert all(cell in ("yes", "no") for cell in met), out
    assert "erasure changed 10 orders, 20 addresses, 1 membership, 1 customer" in out


def test_privacy_benchmark_runs_on_sqlite(tmp_path: Path) -> None:
    """bench_privacy.py at --scale 0.01 on SQLite exits 0 and prints every table row."""
    _assert_privacy_table(
        _run(PRIVACY_SCRIPT, *PRIVACY_TINY, "--dir", str(tmp_path)), "raw sqlite3"
    )


@pytest.mark.postgres
def test_privacy_benchmark_runs_on_postgres() -> None:
    """bench_privacy.py at --scale 0.01 on PostgreSQL exits 0 and prints every table row."""
    if POSTGRES_URL is None:
        pytest.skip("ACCOUNTKIT_TEST_POSTGRES is not set; PostgreSQL benchmark run skipped")
    _assert_privacy_table(_run(PRIVACY_SCRIPT, *PRIVACY_TINY, "--url", POSTGRES_URL), "raw psycopg")
