"""Every script in benchmarks/ parses its flags: a benchmark that cannot would only be found the day someone needs its
numbers. (They print numbers, so what they measure is not asserted here; speed targets live in them, not in tests.)"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "benchmarks").glob("*.py")))
def test_every_benchmark_script_answers_help(script):
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--help"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0 and "usage" in done.stdout.lower(), done.stderr[-2000:]
