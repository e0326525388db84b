"""``tfgan-train``: train a recipe into a run directory (resuming from its latest checkpoint).

    tfgan-train --config=dcgan_digits [--config.train.steps=200] [--workdir=DIR]
                [--strategy=mirrored] [--seed=1] [--mixed_precision=mixed_bfloat16]
                [--profile_steps=10,15]

--config is a shipped recipe's name (tfgan_apps/configs/) or a path to your own config file.
"""

from __future__ import annotations

import os

from absl import flags, logging
from ml_collections import config_flags

from tfgan_apps import cli
from tfgan_apps.configs import check_placeholders
from tfgan_apps.errors import ConfigError, TrainingError

_CONFIG = config_flags.DEFINE_config_file(
    "config", None, "A shipped recipe's name (dcgan_digits, folder_rgb, ...) or a path to a config file; "
    "any field can be overridden: --config.train.steps=200.",
    lock_config=True,
)
_WORKDIR = flags.DEFINE_string("workdir", None, "Run directory (default: tensorboard_logs/<config name>).")
_STRATEGY = flags.DEFINE_enum(
    "strategy", None, ["default", "one_device", "mirrored", "multi_worker", "tpu"],
    "tf.distribute strategy (overrides config.train.strategy).",
)
_SEED = flags.DEFINE_integer("seed", None, "Random seed (overrides config.train.seed).")
_PROFILE = flags.DEFINE_string(
    "profile_steps", None,
    "START,END: write a TensorBoard profiler trace of training steps START..END (1-based, inclusive) "
    "under <workdir>/plugins/profile (view with tensorboard-plugin-profile), e.g. --profile_steps=10,15.",
)
_PRECISION = flags.DEFINE_enum(
    "mixed_precision", None, ["float32", "mixed_float16", "mixed_bfloat16", "auto"],
    "Keras dtype policy (overrides config.train.mixed_precision; auto: mixed_bfloat16 on a CPU with native bf16).",
)


def default_workdir(config_path: str | None, name: str) -> str:
    """tensorboard_logs/<config file name without .py>."""
    base = os.path.splitext(os.path.basename(config_path))[0] if config_path else name
    return os.path.join("tensorboard_logs", base)


def main(argv: list[str]) -> None:
    """Applies the flag overrides and trains."""
    if len(argv) > 1:
        raise TrainingError(f"unexpected arguments: {' '.join(argv[1:])}")
    config = _CONFIG.value
    if config is None:
        raise ConfigError("--config is required, e.g. --config=dcgan_digits")
    check_placeholders(config)
    from tfgan_apps.trainer import Trainer  # TensorFlow is imported here, so --help and flag errors stay quick

    with config.unlocked():
        if _STRATEGY.value:
            config.train.strategy = _STRATEGY.value
        if _SEED.value is not None:
            config.train.seed = _SEED.value
        if _PRECISION.value:
            config.train.mixed_precision = _PRECISION.value
    workdir = _WORKDIR.value or default_workdir(config_flags.get_config_filename(flags.FLAGS["config"]), config.name)
    result = Trainer(config, workdir).fit(profile_steps=_PROFILE.value)
    logging.info("finished at step %d in %s; exports: %s", result["step"], result["workdir"], result["exports"])


def run() -> None:
    """Console-script entry point."""
    cli.run_main(main, "tfgan-train")


if __name__ == "__main__":
    run()
