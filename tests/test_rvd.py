"""RVD: a tiny instance learns through the denoising loss alone (and its mean predictor with it); frames sampled one
after another of the right shape, range and seed-determinism; a round trip through the shared loop; the refusals."""

import numpy as np
import pytest
import torch

import nextframe
from nextframe.errors import NextframeError
from nextframe.methods import train
from nextframe.methods.rvd import RVD, RVDConfig, RVDLoss, RVDPredictor
from nextframe.training.config import TrainConfig

TINY = {"width": 8, "multipliers": (1, 2), "size": 16, "diffusion_steps": 100, "sample_steps": 8}


def drifting(n: int, frames: int) -> torch.Tensor:
    """(n, frames, 1, 16, 16): a uniform grey level that rises by 0.1 per frame: mu can learn it exactly."""
    start = torch.rand(n, 1, 1, 1, 1) * 0.3
    return (start + 0.1 * torch.arange(frames).view(1, frames, 1, 1, 1)).expand(n, frames, 1, 16, 16).contiguous()


def test_the_denoising_loss_alone_trains_the_mean_predictor_too():
    torch.manual_seed(0)
    cfg = RVDConfig(tau=2, **TINY)
    net = RVD(cfg)
    clips = drifting(16, 5)
    context, target = clips[:, :2].flatten(1, 2), clips[:, 2:].flatten(1, 2)
    loss = RVDLoss(cfg, l1=False)
    mean_before = list(net.mean.parameters())[0].detach().clone()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    values = []
    for step in range(60):
        value = loss(net, context, target, torch.Generator().manual_seed(step))
        values.append(value.item())
        opt.zero_grad()
        value.backward()
        opt.step()
    assert np.mean(values[-10:]) < 0.7 * np.mean(values[:10])
    assert not torch.equal(list(net.mean.parameters())[0], mean_before)  # mu learns, with no loss of its own
    predictor = RVDPredictor(net)
    past = clips[:2, :2]
    a = predictor.predict(past, 3, samples=2, seed=1)
    assert a.frames.shape == (4, 3, 1, 16, 16) and 0 <= a.frames.min() and a.frames.max() <= 1
    assert torch.equal(a.frames, predictor.predict(past, 3, samples=2, seed=1).frames)
    assert not torch.equal(a.frames, predictor.predict(past, 3, samples=2, seed=2).frames)
    assert a.evaluations_per_frame == 8 + 1  # the sampler's levels and mu
    alone = predictor.predict(past[1:], 3, samples=1, seed=[3])
    assert torch.allclose(alone.frames[0], a.frames[2], atol=1e-4)  # a row does not depend on its batch


def test_trained_through_the_shared_loop_it_loads_and_refuses_what_it_cannot_do(tmp_path, tiny_run):
    run, config, summary = tiny_run("rvd")
    row = summary["log"][-1]
    assert (
        np.isfinite(row["heldout_loss"]) and np.isfinite(row["heldout_psnr"]) and np.isfinite(row["heldout_mean_psnr"])
    )
    predictor = nextframe.load(str(run))
    assert isinstance(predictor, RVDPredictor) and predictor.sample_steps == 4
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
        ({"multipliers": "a"}, "whole numbers"),
        ({"noise_loss": "l3"}, "use one of l1, l2"),
        ({"rvd_loss": "l3"}, "use one of l1, l2"),  # a run saved under the old name reads it as the new one
        ({"tau": 3}, "tau: not settings of rvd"),  # set by the run (--tau), not an option
    ):
        with pytest.raises(NextframeError, match=expected):
            train(TrainConfig(**{**config.__dict__, "options": options, "out": str(tmp_path / "r")}))
    with pytest.raises(NextframeError, match="multiple of 8"):
        train(TrainConfig(**{**config.__dict__, "width": 12, "out": str(tmp_path / "r")}))


@pytest.mark.parametrize("channels", [8, 24, 64, 120, 144, 256, 3])
def test_group_norm_of_the_diffusion_blocks_fits_any_width(channels):
    """Up to 32 groups of 4+ channels, the same count as before wherever min(32, ch / 4) divides the channels (the
    shipped MCVD and RVD), and a divisor elsewhere (width 24's 144 channels raised an error)."""
    from nextframe.networks.diffusion_blocks import norm

    layer = norm(channels)
    assert channels % layer.num_groups == 0 and layer.num_groups <= 32
    if channels % min(32, channels // 4 or 1) == 0:
        assert layer.num_groups == max(min(32, channels // 4), 1)
