"""Metrics on frames and on sets of samples."""

from nextframe.metrics.metrics import crps, palette_fraction, psnr, ssim, summarize

__all__ = ["crps", "palette_fraction", "psnr", "ssim", "summarize"]
