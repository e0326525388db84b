"""Shared command-line plumbing: one-line errors and exit codes for the absl entry points."""

from __future__ import annotations

import sys
from typing import Callable

from absl import app

from tfgan_apps.errors import ConfigError, DataError, TrainingError


def run_main(main: Callable[[list[str]], None], program: str) -> None:
    """Runs an absl ``main``; known errors print ``program: error: ...`` and exit with status 2."""

    def guarded(argv: list[str]) -> None:
        try:
            main(argv)
        except (ConfigError, DataError, TrainingError) as err:
            sys.stderr.write(f"{program}: error: {err}\n")
            sys.exit(2)

    try:
        app.run(guarded)
    except SystemExit:
        raise
    except Exception as err:  # flag parsing errors from config files
        if "config" in type(err).__module__ or isinstance(err, (FileNotFoundError, AttributeError)):
            sys.stderr.write(f"{program}: error: {err}\n")
            sys.exit(2)
        raise
