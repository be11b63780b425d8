"""Networks: the bias-free conditional U-Net (and, in later issues, the peers' networks)."""

from nextframe.networks.unet import BiasFreeBatchNorm, ConditionalUNet, UNetConfig

__all__ = ["BiasFreeBatchNorm", "ConditionalUNet", "UNetConfig"]
