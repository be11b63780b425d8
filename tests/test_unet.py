"""The U-Net is bias-free (homogeneous of order 1 in evaluation mode) and refuses inputs it cannot take."""

import pytest
import torch

from nextframe.errors import NextframeError
from nextframe.networks import BiasFreeBatchNorm, ConditionalUNet, UNetConfig
from nextframe.networks.unet import count_parameters, deepen, freeze_norm, recalibrate_norms, widen


def trained_a_little(config: UNetConfig) -> ConditionalUNet:
    """A few steps of training move the running statistics and gains away from their initial values."""
    torch.manual_seed(0)
    net = ConditionalUNet(config)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for _ in range(3):
        noisy, context = torch.rand(8, config.channels, 16, 16), torch.rand(8, config.tau * config.channels, 16, 16)
        loss = net(noisy, context).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net.eval()


@pytest.mark.parametrize(
    "config",
    [
        UNetConfig(tau=2, width=8),
        UNetConfig(tau=0, width=8),
        UNetConfig(tau=1, channels=3, width=8),
        UNetConfig(tau=2, width=8, noisy_input=False),
        UNetConfig(tau=2, width=8, output="residual"),
        UNetConfig(tau=2, width=8, gates=True),
    ],
)
def test_network_is_positively_homogeneous(config):
    net = trained_a_little(config)
    noisy = torch.rand(4, config.channels, 16, 16)
    context = torch.rand(4, config.tau * config.channels, 16, 16)
    with torch.no_grad():
        out = net(noisy, context)
        assert out.shape == (4, config.channels, 16, 16)
        assert out.abs().max() > 1e-3
        for a in (1e-3, 0.37, 5.0, 1e3):
            torch.testing.assert_close(net(a * noisy, a * context), a * out, rtol=1e-4, atol=1e-5 * a)


def test_a_residual_output_is_the_noisy_input_plus_the_last_layer():
    torch.manual_seed(0)
    clean, residual = (
        ConditionalUNet(UNetConfig(tau=2, width=8)),
        ConditionalUNet(UNetConfig(tau=2, width=8, output="residual")),
    )
    residual.load_state_dict(clean.state_dict())  # the same weights: the two differ by the noisy input exactly
    noisy, context = torch.rand(2, 1, 16, 16), torch.rand(2, 2, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(residual(noisy, context), noisy + clean(noisy, context))
        residual.out.weight.zero_()  # a zero residual is the identity, whatever the noise
        torch.testing.assert_close(residual(noisy, context), noisy)
    with pytest.raises(NextframeError, match="needs a noisy input"):
        UNetConfig(tau=2, noisy_input=False, output="residual")
    with pytest.raises(NextframeError, match="'clean' or 'residual'"):
        UNetConfig(output="skip")


def test_gates_start_as_the_identity_and_keep_the_network_homogeneous():
    from nextframe.networks.unet import ScaleFreeGate

    plain = trained_a_little(UNetConfig(tau=2, width=8))
    gated = ConditionalUNet(UNetConfig(tau=2, width=8, gates=True)).eval()
    own = {k: v for k, v in gated.state_dict().items() if ".mix." in k}
    assert own and all((v == 0).all() for v in own.values())  # a new gate passes its input
    gated.load_state_dict({**own, **plain.state_dict()})
    noisy, context = torch.rand(4, 1, 16, 16), torch.rand(4, 2, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(gated(noisy, context), plain(noisy, context), rtol=0, atol=0)
        for m in gated.modules():  # gates far from the identity: still order 1
            if isinstance(m, ScaleFreeGate):
                torch.nn.init.normal_(m.mix.weight, std=0.5)
        out = gated(noisy, context)
        assert (out - plain(noisy, context)).abs().max() > 1e-2
        for a in (0.01, 0.37, 5.0, 1e3):
            torch.testing.assert_close(gated(a * noisy, a * context), a * out, rtol=1e-4, atol=1e-5 * a)


def test_no_bias_parameter_anywhere():
    net = ConditionalUNet(UNetConfig(width=8))
    for name, module in net.named_modules():
        if isinstance(module, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            assert module.bias is None, name
        assert not isinstance(module, (torch.nn.BatchNorm2d, torch.nn.LayerNorm, torch.nn.GroupNorm)), name
    assert not any("bias" in name for name, _ in net.named_parameters())
    assert any(isinstance(m, BiasFreeBatchNorm) for m in net.modules())


def test_bias_free_batch_norm_rescales_without_centering():
    bn = BiasFreeBatchNorm(3)
    x = torch.randn(16, 3, 8, 8) * torch.tensor([1.0, 2.0, 4.0]).view(1, 3, 1, 1) + 5.0
    y = bn(x)
    std = torch.sqrt(x.var(dim=(0, 2, 3), unbiased=False) + 1e-5)
    torch.testing.assert_close(y, x / std.view(1, 3, 1, 1))  # the mean of 5 survives: no subtraction
    torch.testing.assert_close(bn.running_std.flatten(), 0.9 + 0.1 * std)
    bn.eval()
    torch.testing.assert_close(bn(x), x / bn.running_std)


def test_recalibrated_norms_hold_the_mean_batch_statistic_of_every_pass():
    """Bias-free norms get the plain mean of the batch stds, PyTorch's the mean of the batch variances; frozen ones
    keep theirs; momenta and the evaluation mode come back as they were."""
    ours, torchs, frozen = BiasFreeBatchNorm(2), torch.nn.BatchNorm2d(2), BiasFreeBatchNorm(2)
    frozen.frozen = True
    frozen.running_std.fill_(3.0)
    net = torch.nn.Sequential(ours, torchs, frozen).eval()
    gen = torch.Generator().manual_seed(0)
    batches = [torch.randn(4, 2, 5, 5, generator=gen) * s + 1.0 for s in (1.0, 2.0, 5.0, 0.5)]
    assert recalibrate_norms(net, lambda k: net(batches[k]), len(batches)) == 2
    stds = torch.stack([torch.sqrt(x.var(dim=(0, 2, 3), unbiased=False) + 1e-5) for x in batches])
    torch.testing.assert_close(ours.running_std.flatten(), stds.mean(0))  # a running average would weigh the last
    normed = [x / std.view(1, 2, 1, 1) for x, std in zip(batches, stds)]  # what reached PyTorch's norm
    torch.testing.assert_close(torchs.running_var, torch.stack([x.var(dim=(0, 2, 3)) for x in normed]).mean(0))
    torch.testing.assert_close(torchs.running_mean, torch.stack([x.mean(dim=(0, 2, 3)) for x in normed]).mean(0))
    assert torch.equal(frozen.running_std, torch.full((1, 2, 1, 1), 3.0))
    assert ours.momentum == 0.1 and torchs.momentum == 0.1 and not net.training
    assert recalibrate_norms(torch.nn.Conv2d(2, 2, 1), lambda k: None, 3) == 0  # nothing to set


def test_frozen_batch_norm_trains_as_it_evaluates():
    net = trained_a_little(UNetConfig(tau=2, width=8))
    x, c = torch.rand(4, 1, 16, 16), torch.rand(4, 2, 16, 16)
    with torch.no_grad():
        evaluated = net.eval()(x, c)
        before = [b.running_std.clone() for b in net.modules() if isinstance(b, BiasFreeBatchNorm)]
        freeze_norm(net.train())
        # a batch with one example a hundred times louder: the others' output does not move, and nothing is updated
        loud = torch.cat([x[:3], 100 * x[3:]])
        torch.testing.assert_close(net(loud, c)[:3], evaluated[:3])
    after = [b.running_std for b in net.modules() if isinstance(b, BiasFreeBatchNorm)]
    assert all(torch.equal(a, b) for a, b in zip(before, after))


def test_frozen_pytorch_batch_norm_trains_as_it_evaluates_and_is_not_recalibrated():
    """SVG's PyTorch norms under --freeze-norm: training mode normalises by the running statistics, which stay put,
    while the norm's scale still learns; the calibration before snapshots leaves them alone."""
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), torch.nn.BatchNorm2d(3))
    norm = net[1]
    norm.running_mean.fill_(0.2), norm.running_var.fill_(4.0)
    x = torch.randn(5, 1, 8, 8)
    evaluated = net.eval()(x).detach()
    freeze_norm(freeze_norm(net.train()))  # twice: one hook
    assert len(norm._forward_pre_hooks) == 1
    trained = net(x)
    torch.testing.assert_close(trained, evaluated)
    trained.sum().backward()
    assert norm.weight.grad is not None and norm.weight.grad.abs().sum() > 0  # the scale learns
    assert torch.equal(norm.running_mean, torch.full((3,), 0.2)) and torch.equal(
        norm.running_var, torch.full((3,), 4.0)
    )
    assert recalibrate_norms(net, lambda k: net(torch.randn(5, 1, 8, 8)), 3) == 0


def test_prediction_only_ignores_the_noisy_frame():
    net = trained_a_little(UNetConfig(tau=2, width=8, noisy_input=False))
    context = torch.rand(2, 2, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(net(torch.rand(2, 1, 16, 16), context), net(None, context))


def test_wrong_inputs_get_clear_errors():
    net = ConditionalUNet(UNetConfig(tau=2, width=8)).eval()
    with pytest.raises(NextframeError, match="multiples of 4"):
        net(torch.rand(1, 1, 30, 32), torch.rand(1, 2, 30, 32))
    with pytest.raises(NextframeError, match="tau=2; pass exactly 2 past frames"):
        net(torch.rand(1, 1, 32, 32), torch.rand(1, 3, 32, 32))
    with pytest.raises(NextframeError, match="channels"):
        net(torch.rand(1, 3, 32, 32), torch.rand(1, 2, 32, 32))
    with pytest.raises(NextframeError, match="prediction-only"):
        UNetConfig(tau=0, noisy_input=False)


@pytest.mark.parametrize(
    "config",
    [
        UNetConfig(tau=2, width=4),
        UNetConfig(tau=1, channels=3, width=4, scales=2),
        UNetConfig(tau=2, width=4, output="residual"),
    ],
)
def test_widening_keeps_the_function_and_adds_channels(config):
    """Net2WiderNet: a trained network widened 4 -> 6 computes the same frames, in evaluation mode and in training
    mode (batch statistics of copied channels are the copies of the originals'), has the wider network's parameters,
    and with noise differs a little, so the copies can learn apart."""
    net = trained_a_little(config)
    wide = widen(net, 6)
    assert wide.config.width == 6 and count_parameters(wide) > 2 * count_parameters(net)
    noisy, context = torch.rand(4, config.channels, 16, 16), torch.rand(4, config.tau * config.channels, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(wide.eval()(noisy, context), net.eval()(noisy, context), rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(wide.train()(noisy, context), net.train()(noisy, context), rtol=1e-4, atol=1e-5)
        net.eval()
        nudged = widen(net, 6, noise=0.01).eval()
        change = (nudged(noisy, context) - net(noisy, context)).abs().max() / net(noisy, context).abs().max()
        assert 0 < change < 0.05
        torch.testing.assert_close(
            widen(net, 4).eval()(noisy, context), net(noisy, context)
        )  # no new channel: the same


@pytest.mark.parametrize(
    "config",
    [UNetConfig(tau=2, width=4), UNetConfig(tau=1, channels=3, width=4, scales=2, output="residual")],
)
def test_deepening_keeps_the_function_and_learns_the_new_scale(config):
    """A fourth scale added to a trained network computes the same frames in evaluation mode and with frozen norms in
    training mode, stays bias-free (homogeneous), and one gradient step moves the output through the new path: the
    zero-initialised merge weights get a gradient at once, the new bottom block after that step."""
    net = trained_a_little(config)
    deep = deepen(net)
    assert deep.config.scales == config.scales + 1 and len(deep.down) == config.scales + 1
    noisy, context = torch.rand(4, config.channels, 16, 16), torch.rand(4, config.tau * config.channels, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(deep.eval()(noisy, context), net(noisy, context), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(deep(2.5 * noisy, 2.5 * context), 2.5 * deep(noisy, context), rtol=1e-4, atol=1e-6)
    freeze_norm(deep).train()
    torch.testing.assert_close(deep(noisy, context), net(noisy, context), rtol=1e-5, atol=1e-6)
    c = config.width * 2 ** (config.scales - 1)
    opt = torch.optim.SGD(deep.parameters(), lr=0.1)
    for step in range(2):
        opt.zero_grad()
        (deep(noisy, context) - noisy).square().mean().backward()
        new_path = deep.up[0][0].weight.grad[:, :c].abs().max(), deep.down[-1][0].weight.grad.abs().max()
        assert new_path[0] > 0 and (new_path[1] > 0) == (step > 0)  # the bottom learns once the merge reads it
        opt.step()
    with torch.no_grad():
        assert (deep.eval()(noisy, context) - net(noisy, context)).abs().max() > 1e-4
    torch.manual_seed(5)
    expected = torch.rand(1)
    torch.manual_seed(5)
    a, b = deepen(net, seed=1), deepen(net, seed=1)  # reproducible, and the caller's generator is left alone
    assert torch.equal(a.down[-1][0].weight, b.down[-1][0].weight) and torch.equal(torch.rand(1), expected)


def test_widening_refuses_what_it_cannot_keep():
    with pytest.raises(NextframeError, match="narrower than the network's 8"):
        widen(ConditionalUNet(UNetConfig(width=8)), 4)
    with pytest.raises(NextframeError, match="gate-free networks only"):
        widen(ConditionalUNet(UNetConfig(width=4, gates=True)), 8)
    with pytest.raises(NextframeError, match="gate-free networks only"):
        deepen(ConditionalUNet(UNetConfig(width=4, gates=True)))
