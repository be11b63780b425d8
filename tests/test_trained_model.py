"""End to end: a small model trained by `nextframe train` for a few CPU minutes (the demo's recipe) denoises better
than the identity at every tested noise level, and its samples on an ambiguous occlusion probe are sharper than its
one-step estimate; `nextframe demo` then runs on that model and reports the same."""

import json

import numpy as np
import pytest
import torch

import nextframe
from nextframe.cli.demo import DEMO_SEQUENCES, DEMO_TRAIN_ARGS
from nextframe.cli.main import main
from nextframe.data.leaves import make_probe

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    assert main(["data", "leaves", "--out", str(root / "data"), "--n", str(DEMO_SEQUENCES), "--seed", "0"]) == 0
    assert main(["train", "--data", str(root / "data"), "--out", str(root / "model"), *DEMO_TRAIN_ARGS, "--no-progress"]) == 0
    assert main(["demo", "--out", str(root), "--samples", "16"]) == 0  # reuses the data and the finished model
    return root, json.loads((root / "demo.json").read_text())


def test_beats_the_identity_at_every_noise_level(demo):
    _, report = demo
    assert report["training"]["steps"] == 4000
    rows = report["denoising_psnr"]
    assert [r["input_psnr_target"] for r in rows] == [0.0, 10.0, 20.0, 30.0]
    for row in rows:
        assert row["output_psnr"] > row["input_psnr"] + 0.5, rows


def test_samples_are_sharper_than_the_one_step_estimate_on_the_ambiguous_probe(demo):
    _, report = demo
    probe = report["probes"]["ambiguous"]
    assert np.mean(probe["sharpness_samples"]) > probe["sharpness_one_step"] + 0.2, probe
    assert np.median(probe["evaluations"]) < 1000  # every sample stopped on sigma < 0.01, not on the cap


def test_demo_writes_its_figures_and_report(demo):
    root, _ = demo
    for name in ("probe_ambiguous.png", "probe_unambiguous.png", "rollout.png", "rollout.gif", "report.md"):
        assert (root / name).stat().st_size > 500, name
    assert "probe_ambiguous.png" in (root / "report.md").read_text()


def test_trained_network_samples_are_batch_invariant(demo):
    root, _ = demo
    model = nextframe.load(root / "model" / "model.safetensors")
    context = torch.from_numpy(make_probe().context).reshape(1, 2, 32, 32)
    batch = nextframe.sample(model, context.repeat(3, 1, 1, 1), seed=[5, 6, 7])
    alone = nextframe.sample(model, context, seed=[6])
    torch.testing.assert_close(batch.frames[1], alone.frames[0], rtol=0, atol=1e-4)
