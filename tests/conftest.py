"""Shared test settings: quiet TensorFlow, no progress bars, tiny configs."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
import types

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["TFGAN_PROGRESS"] = "0"
# jit_compile="auto" decisions of the suite go to a cache of its own, never the user's ~/.cache.
os.environ.setdefault("TFGAN_CACHE_DIR", tempfile.mkdtemp(prefix="tfgan-test-cache-"))

import ml_collections  # noqa: E402
import pytest  # noqa: E402

from tfgan_apps.config import base_config  # noqa: E402
from tfgan_apps.configs import load  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def import_path(path: str, name: str) -> types.ModuleType:
    """Imports a script (a benchmark, a recipe) from its file path as module ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def load_recipe(name_or_path: str) -> ml_collections.ConfigDict:
    """``get_config()`` of a recipe: a shipped recipe's name (``"sngan_digits"``) or a path to a config file."""
    return load(name_or_path)


def tiny_config(**overrides: object) -> ml_collections.ConfigDict:
    """A DCGAN on 16×16 digits with width-8 nets and 4 steps, without XLA (fast to build)."""
    c = base_config()
    c.name = "tiny"
    c.data.image_size = 16
    c.data.batch_size = 16
    c.model.latent_dim = 8
    c.model.generator.width = 8
    c.model.discriminator.width = 8
    c.train.steps = 4
    c.train.log_every = 2
    c.train.image_every = 2
    c.train.checkpoint_every = 2
    c.train.jit_compile = False
    for dotted, value in overrides.items():
        node = c
        *parents, leaf = dotted.split("__")
        for p in parents:
            node = node[p]
        with node.ignore_type():
            node[leaf] = value
    return c


TINY_FLAGS = [
    "--config.data.image_size=16",
    "--config.data.batch_size=16",
    "--config.model.latent_dim=8",
    "--config.model.generator.width=8",
    "--config.model.discriminator.width=8",
    "--config.train.jit_compile=False",
    "--config.train.log_every=2",
    "--config.train.image_every=2",
    "--config.train.checkpoint_every=2",
]


def run_cli(*args: str, env: dict | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    """Runs ``python -m tfgan_apps.<module>`` style commands in a fresh process from the repo root."""
    full_env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", TFGAN_PROGRESS="0", **(env or {}))
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=full_env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def config() -> ml_collections.ConfigDict:
    """A fresh tiny config."""
    return tiny_config()
