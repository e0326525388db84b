"""The same DCGAN written in PyTorch, for ``train_speed.py`` (optional: needs ``pip install -e .[bench]``).

The networks are PyTorch's ``examples/dcgan`` generalised to any side 8·2^k
(64² is the example exactly: ngf = ndf = 64, nz = 100): G is a 4×4 valid
transposed convolution from z to (width·2^(k−1))×4×4, then stride-2 4×4
transposed convolutions with BatchNorm + ReLU, tanh out; D mirrors it with
stride-2 4×4 convolutions, LeakyReLU 0.2, BatchNorm from the second conv, and a
4×4 valid conv to one logit. Adam 2e-4, β = (0.5, 0.999), BCE on logits
(``BCEWithLogitsLoss`` = the example's Sigmoid + BCELoss, numerically safer).

``TorchDCGAN.step`` runs the algorithm of tfgan_apps' base ``GAN`` (so both
sides do the same arithmetic): a D update on a real batch and G(z₁) (G not
differentiated), then a G update on a *fresh* z₂. The PyTorch example instead
reuses G(z₁) for the G step (one G forward fewer); ``reuse_fake=True`` times
that variant. D's parameters are frozen during the G step so only the input
gradient flows through D (the example also computes D's unused weight
gradients there; freezing them makes the PyTorch side faster, not slower).

``bf16=True`` runs the forward passes and losses under
``torch.autocast("cpu", dtype=torch.bfloat16)`` (PyTorch's mixed precision: bf16
convolutions, fp32 weights, optimizer and BatchNorm statistics), the counterpart
of Keras' ``mixed_bfloat16`` policy.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
import torch
from torch import nn


def _n_stages(size: int) -> int:
    n = int(round(math.log2(size / 4)))
    if size < 8 or 4 * 2**n != size:
        raise ValueError(f"DCGAN image size must be 8·2^k, got {size}")
    return n


def generator(latent_dim: int, size: int, channels: int, width: int) -> nn.Sequential:
    """z [B, nz, 1, 1] → image [B, C, S, S] (PyTorch's example at S = 64)."""
    n = _n_stages(size)
    filters = width * 2 ** (n - 1)
    layers: list[nn.Module] = [nn.ConvTranspose2d(latent_dim, filters, 4, 1, 0, bias=False),
                               nn.BatchNorm2d(filters), nn.ReLU(True)]
    for _ in range(n - 1):
        layers += [nn.ConvTranspose2d(filters, filters // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(filters // 2),
                   nn.ReLU(True)]
        filters //= 2
    layers += [nn.ConvTranspose2d(filters, channels, 4, 2, 1, bias=False), nn.Tanh()]
    return nn.Sequential(*layers)


def discriminator(size: int, channels: int, width: int) -> nn.Sequential:
    """image [B, C, S, S] → logit [B, 1, 1, 1] (PyTorch's example without the final Sigmoid)."""
    n = _n_stages(size)
    layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)]
    filters = width
    for _ in range(n - 1):
        layers += [nn.Conv2d(filters, filters * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(filters * 2),
                   nn.LeakyReLU(0.2, inplace=True)]
        filters *= 2
    layers += [nn.Conv2d(filters, 1, 4, 1, 0, bias=False)]
    return nn.Sequential(*layers)


def _init(m: nn.Module) -> None:
    """The example's weights_init: N(0, 0.02) convolutions, N(1, 0.02) BatchNorm scales."""
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


class TorchDCGAN:
    """A PyTorch DCGAN and its training step, timed like the Keras modes of ``train_speed.py``.

    Args:
      size, channels, width, latent_dim, batch: the model and batch (64, 3, 64, 100, 64 = the example).
      threads: ``torch.set_num_threads``.
      reuse_fake: the example's shortcut (G step on D's fake batch) instead of a fresh z.
      seed: torch seed.
      bf16: forward passes and losses under ``torch.autocast("cpu", dtype=torch.bfloat16)``.
    """

    def __init__(self, size: int, channels: int, width: int, latent_dim: int, batch: int, threads: int = 2,
                 reuse_fake: bool = False, seed: int = 0, bf16: bool = False) -> None:
        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        self.latent_dim, self.batch, self.reuse_fake, self.bf16 = latent_dim, batch, reuse_fake, bf16
        self.g = generator(latent_dim, size, channels, width)
        self.d = discriminator(size, channels, width)
        self.g.apply(_init)
        self.d.apply(_init)
        self.opt_g = torch.optim.Adam(self.g.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.d.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.bce = nn.BCEWithLogitsLoss()
        self.ones = torch.ones(batch)
        self.zeros = torch.zeros(batch)

    def _autocast(self) -> contextlib.AbstractContextManager:
        """bf16 autocast for the forward passes when ``bf16``, else nothing."""
        return torch.autocast("cpu", dtype=torch.bfloat16) if self.bf16 else contextlib.nullcontext()

    def step(self, real_nhwc: np.ndarray) -> tuple[float, float]:
        """One D update and one G update on a real batch [B, S, S, C] in [-1, 1]; returns (d_loss, g_loss)."""
        real = torch.from_numpy(np.ascontiguousarray(real_nhwc.transpose(0, 3, 1, 2)))
        z = torch.randn(self.batch, self.latent_dim, 1, 1)
        with torch.set_grad_enabled(self.reuse_fake), self._autocast():  # no G backward through D's fake batch
            fake = self.g(z)
        self.d.requires_grad_(True)
        self.opt_d.zero_grad(set_to_none=True)
        with self._autocast():
            d_loss = (self.bce(self.d(real).view(-1), self.ones)
                      + self.bce(self.d(fake.detach()).view(-1), self.zeros))
        d_loss.backward()
        self.opt_d.step()
        self.d.requires_grad_(False)
        self.opt_g.zero_grad(set_to_none=True)
        with self._autocast():
            if not self.reuse_fake:
                fake = self.g(torch.randn(self.batch, self.latent_dim, 1, 1))
            g_loss = self.bce(self.d(fake).view(-1), self.ones)
        g_loss.backward()
        self.opt_g.step()
        return float(d_loss.detach()), float(g_loss.detach())
