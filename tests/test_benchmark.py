"""`nextframe benchmark`: one command writes the table (Markdown, CSV), the figures and a self-contained report for
every method, asks the occlusion question of each on Moving Leaves, and reuses what it already measured. The report
is opened in headless Chromium where Debian's package is installed (skipped elsewhere)."""

import csv
import json
import re
import shutil
import subprocess

import pytest

from nextframe.analysis import benchmark
from nextframe.cli.main import main
from nextframe.data.leaves import write_leaves


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    data = write_leaves(root / "data", n=40, progress=False)
    common = [
        "--data",
        str(data),
        "--tau",
        "2",
        "--batch-size",
        "4",
        "--max-steps",
        "1",
        "--examples-per-epoch",
        "4",
        "--heldout-examples",
        "4",
        "--no-progress",
        "--width",
        "8",
    ]
    assert main(["train", *common, "--method", "deterministic", "--out", str(root / "pred")]) == 0
    assert (
        main(
            [
                "train",
                *common,
                "--method",
                "svg_lp",
                "--future",
                "3",
                "--g-dim",
                "16",
                "--rnn-size",
                "16",
                "--out",
                str(root / "svg"),
            ]
        )
        == 0
    )
    argv = [
        "benchmark",
        "--data",
        str(data),
        "--methods",
        f"floor={root / 'pred'}",
        str(root / "svg"),
        "--quick",
        "--collision-windows",
        "4",
        "--no-fvd",
        "--no-progress",
        "--out",
        str(root / "out"),
    ]
    assert main(argv) == 0
    return root, argv


def test_one_command_writes_the_table_figures_and_report_for_every_method(bench):
    root, _ = bench
    out = root / "out"
    rows = list(csv.DictReader(open(out / "table.csv")))
    assert [r["name"] for r in rows] == ["floor", "svg"] and {r["method"] for r in rows} == {"deterministic", "svg_lp"}
    floor = json.loads((out / "methods" / "floor.json").read_text())
    assert floor["evaluations_per_frame"] == 1 and len(floor["crps_per_step"]) == 4 and floor["samples"] == 4
    assert floor["decisions"]["samples"] == 4 * 8  # the occlusion instrument, asked of every method on Moving Leaves
    assert "| floor | deterministic |" in (out / "table.md").read_text()
    report = (out / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 2 and "src='http" not in report  # self-contained


def test_a_rerun_reuses_what_it_measured(bench, monkeypatch):
    root, argv = bench
    monkeypatch.setattr(benchmark, "measure", lambda *a, **k: pytest.fail("measured again"))
    assert main(argv) == 0
    changed = [a if a != "4" else "5" for a in argv]  # other settings: measured anew
    monkeypatch.setattr(benchmark, "measure", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("measured")))
    with pytest.raises(RuntimeError, match="measured"):
        main(changed)


@pytest.mark.skipif(not shutil.which("chromium"), reason="headless Chromium (Debian's chromium) is not installed")
def test_the_report_shows_every_image_in_a_browser(bench):
    root, _ = bench
    dom = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=10000",
            "--dump-dom",
            (root / "out" / "report.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    loaded = re.search(r'data-images-loaded="(\d+)/(\d+)"', dom)
    assert loaded and loaded.group(1) == loaded.group(2) == "2"
