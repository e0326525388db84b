"""Hyperparameter sweeps on Optuna: search spaces as config data, trials as ordinary run directories.

    tfgan-sweep --config=dcgan_digits --study=NAME [--storage=URL] --trials=N [--workdir=DIR]

(the command is tfgan_apps/cli/sweep.py; this module is the library it calls).

Every worker process (or host) runs the same command; Optuna's RDB storage (a SQLite file
``sqlite:///DIR/optuna.db`` by default, any SQLAlchemy URL such as ``postgresql://...`` when several machines
share a study) hands out the trials. ``--trials`` is the study's total: a worker stops once the study holds that
many trials (started or finished; retries of a killed worker's trial do not count), so a re-run of the command
continues the same study and adds only what is missing. Two workers that start their last trial at the same time
may overshoot the total by one trial each.

The search space is ``config.sweep.space`` (documented in ``tfgan_apps/config.py``; the default holds the ranges of
Lucic et al. 2017, "Are GANs Created Equal?"). Each trial

* writes its sampled values into a copy of the recipe and trains it with ``trainer.train`` into
  ``DIR/trials/trial_NNNN/`` (checkpoints, TensorBoard events, ``config.json``, the exported SavedModels);
* is trained in segments of ``config.sweep.report_every`` steps (each resumes the run directory from its
  checkpoint); after each segment the recipe's quality metric (FCD on digits, HQ % on the 2-D mixtures) is
  evaluated and reported to Optuna, which may prune the trial (median rule); a non-finite loss (the trainer's
  NaN guard) or a non-finite / out-of-bound metric prunes it too;
* has a heartbeat in the storage: a trial whose worker was killed is marked failed once its heartbeat is stale
  (``config.sweep.heartbeat`` s) and re-queued with the same values (``RetryFailedTrialCallback``, at most
  ``config.sweep.max_retry`` times); the retry resumes the same run directory from its last checkpoint.

Results, rewritten after every trial: ``DIR/results.csv`` (one row per trial: state, objective, every metric value,
the sampled values, run directory), ``DIR/hparams/`` (TensorBoard's HParams dashboard: ``tensorboard
--logdir=DIR/hparams``) and, when a worker finishes, ``DIR/best_vs_trials.png``: the best objective found against the
number of trials, per value of ``config.sweep.group_by`` (the loss), with bootstrap bands (Lucic et al., Fig. 4).
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import io
import json
import math
import os
import socket
import warnings
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import ml_collections
import numpy as np
from absl import logging

from tfgan_apps.errors import ConfigError, TrainingError

KINDS = ("log_uniform", "uniform", "int", "categorical")
SAMPLERS = ("random", "tpe")
PRUNERS = ("median", "none")
DIRECTIONS = ("auto", "minimize", "maximize")
OBJECTIVE_TAG = "Sweep/objective"
RESULTS_CSV = "results.csv"
PLOT_FILE = "best_vs_trials.png"
# Directions of metric keys other than a metric's primary one (the registry states only the primary's).
_KEY_DIRECTIONS = {"high_quality": "maximize", "modes": "maximize", "reverse_kl": "minimize"}


# ---------------------------------------------------------------------------------------------- search space
@dataclasses.dataclass(frozen=True)
class Param:
    """One sampled parameter of ``config.sweep.space``.

    Attributes:
      name: the parameter's name (its key in ``config.sweep.space``; the HParams / CSV column).
      kind: one of ``KINDS``.
      low, high: bounds of the numeric kinds (inclusive for ``int``).
      choices: values of a ``categorical`` parameter.
      targets: config paths (``train.g_lr``) the sampled value is written to.
      when: ``(param, choice)``: sampled only in trials where the categorical ``param`` took ``choice``.
      expand: choice → ``[(path, value), ...]`` written instead of ``targets`` for that choice.
    """

    name: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    choices: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    when: tuple[str, str] | None = None
    expand: Mapping[str, tuple[tuple[str, Any], ...]] = dataclasses.field(default_factory=dict)


def _parse_value(text: str) -> Any:
    """A literal of an ``expand`` assignment: JSON numbers / true / false, Python's True / False, else a string."""
    text = text.strip()
    if text in ("True", "False"):
        return text == "True"
    try:
        return json.loads(text)
    except ValueError:
        return text


def _has_path(config: ml_collections.ConfigDict, path: str) -> bool:
    node: Any = config
    for part in path.split("."):
        if not isinstance(node, ml_collections.ConfigDict) or part not in node:
            return False
        node = node[part]
    return True


def parse_space(config: ml_collections.ConfigDict) -> list[Param]:
    """The parameters of ``config.sweep.space`` (by name; a ``when`` parameter after its condition), checked.

    Raises:
      ConfigError: one line naming the bad field (``config.sweep.space.<name>.<field>``) and the fix.
    """
    space = config.get("sweep", {}).get("space")
    if not space:
        raise ConfigError("config.sweep.space is empty: add at least one parameter (see tfgan_apps/config.py)")
    params: list[Param] = []
    for name, spec in space.items():
        where = f"config.sweep.space.{name}"
        if not isinstance(spec, ml_collections.ConfigDict):
            raise ConfigError(f"{where} must be a dict with kind, target and low/high or choices, got {spec!r}")
        known = {"kind", "low", "high", "choices", "target", "when", "expand"}
        unknown = sorted(set(spec.keys()) - known)
        if unknown:
            raise ConfigError(f"{where} has unknown field(s) {', '.join(unknown)}; "
                              f"valid fields: {', '.join(sorted(known))}")
        kind = spec.get("kind")
        if kind not in KINDS:
            raise ConfigError(f"{where}.kind: unknown kind {kind!r}; valid choices: {', '.join(KINDS)}")
        low = high = 0.0
        choices: tuple[str, ...] = ()
        if kind == "categorical":
            raw = spec.get("choices")
            choices = tuple(c.strip() for c in raw.split(",")) if isinstance(raw, str) else tuple(raw or ())
            if not choices or not all(isinstance(c, str) and c for c in choices):
                raise ConfigError(f"{where}.choices must be a non-empty tuple of names, got {raw!r}")
        else:
            low, high = spec.get("low"), spec.get("high")
            if not isinstance(low, (int, float)) or not isinstance(high, (int, float)) or not low <= high:
                raise ConfigError(f"{where} needs numbers low ≤ high, got low={low!r}, high={high!r}")
            if kind == "log_uniform" and low <= 0:
                raise ConfigError(f"{where}: log_uniform needs low > 0, got {low}")
            if kind == "int" and (int(low) != low or int(high) != high):
                raise ConfigError(f"{where}: int bounds must be whole numbers, got {low}, {high}")
        targets = tuple(t.strip() for t in str(spec.get("target") or "").split(",") if t.strip())
        for target in targets:
            if not _has_path(config, target):
                raise ConfigError(f"{where}.target: no config field {target!r}; name an existing field, "
                                  "e.g. train.g_lr or model.discriminator.norm")
        expand: dict[str, tuple[tuple[str, Any], ...]] = {}
        for choice, text in (spec.get("expand") or {}).items():
            if choice not in choices:  # e.g. the choices narrowed by a flag: the expansion is unused
                continue
            pairs = []
            for item in str(text).split(";"):
                path, sep, value = item.partition("=")
                if not sep or not _has_path(config, path.strip()):
                    raise ConfigError(f"{where}.expand.{choice}: {item.strip()!r} must be 'path=value' with an "
                                      "existing config path, e.g. 'model.loss=wasserstein; "
                                      "model.discriminator.norm=none'")
                pairs.append((path.strip(), _parse_value(value)))
            expand[choice] = tuple(pairs)
        if not targets and not (kind == "categorical" and set(expand) == set(choices)):
            raise ConfigError(f"{where}.target is empty: name the config field(s) it sets, e.g. target='train.g_lr'")
        when = None
        if spec.get("when"):
            other, sep, value = str(spec.when).partition("=")
            when = (other.strip(), value.strip()) if sep else ("", "")
        params.append(Param(name, kind, float(low), float(high), choices, targets, when, expand))
    by_name = {p.name: p for p in params}
    for p in params:
        if p.when and (p.when[0] not in by_name or by_name[p.when[0]].kind != "categorical" or not p.when[1]):
            raise ConfigError(f"config.sweep.space.{p.name}.when must be 'param=choice' with a categorical parameter "
                              f"of the space, got {'='.join(p.when)!r}")
        if p.when and p.when[1] not in by_name[p.when[0]].choices:
            logging.warning("config.sweep.space.%s is never sampled: %s is not among the choices of %s",
                            p.name, p.when[1], p.when[0])
    ordered: list[Param] = []  # a conditional parameter after the one it depends on
    while len(ordered) < len(params):
        ready = [p for p in params if p not in ordered and (not p.when or by_name[p.when[0]] in ordered)]
        if not ready:
            raise ConfigError("config.sweep.space: the 'when' conditions form a cycle; make one parameter "
                              "unconditional")
        ordered.extend(ready)
    params = ordered
    return params


def suggest(trial: Any, params: Sequence[Param]) -> dict[str, Any]:
    """Samples the parameters from an Optuna trial, define-by-run (a ``when`` parameter only when it applies)."""
    values: dict[str, Any] = {}
    for p in params:
        if p.when and values.get(p.when[0]) != p.when[1]:
            continue
        if p.kind == "categorical":
            values[p.name] = trial.suggest_categorical(p.name, list(p.choices))
        elif p.kind == "int":
            values[p.name] = trial.suggest_int(p.name, int(p.low), int(p.high))
        else:
            values[p.name] = trial.suggest_float(p.name, p.low, p.high, log=p.kind == "log_uniform")
    return values


def _set(config: ml_collections.ConfigDict, path: str, value: Any, source: str) -> None:
    *parents, leaf = path.split(".")
    node = config
    for part in parents:
        node = node[part]
    try:
        node[leaf] = value
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{source}: cannot write {value!r} to config.{path} ({err})") from None


def apply(config: ml_collections.ConfigDict, params: Sequence[Param], values: Mapping[str, Any]
          ) -> ml_collections.ConfigDict:
    """A copy of ``config`` with the sampled ``values`` written to their targets (or their choice's ``expand``)."""
    out = copy.deepcopy(config)
    for p in params:
        if p.name not in values:
            continue
        value = values[p.name]
        source = f"config.sweep.space.{p.name}={value!r}"
        if p.kind == "categorical" and value in p.expand:
            for path, assigned in p.expand[value]:
                _set(out, path, assigned, source)
            continue
        for target in p.targets:
            _set(out, target, value, source)
    return out


def check_space(config: ml_collections.ConfigDict) -> list[Param]:
    """Parses the space and validates the recipe at the corners of every choice, before any trial runs."""
    from tfgan_apps.validation import validate

    params = parse_space(config)
    base = {p.name: (p.choices[0] if p.kind == "categorical" else (int(p.low) if p.kind == "int" else p.low))
            for p in params}
    for p in params:
        for value in p.choices or (base[p.name],):
            values = {**base, p.name: value}
            try:
                validate(apply(config, params, values))
            except ConfigError as err:
                raise ConfigError(f"config.sweep.space.{p.name}={value!r} gives an invalid recipe: {err}") from None
    return params


# ---------------------------------------------------------------------------------------------- settings
@dataclasses.dataclass(frozen=True)
class Settings:
    """The resolved ``config.sweep`` fields a worker uses."""

    params: tuple[Param, ...]
    metric: str
    objective: str
    direction: str
    features: str
    num_samples: int
    report_every: int
    sampler: str
    seed: int
    pruner: str
    prune_startup: int
    prune_warmup: int
    prune_worse_than: float
    max_retry: int
    heartbeat: int
    group_by: str


def settings_from(config: ml_collections.ConfigDict) -> Settings:
    """Resolves ``auto`` fields (metric, objective, direction) and checks every ``config.sweep`` field."""
    from tfgan_apps import evaluation
    from tfgan_apps.data import load_source
    from tfgan_apps.registry import METRICS

    sweep = config.get("sweep")
    if sweep is None:
        raise ConfigError("this config has no sweep section; start the recipe from config.base_config()")
    params = tuple(check_space(config))
    source = load_source(config.data)
    space = evaluation.resolve_features(sweep.features, source)
    metric = sweep.metric
    if metric == "auto":  # fcd on the digits classifier, fid on Inception, fd on raw samples; modes on mixtures
        metric = "modes" if "centers" in source.info else evaluation.DEFAULT_METRICS[space][0]
    ((name, registry_name),) = evaluation.check_metrics([metric], space)
    record = METRICS.get(registry_name)
    renames = evaluation.KEY_NAMES.get(name, {})
    keys = [renames.get(key, key) for key in record.keys]
    objective = sweep.objective
    if objective == "auto":
        objective = "high_quality" if registry_name == "modes" else keys[0]
    if objective not in keys:
        raise ConfigError(f"config.sweep.objective {objective!r} is not a value of metric {metric!r}; "
                          f"valid choices: {', '.join(keys)}")
    if sweep.direction not in DIRECTIONS:
        raise ConfigError(f"unknown config.sweep.direction {sweep.direction!r}; valid choices: {', '.join(DIRECTIONS)}")
    direction = sweep.direction
    if direction == "auto":
        default = "maximize" if record.higher_is_better else "minimize"
        direction = default if objective == keys[0] else _KEY_DIRECTIONS.get(objective, default)
    for key, choices in (("sampler", SAMPLERS), ("pruner", PRUNERS)):
        if sweep[key] not in choices:
            raise ConfigError(f"unknown config.sweep.{key} {sweep[key]!r}; valid choices: {', '.join(choices)}")
    report_every = int(sweep.report_every) or int(config.train.steps)
    train = config.train
    unit = math.gcd(*[int(i) for i in (train.log_every, train.image_every, train.checkpoint_every,
                                       config.get("eval", {}).get("every", 0), train.get("eval_every", 0)) if i])
    if report_every <= 0 or report_every % unit:
        raise ConfigError(f"config.sweep.report_every={sweep.report_every} must be a positive multiple of {unit} "
                          "(the gcd of train.log_every, image_every, checkpoint_every and eval.every), or 0 for "
                          "one report at the end")
    for key in ("num_samples", "heartbeat"):
        if int(sweep[key]) <= 0:
            raise ConfigError(f"config.sweep.{key} must be a positive integer, got {sweep[key]}")
    group_by = sweep.group_by
    if group_by and group_by not in {p.name for p in params if p.kind == "categorical"}:
        raise ConfigError(f"config.sweep.group_by {group_by!r} is not a categorical parameter of config.sweep.space; "
                          "name one (e.g. loss) or set it to ''")
    return Settings(params, metric, objective, direction, space, int(sweep.num_samples), report_every,
                    sweep.sampler, int(sweep.seed), sweep.pruner, int(sweep.prune_startup), int(sweep.prune_warmup),
                    float(sweep.prune_worse_than), int(sweep.max_retry), int(sweep.heartbeat), group_by)


# ---------------------------------------------------------------------------------------------- Optuna pieces
def _trial_seeded_sampler(seed: int) -> Any:
    """A random sampler whose draws depend only on (seed, trial number, parameter name).

    Optuna's ``RandomSampler(seed)`` keeps one generator per process, so two workers started with the same seed
    would sample the same sequence; this one gives every trial number its own draws, whichever worker runs it,
    so a sweep is reproducible and its workers' trials are distinct.
    """
    import optuna

    class TrialSeededRandomSampler(optuna.samplers.BaseSampler):
        """Independent uniform / log-uniform / categorical draws seeded by the trial number."""

        def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, Any]:
            return {}

        def sample_relative(self, study: Any, trial: Any, search_space: Any) -> dict[str, Any]:
            return {}

        def sample_independent(self, study: Any, trial: Any, param_name: str, distribution: Any) -> Any:
            rng = np.random.default_rng([seed, trial.number, zlib.crc32(param_name.encode())])
            dist = optuna.distributions
            if isinstance(distribution, dist.CategoricalDistribution):
                return distribution.choices[int(rng.integers(len(distribution.choices)))]
            if isinstance(distribution, dist.IntDistribution):
                return int(rng.integers(distribution.low, distribution.high + 1))
            low, high = distribution.low, distribution.high
            if distribution.log:
                return float(math.exp(rng.uniform(math.log(low), math.log(high))))
            return float(rng.uniform(low, high))

    return TrialSeededRandomSampler()


def _storage(url: str, settings: Settings) -> Any:
    import optuna

    kwargs = {"connect_args": {"timeout": 120}} if url.startswith("sqlite") else None
    if url.startswith("sqlite:///"):
        folder = os.path.dirname(url[len("sqlite:///"):])
        if folder:
            os.makedirs(folder, exist_ok=True)
    with warnings.catch_warnings():  # the heartbeat and its retry callback are marked experimental
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        retry = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=settings.max_retry,
                                                                 inherit_intermediate_values=True)
        return optuna.storages.RDBStorage(url, engine_kwargs=kwargs, heartbeat_interval=settings.heartbeat,
                                          grace_period=2 * settings.heartbeat,
                                          heartbeat_stale_trial_callback=retry)


def _flatten(config: ml_collections.ConfigDict) -> dict[str, str]:
    from tfgan_apps.config import to_json

    flat: dict[str, str] = {}

    def walk(prefix: str, node: Any) -> None:
        for key, value in node.items():
            if isinstance(value, dict):
                walk(f"{prefix}{key}.", value)
            else:
                flat[f"{prefix}{key}"] = json.dumps(value)

    walk("", json.loads(to_json(config)))
    return flat


def open_study(config: ml_collections.ConfigDict, study_name: str, storage_url: str,
               settings: Settings | None = None) -> Any:
    """Creates the study or loads it (the same recipe only: a different config is refused)."""
    import optuna

    settings = settings or settings_from(config)
    sampler = (_trial_seeded_sampler(settings.seed) if settings.sampler == "random"
               else optuna.samplers.TPESampler(seed=None))  # TPE: per-process seeds would repeat across workers
    pruner = (optuna.pruners.MedianPruner(n_startup_trials=settings.prune_startup,
                                          n_warmup_steps=settings.prune_warmup)
              if settings.pruner == "median" else optuna.pruners.NopPruner())
    study = optuna.create_study(storage=_storage(storage_url, settings), study_name=study_name, sampler=sampler,
                                pruner=pruner, direction=settings.direction, load_if_exists=True)
    flat = _flatten(config)
    stored = study.user_attrs.get("config")
    if stored is None:
        study.set_user_attr("config", flat)
    elif stored != flat:
        changed = sorted(k for k in set(stored) | set(flat) if stored.get(k) != flat.get(k))
        raise ConfigError(f"study {study_name!r} in {storage_url} was made with another config (differs in: "
                          f"{', '.join(changed[:6])}{' ...' if len(changed) > 6 else ''}); use another --study "
                          "or the same --config and overrides")
    return study


# ---------------------------------------------------------------------------------------------- one trial
class _Evaluator:
    """The objective metric of a trained model against its data source, feature network loaded once."""

    def __init__(self, config: ml_collections.ConfigDict, settings: Settings) -> None:
        from tfgan_apps.data import load_source
        from tfgan_apps.evaluation import feature_fn

        self.settings = settings
        self.source = load_source(config.data)
        self.extractor = feature_fn(settings.features, self.source)

    def __call__(self, model: Any) -> dict[str, float]:
        from tfgan_apps.evaluation import evaluate_run

        record = evaluate_run([self.settings.metric], model, self.source, self.settings.num_samples,
                              features=self.settings.features, progress=False, extractor=self.extractor)
        return {key: float(value) for key, value in record["metrics"].items()}


def segment_ends(steps: int, every: int) -> list[int]:
    """Steps at which a trial reports: every ``every`` steps and at the end."""
    ends = list(range(every, steps, every))
    return [*ends, steps]


def _segment(config: ml_collections.ConfigDict, end: int) -> ml_collections.ConfigDict:
    """The trial's config trained up to step ``end``: same schedule, exported only at the last segment."""
    out = copy.deepcopy(config)
    if out.train.get("lr_decay", "none") != "none" and not out.train.get("lr_decay_steps"):
        out.train.lr_decay_steps = int(config.train.steps)  # the decay window keeps ending at the full run
    out.train.steps = end
    out.export.enabled = bool(config.export.enabled) and end == config.train.steps
    return out


def _worse(value: float, bound: float, direction: str) -> bool:
    return bool(bound) and (value > bound if direction == "minimize" else value < bound)


def run_trial(trial: Any, config: ml_collections.ConfigDict, settings: Settings, sweep_dir: str,
              evaluator: Any) -> float:
    """Trains one trial in segments, reporting the objective after each; returns the final objective.

    Raises ``optuna.TrialPruned`` when Optuna's pruner says so, when a loss turns non-finite (the trainer's NaN
    guard) or when the objective is non-finite or worse than ``config.sweep.prune_worse_than``.
    """
    import keras
    import optuna

    from tfgan_apps import trainer

    values = suggest(trial, settings.params)
    if "run_dir" in trial.user_attrs:  # a retry of a killed worker's trial: resume its run directory
        run_dir = trial.user_attrs["run_dir"]
        trial.set_user_attr("retry_of", trial.user_attrs.get("trial", -1))
        logging.info("trial %d retries trial %s in %s", trial.number, trial.user_attrs.get("trial"), run_dir)
    else:
        run_dir = os.path.join(sweep_dir, "trials", f"trial_{trial.number:04d}")
        trial.set_user_attr("run_dir", run_dir)
        trial.set_user_attr("trial", trial.number)
    trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
    trial_config = apply(config, settings.params, values)
    logging.info("trial %d: %s", trial.number, ", ".join(f"{k}={v}" for k, v in values.items()))
    value = math.nan
    try:
        for end in segment_ends(int(trial_config.train.steps), settings.report_every):
            try:
                result = trainer.train(_segment(trial_config, end), run_dir)
            except TrainingError as err:
                if "non-finite" not in str(err):
                    raise
                trial.set_user_attr("diverged", str(err)[:300])
                raise optuna.TrialPruned(f"diverged before step {end}: {err}") from None
            metrics = evaluator(result["model"])
            value = float(metrics[settings.objective])
            for key, metric_value in metrics.items():
                trial.set_user_attr(key, float(metric_value))
            trial.set_user_attr("step", int(result["step"]))
            trial.report(value, int(result["step"]))
            logging.info("trial %d step %d: %s = %.4f", trial.number, result["step"], settings.objective, value)
            if not math.isfinite(value):
                trial.set_user_attr("diverged", f"{settings.objective}={value} at step {result['step']}")
                raise optuna.TrialPruned(f"{settings.objective}={value} at step {result['step']}")
            if _worse(value, settings.prune_worse_than, settings.direction):
                raise optuna.TrialPruned(f"{settings.objective}={value:.4f} at step {result['step']} is worse than "
                                         f"config.sweep.prune_worse_than={settings.prune_worse_than}")
            if end < trial_config.train.steps and trial.should_prune():
                raise optuna.TrialPruned(f"pruned at step {result['step']} ({settings.objective}={value:.4f})")
    finally:
        keras.backend.clear_session()
    return value


# ---------------------------------------------------------------------------------------------- a worker
def _counted(trials: Sequence[Any]) -> int:
    """Trials that use up the study's budget: started or finished, retries excluded."""
    import optuna

    return sum(1 for t in trials if t.state != optuna.trial.TrialState.WAITING and "retry_of" not in t.user_attrs)


def run_worker(config: ml_collections.ConfigDict, study_name: str, storage_url: str | None, trials: int,
               workdir: str) -> Any:
    """Runs trials of ``study_name`` until the study holds ``trials`` of them; returns the study.

    Writes ``workdir/results.csv`` and the HParams entry of each trial as it finishes, and the plot at the end.
    """
    import optuna

    if trials <= 0:
        raise ConfigError(f"--trials must be a positive number of trials, got {trials}")
    settings = settings_from(config)
    storage_url = storage_url or default_storage(workdir)
    study = open_study(config, study_name, storage_url, settings)
    evaluator = _Evaluator(config, settings)
    write_hparams_config(workdir, settings)

    def objective(trial: optuna.Trial) -> float:
        return run_trial(trial, config, settings, workdir, evaluator)

    def finished(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        write_hparams_trial(workdir, trial)
        write_csv(os.path.join(workdir, RESULTS_CSV), study.get_trials(deepcopy=False), settings)

    while True:
        # A killed worker's trial stays RUNNING until some worker notices its stale heartbeat: do it before
        # counting, so that the retry is queued (WAITING) even when the budget looks used up.
        optuna.storages.fail_stale_trials(study)
        existing = study.get_trials(deepcopy=False)
        waiting = any(t.state == optuna.trial.TrialState.WAITING for t in existing)
        if not waiting and _counted(existing) >= trials:
            break
        study.optimize(objective, n_trials=1, callbacks=[finished], catch=(TrainingError,))
    write_report(study, workdir, settings)
    return study


def default_storage(workdir: str) -> str:
    """``sqlite:///WORKDIR/optuna.db`` (absolute)."""
    return "sqlite:///" + os.path.join(os.path.abspath(workdir), "optuna.db")


# ---------------------------------------------------------------------------------------------- results
def trial_score(trial: Any) -> float | None:
    """A finished trial's objective: its value, a pruned trial's last report, NaN for a diverged one; None if
    it never reported (running, waiting, failed before its first report)."""
    import optuna

    state = trial.state
    if state == optuna.trial.TrialState.COMPLETE:
        return float(trial.value)
    if state == optuna.trial.TrialState.PRUNED:
        if "diverged" in trial.user_attrs:
            return math.nan
        if trial.intermediate_values:
            return float(trial.intermediate_values[max(trial.intermediate_values)])
    return None


def write_csv(path: str, trials: Sequence[Any], settings: Settings) -> str:
    """One row per trial: number, state, objective, the metric values, the sampled values, run directory."""
    from tfgan_apps.trainer import write_text_atomic

    names = [p.name for p in settings.params]
    reserved = {"run_dir", "trial", "retry_of", "diverged", "step", "worker"}
    metric_keys = sorted({k for t in trials for k in t.user_attrs if k not in reserved})
    header = ["number", "state", settings.objective + "_objective", "step", *metric_keys, *names, "diverged",
              "retry_of", "worker", "run_dir", "seconds"]
    rows = []
    for t in trials:
        score = trial_score(t)
        done = t.datetime_complete and t.datetime_start
        seconds = (t.datetime_complete - t.datetime_start).total_seconds() if done else ""
        rows.append([t.number, t.state.name, "" if score is None else score, t.user_attrs.get("step", ""),
                     *[t.user_attrs.get(k, "") for k in metric_keys], *[t.params.get(n, "") for n in names],
                     t.user_attrs.get("diverged", ""), t.user_attrs.get("retry_of", ""),
                     t.user_attrs.get("worker", ""), t.user_attrs.get("run_dir", ""), seconds])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    write_text_atomic(path, buffer.getvalue())
    return path


def write_hparams_config(workdir: str, settings: Settings) -> None:
    """The HParams dashboard's experiment: the sampled parameters' domains and the objective metric."""
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hp

    hparams = []
    for p in settings.params:
        if p.kind == "categorical":
            domain = hp.Discrete(list(p.choices))
        elif p.kind == "int":
            domain = hp.IntInterval(int(p.low), int(p.high))
        else:
            domain = hp.RealInterval(p.low, p.high)
        hparams.append(hp.HParam(p.name, domain))
    metrics = [hp.Metric(OBJECTIVE_TAG, display_name=f"{settings.objective} ({settings.direction})")]
    writer = tf.summary.create_file_writer(os.path.join(workdir, "hparams"))
    with writer.as_default():
        hp.hparams_config(hparams=hparams, metrics=metrics)
    writer.close()


def write_hparams_trial(workdir: str, trial: Any) -> None:
    """The trial's HParams session (its sampled values) and final metric values as ``Sweep/*`` scalars."""
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hp

    score = trial_score(trial)
    writer = tf.summary.create_file_writer(os.path.join(workdir, "hparams", f"trial_{trial.number:04d}"))
    step = int(trial.user_attrs.get("step", 0))
    with writer.as_default():
        hp.hparams(dict(trial.params), trial_id=f"trial_{trial.number:04d}")
        if score is not None:
            tf.summary.scalar(OBJECTIVE_TAG, score, step=step)
        for key, value in trial.user_attrs.items():
            if isinstance(value, float):
                tf.summary.scalar(f"Sweep/{key}", value, step=step)
    writer.close()


def best_vs_trials(scores: Sequence[float], direction: str, budgets: Sequence[int], resamples: int = 1000,
                   seed: int = 0) -> dict[str, np.ndarray]:
    """Bootstrap of the best score found with k trials (Lucic et al. 2017, Fig. 4), for every k in ``budgets``.

    For each k, ``resamples`` draws of k scores with replacement from ``scores``; the best of each draw (min for
    ``minimize``; NaN = a diverged trial counts as the worst). Returns ``median``, ``low`` (5 %) and ``high``
    (95 %) arrays over ``budgets``.
    """
    values = np.asarray(scores, np.float64)
    worst = np.inf if direction == "minimize" else -np.inf
    values = np.where(np.isnan(values), worst, values)
    rng = np.random.default_rng(seed)
    best = np.empty((len(budgets), resamples))
    for i, k in enumerate(budgets):
        draws = values[rng.integers(len(values), size=(resamples, k))]
        best[i] = draws.min(axis=1) if direction == "minimize" else draws.max(axis=1)
    def quantile(q: float) -> np.ndarray:  # an order statistic (no interpolation, so ±inf stays inf)
        return np.quantile(best, q, axis=1, method="inverted_cdf")

    return {"median": quantile(0.5), "low": quantile(0.05), "high": quantile(0.95)}


def scores_by_group(trials: Sequence[Any], group_by: str) -> dict[str, list[float]]:
    """Finished trials' scores per value of the ``group_by`` parameter (one group ``all`` without it)."""
    groups: dict[str, list[float]] = {}
    for t in trials:
        score = trial_score(t)
        if score is None:
            continue
        groups.setdefault(str(t.params.get(group_by, "all")) if group_by else "all", []).append(score)
    return groups


def plot_best_vs_trials(groups: Mapping[str, Sequence[float]], direction: str, label: str, path: str,
                        title: str = "") -> str:
    """Saves the best-score-vs-trials plot (bootstrap median and 5–95 % band per group) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    for name, scores in sorted(groups.items()):
        if not scores:
            continue
        budgets = np.arange(1, len(scores) + 1)
        band = best_vs_trials(scores, direction, budgets)
        band = {k: np.where(np.isfinite(v), v, np.nan) for k, v in band.items()}  # all diverged: no point
        (line,) = ax.plot(budgets, band["median"], marker="o", markersize=3, label=f"{name} ({len(scores)})")
        ax.fill_between(budgets, band["low"], band["high"], color=line.get_color(), alpha=0.2)
    ax.set_xlabel("number of trials (budget)")
    ax.set_ylabel(f"best {label} found")
    finite = np.asarray([v for scores in groups.values() for v in scores], np.float64)
    finite = finite[np.isfinite(finite)]
    if direction == "minimize" and finite.size and finite.min() > 0:
        ax.set_yscale("log")
    ax.set_title(title or f"best {label} vs budget (bootstrap median, 5–95 %)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def write_report(study: Any, workdir: str, settings: Settings) -> None:
    """Rewrites the CSV and the plot from the study's current trials."""
    trials = study.get_trials(deepcopy=False)
    write_csv(os.path.join(workdir, RESULTS_CSV), trials, settings)
    groups = scores_by_group(trials, settings.group_by)
    if groups:
        plot_best_vs_trials(groups, settings.direction, settings.objective, os.path.join(workdir, PLOT_FILE),
                            title=f"{study.study_name}: best {settings.objective} vs trials")
    finished = [t for t in trials if trial_score(t) is not None]
    logging.info("study %s: %d trials, %d with a score; results in %s", study.study_name, len(trials),
                 len(finished), workdir)


def write_results(config: ml_collections.ConfigDict, study_name: str, storage_url: str | None, workdir: str) -> Any:
    """Rewrites results.csv, every finished trial's HParams entry and the plot from the stored study."""
    settings = settings_from(config)
    study = open_study(config, study_name, storage_url or default_storage(workdir), settings)
    write_hparams_config(workdir, settings)
    for trial in study.get_trials(deepcopy=False):
        if trial_score(trial) is not None:
            write_hparams_trial(workdir, trial)
    write_report(study, workdir, settings)
    return study
