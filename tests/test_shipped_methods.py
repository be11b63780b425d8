"""The five methods shipped on SM-MNIST 32x32 and Moving Leaves: found by name as the method that made them, carded
with the command and budget, the benchmark's published numbers are those of these very weights (its saved SHA-256),
and `nextframe sample --model NAME` works on a user's own frames like the score-based models."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

import nextframe
from nextframe.cli.main import main
from nextframe.models import ALIASES, SHIPPED, model_card, shipped_path

RESULTS = Path(__file__).resolve().parents[1] / "docs" / "results" / "benchmark"
DATASETS = {"smmnist32": ("smmnist32", 5), "leaves-tau2": ("leaves", 2)}  # prefix -> (results folder, past frames)
METHODS = {"score": "score", "pred": "deterministic", "svg": "svg_lp", "mcvd": "mcvd", "rvd": "rvd"}
NAMES = [(f"{prefix}-{suffix}", prefix, method) for prefix in DATASETS for suffix, method in METHODS.items()]


@pytest.mark.parametrize("name, prefix, method", NAMES, ids=[n for n, _, _ in NAMES])
def test_found_by_name_with_a_card_whose_numbers_are_these_weights(name, prefix, method):
    assert name in SHIPPED
    predictor = nextframe.load(name)
    folder, past = DATASETS[prefix]
    assert predictor.method == method and predictor.context_frames == past
    card = model_card(name)
    for needed in ("nextframe train", "CPU-minutes", "CRPS"):
        assert needed in card, needed
    # the command that made it: the equal-budget script, or the staged run that beat it and the command continuing it
    # (an alias's card is its model's: leaves-tau2-score is leaves-tau2, trained in stages by --init leaves-tau2)
    assert "scripts/train_methods.sh" in card or f"--init {ALIASES.get(name, name)}" in card
    row = json.loads((RESULTS / folder / "methods" / f"{method}.json").read_text())
    assert row["weights"] == hashlib.sha256(shipped_path(name).read_bytes()).hexdigest()  # measured on these weights
    assert f"CRPS {row['crps']:.4f}" in card


def test_sizes_within_the_limits():
    sizes = [shipped_path(n).stat().st_size for n, _, _ in NAMES]
    assert max(sizes) <= 30 * 2**20 and sum(sizes) <= 80 * 2**20


@pytest.mark.parametrize("prefix", list(DATASETS))
def test_every_shipped_method_samples_the_users_frames(prefix, tmp_path):
    past = DATASETS[prefix][1]
    frames = np.random.default_rng(0).random((past, 32, 32)).astype(np.float32)  # any frames of the right size
    np.save(tmp_path / "ctx.npy", frames)
    for suffix in METHODS:
        out = tmp_path / suffix
        argv = ["sample", "--model", f"{prefix}-{suffix}", "--context", str(tmp_path / "ctx.npy")]
        assert main([*argv, "--samples", "2", "--frames", "2", "--out", str(out)]) == 0
        samples = np.load(out / "samples.npy")
        assert samples.shape == (2, 2, 1, 32, 32) and 0 <= samples.min() and samples.max() <= 1


@pytest.mark.parametrize("prefix", list(DATASETS))
def test_every_shipped_method_refuses_frames_of_another_size(prefix, tmp_path, capsys):
    # the README's promise: a model that does not fit the data is refused, with the size it needs, not sampled
    past = DATASETS[prefix][1]
    np.save(tmp_path / "ctx.npy", np.random.default_rng(0).random((past, 64, 64)).astype(np.float32))
    for suffix in METHODS:
        argv = ["sample", "--model", f"{prefix}-{suffix}", "--context", str(tmp_path / "ctx.npy")]
        assert main([*argv, "--samples", "1", "--frames", "1", "--out", str(tmp_path / suffix)]) == 2
        assert "32x32" in capsys.readouterr().err and not (tmp_path / suffix).exists()
