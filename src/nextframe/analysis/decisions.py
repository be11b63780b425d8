"""Occlusion decisions, measured wherever the disks land: fit both disks under each depth order and keep the order
that explains the frame; and an oracle sampler that draws the next frame from the generator's own conditional law.

Why fit: a sampler that draws plausible next frames puts the disks a pixel or so away from any one outcome (the GP
paths make the next position uncertain by about that much), so a rule that reads the outcome's exact pixels
(the pixel vote this module replaced) measures position error as much as the decision. Here a frame is explained by two
disks of known radii and luminances at free positions, once with disk 0 in front and once with disk 1 in front
(`fit_disks`); the decision is read in the lens where the two orders differ *at the fitted positions*
(`classify_decisions`), so it does not depend on where the disks landed, only on which one covers the other.

The oracle (`oracle_next_centers`) is the perfect tau-frame predictor of Moving Leaves up to one approximation: each
disk's path is a GP with a squared-exponential kernel of length scale 2.5 x depth (depth = physical radius / radius)
plus an offset the generator sets to place a collision, so given the context the next displacement is Gaussian with
the GP's increment statistics (the offset cancels in increments). It ignores the weak extra pull towards the
collision point that the anchoring adds. The larger disk is drawn in front; equal radii flip a fair coin.
An instrument that cannot score this oracle near 100% right is measuring something else.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from nextframe.data.leaves import LeavesConfig, LeavesTruth, hidden_fraction
from nextframe.errors import NextframeError
from nextframe.methods.base import Predictor

FIT_STEPS = 60  # Adam steps of the position fit (120 steps classified 800 oracle samples and 100 true frames the same)
FIT_LR = 0.4  # pixels per step at the start (cosine-annealed)
LENS_PIXELS = 3  # fewer pixels where the two orders differ by half the disks' contrast (on a 32x32 canvas; scaled
# with its area, at least 1): the order is not visible
LENS_MAJORITY = 0.75  # share of the lens that must match the chosen order within a quarter of the contrast
LENS_MIX = 0.75  # and the chosen order's least-squares share of the lens: nearer one order than a half-half blend
FRAME_RMS = 0.1  # a frame whose best two-disk fit leaves more RMS error than this share of the scene's largest
# disk-background contrast is not two clean disks (relative, so a dim scene is held to the same standard as a bright one)
MIN_CONTRAST = 0.15  # collision windows need disks this far apart in luminance from each other and the background


@dataclass
class Scene:
    """What a frame is classified against: the two disks' radii and luminances, and guesses of where they are."""

    radii: torch.Tensor  # (n, 2)
    luminance: torch.Tensor  # (n, 3): background, disk 0, disk 1
    guesses: torch.Tensor  # (n, K, 2 disks, 2) pixel centres (x, y) to start the fit from

    @staticmethod
    def of(radii, luminance, guesses) -> Scene:
        as_t = lambda a: torch.as_tensor(np.asarray(a, np.float32))  # noqa: E731
        guesses = as_t(guesses)
        return Scene(as_t(radii), as_t(luminance), guesses if guesses.ndim == 4 else guesses[:, None])


def render_disks(
    centers: torch.Tensor, radii: torch.Tensor, luminance: torch.Tensor, front: int, size: int
) -> torch.Tensor:
    """Frames (..., size, size) of two disks with disk `front` drawn last, with the edge ramp of `data.leaves.render`.

    centers (..., 2, 2), radii (..., 2), luminance (..., 3); differentiable in the centres.
    """
    pixel = torch.arange(size, dtype=centers.dtype) + 0.5
    frame = luminance[..., 0, None, None].expand(*centers.shape[:-2], size, size)
    for disk in (1 - front, front):
        c = centers[..., disk, :]
        dist = (
            (pixel - c[..., 1:2]).square()[..., :, None] + (pixel - c[..., 0:1]).square()[..., None, :] + 1e-8
        ).sqrt()  # eps:
        # a centre exactly on a pixel centre would give an infinite gradient
        coverage = (radii[..., disk, None, None] + 0.5 - dist).clamp(0.0, 1.0)
        frame = frame + coverage * (luminance[..., 1 + disk, None, None] - frame)
    return frame


def lens_of(views: torch.Tensor, luminance: torch.Tensor) -> torch.Tensor:
    """(n, H, W): where the two orders' renderings `views` (n, 2, H, W) differ by more than half the disks' contrast
    (luminance (n, 3)): the pixels that show which disk is in front."""
    contrast = (luminance[:, 1] - luminance[:, 2]).abs()[:, None, None]
    return (views[:, 0] - views[:, 1]).abs() > 0.5 * contrast


def colour_guesses(frames: torch.Tensor, scene: Scene) -> torch.Tensor:
    """(n, 2, 2): each disk's guess from the frame itself, the centroid of the pixels nearest its luminance (where
    it shows), else the scene's first guess for it."""
    levels = scene.luminance  # (n, 3)
    nearest = (frames[:, None] - levels[:, :, None, None]).abs().argmin(dim=1)  # (n, H, W) index of the nearest level
    size = frames.shape[-1]
    pixel = torch.arange(size, dtype=torch.float32) + 0.5
    out = scene.guesses[:, 0].clone()
    for disk in range(2):
        mask = (nearest == 1 + disk).float()
        count = mask.sum((-2, -1))
        x = (mask * pixel[None, None, :]).sum((-2, -1)) / count.clamp(min=1)
        y = (mask * pixel[None, :, None]).sum((-2, -1)) / count.clamp(min=1)
        shows = count >= 3
        out[shows, disk] = torch.stack([x, y], dim=-1)[shows]
    return out


def fit_disks(frames: torch.Tensor, scene: Scene, steps: int = FIT_STEPS) -> tuple[torch.Tensor, torch.Tensor]:
    """Least-squares centres of both disks under each depth order.

    frames (n, H, W). Returns (sse (n, 2), centres (n, 2, 2 disks, 2)): for order o (disk o in front) the smallest
    sum of squared errors over the starting guesses (the scene's and `colour_guesses`), and its centres.
    """
    n, size = frames.shape[0], frames.shape[-1]
    starts = torch.cat([scene.guesses, colour_guesses(frames, scene)[:, None]], dim=1)  # (n, K, 2, 2)
    k = starts.shape[1]
    centers = starts[:, None].repeat(1, 2, 1, 1, 1).clone().requires_grad_(True)  # (n, order, K, 2, 2)
    radii = scene.radii[:, None, None].expand(n, 2, k, 2)
    lum = scene.luminance[:, None, None].expand(n, 2, k, 3)
    target = frames[:, None, None]
    optimizer = torch.optim.Adam([centers], lr=FIT_LR)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)

    def errors(c):
        rendered = torch.stack([render_disks(c[:, o], radii[:, o], lum[:, o], o, size) for o in range(2)], dim=1)
        return (rendered - target).square().sum((-2, -1))  # (n, order, K)

    with torch.enable_grad():
        for _ in range(steps):
            optimizer.zero_grad()
            errors(centers).sum().backward()
            optimizer.step()
            schedule.step()
    with torch.no_grad():
        sse = errors(centers)
        best = sse.argmin(dim=2)  # (n, order)
        pick = best[..., None, None, None].expand(n, 2, 1, 2, 2)
        return sse.gather(2, best[..., None])[..., 0], centers.detach().gather(2, pick)[:, :, 0]


@dataclass
class Decisions:
    front: list[int]  # per frame: the disk shown in front (0 or 1), or -1 when neither order is shown
    reason: list[str]  # "decided", "not two clean disks" or "no visible overlap"
    lens_match: list[float]  # share of the lens matching the chosen order
    lens_mix: list[float]  # least-squares share of the chosen order in the lens: 1 one order, 0.5 half each (a blend)
    rms: list[float]  # RMS error of the best two-disk fit over the frame
    centers: torch.Tensor  # (n, 2, 2) the fitted centres of the chosen (or better-fitting) order
    fit: torch.Tensor  # (n, H, W) that order rendered at those centres: what the frame is compared with


def classify_decisions(frames: torch.Tensor, scene: Scene) -> Decisions:
    """Which disk each frame (n, 1, H, W) or (n, H, W) shows in front.

    Rule: fit both orders (`fit_disks`) and take the better-fitting one and its centres. A best fit that leaves more
    RMS error over the frame than FRAME_RMS times the largest disk-background contrast: "not two clean "
    "disks" (noise, a third blob, a lost disk). The lens is
    where the two orders, rendered at those centres, differ by more than half the disks' contrast; fewer than
    LENS_PIXELS lens pixels: "no visible overlap" (the disks do not overlap, so no order shows). Otherwise the frame
    shows the order when at least LENS_MAJORITY of the lens lies within a quarter of the contrast of that order's
    rendering and its lens mix (below) is at least LENS_MIX, and is "not two clean disks" when it does not (a blend
    or a smear where the disks meet). On a small canvas a lens of a few pixels can match by chance; the lens mix,
    a least-squares fit over the lens, refuses half-half blends there (16x16: 11% of them passed the majority alone).

    `lens_mix` says how far from clean: the frame's lens pixels as a + (1 - a) x, the chosen order's rendering and
    the other's, fitted by least squares. The oracle scores about 1.0, the oracle with its edges blurred by a 0.7 px
    Gaussian above 0.9, a 65/35 blend of the two orders 0.67 (tests/test_decisions.py); no lens: NaN.
    """
    frames = frames.reshape(frames.shape[0], *frames.shape[-2:]).float()
    if len(frames) == 0:
        return Decisions([], [], [], [], [], torch.zeros(0, 2, 2), torch.zeros(0, *frames.shape[-2:]))
    sse, centers = fit_disks(frames, scene)
    size = frames.shape[-1]
    order = sse.argmin(dim=1)  # (n,)
    chosen = centers[torch.arange(len(frames)), order]  # (n, 2, 2)
    with torch.no_grad():
        views = torch.stack([render_disks(chosen, scene.radii, scene.luminance, o, size) for o in range(2)], dim=1)
    contrast = (scene.luminance[:, 1] - scene.luminance[:, 2]).abs()[:, None, None]
    lens = lens_of(views, scene.luminance)
    shown = views[torch.arange(len(frames)), order]
    close = (frames - shown).abs() <= 0.25 * contrast
    lens_pixels = lens.sum((-2, -1))
    match = (close & lens).sum((-2, -1)).float() / lens_pixels.clamp(min=1)
    other = views[torch.arange(len(frames)), 1 - order]
    gap = (shown - other) * lens
    mix = ((frames - other) * gap).sum((-2, -1)) / gap.square().sum((-2, -1))  # 0/0 = NaN where there is no lens
    rms = (sse.min(dim=1).values / (size * size)).sqrt()
    limit = FRAME_RMS * (scene.luminance[:, 1:] - scene.luminance[:, :1]).abs().max(dim=1).values
    fewest = max(1, round(LENS_PIXELS * (size / 32) ** 2))  # the lens threshold, scaled with the canvas area
    front, reason = [], []
    for o, pixels, m, a, r, most in zip(
        order.tolist(), lens_pixels.tolist(), match.tolist(), mix.tolist(), rms.tolist(), limit.tolist()
    ):
        if r > most:  # checked first: a frame of noise or three blobs is no evidence that the disks are apart
            front.append(-1), reason.append("not two clean disks")
        elif pixels < fewest:
            front.append(-1), reason.append("no visible overlap")
        elif m >= LENS_MAJORITY and a >= LENS_MIX:
            front.append(o), reason.append("decided")
        else:
            front.append(-1), reason.append("not two clean disks")
    return Decisions(front, reason, match.tolist(), mix.tolist(), rms.tolist(), chosen, shown)


def decision_labels(decisions: Decisions, radii) -> list[str]:
    """Per frame: "larger" or "smaller" (the disk shown in front), or the reason none is ("not two clean disks", "no
    visible overlap"). Equal radii count disk 0 as the larger (argmax)."""
    larger = np.argmax(np.asarray(radii), axis=1)
    return [
        ("larger" if f == big else "smaller") if f >= 0 else r
        for f, big, r in zip(decisions.front, larger, decisions.reason)
    ]


def tally(decisions: Decisions, radii) -> dict:
    """Counts and shares of `decision_labels`; pass only unequal radii when the larger/smaller split matters."""
    labels = decision_labels(decisions, radii)
    counts = {
        k.replace(" ", "_"): labels.count(k) for k in ("larger", "smaller", "not two clean disks", "no visible overlap")
    }
    total = max(len(labels), 1)
    # how clean the frames with a visible overlap are, decided or not (1: one order; 0.5: a blend of both)
    readable = [m for m, r in zip(decisions.lens_mix, decisions.reason) if r != "no visible overlap" and np.isfinite(m)]
    return {
        **counts,
        "samples": len(labels),
        **{f"{k}_share": v / total for k, v in counts.items()},
        "lens_mix_median": float(np.median(readable)) if readable else float("nan"),
    }


def share_errors(labels: list[str], per_window: int) -> dict:
    """The standard error of each share of `tally` over windows of `per_window` consecutive samples: the samples of
    one window share its context and are not independent, so the error is the spread of the per-window shares over
    sqrt(windows) (the cluster-robust error of a mean of equal clusters), not the binomial error of all samples. A
    model that decides a window the same way in all of its samples has the error of `windows` coin flips."""
    if per_window < 1 or len(labels) % per_window:
        raise ValueError(f"{len(labels)} labels do not split into windows of {per_window}")
    grid = np.asarray(labels, dtype=object).reshape(-1, per_window)
    windows = grid.shape[0]
    errors = {}
    for k in ("larger", "smaller", "not two clean disks", "no visible overlap"):
        shares = (grid == k).mean(axis=1)
        spread = shares.std(ddof=1) if windows > 1 else float("nan")
        errors[f"{k.replace(' ', '_')}_share_se"] = float(spread / np.sqrt(windows))
    return errors


# --- the generator's conditional law --------------------------------------------------------------------------------


def _kernel(radius, cfg: LeavesConfig) -> tuple[np.ndarray, np.ndarray]:
    """The GP kernel of a disk's depth (App. D: length scale proportional to depth) at lags 1 and 2 frames."""
    length = cfg.lengthscale_per_depth * cfg.physical_radius / np.asarray(radius, np.float64)
    return np.exp(-1 / (2 * length**2)), np.exp(-4 / (2 * length**2))


def increment_law(radius, cfg: LeavesConfig = LeavesConfig()) -> tuple[np.ndarray, np.ndarray]:
    """(rho, std) per disk: given the last displacement d (per axis), the next is N(rho d, std^2), from the
    squared-exponential GP of the disk's depth."""
    k1, k2 = _kernel(radius, cfg)
    var_d = 2 * cfg.position_std**2 * (1 - k1)  # variance of one displacement
    rho = (2 * k1 - 1 - k2) / (2 * (1 - k1))  # correlation of two successive displacements
    return rho, np.sqrt(var_d * (1 - rho**2))


def typical_speed(radius, cfg: LeavesConfig = LeavesConfig()) -> np.ndarray:
    """RMS distance a disk of this radius moves per frame in the data (both axes together)."""
    k1, _ = _kernel(radius, cfg)
    return np.sqrt(2 * 2 * cfg.position_std**2 * (1 - k1))


def oracle_mean(
    last: np.ndarray, before: np.ndarray, radii: np.ndarray, cfg: LeavesConfig = LeavesConfig()
) -> np.ndarray:
    """The most probable next centres (..., 2 disks, 2) given the last two (same shape); radii (n, 2) broadcast
    over any axes between the first and the disk axis."""
    rho, _ = increment_law(radii, cfg)
    rho = rho.reshape(rho.shape[:1] + (1,) * (last.ndim - 3) + rho.shape[1:] + (1,))
    return last + rho * (last - before)


def oracle_next_centers(
    past: np.ndarray, radii: np.ndarray, samples: int, rng: np.random.Generator, cfg: LeavesConfig = LeavesConfig()
) -> np.ndarray:
    """(n, samples, 2 disks, 2) next centres drawn from the GP's conditional law given the last two centres.

    past (n, >= 2 frames, 2 disks, 2); radii (n, 2). Only the last displacement matters for tau = 2.
    """
    _, std = increment_law(radii, cfg)  # (n, 2)
    noise = rng.standard_normal((len(past), samples, 2, 2))
    return oracle_mean(past[:, -1], past[:, -2], radii, cfg)[:, None] + std[:, None, :, None] * noise


def oracle_frames(
    past: np.ndarray,
    radii: np.ndarray,
    luminance: np.ndarray,
    samples: int,
    seed: int = 0,
    size: int = 32,
    cfg: LeavesConfig = LeavesConfig(),
) -> torch.Tensor:
    """(n, samples, 1, size, size) next frames of the oracle: next centres from `oracle_next_centers`, the larger disk
    in front (a fair coin for equal radii)."""
    rng = np.random.default_rng(seed)
    centers = torch.from_numpy(oracle_next_centers(past, radii, samples, rng, cfg).astype(np.float32))
    flip = rng.uniform(size=(len(past), samples)) < 0.5
    front = np.where(radii[:, 1:2] > radii[:, 0:1], 1, np.where(radii[:, 1:2] < radii[:, 0:1], 0, flip.astype(int)))
    r = torch.from_numpy(np.asarray(radii, np.float32))[:, None].expand(-1, samples, 2)
    lum = torch.from_numpy(np.asarray(luminance, np.float32))[:, None].expand(-1, samples, 3)
    views = torch.stack([render_disks(centers, r, lum, o, size) for o in range(2)], dim=2)  # (n, S, 2, H, W)
    pick = torch.from_numpy(np.broadcast_to(front, (len(past), samples)).copy())
    return views.gather(2, pick[:, :, None, None, None].expand(-1, -1, 1, size, size))


class OraclePredictor(Predictor):
    """The generator's own conditional law (`oracle_frames`) as a predictor of the next frame of known windows (a
    dict as `heldout_collisions` or `probe_window` gives): row i of the past frames it is given must be window i's.
    It reads the windows' true centres, radii and luminances, not the pixels: what a perfect model would sample, run
    through the same `predict` and the same instrument as any method."""

    method = "oracle"
    context_frames = 2

    def __init__(self, window: dict, cfg: LeavesConfig | None = None):
        self.window = window  # past centres, radii and luminances of each window, in the order of the rows
        self.cfg = cfg if cfg is not None else LeavesConfig()  # the generator's law: positions and speeds

    def describe(self) -> str:
        return "oracle: the generator's conditional law given the true scene (a perfect sampler)"

    def _predict(self, past, steps, seeds):
        windows = len(self.window["radii"])
        if steps != 1 or len(past) % windows:
            raise NextframeError(
                f"the oracle samples one next frame for each of its {windows} windows (times the samples), got "
                f"{len(past)} rows and {steps} steps"
            )
        per, w = len(past) // windows, self.window
        frames = [
            oracle_frames(
                w["past"][i : i + 1],
                w["radii"][i : i + 1],
                w["luminance"][i : i + 1],
                1,
                seeds[r],
                past.shape[-1],
                self.cfg,
            )[0]
            for r in range(len(past))
            for i in [r // per]
        ]
        return torch.cat(frames)[:, None], torch.zeros(len(past), 1), None


# --- the size cue in the denoiser, before any sampler ----------------------------------------------------------------

SIZE_CUE_SIGMAS = (
    0.5,
    1.0,
    2.0,
)  # noise levels where the context, not the noisy frame, must say which disk is in front


def size_cue(
    denoiser,
    context: torch.Tensor,
    truth: torch.Tensor,
    window: dict,
    sigmas=SIZE_CUE_SIGMAS,
    draws: int = 1024,
    seed: int = 0,
    cfg: LeavesConfig | None = None,
) -> dict:
    """How much of the denoiser's estimate in the lens is the larger disk, at each noise level, beside the exact
    denoiser's (the oracle's posterior mean over `draws` of its frames, self-normalised importance sampling).

    The truth's next frame plus noise of std sigma goes through `denoiser(noisy, context)` (None: the oracle's mean
    alone); on the lens pixels (where the two orders rendered at the true next centres differ), the estimate is
    projected onto those two renderings: alpha = the least-squares share of "larger in front", 1 the larger disk's
    luminance, 0 the smaller's, 0.5 a blend. At sigma >= 0.5 the noisy frame barely shows the order, so alpha says
    whether the network learnt the rule from the context: the exact denoiser scores about 0.85 there (position
    uncertainty blurs the lens), a network that ignores size about 0.5. It needs no sampler and no fit, so it moves
    smoothly along a learning curve where the samples' shares move by their sampling error.
    Returns {"oracle": {str(sigma): mean alpha}, "model": the same (absent for None)}, keyed as JSON keeps them.
    """
    size = truth.shape[-1]
    cfg = cfg if cfg is not None else LeavesConfig.for_size(size)
    m, rows = len(truth), torch.arange(len(truth))
    centers = torch.from_numpy(window["next"].astype(np.float32))
    radii, lum = torch.from_numpy(window["radii"]), torch.from_numpy(window["luminance"])
    views = torch.stack([render_disks(centers, radii, lum, o, size) for o in range(2)], dim=1)  # (m, 2, H, W)
    larger = radii.argmax(1)
    big, small = views[rows, larger], views[rows, 1 - larger]
    lens = ((big - small).abs() > 0.05).float()

    def alpha(x):
        d, e = (big - small) * lens, (x - small) * lens
        return float(((d * e).sum((-2, -1)) / d.square().sum((-2, -1)).clamp(min=1e-8)).mean())

    draws_ = oracle_frames(window["past"], window["radii"], window["luminance"], draws, seed, size, cfg)[:, :, 0]
    clean, flat = truth[:, 0], context.reshape(m, -1, size, size)
    found = {"oracle": {}, **({} if denoiser is None else {"model": {}})}
    for sigma in sigmas:
        noisy = clean + sigma * torch.randn(clean.shape, generator=torch.Generator().manual_seed(seed))
        weights = torch.softmax((-(draws_ - noisy[:, None]).square().sum((-2, -1)) / (2 * sigma**2)).double(), 1)
        found["oracle"][str(sigma)] = alpha((weights[:, :, None, None] * draws_.double()).sum(1).float())
        if denoiser is not None:
            with torch.no_grad():
                found["model"][str(sigma)] = alpha(denoiser(noisy[:, None], flat)[:, 0])
    return found


# --- where decisions are measured ------------------------------------------------------------------------------------


def collision_windows(
    truth: LeavesTruth, tau: int = 2, min_hidden: float = 0.25, min_contrast: float = MIN_CONTRAST
) -> np.ndarray:
    """(m, 2) (sequence, first frame) of windows where a decision is due: the tau context frames show the disks apart
    (no pixel covered by both: edges more than 1 px apart), and at the most probable next positions (the oracle's
    mean) the larger disk would hide at least `min_hidden` of the smaller; in scenes whose three luminances differ by
    at least `min_contrast` (else no frame can show the order clearly).

    The rule reads the context only. Selecting by the true next frame instead (it hides a quarter) picks windows
    whose disks happened to move together faster than the context predicts: there a perfect sampler shows no
    overlap in a fifth of its samples (docs/design.md), so no model could be held to a high score.
    """
    centers = truth.centers.astype(np.float64)
    distance = np.linalg.norm(centers[:, :, 0] - centers[:, :, 1], axis=-1)  # (n, T)
    gap = distance - truth.radii.sum(axis=1)[:, None]
    frames = distance.shape[1]
    apart = np.stack([gap[:, k : frames - tau + k] > 1.0 for k in range(tau)], axis=-1).all(-1)
    mean = oracle_mean(
        centers[:, tau - 1 : frames - 1], centers[:, tau - 2 : frames - 2], truth.radii
    )  # (n, windows, 2, 2)
    small, large = truth.radii.min(axis=1)[:, None], truth.radii.max(axis=1)[:, None]
    hidden = hidden_fraction(np.linalg.norm(mean[:, :, 0] - mean[:, :, 1], axis=-1), small, large)
    lum = truth.luminance
    contrast = np.minimum.reduce(
        [np.abs(lum[:, 0] - lum[:, 1]), np.abs(lum[:, 0] - lum[:, 2]), np.abs(lum[:, 1] - lum[:, 2])]
    )
    return np.argwhere(apart & (hidden >= min_hidden) & (contrast >= min_contrast)[:, None])


def heldout_collisions(
    count: int, tau: int = 2, seed: int = 0, cfg: LeavesConfig = LeavesConfig(), split: str = "test"
):
    """The first `count` collision windows of the test split (index % 10 == 9) of the Moving Leaves set of `seed`
    (the split the shipped models never saw), rendered exactly as `nextframe data leaves` renders them: (context
    (m, tau, 1, H, W) float, next (m, 1, H, W) float, window truth dict: past centres (m, tau, 2, 2), next centres
    (m, 2, 2), radii (m, 2), luminance (m, 3), sequence (m,), first frame (m,)). `split="train"`: the windows of the
    training split instead, which a model trained on the set of `seed` has seen: the instrument on both tells
    overfitting (better on the seen windows) from underfitting (alike)."""
    if split not in ("test", "train"):
        raise NextframeError(f"split must be 'test' or 'train', got {split!r}")
    from nextframe.data.leaves import CHUNK, chunk_rng, is_test, render, sample_truth

    if tau != 2:
        raise NextframeError(f"the oracle and the collision windows are worked out for tau = 2, got tau = {tau}")
    if count < 1:
        raise NextframeError(f"ask for at least one collision window, got {count}")
    found, total, chunk = [], 0, 0
    while total < count:
        if chunk * CHUNK > 1_000_000:
            raise NextframeError(
                f"fewer than {count} collision windows in the first million sequences; lower the count"
            )
        truth = sample_truth(
            chunk_rng(seed, chunk), CHUNK, cfg
        )  # the generator's own draws: only the rendering is skipped
        index = chunk * CHUNK + np.arange(CHUNK)
        chosen = is_test(index) if split == "test" else ~is_test(index)
        where = collision_windows(truth[chosen], tau)
        truth, index = truth[chosen], index[chosen]
        s, t = where[:, 0], where[:, 1]
        steps = t[:, None] + np.arange(tau + 1)
        found.append((truth.centers[s[:, None], steps], truth.radii[s], truth.luminance[s], index[s], t))
        total += len(s)
        chunk += 1
    centers, radii, lum, sequence, first = (np.concatenate([f[i] for f in found])[:count] for i in range(5))
    frames = render(centers, radii, lum, cfg.size)
    frames = torch.from_numpy((frames * 255.0 + 0.5).astype(np.uint8).astype(np.float32) / 255.0)[
        :, :, None
    ]  # as stored
    return (
        frames[:, :tau],
        frames[:, tau],
        {
            "past": centers[:, :tau],
            "next": centers[:, tau],
            "radii": radii,
            "luminance": lum,
            "sequence": sequence,
            "first_frame": first,
        },
    )


def window_scene(window: dict, samples: int = 1) -> Scene:
    """The scene of each window repeated `samples` times, guesses: the oracle's mean and the last context centres."""
    past = window["past"].astype(np.float64)
    guesses = np.stack([oracle_mean(past[:, -1], past[:, -2], window["radii"]), past[:, -1]], axis=1)  # (m, 2, 2, 2)
    rep = lambda a: np.repeat(np.asarray(a), samples, axis=0)  # noqa: E731
    return Scene.of(rep(window["radii"]), rep(window["luminance"]), rep(guesses))


# --- probes at the speeds of the data ---------------------------------------------------------------------------------

PROBE_GAP = 1.2  # px between the disks' edges in the last context frame: apart, no pixel covered by both


def typical_probe(
    radius_left: float = 5.0,
    radius_right: float = 5.0,
    luminance=(0.05, 0.3, 0.7),
    gap: float = PROBE_GAP,
    size: int = 32,
    row: float | None = None,
):
    """A probe whose disks move as the data move disks of their depth: each approaches the other along a horizontal
    line at its depth's RMS speed (`typical_speed`: 2.1 px per frame for radius 5, where the old probes took 3.75),
    the last context frame shows them `gap` px apart, and the two outcomes put them at the oracle's mean next
    positions, where they overlap. Returns a `data.leaves.Probe`; its truth holds the 3 frames' centres.
    On a canvas of another `size` the scene is `LeavesConfig.for_size(size)`'s: pass radii and gap in its pixels."""
    from nextframe.data.leaves import Probe, _render_ordered

    cfg = LeavesConfig.for_size(size)
    radii = np.array([radius_left, radius_right], np.float64)
    speed = typical_speed(radii, cfg)
    rho, _ = increment_law(radii, cfg)
    cx, cy = size / 2, size / 2 if row is None else row
    half = 0.5 * (radii.sum() + gap)
    x_last = np.array([cx - half, cx + half])
    step = np.array([speed[0], -speed[1]])  # towards each other
    xs = np.stack([x_last - step, x_last, x_last + rho * step])  # (3 frames, 2 disks)
    centers = np.zeros((1, 3, 2, 2), np.float32)
    centers[0, :, :, 0], centers[0, :, :, 1] = xs, cy
    r = radii[None].astype(np.float32)
    lum = np.asarray([luminance], np.float32)
    frames = {front: _render_ordered(centers, r, lum, size, front) for front in (0, 1)}
    truth = LeavesTruth(
        centers=centers,
        radii=r,
        depths=cfg.physical_radius / r,
        luminance=lum,
        collision_frame=np.array([2], np.int16),
    )
    return Probe(
        context=frames[0][0, :2, None], left_front=frames[0][0, 2][None], right_front=frames[1][0, 2][None], truth=truth
    )


def probe_window(probe) -> dict:
    """A probe as a window dict like `heldout_collisions` gives (past and next centres, radii, luminance)."""
    t = probe.truth
    return {"past": t.centers[:, :2], "next": t.centers[:, 2], "radii": t.radii, "luminance": t.luminance}
