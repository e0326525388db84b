"""The shipped recipes: one module per recipe, each with a ``get_config()`` returning an ml_collections ConfigDict.

A recipe is used by name from any directory (``tfgan-train --config=dcgan_digits``) or by path
(``--config=path/to/my_recipe.py``); ``recipe_names()`` lists the names and ``recipe_path(name)`` gives the file
that ``config_flags.DEFINE_config_file`` loads.
"""

from __future__ import annotations

import os
import sys
from typing import Any

RECIPE_DIR = os.path.dirname(os.path.abspath(__file__))


def recipe_names() -> list[str]:
    """Names of the shipped recipes (module names without ``.py``), sorted."""
    return sorted(name[:-3] for name in os.listdir(RECIPE_DIR) if name.endswith(".py") and not name.startswith("_"))


def recipe_path(name: str) -> str:
    """The file of the shipped recipe ``name`` (it need not exist; see ``recipe_names``)."""
    return os.path.join(RECIPE_DIR, f"{name}.py")


#: ``data.source`` of recipes for the user's own images (``folder_rgb``) until a folder is set.
FOLDER_PLACEHOLDER = "folder:PATH"


def check_placeholders(config: Any) -> None:
    """ConfigError when a recipe's placeholder is still in ``config`` (no folder given to ``folder_rgb``)."""
    if config.data.source == FOLDER_PLACEHOLDER:
        from tfgan_apps.errors import ConfigError

        raise ConfigError("this recipe trains on your own images: pass --config.data.source=folder:/path/to/photos "
                          "(config.data.source in Python)")


def load(name_or_path: str) -> Any:
    """``get_config()`` of a shipped recipe by name (``"dcgan_digits"``) or of a config file by path."""
    import importlib.util

    from tfgan_apps.errors import ConfigError

    path = name_or_path if name_or_path.endswith(".py") or os.sep in name_or_path else recipe_path(name_or_path)
    if not os.path.isfile(path):
        raise ConfigError(f"no recipe {name_or_path!r}; shipped recipes: {', '.join(recipe_names())}")
    name = f"_recipe_{os.path.basename(path)[:-3]}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module.get_config()
