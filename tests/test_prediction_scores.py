"""Scores of sampled futures: a perfect predictor scores perfectly, a known answer for a constant one, a calibrated
sampler beats one that always picks the likelier future on CRPS, and a clip's samples do not depend on the batch."""

import numpy as np
import pytest
import torch

from nextframe.errors import NextframeError
from nextframe.evaluation import score_predictions
from nextframe.evaluation.prediction import PSNR_CAP
from nextframe.methods.base import Predictor
from nextframe.sampling.sampler import derive_seed


class Toy(Predictor):
    method, context_frames = "toy", 1

    def __init__(self, make):
        self.make = make  # (past, steps, seeds) -> frames

    def _predict(self, past, steps, seeds):
        return self.make(past, steps, seeds), torch.ones(past.shape[0], steps), None


def coin_clips(n: int, p: float, seed: int = 0) -> torch.Tensor:
    """(n, 3, 1, 16, 16): a grey past, then white (probability p) or black for the two future frames."""
    white = torch.from_numpy(np.random.default_rng(seed).random(n) < p).float()
    future = white.view(n, 1, 1, 1, 1).expand(n, 2, 1, 16, 16)
    return torch.cat([torch.full((n, 1, 1, 16, 16), 0.5), future], 1)


def coin(p):
    def make(past, steps, seeds):
        draws = [float(np.random.default_rng(derive_seed(s, 0)).random() < p) for s in seeds]
        return torch.tensor(draws).view(-1, 1, 1, 1, 1).expand(len(seeds), steps, 1, 16, 16).clone()

    return make


def test_a_perfect_predictor_scores_perfectly_and_a_constant_one_has_the_known_crps():
    clips = coin_clips(12, 0.5)
    truth = Toy(lambda past, steps, seeds: torch.repeat_interleave(clips[:, 1:], len(seeds) // len(clips), 0))
    s = score_predictions(truth, clips, past=1, future=2, samples=1, batch=12, with_ssim=True)["summary"]
    assert s["crps"] == 0 and s["psnr_best"] == PSNR_CAP and s["ssim_best"] == pytest.approx(1.0)  # exact: the cap
    grey = Toy(lambda past, steps, seeds: torch.full((len(seeds), steps, 1, 16, 16), 0.5))
    s = score_predictions(grey, clips, past=1, future=2, samples=4, with_ssim=False)["summary"]
    assert s["crps"] == pytest.approx(0.5) and s["crps_255"] == pytest.approx(127.5)  # |0.5 - 0 or 1|, no spread
    assert s["psnr_mean"] == pytest.approx(10 * np.log10(1 / 0.25)) and s["evaluations_per_frame"] == 1


def test_the_calibrated_sampler_beats_the_one_that_always_picks_the_likelier_future():
    clips = coin_clips(2000, 0.7)
    calibrated_run = score_predictions(Toy(coin(0.7)), clips, 1, 2, samples=16, batch=100, with_ssim=False)
    mode_run = score_predictions(Toy(coin(1.0)), clips, 1, 2, samples=16, batch=100, with_ssim=False)
    calibrated, mode = calibrated_run["summary"], mode_run["summary"]
    # analytic, p = 0.7, q = 0.3, K = 16: E|X - x| = 2pq, the empirical pair term (K - 1)/K 2pq, so the CRPS of the
    # calibrated sampler is 2pq - (K - 1)/K pq = 0.223; always the likelier future: q = 0.3
    assert calibrated["crps"] == pytest.approx(0.42 - 15 / 16 * 0.21, abs=0.012)
    assert mode["crps"] == pytest.approx(0.3, abs=0.025)
    # best of K rewards covering both futures: the calibrated sampler hits the true future on (almost) every clip
    hits = [(run["psnr"].max(1) == PSNR_CAP).mean() for run in (calibrated_run, mode_run)]  # exact frames
    assert hits[0] > 0.99 and hits[1] == pytest.approx(0.7, abs=0.03)


def test_a_clips_samples_do_not_depend_on_the_batch_and_bad_calls_are_refused():
    clips = coin_clips(10, 0.5)
    a = score_predictions(Toy(coin(0.5)), clips, 1, 2, samples=3, batch=10, with_ssim=False)
    b = score_predictions(Toy(coin(0.5)), clips, 1, 2, samples=3, batch=3, with_ssim=False)
    assert np.array_equal(a["crps"], b["crps"])
    with pytest.raises(NextframeError, match="past \\+ future = 4"):
        score_predictions(Toy(coin(0.5)), clips, 1, 3)


def test_the_fair_estimator_and_one_sample_per_video_are_each_labelled_and_known():
    # the calibrated coin again: the fair estimator's pair term is 2pq whatever K, so its CRPS is 2pq - pq = 0.21
    clips = coin_clips(2000, 0.7)
    fair = score_predictions(Toy(coin(0.7)), clips, 1, 2, samples=4, batch=200, with_ssim=False, fair_crps=True)
    assert fair["summary"]["crps"] == pytest.approx(0.21, abs=0.012) and fair["summary"]["crps_estimator"] == "fair"
    # per video (one sample for every frame) is never above per frame (each frame's best sample), and it is below
    # when the frames' best samples differ: here each sample is right on one frame of two
    clips = torch.cat(
        [torch.full((3, 1, 1, 16, 16), 0.5), torch.zeros(3, 1, 1, 16, 16), torch.ones(3, 1, 1, 16, 16)], 1
    )

    def alternate(past, steps, seeds):  # sample 0: black, black; sample 1: white, white
        first = torch.tensor([float(i % 2) for i in range(len(seeds))]).view(-1, 1, 1, 1, 1)
        return first.expand(len(seeds), steps, 1, 16, 16).clone()

    s = score_predictions(Toy(alternate), clips, past=1, future=2, samples=2, batch=3)["summary"]
    assert s["psnr_best"] == PSNR_CAP and s["ssim_best"] == pytest.approx(1.0)  # every frame has an exact sample
    assert s["video_psnr_best"] == pytest.approx(10 * np.log10(2)) and s["ssim_video_best"] < 0.6  # no exact video
