"""The command line: outputs from every input format, and a one-line error with no partial output for bad input."""

import json
import subprocess
import sys

import numpy as np
import pytest

from nextframe.cli.main import main
from nextframe.data.leaves import generate_arrays, write_leaves
from nextframe.methods import train
from nextframe.training.config import TrainConfig


@pytest.fixture(scope="module")
def model_path(tmp_path_factory, leaves40):
    root = tmp_path_factory.mktemp("cli")
    data = leaves40
    train(
        TrainConfig(
            data=str(data),
            out=str(root / "run"),
            width=4,
            batch_size=8,
            max_steps=2,
            examples_per_epoch=16,
            heldout_examples=8,
            progress=False,
        )
    )
    return root / "run" / "model.safetensors"


@pytest.fixture(scope="module")
def clip():
    frames, _ = generate_arrays(1, seed=9)
    return frames[0, :, 0]  # (11, 32, 32) uint8


def run(args, capsys):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def fast(out):
    return ["--out", out, "--samples", "2", "--max-steps", "3"]


def quick(out):
    """The shipped model, whose samples converge (in about 50 steps): a two-step test network never does, and a run
    in which no sample converges exits 1."""
    return ["--model", "leaves-tau2", "--out", out, "--samples", "2"]


def test_sample_from_npy_writes_every_output(clip, tmp_path, capsys):
    np.save(tmp_path / "ctx.npy", clip[:2])
    code, out, err = run(["sample", "--context", tmp_path / "ctx.npy", *quick(tmp_path / "o"), "--frames", "2"], capsys)
    assert code == 0, err
    assert "4 of 4 generated frames converged" in out
    samples = np.load(tmp_path / "o" / "samples.npy")
    assert samples.shape == (2, 2, 1, 32, 32) and samples.dtype == np.float32
    assert np.load(tmp_path / "o" / "one_step.npy").shape == (2, 1, 32, 32)
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["seeds"] == [0, 1] and len(summary["evaluations_per_frame"]) == 2
    for name in ("samples.png", "samples.gif"):
        assert (tmp_path / "o" / name).stat().st_size > 100
    again = tmp_path / "o2"
    assert run(["sample", "--context", tmp_path / "ctx.npy", *quick(again), "--frames", "2"], capsys)[0] == 0
    np.testing.assert_array_equal(np.load(again / "samples.npy"), samples)  # seeded: the same samples again


def test_sample_from_png_gif_and_mp4(clip, tmp_path, capsys):
    import imageio.v3 as iio
    from PIL import Image

    pngs = []
    for t in range(2):
        pngs.append(tmp_path / f"f{t}.png")
        Image.fromarray(np.stack([clip[t]] * 3, axis=-1)).save(pngs[-1])  # colour files are read as grayscale
    assert run(["sample", "--context", *pngs, *quick(tmp_path / "png")], capsys)[0] == 0
    from_npy = tmp_path / "npy"
    np.save(tmp_path / "c.npy", clip[:2])
    run(["sample", "--context", tmp_path / "c.npy", *quick(from_npy)], capsys)
    np.testing.assert_allclose(np.load(tmp_path / "png" / "samples.npy"), np.load(from_npy / "samples.npy"), atol=1e-5)

    iio.imwrite(tmp_path / "clip.gif", np.stack([clip[t] for t in range(4)]), extension=".gif", plugin="pillow")
    code, _, err = run(["sample", "--context", tmp_path / "clip.gif", "--take-last", *quick(tmp_path / "gif")], capsys)
    assert code == 0, err
    video = np.stack([np.stack([clip[t]] * 3, axis=-1) for t in range(6)])
    iio.imwrite(tmp_path / "clip.mp4", video, plugin="pyav", codec="libx264", fps=5)
    code, _, err = run(["sample", "--context", tmp_path / "clip.mp4", "--take-last", *quick(tmp_path / "mp4")], capsys)
    assert code == 0, err
    assert np.load(tmp_path / "mp4" / "samples.npy").shape == (2, 1, 1, 32, 32)


@pytest.mark.parametrize(
    "case, expected",
    [
        ("three_frames", "got 3 context frames but the model has tau=2"),
        ("odd_size", "multiples of 4"),
        ("nan", "NaN"),
        ("out_of_range", "outside [0, 1]"),
        ("missing", "does not exist"),
        ("colour_npy", "channels last"),
        ("corrupt_npy", "cannot read"),
        ("corrupt_model", "corrupt"),
        ("wrong_format", "cannot read context"),
    ],
)
def test_bad_input_gets_one_line_and_no_output(case, expected, model_path, clip, tmp_path, capsys):
    model, ctx = model_path, tmp_path / "ctx.npy"
    frames = clip[:2].astype(np.float32) / 255
    if case == "three_frames":
        frames = clip[:3]
    elif case == "odd_size":
        frames = frames[:, :30, :30]
    elif case == "nan":
        frames[0, 3, 3] = np.nan
    elif case == "out_of_range":
        frames = frames * 3
    elif case == "colour_npy":
        frames = np.stack([frames] * 3, axis=-1)
    if case == "missing":
        ctx = tmp_path / "nope.npy"
    elif case == "corrupt_npy":
        ctx.write_bytes(b"garbage")
    elif case == "wrong_format":
        ctx = tmp_path / "ctx.txt"
        ctx.write_text("1 2 3")
    else:
        np.save(ctx, frames)
    if case == "corrupt_model":
        model = tmp_path / "bad.safetensors"
        model.write_bytes(model_path.read_bytes()[:200])
    out = tmp_path / "out"
    code, _, err = run(["sample", "--model", model, "--context", ctx, *fast(out)], capsys)
    assert code == 2
    assert expected in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary leftovers


def test_console_script_exits_nonzero_without_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "nextframe.cli.main", "train", "--data", str(tmp_path / "none")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "not a nextframe dataset" in result.stderr and "Traceback" not in result.stderr


def test_data_leaves_command(tmp_path, capsys):
    code, out, err = run(["data", "leaves", "--out", tmp_path / "d", "--n", "30", "--seed", "4"], capsys)
    assert code == 0 and "wrote 30" in out and "moving leaves" in err  # its progress bar
    assert json.loads((tmp_path / "d" / "meta.json").read_text())["clips"] == {"train": 27, "test": 3}
    code, _, err = run(["data", "leaves", "--out", tmp_path / "d", "--n", "30"], capsys)
    assert code == 2 and "--overwrite" in err
    # --no-progress: no progress bar on stderr (for logs), the same data as with one
    code, out, err = run(
        ["data", "leaves", "--out", tmp_path / "q", "--n", "30", "--seed", "4", "--no-progress"], capsys
    )
    assert code == 0 and "moving leaves" not in err
    assert (tmp_path / "q" / "train.npy").read_bytes() == (tmp_path / "d" / "train.npy").read_bytes()


def test_evaluate_command_prints_the_psnr_table(model_path, tmp_path, capsys):
    data = write_leaves(tmp_path / "d", n=20, progress=False)
    code, out, err = run(
        ["evaluate", "--model", model_path, "--data", data, "--psnr", "0", "20", "--examples", "8"], capsys
    )
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 3 and abs(float(lines[1].split()[0])) < 0.5 and abs(float(lines[2].split()[0]) - 20) < 0.5


def test_experiment_commands_write_a_figure_and_numbers(model_path, tmp_path, capsys):
    knobs = ["--model", model_path, "--samples", "2", "--max-steps", "3"]
    code, out, err = run(["experiment", "probes", "--out", tmp_path / "p", *knobs], capsys)
    assert code == 0, err
    report = json.loads((tmp_path / "p" / "probes.json").read_text())
    assert set(report["probes"]) == {"ambiguous", "unambiguous"} and report["probes"]["ambiguous"]["radii"] == [
        5.0,
        5.0,
    ]
    assert sum(report["probes"]["ambiguous"]["outcomes_count"].values()) == 2
    code, out, err = run(
        ["experiment", "decisions", "--out", tmp_path / "d", "--differences", "0", "2", *knobs], capsys
    )
    assert code == 0, err
    report = json.loads((tmp_path / "d" / "decisions.json").read_text())
    assert [r["difference"] for r in report["rows"]] == [0.0, 2.0] and report["rows"][1]["unambiguous"]
    assert report["arguments"]["samples"] == 2 and "slope" in report["logistic_fit"]
    code, out, err = run(["experiment", "recursive", "--out", tmp_path / "r", "--steps", "2", *knobs], capsys)
    assert code == 0, err
    report = json.loads((tmp_path / "r" / "recursive.json").read_text())
    assert len(report["sharpness_sampling"]) == len(report["sharpness_one_step"]) == 2 and report["examples"] == 2
    for name in (
        "p/probe_ambiguous.png",
        "p/probe_unambiguous.png",
        "d/decisions.png",
        "r/recursive.png",
        "r/recursive.gif",
    ):
        assert (tmp_path / name).stat().st_size > 1000, name


def test_experiments_refuse_a_model_that_is_not_a_tau2_leaves_model(tmp_path, capsys):
    from nextframe.models.files import save_weights
    from nextframe.networks import ConditionalUNet, UNetConfig

    save_weights(tmp_path / "tau1.safetensors", ConditionalUNet(UNetConfig(tau=1, width=4)), "score")
    code, _, err = run(
        ["experiment", "probes", "--model", tmp_path / "tau1.safetensors", "--out", tmp_path / "o"], capsys
    )
    assert (
        code == 2 and "need a grayscale Moving Leaves model of 2 past frames" in err and not (tmp_path / "o").exists()
    )


def _subparser(name: str):
    import argparse

    from nextframe.cli.main import build_parser

    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return sub.choices[name]


def test_flags_are_generated_from_the_settings_dataclasses():
    """Every setting has its flag, and the flags' defaults are the dataclasses' (one source of truth)."""
    from dataclasses import fields

    from nextframe.cli.options import given, sampler_settings
    from nextframe.methods.score.training import Settings as ScoreSettings
    from nextframe.sampling.settings import PAPER, SamplerSettings

    train_flags = {s for a in _subparser("train")._actions for s in a.option_strings}
    for f in fields(TrainConfig):
        assert ("--no-" if f.default is True else "--") + f.name.replace("_", "-") in train_flags
    args = _subparser("train").parse_args(["--data", "d"])
    assert TrainConfig(**given(args, TrainConfig)) == TrainConfig(data="d")
    args = _subparser("train").parse_args(["--data", "d", "--tail-share", "0.2", "--no-progress", "--augment"])
    assert TrainConfig(**given(args, TrainConfig)) == TrainConfig(data="d", progress=False, augment=True)
    assert given(args, ScoreSettings)["tail_share"] == 0.2  # the default method's own setting
    sample = _subparser("sample")
    assert sampler_settings(sample.parse_args(["--context", "c", "--out", "o"])) == SamplerSettings()
    assert sampler_settings(sample.parse_args(["--context", "c", "--out", "o", "--paper-sampler"])) == PAPER
    mixed = sampler_settings(sample.parse_args(["--context", "c", "--out", "o", "--paper-sampler", "--beta", "0.3"]))
    assert mixed == SamplerSettings(**{**PAPER.__dict__, "beta": 0.3})


@pytest.mark.parametrize(
    "flag, value, expected",
    [
        ("scales", 7, "at most 6"),
        ("lr", 0.0, "positive"),
        ("focus", 1.5, "share of each batch"),
        ("lr_schedule", "cosine", "max-steps"),
        ("heldout_examples", 0, "at least 1"),
    ],
)
def test_the_api_and_the_command_line_refuse_a_training_setting_alike(flag, value, expected, tmp_path, capsys):
    from nextframe.errors import NextframeError

    with pytest.raises(NextframeError, match=expected) as raised:
        TrainConfig(data="d", **{flag: value})
    argv = ["train", "--data", str(tmp_path), "--out", str(tmp_path / "r"), "--" + flag.replace("_", "-"), str(value)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert str(raised.value) in err and len(err.splitlines()) == 1 and not (tmp_path / "r").exists()


def test_help_answers_without_importing_torch():
    # `nextframe --help` lists every command from one line of help each; a command's flags (and torch, and the
    # methods behind `train`'s generated flags) are built only when that command is run
    import subprocess
    import sys

    code = (
        "import sys\nfrom nextframe.cli.main import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip().endswith("False"), done.stdout + done.stderr
    for command in ("data", "train", "sample", "evaluate", "experiment", "benchmark", "demo"):
        assert command in done.stdout
