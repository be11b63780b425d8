"""MCVD: the masks that make one model predict, generate and interpolate; a tiny instance that learns; block-by-block
rollout of the right shape, range and seed-determinism; DDIM deterministic given the seed; a round trip through the
shared loop; the refusals."""

import numpy as np
import pytest
import torch

import nextframe
from nextframe.errors import NextframeError
from nextframe.methods import train
from nextframe.methods.mcvd import MCVDConfig, MCVDLoss, MCVDPredictor, NoiseUNet, masks
from nextframe.training.config import TrainConfig

TINY = {"width": 8, "multipliers": (1, 2), "attention": (8,), "size": 16, "diffusion_steps": 100, "sample_steps": 10}


def test_masks_make_the_three_tasks_in_their_proportions():
    keep_past, keep_future = masks(40_000, 0.5, 0.5, torch.Generator().manual_seed(0))
    tasks = {
        "prediction": (keep_past == 1) & (keep_future == 0),
        "generation": (keep_past == 0) & (keep_future == 0),
        "interpolation": (keep_past == 1) & (keep_future == 1),
    }
    for share in tasks.values():
        assert abs(float(share.float().mean()) - 0.25) < 0.01
    keep_past, keep_future = masks(1000, 0.0, 1.0, torch.Generator().manual_seed(0))
    assert keep_past.all() and not keep_future.any()  # prediction only


def test_the_loss_sees_a_masked_past_as_zeros():
    """A network that reads its condition: with the past masked it must get exactly what it gets for a zero past."""
    cfg = MCVDConfig(tau=2, block=1, channels=1, **TINY)
    seen = []

    def net(noisy, t, condition):
        seen.append(condition.clone())
        return torch.zeros_like(noisy)

    context, target = torch.rand(64, 2, 16, 16), torch.rand(64, 1, 16, 16)
    MCVDLoss(cfg, past_mask=1.0, future_mask=1.0)(net, context, target, torch.Generator().manual_seed(0))
    MCVDLoss(cfg, past_mask=0.0, future_mask=1.0)(net, context, target, torch.Generator().manual_seed(0))
    assert torch.equal(seen[0], torch.zeros_like(seen[0])) and torch.allclose(seen[1], context * 2 - 1)


def test_a_tiny_mcvd_learns_and_samples_blocks_by_seed():
    torch.manual_seed(0)
    cfg = MCVDConfig(tau=2, block=2, **TINY)
    net = NoiseUNet(cfg)
    clips = torch.rand(16, 4, 1, 16, 16) * 0.1 + torch.linspace(0, 0.8, 4).view(1, 4, 1, 1, 1)
    context, target = clips[:, :2].flatten(1, 2), clips[:, 2:].flatten(1, 2)
    loss = MCVDLoss(cfg, past_mask=0.5, future_mask=0.5)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    values = []
    for step in range(60):
        value = loss(net, context, target, torch.Generator().manual_seed(step))
        values.append(value.item())
        opt.zero_grad()
        value.backward()
        opt.step()
    assert np.mean(values[-10:]) < 0.7 * np.mean(values[:10])
    for sampler in ("ddpm", "ddim"):
        predictor = MCVDPredictor(net, sampler=sampler)
        past = clips[:2, :2]
        a = predictor.predict(past, 3, samples=2, seed=4)  # 3 frames: two blocks of 2, the last cut
        assert a.frames.shape == (4, 3, 1, 16, 16) and 0 <= a.frames.min() and a.frames.max() <= 1
        assert torch.equal(a.frames, predictor.predict(past, 3, samples=2, seed=4).frames)
        assert not torch.equal(a.frames, predictor.predict(past, 3, samples=2, seed=5).frames)
        assert a.evaluations_per_frame == 10 / 2  # a block of 2 frames costs 10 evaluations
        alone = predictor.predict(past[1:], 3, samples=1, seed=[6])
        assert torch.allclose(alone.frames[0], a.frames[2], atol=1e-4)  # a row does not depend on its batch


def test_trained_through_the_shared_loop_it_loads_and_refuses_what_it_cannot_do(tmp_path, tiny_run):
    run, config, summary = tiny_run("mcvd")
    row = summary["log"][-1]
    assert np.isfinite(row["heldout_loss"]) and np.isfinite(row["heldout_psnr"])
    # a second stage from these weights (--init): the network's tuples come back from the file as lists, and match
    stage = train(TrainConfig(**{**config.__dict__, "out": str(tmp_path / "stage2"), "init": str(run)}))
    assert stage["steps"] == 2
    predictor = nextframe.load(str(run))
    assert isinstance(predictor, MCVDPredictor) and predictor.sample_steps == 4
    past = torch.rand(1, 2, 1, 32, 32)
    assert predictor.predict(past, 2).frames.shape == (1, 2, 1, 32, 32)
    with pytest.raises(NextframeError, match="takes 32x32 frames, got 64x64"):
        predictor.config.check_size(64, 64)
    with pytest.raises(NextframeError, match="time >= 2"):
        predictor.predict(past[:, :1], 2)
    with pytest.raises(NextframeError, match="sample-steps 0"):
        nextframe.load(str(run), sample_steps=0)
    for options, expected in (
        ({"sample_steps": 0}, "--sample-steps 0"),
        ({"past_mask": 1.5}, "at most 1"),
        ({"multipliers": "1,x"}, "whole numbers"),
        ({"future_frames": 1}, "must exceed --future-frames 1"),
    ):
        with pytest.raises(NextframeError, match=expected):
            train(TrainConfig(**{**config.__dict__, "options": options, "out": str(tmp_path / "r")}))
