"""Evaluation apart from training: held-out denoising PSNR (`denoising`), used by the training loop's methods, the
analyses and the benchmark alike."""

from nextframe.evaluation.denoising import PSNR_RANGE, denoising_psnr, sigma_for_psnr

__all__ = ["PSNR_RANGE", "denoising_psnr", "sigma_for_psnr"]
