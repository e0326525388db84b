"""``tfgan-export``: export the latest checkpoint of a run as SavedModels.

    tfgan-export --workdir=tensorboard_logs/dcgan_digits
"""

from __future__ import annotations

import os

from absl import flags, logging

from tfgan_apps import cli
from tfgan_apps.errors import ConfigError

_WORKDIR = flags.DEFINE_string("workdir", None, "Run directory written by tfgan-train.", required=True)
_OUT = flags.DEFINE_string("export_dir", None, "Where to write (default: WORKDIR/export).")


def main(argv: list[str]) -> None:
    """Restores the run and writes its SavedModels."""
    from tfgan_apps import export, trainer  # TensorFlow is imported here, so --help stays quick

    if len(argv) > 1:
        raise ConfigError(f"unexpected arguments: {' '.join(argv[1:])}")
    run = trainer.load_run(_WORKDIR.value)
    paths = export.save(run.model, run.source, _OUT.value or os.path.join(_WORKDIR.value, "export"))
    logging.info("step %d exported: %s", int(run.model.step.numpy()), paths)


def run() -> None:
    """Console-script entry point."""
    cli.run_main(main, "tfgan-export")


if __name__ == "__main__":
    run()
