"""Models: the base GAN and one module per variant whose algorithm differs."""

from __future__ import annotations

from typing import Any

import keras

from tfgan_apps.errors import ConfigError
from tfgan_apps.registry import MODELS


def build(config: Any, source: Any, num_replicas: int = 1) -> keras.Model:
    """Builds ``config.model.name`` from the config and the data source (call inside ``strategy.scope()``).

    BatchNorm is synchronised across replicas whenever there is more than one.
    """
    cls = MODELS.get(config.model.name)
    return cls.from_settings(config, source, sync_batchnorm=num_replicas > 1)


def make_optimizer(lr: float, beta_1: float, beta_2: float, kind: str = "adam") -> keras.optimizers.Optimizer:
    """The optimizer of one network: Adam (the GAN default: lr 2e-4, β = (0.5, 0.999)) or RMSProp.

    ``kind="rmsprop"`` is the WGAN paper's choice (Arjovsky et al. 2017, Alg. 1:
    lr 5e-5, no momentum); it uses ρ = 0.99 and ε = 1e-8 (PyTorch's defaults,
    which the authors' code ran with) and ignores the betas. Under the
    ``mixed_float16`` policy the optimizer is wrapped in a dynamic
    ``LossScaleOptimizer``; ``GAN.apply_update`` scales each loss through it.
    """
    if kind == "adam":
        optimizer = keras.optimizers.Adam(learning_rate=lr, beta_1=beta_1, beta_2=beta_2)
    elif kind == "rmsprop":
        optimizer = keras.optimizers.RMSprop(learning_rate=lr, rho=0.99, epsilon=1e-8)
    else:
        raise ConfigError(f"unknown optimizer {kind!r}; valid choices: adam, rmsprop")
    if keras.mixed_precision.dtype_policy().name == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def compile_model(model: keras.Model, train_cfg: Any) -> keras.Model:
    """Compiles with one optimizer per network from ``config.train`` and the chosen XLA / execution settings."""
    kind = train_cfg.get("optimizer", "adam")
    model.compile(
        d_optimizer=make_optimizer(train_cfg.d_lr, train_cfg.beta_1, train_cfg.beta_2, kind),
        g_optimizer=make_optimizer(train_cfg.g_lr, train_cfg.beta_1, train_cfg.beta_2, kind),
        jit_compile=bool(train_cfg.jit_compile),
        steps_per_execution=int(train_cfg.get("steps_per_execution", 1)),
    )
    return model
