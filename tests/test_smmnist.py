"""Stochastic Moving MNIST: the idx reader, the bounce rules, the saved truth that re-renders every frame, the fixed
test set, and the errors for a wrong folder. A small synthetic MNIST stands in for the real one; the real files are
used when `../shared/data/mnist` is present."""

import gzip
from pathlib import Path

import numpy as np
import pytest

from nextframe.cli.main import main
from nextframe.data.smmnist import SMMNISTConfig, load_mnist, read_idx, render, resize_digits, trajectory, write_smmnist
from nextframe.data.store import ClipDataset
from nextframe.errors import NextframeError

REAL_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture(scope="module")
def mnist(tmp_path_factory) -> Path:
    """Four idx files of random blobs: training ones gzipped, test ones raw (both forms must read)."""
    folder = tmp_path_factory.mktemp("mnist")
    rng = np.random.default_rng(0)
    for split, n, gz in (("train", 50, True), ("t10k", 30, False)):
        images = (rng.random((n, 28, 28)) > 0.8) * rng.integers(100, 256, (n, 28, 28))
        for kind, array in (("images-idx3", images), ("labels-idx1", rng.integers(0, 10, n))):
            data = idx_bytes(np.asarray(array))
            name = f"{split}-{kind}-ubyte"
            (folder / (name + ".gz" if gz else name)).write_bytes(gzip.compress(data) if gz else data)
    return folder


def test_idx_files_read_gzipped_or_raw_and_damaged_ones_are_named(mnist, tmp_path):
    images, labels = load_mnist(mnist, "train")
    assert images.shape == (50, 28, 28) and labels.shape == (50,) and images.dtype == np.uint8
    test_images, _ = load_mnist(mnist, "test")
    assert test_images.shape == (30, 28, 28)
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "a").write_bytes(idx_bytes(array))
    assert np.array_equal(read_idx(tmp_path / "a"), array)
    (tmp_path / "b").write_bytes(idx_bytes(array)[:-1])
    with pytest.raises(NextframeError, match="truncated"):
        read_idx(tmp_path / "b")
    (tmp_path / "c").write_bytes(b"PNG not an idx file")
    with pytest.raises(NextframeError, match="not an MNIST idx file"):
        read_idx(tmp_path / "c")
    with pytest.raises(NextframeError, match="no train-images-idx3-ubyte or train-images-idx3-ubyte.gz"):
        load_mnist(tmp_path, "train")
    with pytest.raises(NextframeError, match="no such folder"):
        load_mnist(tmp_path / "nowhere", "train")


@pytest.mark.parametrize("size", [64, 32])
@pytest.mark.parametrize("deterministic", [False, True])
def test_digits_stay_on_the_canvas_and_bounce_off_the_walls(size, deterministic):
    cfg = SMMNISTConfig(size=size, frames=60, deterministic=deterministic)
    rng = np.random.default_rng(1)
    paths = np.stack([trajectory(rng, cfg) for _ in range(300)])  # (300, 60, 2)
    top = size - size // 2 - 1
    assert paths.min() == 0 and paths.max() == top  # every wall is reached, none is passed
    steps = np.diff(paths, axis=1)
    assert np.abs(steps).max() <= cfg.speed
    # after touching a wall a digit moves away from it (or along it): never further into it
    at_low, at_high = paths[:, :-1] == 0, paths[:, :-1] == top
    assert (steps[at_low] >= -cfg.speed).all() and (steps[at_high] <= cfg.speed).all()
    away = np.concatenate([steps[at_low & (steps != 0)], -steps[at_high & (steps != 0)]])
    assert (away > 0).mean() > 0.95  # the rest reached the wall exactly and are clamped one frame later
    # speeds, measured on steps that neither start nor end at a wall (a clamp shortens a step)
    inside = (paths[:, :-1] > 0) & (paths[:, :-1] < top) & (paths[:, 1:] > 0) & (paths[:, 1:] < top)
    kinds = [len(np.unique(np.abs(steps[i, :, a][inside[i, :, a]]))) for i in range(300) for a in (0, 1)]
    if deterministic:  # a bounce negates the velocity: one speed per digit and axis, all along
        assert max(kinds) == 1
    else:  # a bounce draws new speeds, on both axes
        assert np.mean(np.array(kinds) > 1) > 0.3


def test_the_saved_truth_renders_every_frame_and_the_test_set_is_fixed(mnist, tmp_path):
    cfg = SMMNISTConfig(size=32, frames=6, n=12, test=5, seed=3)
    out = write_smmnist(mnist, tmp_path / "a", cfg, progress=False)
    data = ClipDataset.open(out)
    assert data.meta["kind"] == "stochastic-moving-mnist" and data.meta["published"] is False
    train, test = data.clips("train"), data.clips("test")
    assert train.shape == (12, 6, 1, 32, 32) and test.shape == (5, 6, 1, 32, 32)
    for split, clips in (("train", train), ("test", test)):
        truth = data.truth(split)
        images, labels = load_mnist(mnist, split)
        assert np.array_equal(labels[truth["digit_index"]], truth["label"])
        for i in range(len(clips)):
            digits = resize_digits(images[truth["digit_index"][i]], 16)
            assert np.array_equal(render(digits, truth["position"][i], 32), clips[i])
    more = ClipDataset.open(
        write_smmnist(mnist, tmp_path / "b", SMMNISTConfig(size=32, frames=6, n=30, test=5, seed=3), progress=False)
    )
    assert np.array_equal(more.clips("test"), test)  # more training sequences, the same test set
    again = ClipDataset.open(write_smmnist(mnist, tmp_path / "c", cfg, progress=False))
    assert np.array_equal(again.clips("train"), train)
    other = ClipDataset.open(
        write_smmnist(mnist, tmp_path / "d", SMMNISTConfig(size=32, frames=6, n=12, test=5, seed=4), progress=False)
    )
    assert not np.array_equal(other.clips("test"), test)


def test_the_command_writes_a_dataset_and_refuses_a_wrong_folder_in_one_line(mnist, tmp_path, capsys):
    argv = [
        "data",
        "smmnist",
        "--mnist",
        str(mnist),
        "--out",
        str(tmp_path / "d"),
        "--size",
        "32",
        "--n",
        "4",
        "--test",
        "2",
        "--frames",
        "5",
        "--no-progress",
    ]
    assert main(argv) == 0
    assert ClipDataset.open(tmp_path / "d").clips("train").shape == (4, 5, 1, 32, 32)
    capsys.readouterr()
    for bad, expected in (
        (["--mnist", str(tmp_path / "nowhere")], "no such folder"),
        (["--mnist", str(tmp_path)], "no train-images-idx3-ubyte"),
        (["--mnist", str(mnist), "--frames", "1"], "--frames 1"),
        (["--mnist", str(mnist), "--size", "48"], "invalid choice"),
    ):
        assert main(["data", "smmnist", "--out", str(tmp_path / "e"), *bad]) == 2
        err = capsys.readouterr().err.strip()
        assert expected in err and len(err.splitlines()) == 1, err
        assert not (tmp_path / "e").exists()


@pytest.mark.skipif(not REAL_MNIST.is_dir(), reason="the MNIST files are not here (../shared/data/mnist)")
def test_real_mnist_makes_the_published_64x64_set(tmp_path):
    images, labels = load_mnist(REAL_MNIST, "test")
    assert images.shape == (10_000, 28, 28) and np.bincount(labels).min() > 800
    data = ClipDataset.open(write_smmnist(REAL_MNIST, tmp_path / "s", SMMNISTConfig(n=3, test=3), progress=False))
    clips = data.clips("test")
    assert clips.shape == (3, 15, 1, 64, 64) and data.meta["published"] is True
    ink = (clips > 127).reshape(3, 15, -1).sum(-1)
    assert (ink > 40).all()  # two digits of 32 pixels are on every frame (an MNIST digit inks about 19% of its box)
