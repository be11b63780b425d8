"""Moving Leaves: two disks at random depths that move along Gaussian-process paths and occlude each other.

Appendix D of Fiquet & Simoncelli (2024) fixes the broad rules; every choice it leaves open is a field of
`LeavesConfig` below, with the reason beside it. The generator is vectorised over chunks of sequences and each chunk
draws from its own seed (`SeedSequence([seed, chunk])`), so a dataset is fully determined by its seed, the first n
sequences are the same whatever the total, and chunks could be generated in parallel.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from nextframe.errors import NextframeError
from nextframe.settings import check_fields, setting

CHUNK = 1000  # sequences per seeded chunk; part of the definition of a dataset, so never change it silently


@dataclass(frozen=True)
class LeavesConfig:
    # each field's reason is its help, which `nextframe data leaves --help` shows; the lengths in pixels are those of
    # the 32x32 canvas, and `for_size` scales them with the canvas (`--size`), so a flag typed beside --size wins
    frames: int = setting(11, "sequence length (App. D)", low=2)
    size: int = setting(32, "canvas height = width in pixels (App. D); the lengths below scale with it", low=16)
    physical_radius: float = setting(
        8.0,
        "both disks share one physical size; projected radius = physical_radius / depth (pixels at 32x32, scaled with --size)",
        positive=True,
    )
    depth_min: float = setting(
        1.0, "depth ~ U[depth_min, depth_max]: projected radii in [3.2, 8] pixels", positive=True
    )
    depth_max: float = setting(2.5, "the far end of the depths", positive=True)
    position_std: float = setting(
        6.0, "GP amplitude: how far a path wanders from its mean (pixels at 32x32, scaled with --size)", low=0.0
    )
    lengthscale_per_depth: float = setting(
        2.5, "GP length scale (frames) = this * depth, so speed ~ 1/depth (App. D)", positive=True
    )
    collision_margin: float = setting(
        8.0,
        "the half-occlusion happens at a point at least this far inside the canvas (pixels at 32x32, scaled with --size)",
        low=0.0,
    )
    half_occlusion_safety: float = setting(
        0.9,
        "centre distance at the collision <= this * the distance at which exactly half is hidden",
        positive=True,
        high=1.0,
    )

    def __post_init__(self):
        check_fields(self)
        if not self.depth_min < self.depth_max:
            raise NextframeError(f"--depth-min {self.depth_min:g} must lie below --depth-max {self.depth_max:g}")

    def to_dict(self) -> dict:
        return asdict(self)

    @staticmethod
    def for_size(size: int, frames: int = 11) -> LeavesConfig:
        """The defaults with every length in pixels scaled by size / 32, so a different canvas shows the same scene."""
        base, scale = LeavesConfig(), size / 32
        return LeavesConfig(
            frames=frames,
            size=size,
            physical_radius=base.physical_radius * scale,
            position_std=base.position_std * scale,
            collision_margin=base.collision_margin * scale,
        )

    @staticmethod
    def for_frames(frame_shape, frames: int = 11) -> LeavesConfig:
        """The scene a model of these (C, H, W) frames was trained on: `for_size` of its square canvas; None (weights
        written before the frame shape was recorded, such as the first leaves-tau2) is the 32x32 reference."""
        if frame_shape is None:
            return LeavesConfig.for_size(32, frames)
        height, width = frame_shape[-2:]
        if height != width:
            raise NextframeError(f"Moving Leaves canvases are square; these frames are {height}x{width}")
        return LeavesConfig.for_size(int(height), frames)


@dataclass
class LeavesTruth:
    """Ground truth of n sequences. Disk 0 and disk 1 are in random order; the larger one is always in front."""

    centers: np.ndarray  # (n, frames, 2 disks, 2) pixel coordinates (x, y) of each disk centre per frame
    radii: np.ndarray  # (n, 2) projected radius of each disk (constant over a sequence)
    depths: np.ndarray  # (n, 2) depth of each disk (radius = physical_radius / depth)
    luminance: np.ndarray  # (n, 3) luminance of background, disk 0, disk 1
    collision_frame: np.ndarray  # (n,) a frame where at least half of the smaller disk is hidden

    @property
    def front(self) -> np.ndarray:
        """(n,) index of the disk in front (the larger, nearer one); the same for every frame of a sequence."""
        return np.argmax(self.radii, axis=1)

    def __len__(self) -> int:
        return len(self.radii)

    def __getitem__(self, index) -> LeavesTruth:
        return LeavesTruth(**{name: getattr(self, name)[index] for name in self.__dataclass_fields__})

    def to_arrays(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @staticmethod
    def concatenate(parts: list[LeavesTruth]) -> LeavesTruth:
        return LeavesTruth(
            **{name: np.concatenate([getattr(p, name) for p in parts]) for name in LeavesTruth.__dataclass_fields__}
        )


def render(centers: np.ndarray, radii: np.ndarray, luminance: np.ndarray, size: int) -> np.ndarray:
    """Anti-aliased frames (n, frames, size, size) float32 in [0, 1]; the larger disk is drawn over the smaller.

    A pixel's coverage by a disk is its centre's signed distance to the disk's edge, clipped to [0, 1]: a one-pixel
    linear ramp, the usual cheap approximation of box-filtered area coverage.
    """
    order = np.argsort(radii, axis=1)  # (n, 2): [smaller, larger]
    take = lambda a, k: np.take_along_axis(a, order[:, k : k + 1], axis=1)[:, 0]  # noqa: E731
    pixel = np.arange(size, dtype=np.float32) + 0.5
    frame = np.empty(centers.shape[:2] + (size, size), dtype=np.float32)
    frame[:] = luminance[:, 0, None, None, None]
    for k in range(2):  # smaller disk first, then the larger one on top
        disk = np.take_along_axis(centers, order[:, None, k : k + 1, None], axis=2)[:, :, 0]  # (n, T, 2)
        dx2 = np.square(pixel - disk[..., 0:1])  # (n, T, W)
        dy2 = np.square(pixel - disk[..., 1:2])  # (n, T, H)
        dist = np.sqrt(dy2[..., :, None] + dx2[..., None, :])
        edge = (take(radii, k) + 0.5).astype(np.float32)[:, None, None, None]
        coverage = np.clip(edge - dist, 0.0, 1.0, out=dist)
        lum = take(luminance[:, 1:], k).astype(np.float32)[:, None, None, None]
        frame += coverage * (lum - frame)
    return frame


def disk_coverage(centers: np.ndarray, radius: np.ndarray, size: int) -> np.ndarray:
    """Coverage (..., size, size) of one disk per frame, with the same edge ramp as `render`."""
    pixel = np.arange(size, dtype=np.float32) + 0.5
    dist = np.sqrt(
        np.square(pixel - centers[..., 1:2])[..., :, None] + np.square(pixel - centers[..., 0:1])[..., None, :]
    )
    return np.clip(np.asarray(radius, np.float32)[..., None, None] + 0.5 - dist, 0.0, 1.0)


def hidden_fraction(distance: np.ndarray, small: np.ndarray, large: np.ndarray) -> np.ndarray:
    """Fraction of the area of a disk of radius `small` covered by one of radius `large` at centre `distance`."""
    d = np.maximum(np.asarray(distance, np.float64), 1e-12)
    r, R = np.asarray(small, np.float64), np.asarray(large, np.float64)
    a = np.clip((d**2 + r**2 - R**2) / (2 * d * r), -1, 1)
    b = np.clip((d**2 + R**2 - r**2) / (2 * d * R), -1, 1)
    kite = np.sqrt(np.clip((-d + r + R) * (d + r - R) * (d - r + R) * (d + r + R), 0, None))
    lens = r**2 * np.arccos(a) + R**2 * np.arccos(b) - 0.5 * kite
    area = np.where(d <= R - r, np.pi * r**2, np.where(d >= R + r, 0.0, lens))
    return area / (np.pi * r**2)


def half_hidden_distance(small: np.ndarray, large: np.ndarray) -> np.ndarray:
    """Centre distance at which exactly half of the smaller disk is hidden (bisection; the fraction falls with distance)."""
    lo, hi = np.zeros_like(small, dtype=np.float64), np.asarray(small + large, np.float64)
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        more = hidden_fraction(mid, small, large) > 0.5
        lo, hi = np.where(more, mid, lo), np.where(more, hi, mid)
    return 0.5 * (lo + hi)


def _gp_paths(rng: np.random.Generator, lengthscale: np.ndarray, cfg: LeavesConfig) -> np.ndarray:
    """Zero-mean GP paths (n, frames, 2) with a squared-exponential kernel of per-path length scale."""
    t = np.arange(cfg.frames, dtype=np.float64)
    gap2 = np.square(t[:, None] - t[None, :])
    cov = np.exp(-gap2[None] / (2 * np.square(lengthscale)[:, None, None]))
    cov += 1e-6 * np.eye(cfg.frames)  # jitter: long length scales make the kernel nearly singular
    chol = np.linalg.cholesky(cov)
    return cfg.position_std * (chol @ rng.standard_normal((len(lengthscale), cfg.frames, 2)))


def sample_truth(rng: np.random.Generator, n: int, cfg: LeavesConfig) -> LeavesTruth:
    """Draw the ground truth of n sequences (see LeavesConfig for the rules)."""
    depths = rng.uniform(cfg.depth_min, cfg.depth_max, size=(n, 2))
    radii = cfg.physical_radius / depths
    luminance = rng.uniform(0.0, 1.0, size=(n, 3))
    paths = _gp_paths(rng, (cfg.lengthscale_per_depth * depths).reshape(-1), cfg).reshape(n, 2, cfg.frames, 2)
    paths = paths.transpose(0, 2, 1, 3)  # (n, frames, disk, xy)
    # Anchor both paths so that at one frame the smaller disk's centre lies close enough to the larger's that at least
    # half of it is hidden: App. D asks for such a frame in every sequence.
    collision = rng.integers(0, cfg.frames, size=n)
    meet = rng.uniform(cfg.collision_margin, cfg.size - cfg.collision_margin, size=(n, 2))
    small, large = radii.min(axis=1), radii.max(axis=1)
    distance = cfg.half_occlusion_safety * half_hidden_distance(small, large) * np.sqrt(rng.uniform(size=n))
    angle = rng.uniform(0, 2 * np.pi, size=n)
    offset = distance[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    smaller = np.argmin(radii, axis=1)
    anchor = np.repeat(meet[:, None, :], 2, axis=1)  # (n, disk, xy): where each disk is at the collision frame
    anchor[np.arange(n), smaller] += offset
    at_collision = paths[np.arange(n), collision]  # (n, disk, xy)
    centers = paths + (anchor - at_collision)[:, None]
    return LeavesTruth(
        centers=centers.astype(np.float32),
        radii=radii.astype(np.float32),
        depths=depths.astype(np.float32),
        luminance=luminance.astype(np.float32),
        collision_frame=collision.astype(np.int16),
    )


APPROACH_GAP = 4.0  # pixels (of a 32x32 canvas) between the disks' edges in the last context frame of an approach


def approach_windows(truth: dict | LeavesTruth, tau: int, gap: float = APPROACH_GAP, size: int = 32) -> np.ndarray:
    """(sequences, frames - tau) bool: windows whose context shows the disks apart in every frame, approaching, and
    closer than `gap` pixels of a 32x32 canvas edge to edge in the last frame: the moments before an occlusion may
    begin. On a `size` canvas the gap scales with it, as every length of the scene does (`LeavesConfig.for_size`):
    a fixed 4 pixels at 16x16 picked 10.3% of the windows, of which 46% overlap in the next frame, where the same
    scene at 32x32 picks 6.8% and 66%; scaled, 16x16 picks the very same windows as 32x32.

    The rule reads only the context frames, so training on more of these windows changes how often the network sees
    such a context, never what follows it: the conditional density it learns stays that of the data. About 6.8% of
    the seed-0 set's training windows qualify (tau 2, default settings), and the disks overlap in the next frame of
    about two thirds of them, against 4.9% of all windows.
    """
    truth = truth if isinstance(truth, LeavesTruth) else load_truth(truth)
    apart = np.linalg.norm(truth.centers[:, :, 0] - truth.centers[:, :, 1], axis=-1) - truth.radii.sum(axis=1)[:, None]
    frames = apart.shape[1]
    if tau < 1 or frames <= tau:
        raise NextframeError(f"approach windows need 1 <= tau < {frames} frames, got tau={tau}")
    context = np.stack([apart[:, k : frames - tau + k] for k in range(tau)], axis=-1)  # (n, windows, tau)
    last = context[..., -1]
    closing = context[..., -2] > last if tau > 1 else np.ones_like(last, bool)
    return (context > 0).all(axis=-1) & closing & (last < gap * size / 32)


def lens_region(truth: dict | LeavesTruth, tau: int, windows: np.ndarray, size: int = 32, margin: float = 2.0):
    """(len(windows), size, size) float32, 1 where the two disks may overlap in the next frame of each window, as
    far as its context can tell: both disks at their last centres plus their last displacement, each grown by
    `margin` pixels of a 32x32 canvas (the paths curve; scaled with the canvas), and 1 where the grown disks
    intersect. `windows` index (sequence, first frame) flattened as `approach_windows` lays them out.

    It reads the context only (the centres of the context frames, the radii), so a loss weighted by it keeps its
    minimiser, the conditional mean at each pixel, while spending more of the network on the pixels where the
    depth order shows: the lens is a few pixels of the frame, and under plain MSE the size cue is worth about 2% of
    the loss (docs/notebook.md, 2026-12-07 fourth session).
    """
    truth = truth if isinstance(truth, LeavesTruth) else load_truth(truth)
    if tau < 2:
        raise NextframeError(f"the lens is extrapolated from the last two context frames; it needs tau >= 2, got {tau}")
    per_sequence = truth.centers.shape[1] - tau
    sequence, first = np.divmod(np.asarray(windows), per_sequence)
    last = truth.centers[sequence, first + tau - 1].astype(np.float32)  # (B, 2 disks, 2)
    ahead = last + (last - truth.centers[sequence, first + tau - 2])
    grown = truth.radii[sequence] + margin * size / 32  # (B, 2)
    cover = disk_coverage(ahead, grown, size)  # (B, 2, H, W)
    return ((cover[:, 0] > 0) & (cover[:, 1] > 0)).astype(np.float32)


def chunk_rng(seed: int, chunk: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, chunk]))


def generate(n: int, seed: int = 0, cfg: LeavesConfig = LeavesConfig(), start: int = 0, progress: bool = False):
    """Yield (first_index, frames uint8 (m, frames, 1, size, size), truth) chunks covering sequences [start, start+n).

    Sequence i is the same whatever n and start are, because it lives in seeded chunk i // CHUNK.
    """
    from tqdm.auto import tqdm

    first_chunk, last_chunk = start // CHUNK, (start + n - 1) // CHUNK
    bar = tqdm(total=n, unit="seq", desc="moving leaves", disable=not progress)
    for chunk in range(first_chunk, last_chunk + 1):
        truth = sample_truth(chunk_rng(seed, chunk), CHUNK, cfg)
        lo, hi = max(start, chunk * CHUNK) - chunk * CHUNK, min(start + n, (chunk + 1) * CHUNK) - chunk * CHUNK
        truth = truth[lo:hi]
        frames = render(truth.centers, truth.radii, truth.luminance, cfg.size)
        frames = (frames * 255.0 + 0.5).astype(np.uint8)[:, :, None]
        bar.update(hi - lo)
        yield chunk * CHUNK + lo, frames, truth
    bar.close()


def generate_arrays(n: int, seed: int = 0, cfg: LeavesConfig = LeavesConfig(), start: int = 0):
    """All of `generate` at once: frames uint8 (n, frames, 1, size, size) and their LeavesTruth."""
    parts = list(generate(n, seed, cfg, start))
    return np.concatenate([p[1] for p in parts]), LeavesTruth.concatenate([p[2] for p in parts])


@dataclass
class Probe:
    """Two clean conditioning frames of disks on a collision course and the two possible next frames."""

    context: np.ndarray  # (2, 1, size, size) float32
    left_front: np.ndarray  # (1, size, size): the next frame if the left disk is in front
    right_front: np.ndarray  # (1, size, size): the next frame if the right disk is in front
    truth: LeavesTruth  # centres for the 3 frames; luminance [background, left, right]; radii [left, right]


def make_probe(
    radius_left: float = 5.0,
    radius_right: float = 5.0,
    luminance: tuple[float, float, float] = (0.05, 0.3, 0.7),  # background, left, right; the disks sit symmetrically
    # about 0.5, the sampler's initial mean, so neither outcome starts closer to it
    speed: float | None = None,  # pixels per frame for each disk (equal, so size is the only depth cue); None: just
    # fast enough that the disks are still 1.5 pixels apart in the last conditioning frame, so it shows no occlusion
    overlap: float = 0.8,  # centre distance in the next frame, as a fraction of the larger radius
    size: int = 32,
    row: float | None = None,  # vertical position of both paths (default: the middle)
) -> Probe:
    """Build a probe: disks approach along a horizontal line and overlap in the third (predicted) frame."""
    cx, cy = size / 2, size / 2 if row is None else row
    half_gap = 0.5 * overlap * max(radius_left, radius_right)
    if speed is None:
        speed = max(0.0, 0.5 * (radius_left + radius_right + 1.5) - half_gap)
    centers = np.zeros((1, 3, 2, 2), np.float32)
    for t in range(3):
        travel = half_gap + speed * (2 - t)
        centers[0, t, 0] = (cx - travel, cy)
        centers[0, t, 1] = (cx + travel, cy)
    radii = np.array([[radius_left, radius_right]], np.float32)
    lum = np.array([luminance], np.float32)
    frames = {name: _render_ordered(centers, radii, lum, size, front) for name, front in (("left", 0), ("right", 1))}
    truth = LeavesTruth(
        centers=centers, radii=radii, depths=1.0 / radii, luminance=lum, collision_frame=np.array([2], np.int16)
    )
    return Probe(
        context=frames["left"][0, :2, None],
        left_front=frames["left"][0, 2][None],
        right_front=frames["right"][0, 2][None],
        truth=truth,
    )


def _render_ordered(centers, radii, luminance, size, front: int) -> np.ndarray:
    """Render with disk `front` on top regardless of size (for the probe's counterfactual outcome)."""
    frame = np.full(centers.shape[:2] + (size, size), luminance[0, 0], np.float32)
    for disk in (1 - front, front):
        coverage = disk_coverage(centers[:, :, disk], radii[:, disk, None], size)
        frame += coverage * (luminance[0, 1 + disk] - frame)
    return frame


def is_test(index: np.ndarray) -> np.ndarray:
    """The 9:1 split: every tenth sequence (index % 10 == 9) is held out, so any prefix keeps the ratio."""
    return np.asarray(index) % 10 == 9


def write_leaves(
    out,
    n: int = 100_000,
    seed: int = 0,
    cfg: LeavesConfig = LeavesConfig(),
    overwrite: bool = False,
    progress: bool = True,
):
    """Generate n sequences and save them, with their ground truth, as a clip dataset folder (see data.store)."""
    from nextframe.data.store import write_dataset
    from nextframe.files import check_out_dir

    if n < 10:
        raise NextframeError(f"--n {n} is too small for a 9:1 train/test split; use at least 10 sequences")
    if seed < 0:
        raise NextframeError(f"--seed {seed}: seeds are whole numbers from 0")
    if cfg.frames < 2 or cfg.size < 16:
        raise NextframeError(f"--frames {cfg.frames} --size {cfg.size}: need at least 2 frames of at least 16 pixels")
    check_out_dir(out)

    def chunks():
        for first, frames, truth in generate(n, seed, cfg, progress=progress):
            yield frames, is_test(first + np.arange(len(frames))), truth.to_arrays()

    counts = {"train": n - n // 10, "test": n // 10}
    meta = {
        "kind": "moving-leaves",
        "seed": seed,
        "sequences": n,
        "split": "index % 10 == 9 is test",
        "leaves": cfg.to_dict(),
    }
    return write_dataset(out, chunks(), counts, (cfg.frames, 1, cfg.size, cfg.size), meta, overwrite=overwrite)


def load_truth(arrays: dict) -> LeavesTruth:
    return LeavesTruth(**{name: arrays[name] for name in LeavesTruth.__dataclass_fields__})
