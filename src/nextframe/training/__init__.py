"""Training: the blind denoising loss, the training loop with checkpoints and DDP, and model files."""
