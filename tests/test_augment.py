"""Training augmentation: the eight symmetries of the square, one per window, the same on all its frames."""

import torch

from nextframe.training.augment import augment_windows, dihedral


def test_the_eight_transforms_are_distinct_and_zero_is_the_identity():
    x = torch.arange(16.0).view(4, 4)
    images = [dihedral(x, k) for k in range(8)]
    assert torch.equal(images[0], x)
    assert len({tuple(im.flatten().tolist()) for im in images}) == 8
    for im in images:  # a permutation of the pixels: nothing lost, nothing made up
        assert sorted(im.flatten().tolist()) == sorted(x.flatten().tolist())


def translating_windows(n: int, tau: int, velocity: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    base = torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    frames = [torch.roll(base, (t * velocity[0], t * velocity[1]), dims=(-2, -1)) for t in range(tau + 1)]
    return torch.cat(frames[:tau], dim=1), frames[tau]


def test_a_translation_stays_a_translation_with_its_velocity_turned():
    context, clean = translating_windows(64, tau=2, velocity=(0, 1))
    ctx, out = augment_windows(context, clean, torch.Generator().manual_seed(1))
    seen = set()
    for i in range(len(out)):
        frames = [ctx[i, 0], ctx[i, 1], out[i, 0]]
        # the one velocity that carries each frame to the next, the same at both steps
        moves = [
            v
            for v in [(0, 1), (0, -1), (1, 0), (-1, 0)]
            if all(torch.equal(torch.roll(a, v, dims=(0, 1)), b) for a, b in zip(frames, frames[1:]))
        ]
        assert len(moves) == 1, i
        seen.add(moves[0])
    assert seen == {(0, 1), (0, -1), (1, 0), (-1, 0)}  # 64 windows: every direction turns up
    assert torch.equal(clean, translating_windows(64, 2, (0, 1))[1])  # the input is left as it was


def test_draws_follow_the_generator_and_non_square_frames_only_flip():
    context, clean = torch.rand(32, 2, 4, 6), torch.rand(32, 1, 4, 6)
    a = augment_windows(context, clean, torch.Generator().manual_seed(5))
    b = augment_windows(context, clean, torch.Generator().manual_seed(5))
    c = augment_windows(context, clean, torch.Generator().manual_seed(6))
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a[1], c[1])
    assert a[0].shape == context.shape and a[1].shape == clean.shape
    for i in range(len(clean)):
        assert any(
            torch.equal(a[1][i], dihedral(clean[i], k)) and torch.equal(a[0][i], dihedral(context[i], k))
            for k in range(4)
        )


def test_a_weight_map_turns_with_its_window():
    # the lens-weighted loss's per-pixel weights mark a place in the frame: turned with the frames, they still mark
    # the same pixels of the turned frame (before the fix, an augmented run weighed the unturned place)
    context, clean = torch.rand(32, 2, 6, 6), torch.rand(32, 1, 6, 6)
    weight = 1.0 + 10.0 * (clean > 0.8).float()
    ctx, out, turned = augment_windows(context, clean, torch.Generator().manual_seed(3), weight)
    assert torch.equal(turned, 1.0 + 10.0 * (out > 0.8).float())
    assert not torch.equal(turned, weight)  # some windows did turn
    assert torch.equal(weight, 1.0 + 10.0 * (clean > 0.8).float())  # the input is left as it was
