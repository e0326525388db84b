"""What a registered metric is, and how a caller runs several of them.

Every entry of ``tfgan_apps.registry.METRICS`` is a :class:`Metric` record. It says
which kind of input it consumes (:data:`INPUT_KINDS`), which values it returns and
which keyword options it accepts, and it computes with one uniform call::

    metric = registry.METRICS.get("fid")
    values = metric(real_features, fake_features)          # {"fid": 3.2}

Concept modules register their metric next to the code that implements it with
the :func:`register` decorator, so adding a file is enough to add a metric.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from tfgan_apps.errors import ConfigError, DataError
from tfgan_apps.registry import METRICS

#: Input kinds a metric can consume (``Metric.needs``):
#:
#: * ``"features"`` – embeddings ``[n, d]`` from a feature network (Inception pool3,
#:   the in-project classifier), or the raw samples themselves for low-dimensional
#:   toy data;
#: * ``"probs"`` – class probabilities ``[n, classes]`` (softmax outputs, not logits);
#: * ``"samples"`` – raw generator outputs / data points ``[n, ...]`` (flattened);
#: * ``"images"`` – paired images ``[n, h, w, c]`` in ``[0, data_range]`` (uint8 range by
#:   default): ``fake[i]`` is the reconstruction of ``real[i]``.
INPUT_KINDS = ("features", "probs", "samples", "images")

ComputeFn = Callable[..., dict[str, float]]


@dataclasses.dataclass(frozen=True)
class Metric:
    """A registered metric: what it consumes, what it returns, and how to compute it.

    Attributes:
      name: registry key.
      needs: one of :data:`INPUT_KINDS`; both ``real`` and ``fake`` are of this kind.
      keys: names of every value ``compute`` returns, the primary value first
        (unique across all metrics, so results of several metrics merge into one dict).
      higher_is_better: direction of the primary value ``keys[0]``.
      uses_real: False when the metric looks at ``fake`` only (``real`` may be None).
      options: keyword options ``compute`` accepts (e.g. ``splits``, ``centers``).
      required_options: options without a default that the caller must pass.
      compute: ``compute(real, fake, **options) -> dict[str, float]``.
      description: one line for ``--help`` texts and reports.
    """

    name: str
    needs: str
    keys: tuple[str, ...]
    higher_is_better: bool
    compute: ComputeFn
    uses_real: bool = True
    options: tuple[str, ...] = ()
    required_options: tuple[str, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        if self.needs not in INPUT_KINDS:
            raise ValueError(f"metric {self.name!r}: needs={self.needs!r} not in {INPUT_KINDS}")
        if not self.keys:
            raise ValueError(f"metric {self.name!r} must return at least one value")

    @property
    def primary(self) -> str:
        """Key of the value that ranks runs (``keys[0]``)."""
        return self.keys[0]

    def __call__(self, real: Any, fake: Any, **options: Any) -> dict[str, float]:
        """Checks the option names, computes, and returns ``{key: float}``."""
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            raise ConfigError(
                f"metric {self.name!r} does not take option(s) {unknown}; valid options: {list(self.options)}"
            )
        missing = [o for o in self.required_options if o not in options]
        if missing:
            raise ConfigError(f"metric {self.name!r} needs option(s) {missing}")
        if real is None and self.uses_real:
            raise ConfigError(f"metric {self.name!r} needs real {self.needs}")
        values = self.compute(real, fake, **options)
        return {key: float(values[key]) for key in self.keys}


def register(
    name: str,
    *,
    needs: str,
    keys: Sequence[str] | None = None,
    higher_is_better: bool,
    uses_real: bool = True,
    options: Sequence[str] = (),
    required_options: Sequence[str] = (),
    description: str = "",
) -> Callable[[ComputeFn], ComputeFn]:
    """Decorator: registers ``compute(real, fake, **options)`` as metric ``name``.

    Returns the function unchanged; the registry holds the :class:`Metric` record.
    """

    def decorator(fn: ComputeFn) -> ComputeFn:
        metric = Metric(
            name=name,
            needs=needs,
            keys=tuple(keys) if keys is not None else (name,),
            higher_is_better=higher_is_better,
            compute=fn,
            uses_real=uses_real,
            options=tuple(options),
            required_options=tuple(required_options),
            description=description or (fn.__doc__ or "").strip().split("\n")[0],
        )
        METRICS.register(name)(metric)
        return fn

    return decorator


def evaluate(
    names: Sequence[str],
    real: Mapping[str, Any],
    fake: Mapping[str, Any],
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, float]:
    """Runs the metrics ``names`` and merges their values into one dict.

    Args:
      names: registry keys, e.g. ``["fid", "kid", "is"]``.
      real: input kind → real data, e.g. ``{"features": f, "probs": p}``; a metric
        with ``uses_real=False`` does not need its kind here.
      fake: input kind → generated data.
      options: per-metric keyword options, e.g. ``{"modes": {"centers": c, "std": 0.05}}``.

    Raises:
      ConfigError: unknown metric, missing input kind or bad option.
    """
    options = options or {}
    results: dict[str, float] = {}
    for name in names:
        metric: Metric = METRICS.get(name)
        if metric.needs not in fake:
            raise ConfigError(f"metric {name!r} needs fake {metric.needs!r}; got {sorted(fake)}")
        real_input = real.get(metric.needs)
        if metric.uses_real and real_input is None:
            raise ConfigError(f"metric {name!r} needs real {metric.needs!r}; got {sorted(real)}")
        results.update(metric(real_input, fake[metric.needs], **dict(options.get(name, {}))))
    return results


def as_2d(x: Any, name: str = "input", dtype: Any = None) -> np.ndarray:
    """Returns ``x`` as a numpy array ``[n, d]`` (flattening trailing axes)."""
    array = np.asarray(x) if dtype is None else np.asarray(x, dtype=dtype)
    if array.ndim == 0:
        raise DataError(f"{name} must have a batch axis, got a scalar")
    if array.ndim == 1:
        array = array[:, None]
    elif array.ndim > 2:
        array = array.reshape(array.shape[0], -1)
    if array.shape[0] == 0:
        raise DataError(f"{name} is empty")
    return array
