"""Weights fingerprints of short base-GAN runs: compare two versions of the library for bit-identical training.

Trains a few tiny configurations of the base GAN (DCGAN; R1 + DiffAugment + instance noise + EMA; WGAN-GP with
3 critic steps; replay + packing; the 2-D grid with R1) for a few steps each and prints the SHA-256 fingerprint of
every checkpointed weight (``trainer.weights_fingerprint``). Run it in two checkouts, e.g. before and after a
refactor of the training step::

    git worktree add /tmp/old 2171eb7
    (cd /tmp/old && PYTHONPATH=/tmp/old python /path/to/benchmarks/fingerprints.py) > old.txt
    PYTHONPATH=. python benchmarks/fingerprints.py > new.txt && diff old.txt new.txt

Equal lines mean the two versions drew the same random numbers and computed the same updates. Only the public
config API of both versions is used (``base_config``, ``mog_config``, ``trainer.train``).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from typing import Any

os.environ.setdefault("TFGAN_PROGRESS", "0")

from tfgan_apps import trainer  # noqa: E402
from tfgan_apps.config import base_config, mog_config  # noqa: E402


def tiny_dcgan(**overrides: Any) -> Any:
    """A width-8 DCGAN on 16-px digits, 6 steps, no XLA, no export; ``a__b=value`` overrides ``config.a.b``."""
    c = base_config()
    c.data.image_size, c.data.batch_size, c.model.latent_dim = 16, 16, 8
    c.model.generator.width = c.model.discriminator.width = 8
    c.train.steps, c.train.log_every, c.train.image_every, c.train.checkpoint_every = 6, 2, 6, 6
    c.train.jit_compile, c.export.enabled = False, False
    for dotted, value in overrides.items():
        node = c
        *parents, leaf = dotted.split("__")
        for p in parents:
            node = node[p]
        with node.ignore_type():
            node[leaf] = value
    return c


def cases() -> dict[str, Any]:
    """The configurations, by name."""
    grid = mog_config()
    grid.data.source = "mog_grid"
    grid.train.steps, grid.train.log_every, grid.train.image_every, grid.train.checkpoint_every = 20, 10, 20, 20
    grid.train.jit_compile, grid.export.enabled, grid.model.penalties.r1 = False, False, 1.0
    return {
        "dcgan": tiny_dcgan(),
        "dcgan_r1_diffaugment_noise_ema": tiny_dcgan(
            model__penalties__r1=10.0, model__stabilizers__diffaugment="color,translation,cutout",
            model__stabilizers__instance_noise=0.1, model__stabilizers__ema=True, model__discriminator__norm="none"),
        "wgan_gp_3_critic_steps": tiny_dcgan(model__loss="wasserstein", model__penalties__gradient_penalty=10.0,
                                             train__d_steps=3, model__discriminator__norm="layer"),
        "replay_packing": tiny_dcgan(model__stabilizers__replay=0.5, model__stabilizers__replay_size=32,
                                     model__stabilizers__packing=2),
        "mog_grid_r1": grid,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="cases to run (default: all)")
    args = parser.parse_args()
    for name, config in cases().items():
        if args.names and name not in args.names:
            continue
        with tempfile.TemporaryDirectory() as workdir:
            out = trainer.train(config, workdir)
        losses = {k: round(float(v), 6) for k, v in sorted(out["logs"].items()) if k in ("d_loss", "g_loss")}
        print(f"{name} {out['fingerprint']} {losses}", flush=True)


if __name__ == "__main__":
    main()
