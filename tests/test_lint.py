"""The code is kept as the linter and formatter configured in pyproject.toml want it (ruff: pip install -e ".[test]")."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["src", "tests", "benchmarks", "scripts", "docs"]


def ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", *args, *PATHS], cwd=ROOT, capture_output=True, text=True)


@pytest.fixture(scope="module", autouse=True)
def have_ruff():
    if (
        shutil.which("ruff") is None
        and subprocess.run([sys.executable, "-m", "ruff", "--version"], capture_output=True).returncode
    ):
        pytest.skip("ruff is not installed (pip install -e '.[test]')")


def test_ruff_check_is_clean():
    done = ruff("check", "--output-format", "concise")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_leaves_nothing_to_change():
    done = ruff("format", "--check")
    assert done.returncode == 0, done.stdout + done.stderr
