"""The README's code and the example scripts run as they are written.

Every ```python block of README.md runs in order, in one namespace, with the working
directory set to a temporary folder (so files the README makes land there). Every script in
examples/ runs in its own interpreter, twice in one temporary folder, and must exit with 0.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))

_PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def readme_blocks() -> list[tuple[int, str]]:
    """Return each ```python block of the README with the line its code starts on."""
    text = README.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, match.start(1)) + 1, match.group(1))
        for match in _PYTHON_BLOCK.finditer(text)
    ]


def test_readme_has_python_blocks() -> None:
    assert readme_blocks(), "README.md has no ```python blocks; the pattern may be stale"


def test_readme_python_blocks_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__readme__"}
    for line, code in readme_blocks():
        # Pad with newlines so that a traceback names the README's own line numbers.
        source = "\n" * (line - 1) + code
        exec(compile(source, str(README), "exec"), namespace)


def test_examples_found() -> None:
    names = {path.name for path in EXAMPLES}
    assert {"quickstart.py", "demo.py"} <= names


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda path: path.name)
def test_example_runs_twice(script: Path, tmp_path: Path) -> None:
    # Twice in the same folder: the demo must start over on a database left by a run before.
    for run in (1, 2):
        result = subprocess.run(
            [sys.executable, str(script)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, (
            f"{script.name} failed on run {run}:\n{result.stdout}\n{result.stderr}"
        )
        assert result.stdout.strip(), f"{script.name} printed nothing"
