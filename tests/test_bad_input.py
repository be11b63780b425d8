"""A battery of bad invocations through the real entry point (in process): each must exit 2 with exactly one line
on stderr naming the problem, raise nothing (an uncaught exception fails the test, as a traceback would fail a
user), and leave no file or folder behind. Plus the training loop's guard: every setting makes progress or is refused."""

import os
import pickle

import numpy as np
import pytest
import torch

from nextframe.cli.main import build_parser, main, subcommands
from nextframe.data.leaves import generate_arrays, write_leaves
from nextframe.errors import NextframeError
from nextframe.methods import train
from nextframe.models.files import save_weights
from nextframe.networks import ConditionalUNet, UNetConfig
from nextframe.training.config import TrainConfig


class Payload:
    """A pickle that would create a file if it were ever unpickled with code execution allowed."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad-input")
    data = write_leaves(root / "data", n=20, progress=False)
    train(
        TrainConfig(
            data=str(data),
            out=str(root / "run"),
            width=4,
            batch_size=4,
            max_steps=1,
            examples_per_epoch=4,
            heldout_examples=4,
            progress=False,
        )
    )
    frames = generate_arrays(1, seed=3)[0][0, :, 0]  # (11, 32, 32) uint8
    f = {"root": root, "data": data, "model": root / "run" / "model.safetensors", "frames": frames}

    def npy(name, array):
        np.save(root / name, array)
        f[name] = root / name

    npy("ctx.npy", frames[:2])
    npy("three.npy", frames[:3])
    npy("one.npy", frames[:1])
    npy("empty_frames.npy", np.zeros((0, 32, 32), np.uint8))
    npy("channels_last.npy", np.stack([frames[:2]] * 3, axis=-1))
    nan = frames[:2].astype(np.float32) / 255
    nan[0, 1, 1] = np.nan
    npy("nan.npy", nan)
    npy("range.npy", frames[:2].astype(np.float32))  # 0-255 floats
    npy("int64.npy", frames[:2].astype(np.int64))
    npy("odd.npy", frames[:2, :30, :30])
    npy("flat.npy", np.zeros(5, np.float32))
    for name, content in (
        ("zero.npy", b""),
        ("corrupt.npy", b"garbage"),
        ("ctx.txt", b"1 2 3"),
        ("corrupt.png", b"\x89PNG nope"),
        ("corrupt.safetensors", f["model"].read_bytes()[:200]),
        ("notes.txt", b"not a model"),
    ):
        (root / name).write_bytes(content)
        f[name] = root / name
    (root / "folder").mkdir()
    f["folder"] = root / "folder"
    from PIL import Image

    Image.fromarray(frames[0]).save(root / "a.png")
    Image.fromarray(frames[1, :28, :28]).save(root / "b.png")
    f["a.png"], f["b.png"] = root / "a.png", root / "b.png"
    torch.save([1, 2, 3], root / "list.pt")
    f["list.pt"] = root / "list.pt"
    with open(root / "evil.pt", "wb") as fh:
        pickle.dump({"model": Payload(str(root / "pwned")), "unet": {}}, fh)
    f["evil.pt"] = root / "evil.pt"
    save_weights(root / "tau1.safetensors", ConditionalUNet(UNetConfig(tau=1, width=4)), "score")
    f["tau1.safetensors"] = root / "tau1.safetensors"
    return f


S = ["sample", "--model", "{model}", "--context", "{ctx.npy}", "--samples", "2", "--max-steps", "3"]
T = ["train", "--data", "{data}", "--width", "4", "--batch-size", "4", "--max-steps", "1", "--no-progress"]
E = ["evaluate", "--model", "{model}", "--data", "{data}", "--examples", "4"]
L = ["data", "leaves", "--n", "20"]
CASES = [
    # outputs: checked before any work
    (S + ["--out", ""], "--out is empty"),
    (S + ["--out", "{file}"], "is an existing file"),
    (S + ["--out", "{file}/sub"], "which is a file"),
    (T + ["--out", "{file}"], "is an existing file"),
    (T + ["--out", ""], "--out is empty"),
    (L + ["--out", "{file}"], "is an existing file"),
    (L + ["--out", "{file}/d"], "which is a file"),
    (["demo", "--out", "{file}"], "is an existing file"),
    (["experiment", "probes", "--out", "{file}"], "is an existing file"),
    (["experiment", "recursive", "--out", ""], "--out is empty"),
    # sampler settings
    (S + ["--out", "o", "--h0", "-0.5"], "h0"),
    (S + ["--out", "o", "--h0", "0"], "h0"),
    (S + ["--out", "o", "--h0", "2"], "h0"),
    (S + ["--out", "o", "--seed", "-1"], "--seed -1"),
    (S[:-4] + ["--out", "o", "--samples", "0"], "--samples 0"),
    (S[:-4] + ["--out", "o", "--samples", "1000000000"], "--samples 1000000000"),
    (S[:-4] + ["--out", "o", "--samples", "50000", "--frames", "2000"], "GiB"),
    (S + ["--out", "o", "--scale", "0"], "--scale 0"),
    (S + ["--out", "o", "--scale", "100"], "--scale 100"),
    (S + ["--out", "o", "--frames", "0"], "--frames 0"),
    (S + ["--out", "o", "--mean", "nan"], "finite"),
    (S + ["--out", "o", "--mean", "inf"], "finite"),
    (S + ["--out", "o", "--sigma0", "0"], "sigma0"),
    (S + ["--out", "o", "--sigma0", "-1"], "sigma0"),
    (S + ["--out", "o", "--sigma-stop", "0"], "--sigma-stop"),
    (S + ["--out", "o", "--sigma-stop", "20"], "--sigma-stop"),
    (S[:-2] + ["--out", "o", "--max-steps", "0"], "--max-steps"),
    (S + ["--out", "o", "--beta", "0"], "beta"),
    (S + ["--out", "o", "--beta", "1.5"], "beta"),
    (S + ["--out", "o", "--retries", "-1"], "retries"),
    (S + ["--out", "o", "--schedule", "fast"], "argument --schedule: invalid choice: 'fast'"),
    # context files
    (["sample", "--model", "{model}", "--out", "o", "--context", "{folder}"], "is a folder"),
    (["sample", "--model", "{model}", "--out", "o", "--context", "{root}/missing.npy"], "does not exist"),
    (["sample", "--model", "{model}", "--out", "o", "--context", "{zero.npy}"], "is empty (0 bytes)"),
    (["sample", "--model", "{model}", "--out", "o", "--context", "{empty_frames.npy}"], "holds no frames"),
    (["sample", "--model", "{model}", "--out", "o", "--context", "{channels_last.npy}"], "channels last"),
    (["sample", "--model", "{model}", "--out", "o", "--context", "{three.npy}"], "add --take-last"),
    (["sample", "--model", "{model}", "--out", "o", "--context", "{one.npy}", "--take-last"], "got 1 context frame(s)"),
    (["sample", "--model", "{model}", "--out", "o", "--context", "{nan.npy}"], "NaN"),
    (["sample", "--model", "{model}", "--out", "o", "--context", "{range.npy}"], "outside [0, 1]"),
    (["sample", "--model", "{model}", "--out", "o", "--context", "{int64.npy}"], "dtype int64"),
    (["sample", "--model", "{model}", "--out", "o", "--context", "{odd.npy}"], "multiples of 4"),
    (["sample", "--model", "{model}", "--out", "o", "--context", "{flat.npy}"], "expected (frames, H, W)"),
    (["sample", "--model", "{model}", "--out", "o", "--context", "{ctx.txt}"], "cannot read context"),
    (["sample", "--model", "{model}", "--out", "o", "--context", "{corrupt.npy}"], "cannot read"),
    (["sample", "--model", "{model}", "--out", "o", "--context", "{corrupt.png}", "{a.png}"], "cannot read image"),
    (["sample", "--model", "{model}", "--out", "o", "--context", "{a.png}", "{b.png}"], "differ in size"),
    # model files
    (["sample", "--model", "{corrupt.safetensors}", "--out", "o", "--context", "{ctx.npy}"], "corrupt"),
    (
        ["sample", "--model", "{list.pt}", "--out", "o", "--context", "{ctx.npy}"],
        "not a nextframe training checkpoint; pass weights",
    ),
    (["sample", "--model", "{evil.pt}", "--out", "o", "--context", "{ctx.npy}"], "not a nextframe checkpoint"),
    (["sample", "--model", "{notes.txt}", "--out", "o", "--context", "{ctx.npy}"], "not a nextframe checkpoint"),
    (
        ["sample", "--model", "no-such-model", "--out", "o", "--context", "{ctx.npy}"],
        "neither a file nor a shipped model",
    ),
    (["evaluate", "--model", "{corrupt.safetensors}", "--data", "{data}"], "corrupt"),
    # training settings
    (T + ["--out", "r", "--lr", "-1"], "--lr -1"),
    (T + ["--out", "r", "--lr", "0"], "--lr 0"),
    (T + ["--out", "r", "--lr", "nan"], "--lr nan"),
    (T + ["--out", "r", "--examples-per-epoch", "-10"], "--examples-per-epoch -10"),
    (T[:-3] + ["--out", "r", "--max-steps", "-5"], "--max-steps -5"),
    (T + ["--out", "r", "--heldout-examples", "0"], "--heldout-examples 0"),
    (T + ["--out", "r", "--checkpoint-minutes", "-1"], "--checkpoint-minutes -1"),
    (T + ["--out", "r", "--checkpoint-minutes", "0"], "--checkpoint-minutes 0"),
    (T + ["--out", "r", "--sigma-max", "-1"], "--sigma-max -1"),
    (T + ["--out", "r", "--batch-size", "0"], "--batch-size 0"),
    (T + ["--out", "r", "--epochs", "0"], "--epochs 0"),
    (T + ["--out", "r", "--width", "0"], "--width 0"),
    (T + ["--out", "r", "--tau", "-1"], "--tau -1"),
    (T + ["--out", "r", "--max-minutes", "-1"], "--max-minutes -1"),
    (T + ["--out", "r", "--focus", "1.5"], "--focus"),
    (T + ["--out", "r", "--noise-power", "0"], "--noise-power"),
    (T + ["--out", "r", "--tail-share", "0.2", "--tail-sigma", "0.5"], "--tail-sigma 0.5 must exceed"),
    (T + ["--out", "r", "--seed", "-1"], "--seed -1"),
    (T + ["--out", "r", "--ema-halflife", "-1"], "--ema-halflife -1"),
    (T + ["--out", "r", "--freeze-norm"], "give --init too"),
    (T[:-3] + ["--out", "r", "--lr-schedule", "cosine"], "set --max-steps too"),
    (T + ["--out", "r", "--init", "no-such-model"], "neither a file nor a shipped model"),
    (["train", "--data", "{root}/nowhere", "--out", "r"], "not a nextframe dataset"),
    (["train", "--data", "{ctx.npy}", "--out", "r"], "is a file; pass a dataset folder"),
    (T + ["--out", "r", "--device", "foo"], "--device 'foo'"),
    # evaluation
    (E + ["--examples", "0"], "--examples 0"),
    (E + ["--examples", "-3"], "--examples -3"),
    (E + ["--psnr", "1000"], "--psnr 1000"),
    (E + ["--psnr", "nan"], "--psnr nan"),
    (E + ["--seed", "-1"], "--seed -1"),
    (["evaluate", "--model", "{model}", "--data", "{root}/nowhere"], "not a nextframe dataset"),
    # datasets
    (L[:2] + ["--out", "d", "--n", "5"], "--n 5"),
    (L[:2] + ["--out", "d", "--n", "-1"], "--n -1"),
    (L + ["--out", "d", "--frames", "1"], "--frames 1"),
    (L + ["--out", "d", "--size", "8"], "--size 8"),
    (L + ["--out", "d", "--seed", "-1"], "--seed -1"),
    (L + ["--out", "{data}"], "already exists"),
    (["data", "video", "--source", "{root}/nowhere", "--out", "v"], "nowhere"),
    (
        ["data", "video", "--source", "{folder}", "--out", "v", "--frames", "1"],
        "--frames 1: must be a whole number of at least 2",
    ),
    (["data", "video", "--source", "{folder}", "--out", "v", "--scales", "0"], "--scales"),
    # demo and experiments
    (["demo", "--model", "{corrupt.safetensors}", "--out", "demo"], "corrupt"),
    (["demo", "--model", "{tau1.safetensors}", "--out", "demo"], "grayscale tau=2"),
    (["demo", "--beside", "{tau1.safetensors}", "--out", "demo"], "grayscale tau=2"),
    (["demo", "--samples", "0", "--out", "demo"], "--samples 0"),
    (["experiment", "probes", "--out", "p", "--samples", "0"], "--samples 0"),
    (["experiment", "probes", "--out", "p", "--h0", "-1"], "h0"),
    (
        ["experiment", "probes", "--model", "{tau1.safetensors}", "--out", "p"],
        "grayscale Moving Leaves model of 2 past frames",
    ),
    (["experiment", "decisions", "--out", "p", "--windows", "0"], "--windows"),
    (["experiment", "decisions", "--out", "p", "--differences", "10"], "--differences 10"),
    (["experiment", "recursive", "--out", "p", "--steps", "0"], "--steps"),
    (["experiment", "decisions", "--out", "p", "--differences", "nan"], "--differences nan"),
    (["experiment", "bimodal", "--out", "p", "--starts", "inf"], "--starts inf"),
    (S + ["--out", "o", "--sigma0", "1e9"], "sigma0"),
    (S + ["--out", "o", "--mean", "1e9"], "mean"),
    (T + ["--out", "r", "--lr", "1e9"], "--lr 1000000000.0: must be at most 1"),
    (T + ["--out", "r", "--tail-sigma", "nan"], "--tail-sigma nan"),
    (["data", "video", "--source", "{folder}", "--out", "v", "--test-every", "-1"], "--test-every -1"),
    # usage errors: one line too, with where the help is
    (S + ["--out", "o", "--seed", "abc"], "invalid int value: 'abc'; see `nextframe sample --help`"),
    (["sample", "--out", "o"], "the following arguments are required: --context"),
    (["frobnicate"], "invalid choice"),
    (
        ["experiment", "decisions", "--out", "p", "--bogus"],
        "unrecognized arguments: --bogus; see `nextframe experiment decisions --help`",
    ),
    ([], "the following arguments are required: command"),
]


def tree(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize("argv, expected", CASES, ids=[f"{i:02d}-{' '.join(c[0][:2])}" for i, c in enumerate(CASES)])
def test_bad_invocation_is_refused_in_one_line_with_nothing_left_behind(
    argv, expected, files, tmp_path, monkeypatch, capsys
):
    (tmp_path / "file").write_text("a file where a folder is expected")
    values = {k: str(v) for k, v in files.items() if k != "frames"} | {"file": str(tmp_path / "file")}
    for key, value in values.items():
        argv = [a.replace("{" + key + "}", value) for a in argv]
    monkeypatch.chdir(tmp_path)  # relative --out lands here, where any leftover would show
    before, shared = tree(tmp_path), tree(files["root"])
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert expected in err, err
    assert err.startswith("nextframe: error: ") and err.count("\n") == 1, err
    assert tree(tmp_path) == before and tree(files["root"]) == shared  # no output, no temporary file
    assert not (files["root"] / "pwned").exists()  # the pickle's code never ran


def test_the_battery_is_large_and_covers_every_command():
    assert len(CASES) >= 60
    assert {c[0][0] for c in CASES if c[0]} == {
        "sample",
        "train",
        "evaluate",
        "data",
        "demo",
        "experiment",
        "frobnicate",
    }


def test_every_option_is_explained():
    for parser in subcommands(build_parser()):
        for action in parser._actions:
            if action.option_strings and action.dest != "help":
                assert action.help, f"{parser.prog} {action.option_strings[0]} has no help text"


def test_a_run_where_no_sample_converges_exits_1_and_says_so(files, tmp_path, capsys):
    code = main(
        [
            "sample",
            "--model",
            str(files["model"]),
            "--context",
            str(files["ctx.npy"]),
            "--out",
            str(tmp_path / "o"),
            "--samples",
            "2",
            "--max-steps",
            "3",
        ]
    )
    captured = capsys.readouterr()
    assert code == 1 and "0 of 2 generated frames converged" in captured.out and "not samples" in captured.err
    assert (tmp_path / "o" / "summary.json").exists()  # kept for inspection, and marked
    assert oct((tmp_path / "o" / "samples.npy").stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_the_api_refuses_what_the_cli_refuses(files):
    import nextframe

    model = nextframe.load(files["model"])
    good = torch.from_numpy(files["frames"][:2].astype(np.float32) / 255)[None]
    for context, expected in (
        (good.to(torch.uint8), "dtype torch.uint8"),
        (good * 255, "values in"),
        (good.clone().fill_(float("nan")), "NaN"),
        (good[0], "shape"),
        ("frames", "torch tensor"),
    ):
        with pytest.raises(NextframeError, match=expected):
            nextframe.sample(model, context)
    for knobs, expected in (
        ({"h0": -0.5}, "h0"),
        ({"mean": float("nan")}, "finite"),
        ({"sigma0": 0}, "sigma0"),
        ({"sigma_stop": 0}, "--sigma-stop"),
        ({"max_steps": 0}, "--max-steps"),
        ({"seed": -1}, "seeds"),
    ):
        with pytest.raises(NextframeError, match=expected):
            nextframe.sample(model, good, **knobs)
    with pytest.raises(NextframeError, match="examples_per_epoch|--examples-per-epoch"):
        TrainConfig(data="d", examples_per_epoch=-10)
    with pytest.raises(NextframeError, match="pass tau="):
        nextframe.rollout(lambda noisy, context: noisy, good.view(1, 2, 1, 32, 32), 1)


def test_samples_of_one_context_come_out_in_order_and_match_their_seeds(files):
    import nextframe

    model = nextframe.load(files["model"])
    context = torch.from_numpy(files["frames"][:2].astype(np.float32) / 255)[None]
    many = nextframe.sample(model, context, samples=3, seed=5, max_steps=4)
    by_hand = nextframe.sample(model, context.repeat(3, 1, 1, 1), seed=5, max_steps=4)
    assert many.frames.shape == (3, 1, 32, 32) and torch.equal(many.frames, by_hand.frames)
    past = context.view(1, 2, 1, 32, 32)
    future, results = nextframe.rollout(model, past, 2, samples=3, max_steps=4)  # tau taken from the model
    assert future.shape == (3, 2, 1, 32, 32) and len(results) == 2


@pytest.mark.parametrize(
    "extra",
    [
        {"examples_per_epoch": 1},
        {"batch_size": 1, "heldout_examples": 1},
        {"epochs": 1},
        {"max_minutes": 0.001},
        {"examples_per_epoch": 3, "batch_size": 4},
    ],
)
def test_every_accepted_training_setting_makes_progress(files, tmp_path, extra):
    settings = (
        dict(
            data=str(files["data"]),
            out=str(tmp_path / "r"),
            width=4,
            batch_size=4,
            max_steps=3,
            examples_per_epoch=8,
            heldout_examples=4,
            progress=False,
        )
        | extra
    )
    summary = train(TrainConfig(**settings))
    assert summary["steps"] >= 1 and (tmp_path / "r" / "model.safetensors").exists()


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_training_honours_signals_and_resumes(files, tmp_path, sig):
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "r"
    argv = [
        sys.executable,
        "-m",
        "nextframe.cli.main",
        "train",
        "--data",
        str(files["data"]),
        "--out",
        str(out),
        "--width",
        "4",
        "--batch-size",
        "4",
        "--examples-per-epoch",
        "8",
        "--heldout-examples",
        "4",
        "--no-progress",
    ]  # no step limit
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out / "checkpoint.pt").exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
    process.send_signal(getattr(signal, sig))
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and "interrupted" in err and "Traceback" not in err
    from nextframe.models.files import load_checkpoint

    steps = load_checkpoint(out / "checkpoint.pt")["progress"]["step"]
    assert steps >= 2  # the epoch's work was kept
    assert (
        main(
            [
                "train",
                "--data",
                str(files["data"]),
                "--out",
                str(out),
                "--width",
                "4",
                "--batch-size",
                "4",
                "--examples-per-epoch",
                "8",
                "--heldout-examples",
                "4",
                "--max-steps",
                str(steps + 2),
                "--no-progress",
            ]
        )
        == 0
    )  # resumes from it
