"""Evaluation apart from training: held-out denoising PSNR (`denoising`) and the scores of sampled futures against
the true ones (`prediction`), used by the training loop's methods, the analyses and the benchmark alike."""

from nextframe.evaluation.denoising import PSNR_RANGE, denoising_psnr, sigma_for_psnr
from nextframe.evaluation.prediction import crps_standard_error, score_predictions

__all__ = ["PSNR_RANGE", "crps_standard_error", "denoising_psnr", "score_predictions", "sigma_for_psnr"]
