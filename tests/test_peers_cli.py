"""The peers through the command line, like the score-based models: `nextframe sample --model RUN` on the user's own
frames, and one-line refusals (exit 2, nothing written) for a bad step count, a context shorter than the method
needs and frames of the wrong size."""

import json

import numpy as np
import pytest

from nextframe.cli.main import main
from nextframe.data.leaves import generate_arrays

TINY = {
    "svg_lp": ["--future", "3", "--width", "8", "--g-dim", "16", "--rnn-size", "16", "--z-dim", "4"],
    "mcvd": ["--future", "1", "--width", "8", "--multipliers", "1,2", "--diffusion-steps", "50", "--sample-steps", "3"],
    "rvd": [
        "--future",
        "2",
        "--width",
        "8",
        "--multipliers",
        "1",
        "2",
        "--diffusion-steps",
        "50",
        "--sample-steps",
        "3",
    ],
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, leaves40):
    root = tmp_path_factory.mktemp("peers")
    data = leaves40
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
    ]
    for name, flags in TINY.items():
        assert main(["train", *common, "--method", name, "--out", str(root / name), *flags]) == 0
    frames, _ = generate_arrays(1, seed=3)
    np.save(root / "ctx.npy", frames[0, :2, 0].astype(np.float32) / 255)
    np.save(root / "one.npy", frames[0, :1, 0].astype(np.float32) / 255)
    np.save(root / "big.npy", np.zeros((2, 64, 64), np.float32))
    return root


@pytest.mark.parametrize("name", list(TINY))
def test_a_peer_samples_the_users_frames_from_the_command_line(runs, name, tmp_path, capsys):
    out = tmp_path / "s"
    argv = ["sample", "--model", str(runs / name), "--context", str(runs / "ctx.npy"), "--samples", "2"]
    capsys.readouterr()
    assert main([*argv, "--frames", "2", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    # a fixed schedule of levels or a single pass tests nothing for convergence: nothing is claimed, what ran is said
    assert "converged" not in said and "no convergence test" in said and f"by {name}:" in said, said
    statuses = {s for frame in json.loads((out / "summary.json").read_text())["status"] for s in frame}
    assert statuses == {"sampled"}
    samples = np.load(out / "samples.npy")
    assert samples.shape == (2, 2, 1, 32, 32) and 0 <= samples.min() and samples.max() <= 1
    assert (out / "samples.png").is_file() and (out / "samples.gif").is_file()
    capsys.readouterr()
    for bad, expected in (
        (["--context", str(runs / "one.npy")], "got 1 context frame(s) but the model has tau=2"),
        (["--context", str(runs / "big.npy")], "takes 32x32 frames, got 64x64"),
        (["--context", str(runs / "ctx.npy"), "--h0", "0.2"], "settings of the score-based sampler"),
    ):
        bad_out = tmp_path / "bad"
        assert main(["sample", "--model", str(runs / name), *bad, "--out", str(bad_out)]) == 2
        err = capsys.readouterr().err.strip()
        assert expected in err and len(err.splitlines()) == 1, err
        assert not bad_out.exists()


@pytest.mark.parametrize(
    "flags, expected",
    [
        (["--method", "mcvd", "--sample-steps", "0"], "--sample-steps 0"),
        (["--method", "rvd", "--sample-steps", "0"], "--sample-steps 0"),
        (["--method", "rvd", "--rvd-sample-steps", "3"], "unrecognized arguments: --rvd-sample-steps"),
        (["--method", "mcvd", "--sample-steps", "2000"], "must lie between 1 and --diffusion-steps 1000"),
        (["--method", "svg_lp", "--tau", "0"], "--tau 0: must be a whole number of at least 1"),
        (["--method", "svg_lp", "--sample-steps", "5"], "--sample-steps is a setting of --method mcvd, not svg_lp"),
    ],
)
def test_bad_peer_settings_are_refused_in_one_line(leaves40, flags, expected, tmp_path, capsys):
    argv = ["train", "--data", str(leaves40), "--out", str(tmp_path / "r"), "--width", "8", *flags]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "r").exists()
