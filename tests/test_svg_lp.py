"""SVG-LP / SVG-FP: the KL term against the closed form, a tiny instance that learns, samples of the right shape and
range that a seed fixes, a save/load round trip through the shared loop, and the refusals."""

import numpy as np
import pytest
import torch

import nextframe
from nextframe.cli.main import main
from nextframe.errors import NextframeError
from nextframe.methods import train
from nextframe.methods.svg_lp import SVG, SVGConfig, SVGLoss, SVGPredictor, gaussian_kl
from nextframe.training.config import TrainConfig

TINY = {"width": 8, "g_dim": 16, "rnn_size": 16, "z_dim": 4}


def test_kl_term_is_the_closed_form_of_two_gaussians():
    g = torch.Generator().manual_seed(0)
    mq, mp, lq, lp = (torch.randn(7, 5, generator=g) for _ in range(4))
    exact = torch.distributions.kl_divergence(
        torch.distributions.Normal(mq, (0.5 * lq).exp()), torch.distributions.Normal(mp, (0.5 * lp).exp())
    ).sum(-1)
    assert torch.allclose(gaussian_kl(mq, lq, mp, lp), exact, atol=1e-5)
    assert torch.allclose(gaussian_kl(mq, lq, mq, lq), torch.zeros(7), atol=1e-6)  # zero for equal distributions


@pytest.mark.parametrize("size", [32, 64])
def test_encoder_and_decoder_keep_the_frame_size(size):
    net = SVG(SVGConfig(tau=2, size=size, **TINY)).eval()
    code, skips = net.encoder(torch.rand(3, 1, size, size))
    assert code.shape == (3, 16) and len(skips) == net.config.stages == (3 if size == 32 else 4)
    frame = net.decoder(code, skips)
    assert frame.shape == (3, 1, size, size) and 0 <= frame.min() and frame.max() <= 1


def moving_square(n: int, frames: int, seed: int) -> torch.Tensor:
    """(n, frames, 1, 32, 32): a bright square moving right or left at random: the future is a coin flip."""
    g = np.random.default_rng(seed)
    x = np.zeros((n, frames, 1, 32, 32), np.float32)
    for i in range(n):
        step = g.choice([-2, 2])
        for t in range(frames):
            c = 12 + step * t
            x[i, t, 0, 12:20, c : c + 8] = 1.0
    return torch.from_numpy(x)


@pytest.mark.parametrize("prior", ["learned", "fixed"])
def test_a_tiny_svg_learns_and_its_samples_are_seeded(prior):
    torch.manual_seed(0)
    net = SVG(SVGConfig(tau=2, size=32, prior=prior, **TINY))
    clips = moving_square(16, 5, 0)
    context, target = clips[:, :2].flatten(1, 2), clips[:, 2:].flatten(1, 2)
    loss = SVGLoss(beta=1e-3, z_dim=4)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    first = None
    for step in range(40):
        value = loss(net, context, target, torch.Generator().manual_seed(step))
        first = value.item() if first is None else first
        opt.zero_grad()
        value.backward()
        opt.step()
    assert value.item() < 0.5 * first
    predictor = SVGPredictor(net)
    past = clips[:3, :2]
    a = predictor.predict(past, 3, samples=2, seed=5)
    b = predictor.predict(past, 3, samples=2, seed=5)
    c = predictor.predict(past, 3, samples=2, seed=6)
    assert a.frames.shape == (6, 3, 1, 32, 32) and torch.equal(a.frames, b.frames)
    assert 0 <= a.frames.min() and a.frames.max() <= 1 and a.evaluations_per_frame == 1
    assert not torch.equal(a.frames, c.frames)
    # a row is the same whatever else is in its batch (batch norm in evaluation mode, per-row latents)
    alone = predictor.predict(past[1:2], 3, samples=1, seed=[5 + 2])
    assert torch.allclose(alone.frames[0], a.frames[2], atol=1e-5)


class ConstantFrame(torch.nn.Module):
    """A decoder that draws one learnable grey for every pixel, whatever the code."""

    def __init__(self):
        super().__init__()
        self.grey = torch.nn.Parameter(torch.tensor(0.5))

    def forward(self, code, skips):
        return self.grey.expand(code.shape[0], 1, 32, 32)


@pytest.mark.parametrize("norm, optimum", [("mse", 0.3), ("l1", 0.0)])
def test_reconstruction_loss_learns_the_mean_or_the_median(norm, optimum):
    # futures black 70% of the time and white 30%, with the same past: SVG's Gaussian likelihood (MSE) learns the
    # mean 0.3 (the grey haze of its SM-MNIST backgrounds), --recon-loss l1 (a Laplace likelihood) the median 0.
    # One past frame: SVG also predicts every past frame after the first, which would enter the optimum
    net = SVG(SVGConfig(tau=1, size=32, **TINY))
    net.requires_grad_(False).decoder = ConstantFrame()
    target = (torch.arange(20) >= 14).float().view(20, 1, 1, 1).expand(20, 1, 32, 32)
    optimiser = torch.optim.SGD([net.decoder.grey], lr=0.05)
    loss = SVGLoss(beta=1e-4, z_dim=4, norm=norm)
    for step in range(120):
        optimiser.zero_grad()
        loss(net, torch.zeros(20, 1, 32, 32), target, torch.Generator().manual_seed(step)).backward()
        optimiser.step()
    assert net.decoder.grey.item() == pytest.approx(optimum, abs=0.03)


def test_trained_through_the_shared_loop_it_loads_by_path_and_samples_the_same(tmp_path, capsys, tiny_run):
    run, config, summary = tiny_run("svg_lp")
    data = config.data
    row = summary["log"][-1]
    assert np.isfinite(row["heldout_loss"]) and np.isfinite(row["heldout_psnr"]) and row["heldout_kl"] >= 0
    predictor = nextframe.load(str(run / "model.safetensors"))
    assert isinstance(predictor, SVGPredictor) and predictor.config.z_dim == 4
    past = torch.rand(1, 2, 1, 32, 32)
    again = nextframe.load(str(run))
    assert torch.equal(predictor.predict(past, 2, seed=1).frames, again.predict(past, 2, seed=1).frames)
    with pytest.raises(NextframeError, match="time >= 2"):
        predictor.predict(past[:, :1], 2)
    with pytest.raises(NextframeError, match="takes 32x32 frames, got 64x64"):
        predictor.config.check_size(64, 64)
    # the command line: settings of another method are refused in one line, before any work
    capsys.readouterr()
    argv = ["train", "--data", str(data), "--out", str(tmp_path / "r2"), "--z-dim", "4"]
    assert main(argv) == 2
    assert "--z-dim is a setting of --method svg_lp, not score" in capsys.readouterr().err
    with pytest.raises(NextframeError, match="not settings of svg_lp"):
        train(TrainConfig(**{**config.__dict__, "options": {"zdim": 3}, "out": str(tmp_path / "r3")}))


def test_a_stage_may_change_what_only_the_loss_reads(tmp_path, tiny_run):
    """--init takes weights of the same network: a later stage may change the loss (--recon-loss l1 after SVG's mse,
    --freeze-norm) but not the network (--z-dim)."""
    run, config, _ = tiny_run("svg_lp")
    stage = {**config.__dict__, "init": str(run / "model.safetensors"), "max_steps": 1, "freeze_norm": True}
    options = {**config.options, "recon_loss": "l1", "kl_beta": 1e-3}
    summary = train(TrainConfig(**{**stage, "options": options, "out": str(tmp_path / "l1")}))
    assert summary["steps"] == 1
    with pytest.raises(NextframeError, match="match --method, --tau and --width"):
        train(TrainConfig(**{**stage, "options": {**config.options, "z_dim": 5}, "out": str(tmp_path / "z")}))
