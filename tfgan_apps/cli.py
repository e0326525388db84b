"""Shared command-line plumbing: one-line errors and exit codes for the absl entry points."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from absl import app

from tfgan_apps.configs import recipe_names, recipe_path
from tfgan_apps.errors import ConfigError, DataError, TrainingError


def resolve_recipe(value: str) -> str:
    """The config file that ``--config=value`` names: an existing path, a shipped recipe's name
    (``dcgan_digits``), or a path such as ``configs/dcgan_digits.py`` that does not exist here, which falls
    back to the shipped recipe of that file name. A ``:argument`` suffix (ml_collections) is kept."""
    path, sep, arg = value.partition(":")
    if os.path.isfile(path):
        return value
    name = os.path.basename(path)
    name = name[:-3] if name.endswith(".py") else name
    if name in recipe_names():
        return recipe_path(name) + sep + arg
    what = f"config file {path!r} not found" if path.endswith(".py") or os.sep in path else f"unknown recipe {path!r}"
    raise ConfigError(f"{what}; pass a recipe name ({', '.join(recipe_names())}) or a path to a config file")


def resolve_config_argv(argv: list[str]) -> list[str]:
    """``argv`` with every ``--config=VALUE`` / ``--config VALUE`` resolved by ``resolve_recipe``."""
    out = list(argv[:1])
    args = iter(argv[1:])
    for arg in args:
        if arg.startswith("--config="):
            arg = "--config=" + resolve_recipe(arg.split("=", 1)[1])
        elif arg == "--config":
            out.append(arg)
            arg = next(args, None)
            if arg is None:
                break
            arg = resolve_recipe(arg)
        out.append(arg)
    return out


def run_main(main: Callable[[list[str]], None], program: str) -> None:
    """Runs an absl ``main``; known errors print ``program: error: ...`` and exit with status 2."""

    started = []

    def guarded(argv: list[str]) -> None:
        started.append(True)
        try:
            main(argv)
        except (ConfigError, DataError, TrainingError) as err:
            sys.stderr.write(f"{program}: error: {err}\n")
            sys.exit(2)

    try:
        sys.argv = resolve_config_argv(sys.argv)
    except ConfigError as err:
        sys.stderr.write(f"{program}: error: {err}\n")
        sys.exit(2)
    try:
        app.run(guarded)
    except SystemExit:
        raise
    except (KeyError, AttributeError, TypeError, ValueError) as err:
        if started:  # a failure inside main is a bug or a TF error: keep its traceback
            raise
        text = " ".join(str(err.args[0] if err.args else err).split())[:500]  # a bad --config.* override
        sys.stderr.write(f"{program}: error: bad config override: {text}\n")
        sys.exit(2)
