"""The training command runs unchanged under torchrun (two CPU processes, gloo)."""

import csv
import subprocess
import sys

import torch

from nextframe.data.leaves import write_leaves
from nextframe.models.files import load_checkpoint


def test_torchrun_with_two_processes(tmp_path):
    data = write_leaves(tmp_path / "data", n=60, progress=False)
    out = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "nextframe.cli.main",
        "train",
        "--data",
        str(data),
        "--out",
        str(out),
        "--width",
        "4",
        "--batch-size",
        "4",
        "--examples-per-epoch",
        "32",
        "--heldout-examples",
        "16",
        "--epochs",
        "2",
        "--no-progress",
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=300, env={"OMP_NUM_THREADS": "1", "PATH": ""}
    )
    assert result.returncode == 0, result.stderr[
        -5000:
    ]  # long enough to reach a rank's own last words above torchrun's report
    state = load_checkpoint(out / "checkpoint.pt")
    # 32 windows per epoch over 2 processes of batch 4: 4 steps per epoch, 8 examples per step
    assert state["progress"]["step"] == 8 and state["progress"]["examples"] == 64
    rows = list(csv.DictReader(open(out / "log.csv")))
    assert [int(r["epoch"]) for r in rows] == [1, 2] and all(float(r["heldout_loss"]) > 0 for r in rows)
    assert result.stdout.count("epoch 1:") == 1  # only rank 0 reports
    assert all(torch.isfinite(v).all() for v in state["model"].values())
