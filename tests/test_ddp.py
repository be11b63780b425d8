"""The training command runs unchanged under torchrun (two CPU processes, gloo)."""

import csv
import subprocess
import sys

import torch

from nextframe.data.leaves import write_leaves
from nextframe.models.files import load_checkpoint


def torchrun_train(data, out, *extra: str) -> subprocess.CompletedProcess:
    """`nextframe train` of a width-4 network on `data` under torchrun with two CPU processes."""
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
        "--no-progress",
        *extra,
    ]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=300, env={"OMP_NUM_THREADS": "1", "PATH": ""}
    )


def test_torchrun_with_two_processes(tmp_path):
    data = write_leaves(tmp_path / "data", n=60, progress=False)
    out = tmp_path / "run"
    result = torchrun_train(data, out, "--epochs", "2")
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


def test_torchrun_paces_a_budget_schedule_by_one_clock(tmp_path):
    # the ranks share the slowest clock (all_reduce MAX), so they stop together with the rate annealed to 0
    data = write_leaves(tmp_path / "data", n=60, progress=False)
    out = tmp_path / "run"
    result = torchrun_train(data, out, "--lr-schedule", "cosine-budget", "--max-minutes", "0.03")
    assert result.returncode == 0, result.stderr[-5000:]
    state = load_checkpoint(out / "checkpoint.pt")
    assert state["progress"]["step"] > 1 and state["progress"]["seconds"] >= 1.8
    assert state["optimizer"]["param_groups"][0]["lr"] == 0.0
