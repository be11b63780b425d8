"""Spatial augmentation for training on natural video: the eight flips and quarter turns of the square (the dihedral
group), one per window and the same on every frame of it, so a motion stays a motion with its direction turned.

Why: DAVIS is filmed mostly with horizontal pans and walks, so a network trained on it as is learns to follow
horizontal motion and barely vertical motion (docs/design.md, the filters measurement). Natural image statistics are
close to invariant under these transforms, so the augmented data is as plausible as the original.
"""

from __future__ import annotations

import torch


def dihedral(x: torch.Tensor, k: int) -> torch.Tensor:
    """Transform k of 8 on the last two axes: bit 0 flips rows, bit 1 flips columns, bit 2 transposes (square only)."""
    if k & 1:
        x = x.flip(-2)
    if k & 2:
        x = x.flip(-1)
    if k & 4:
        x = x.transpose(-2, -1)
    return x


def augment_windows(
    context: torch.Tensor, clean: torch.Tensor, generator: torch.Generator, *others: torch.Tensor
) -> tuple[torch.Tensor, ...]:
    """Each window (context (B, tau*C, H, W), clean (B, C, H, W)) under a transform drawn uniformly from `generator`;
    only the four flips when frames are not square. `others`, per-window maps of the same frame (the loss's per-pixel
    weights), turn with their window: a weight map left unturned would weigh the pixels of another place."""
    square = clean.shape[-1] == clean.shape[-2]
    ks = torch.randint(0, 8 if square else 4, (len(clean),), generator=generator)
    turned = [t.clone() for t in (context, clean, *others)]
    for k in ks.unique().tolist():
        chosen = (ks == k).nonzero().flatten()
        for t in turned:
            t[chosen] = dihedral(t[chosen], k)
    return tuple(turned)
