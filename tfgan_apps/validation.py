"""One validation of a run config: the schema's own checks, then each module's checks of its section.

``config.py`` is a leaf (the schema and its JSON round trip); the checks that need the registries, the
data sources, the model classes, the stabilizers or the learning-rate schedules live with those modules
and are called from here, once, before anything is built.
"""

from __future__ import annotations

import ml_collections

from tfgan_apps import schedules, stabilizers
from tfgan_apps.config import check_values
from tfgan_apps.data.pipeline import parse_source
from tfgan_apps.errors import ConfigError
from tfgan_apps.models import jit_setting
from tfgan_apps.models.base import D_PASSES
from tfgan_apps.registry import LOSSES, MODELS, PENALTIES, SOURCES


def validate(config: ml_collections.ConfigDict) -> None:
    """Raises ConfigError for values that cannot work, naming the valid choices."""
    check_values(config)
    model_cls = MODELS.get(config.model.name)
    LOSSES.get(config.model.loss)
    for name in config.model.penalties:
        PENALTIES.get(name)
    SOURCES.get(parse_source(config.data.source)[0])
    jit_setting(config.train.jit_compile)
    d_pass = config.model.get("d_pass", "auto")
    if d_pass not in D_PASSES:
        raise ConfigError(f"unknown model.d_pass {d_pass!r}; valid choices: {', '.join(D_PASSES)}")
    stabilizers.validate(config.model.get("stabilizers", {}), config.data.batch_size)
    model_cls.check_stabilizers(stabilizers.settings(config.model))
    schedules.check_settings(config.train.get("lr_decay", "none"), config.train.get("lr_decay_start", 0.0),
                             config.train.get("lr_decay_final", 0.01), config.train.get("lr_decay_steps", 0))
