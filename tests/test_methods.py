"""Every method through one predictor interface: shipped weights load as the method that made them and sample as
before the interface existed (to float rounding: the same evaluation counts, frames within 1e-4, since convolution
kernels round differently across CPU families; the fixture was drawn on another machine); a toy recurrent method
carries its state through the same `predict`."""

from pathlib import Path

import numpy as np
import pytest
import torch

import nextframe
from nextframe.errors import NextframeError
from nextframe.methods import METHODS, Predictor, StatefulPredictor, load, method
from nextframe.methods.deterministic import DeterministicPredictor
from nextframe.methods.score import ScorePredictor
from nextframe.models.files import UNET_FORMAT, read_metadata, save_weights
from nextframe.networks.unet import ConditionalUNet, UNetConfig
from nextframe.sampling import PAPER, derive_seed, rollout

# Frames drawn by `rollout` at commit c0a652c, before methods, settings dataclasses and the predictor interface:
# past = torch.rand(2, 3, 1, 32, 32, generator=manual_seed(123)); 2 frames, 2 samples, seeds 11-14, the paper's sampler
# (leaves-tau2's redrawn by scripts/ship_leaves_tau2.sh when its stage 7 shipped: new weights, the same draw)
FIXTURE = Path(__file__).parent / "fixtures" / "shipped_samples.npz"
SEEDS = [11, 12, 13, 14]
TOLERANCE = (
    1e-4  # on an AMD EPYC against the fixture: at most 3.8e-5 (davis-tau2); one seed changed moves its frames by 0.77
)


def draw(name: str, past: np.ndarray):
    """The fixture's draw of a shipped denoiser: 2 frames, 2 samples each, seeds SEEDS, the paper's sampler."""
    return load(name, sampler=PAPER).predict(torch.from_numpy(past), 2, samples=2, seed=SEEDS)


@pytest.fixture(scope="module")
def before():
    return dict(np.load(FIXTURE))


@pytest.mark.parametrize("name", ["leaves-tau2", "davis-tau2"])
def test_shipped_denoisers_sample_as_before(before, name):
    past = torch.from_numpy(before["past"])
    predictor = load(name, sampler=PAPER)
    assert isinstance(predictor, ScorePredictor) and predictor.method == "score"
    if name == "davis-tau2":  # the first format must still read (leaves-tau2 is in today's since stage 7)
        assert read_metadata(nextframe.models.shipped_path(name))["format"] == UNET_FORMAT
    got = draw(name, before["past"])
    np.testing.assert_allclose(got.frames.numpy(), before[name], rtol=0, atol=TOLERANCE)
    np.testing.assert_array_equal(got.evaluations.numpy(), before[f"{name}-evals"])
    frames, _ = rollout(predictor, past, 2, samples=2, seed=SEEDS, **PAPER.knobs())  # the predictor is a denoiser too
    np.testing.assert_array_equal(frames.numpy(), got.frames.numpy())  # on one machine: bitwise
    assert got.status == [["converged"] * 4] * 2 and got.seconds_per_frame > 0


def test_shipped_prediction_only_network_is_the_deterministic_method(before):
    predictor = load("davis-pred")
    assert isinstance(predictor, DeterministicPredictor)
    got = predictor.predict(torch.from_numpy(before["past"]), 2, samples=2, seed=SEEDS)
    np.testing.assert_allclose(got.frames.numpy(), before["davis-pred"], rtol=0, atol=TOLERANCE)
    assert torch.equal(got.frames[0], got.frames[1])  # a deterministic method gives one future, whatever the seed
    assert got.evaluations.tolist() == [[1, 1]] * 4
    assert got.status == [["predicted"] * 4] * 2  # one pass: nothing sampled, nothing tested for convergence


def test_weights_say_which_method_made_them(tmp_path):
    for name, noisy in (("score", True), ("deterministic", False)):
        network = ConditionalUNet(UNetConfig(tau=2, width=4, noisy_input=noisy)).eval()
        save_weights(tmp_path / f"{name}.safetensors", network, name, {"note": 1})
        meta = read_metadata(tmp_path / f"{name}.safetensors")
        assert meta["method"] == name and meta["network"] == network.config.to_dict() and meta["note"] == 1
        loaded = load(tmp_path / f"{name}.safetensors")
        assert loaded.method == name
        x, c = torch.rand(2, 1, 32, 32), torch.rand(2, 2, 32, 32)
        with torch.no_grad():
            torch.testing.assert_close(loaded(x, c), network(x, c), rtol=0, atol=0)
    save_weights(tmp_path / "alien.safetensors", network, "alien")
    with pytest.raises(NextframeError, match="unknown method 'alien'"):
        load(tmp_path / "alien.safetensors")


def test_every_registered_method_offers_what_load_and_the_loop_need():
    import inspect

    for name in METHODS:
        module = method(name)
        assert module.NAME == name
        for part in ("build_network", "predictor", "training_method"):
            assert callable(getattr(module, part)), (name, part)
        # one vocabulary of predictor options, given by name: no method's order can be confused with another's
        options = list(inspect.signature(module.predictor).parameters.values())[1:]
        assert all(o.kind is o.KEYWORD_ONLY and o.name in ("sampler", "sample_steps") for o in options), name


def test_load_refuses_options_the_method_does_not_have():
    with pytest.raises(NextframeError, match="leaves-tau2-svg is a svg_lp model; its predictor takes no options, not "):
        load("leaves-tau2-svg", sample_steps=10)
    with pytest.raises(NextframeError, match="takes sampler, not sample_steps"):
        load("smmnist32-score", sample_steps=10)
    assert load("smmnist32-mcvd", sampler="ddim", sample_steps=5).sample_steps == 5


class RunningMeanWalk(StatefulPredictor):
    """A toy recurrent method: its state is a running mean of every frame so far plus a per-row random offset that
    walks from frame to frame, so that frame j depends on all the frames and draws before it."""

    method = "toy-recurrent"
    context_frames = 2

    def start(self, past, seeds):
        return {"mean": past.mean(dim=1), "count": past.shape[1], "offset": torch.zeros(past.shape[0], 1, 1, 1)}

    def step(self, state, j, seeds):
        steps = [torch.randn((), generator=torch.Generator().manual_seed(derive_seed(s, j))) for s in seeds]
        offset = state["offset"] + 0.01 * torch.stack(steps).view(-1, 1, 1, 1)
        frame = (state["mean"] + offset).clamp(0, 1)
        count = state["count"] + 1
        mean = state["mean"] + (frame - state["mean"]) / count
        return frame, 1, {"mean": mean, "count": count, "offset": offset}


def test_a_recurrent_method_carries_its_state_through_predict():
    toy = RunningMeanWalk()
    past = torch.rand(3, 2, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    got = toy.predict(past, 4, samples=2, seed=100)
    assert got.frames.shape == (6, 4, 1, 8, 8) and got.evaluations.tolist() == [[1] * 4] * 6
    torch.testing.assert_close(got.frames, toy.predict(past, 4, samples=2, seed=100).frames, rtol=0, atol=0)
    # row r is seeded 100 + r: the same row alone gives the same future, whatever else is in the batch
    alone = toy.predict(past[1:2], 4, samples=1, seed=[103])
    torch.testing.assert_close(alone.frames[0], got.frames[3], rtol=0, atol=0)
    # the state carries: the offsets accumulate, so later frames of two samples of one context drift further apart
    gaps = (got.frames[0] - got.frames[1]).abs().mean(dim=(1, 2, 3))
    assert gaps[0] > 0 and gaps[-1] > gaps[0]


def test_predict_refuses_what_it_cannot_use():
    toy = RunningMeanWalk()
    with pytest.raises(NextframeError, match="time >= 2"):
        toy.predict(torch.rand(1, 1, 1, 8, 8), 2)
    with pytest.raises(NextframeError, match="steps must be"):
        toy.predict(torch.rand(1, 2, 1, 8, 8), 0)
    with pytest.raises(NextframeError, match=r"floats in \[0, 1\]"):
        toy.predict(torch.full((1, 2, 1, 8, 8), 200.0), 1)
    with pytest.raises(NotImplementedError):
        Predictor().predict(torch.rand(1, 2, 1, 8, 8), 1)


def test_a_new_method_is_a_folder_and_a_line_and_gets_its_own_flags(monkeypatch):
    # a sixth method whose settings share names with two others' (svg_lp's --z-dim, deterministic's --point-loss):
    # each method's flags are built for the method given, so no method takes over another's flag
    import sys
    import types
    from dataclasses import dataclass

    from nextframe.cli.main import build_parser, main
    from nextframe.settings import setting

    @dataclass(frozen=True)
    class Settings:
        z_dim: int = setting(3, "the toy's latent size", low=1)
        point_loss: str = setting("l1", "the toy's loss", choices=("l1", "huber"))

    toy = types.ModuleType("toy_method")
    toy.NAME, toy.Settings = "toy", Settings
    toy.build_network = toy.predictor = toy.training_method = lambda *a: None
    monkeypatch.setitem(sys.modules, "toy_method", toy)
    monkeypatch.setitem(METHODS, "toy", "toy_method")  # the one registry line

    def parsed(*words):
        argv = ["train", "--data", "d", "--out", "o", *words]
        return build_parser("train", argv).parse_args(argv)

    args = parsed("--method", "toy", "--z-dim", "7", "--point-loss", "huber")
    assert (args.z_dim, args.point_loss) == (7, "huber")
    assert parsed("--method", "svg_lp", "--z-dim", "9").z_dim == 9  # svg_lp's own flag, its own default and bounds
    assert main(["train", "--data", "d", "--out", "o", "--method", "deterministic", "--point-loss", "huber"]) == 2

    @dataclass(frozen=True)
    class Shadowing:
        lr: float = setting(0.1, "a method setting named like a training flag")

    toy.Settings = Shadowing
    with pytest.raises(NextframeError, match="shadow training flags"):
        parsed("--method", "toy")


@pytest.mark.parametrize("name", list(METHODS))
def test_every_method_trains_saves_and_loads_back_to_the_same_predictions(name, tiny_run):
    """diffusers' habit: a tiny model of each method through the shared loop, loaded back by its folder and by its
    weights file, draws the same frames for the same seed, and its record names the method and every setting."""
    from nextframe.sampling.settings import SamplerSettings

    run, config, summary = tiny_run(name)
    assert summary["steps"] == config.max_steps
    meta = read_metadata(run / "model.safetensors")
    assert meta["method"] == name and meta["train"]["method"] == name and meta["steps"] == config.max_steps
    options = {"sampler": SamplerSettings(max_steps=20, retries=0)} if name == "score" else {}  # an untrained denoiser
    by_folder, by_file = load(run, **options), load(run / "model.safetensors", **options)
    past = torch.rand(2, 2, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    first = by_folder.predict(past, 2, samples=2, seed=3).frames
    assert first.shape == (4, 2, 1, 32, 32) and torch.isfinite(first).all()
    torch.testing.assert_close(by_file.predict(past, 2, samples=2, seed=3).frames, first, rtol=0, atol=0)
    other = by_folder.predict(past, 2, samples=2, seed=4).frames
    assert torch.equal(other, first) == (name == "deterministic")  # only the point forecast ignores the seed


@pytest.mark.parametrize("name", list(METHODS))
def test_the_occlusion_experiments_run_on_every_method(name, tiny_run, tmp_path):
    """Issue 30: `experiment decisions` and `experiment recursive` go through the one Predictor path for any method
    (the score method under the sampler flags, the others as they sample), writing their reports."""
    import json

    from nextframe.cli.main import main

    run, _, _ = tiny_run(name)
    budget = ["--max-steps", "20", "--retries", "0"] if name == "score" else []  # an untrained denoiser: a short walk
    decisions = ["experiment", "decisions", "--model", str(run), "--out", str(tmp_path / "d"), "--samples", "1"]
    assert main([*decisions, "--differences", "0", "--windows", "2", "--window-samples", "1", *budget]) == 0
    report = json.loads((tmp_path / "d" / "decisions.json").read_text())
    assert report["method"] == name and report["summary"]["model"]["collisions_windows"] == 2
    recursive = ["experiment", "recursive", "--model", str(run), "--out", str(tmp_path / "r"), "--samples", "1"]
    assert main([*recursive, "--steps", "2", *budget]) == 0
    assert json.loads((tmp_path / "r" / "recursive.json").read_text())["method"] == name


if __name__ == "__main__":
    # `python tests/test_methods.py NAME`: redraw NAME's frames of the fixture after its weights changed
    # (scripts/ship_leaves_tau2.sh), with the draw the test checks; written beside and renamed, never half-written
    import os
    import sys

    saved = dict(np.load(FIXTURE))
    got = draw(sys.argv[1], saved["past"])
    saved[sys.argv[1]], saved[f"{sys.argv[1]}-evals"] = got.frames.numpy(), got.evaluations.numpy()
    with open(FIXTURE.with_suffix(".tmp"), "wb") as f:
        np.savez(f, **saved)
    os.replace(FIXTURE.with_suffix(".tmp"), FIXTURE)
    print(f"{FIXTURE}: {sys.argv[1]} redrawn, {got.status}")
