"""The scripts behind shipped results (scripts/) still run: each answers --help, the cheap ones do their job on small
inputs, and the card writer refuses to rewrite the cards from missing runs."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "scripts").glob("*.py"))
EXAMPLES = ["stage1=832000", "stage2=1536000", "stage3=2144000", "stage4=2384000", "stage5=3024000"]  # the card's


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_script_answers_help(script):
    done = run(script, "--help")
    assert done.returncode == 0 and "usage" in done.stdout, done.stderr


def test_shell_scripts_parse():
    for script in (ROOT / "scripts").glob("*.sh"):
        assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0, script


def test_card_writer_refuses_without_the_stage_runs(tmp_path):
    done = run(ROOT / "scripts" / "davis_cards.py", cwd=tmp_path)
    assert done.returncode != 0 and "nothing written" in done.stderr
    assert not any(tmp_path.iterdir())


def test_methods_card_writer_refuses_without_the_runs(tmp_path):
    done = run(
        ROOT / "scripts" / "methods_cards.py", "--runs", str(tmp_path / "r"), "--benchmark", str(tmp_path), cwd=tmp_path
    )
    assert done.returncode != 0 and "nothing written" in done.stderr
    assert not any(tmp_path.iterdir())


def test_first_layer_ratios_of_a_shipped_denoiser():
    done = run(ROOT / "scripts" / "davis_first_layer.py", "davis-tau2")
    assert done.returncode == 0 and "median" in done.stdout and "over 32 filters" in done.stdout, done.stderr


def test_learning_curve_from_the_shipped_table(tmp_path):
    done = run(
        ROOT / "scripts" / "leaves_study_curve.py",
        ROOT / "docs/results/leaves-study/curve.json",
        "--out",
        tmp_path / "curve.png",
        "--examples",
        *EXAMPLES,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "curve.png").stat().st_size > 10_000 and "examples" in done.stdout
