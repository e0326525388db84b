"""The config schema shared by every recipe, and its validation.

Recipes in ``configs/`` start from ``base_config()`` and override a few fields;
any field can then be overridden from the command line
(``--config.train.steps=200``). ``validate`` turns bad values into ConfigErrors
that name the valid choices.
"""

from __future__ import annotations

import json
import math
from typing import Any

import ml_collections

from tfgan_apps.errors import ConfigError

STRATEGIES = ("default", "one_device", "mirrored", "multi_worker", "tpu")
# "auto": mixed_bfloat16 on a CPU with native bf16 (AMX / AVX-512 BF16), else float32 (hardware.resolve_precision).
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16", "auto")
ON_NAN = ("stop", "rollback")
OPTIMIZERS = ("adam", "rmsprop")


def base_config() -> ml_collections.ConfigDict:
    """Defaults for every field; a DCGAN on 32×32 digits."""
    c = ml_collections.ConfigDict()
    c.name = "dcgan_digits"

    c.model = ml_collections.ConfigDict()
    c.model.name = "gan"
    c.model.latent_dim = 64
    c.model.loss = "non_saturating"
    # "auto" | "joint" | "separate": one D call on concatenated real+fake or two calls (models/base.py;
    # auto = joint exactly when D treats examples independently, e.g. no BatchNorm).
    c.model.d_pass = "auto"
    # True: G's update reuses the D update's fakes and G's forward pass (PyTorch's DCGAN example; one G pass
    # less per step); False: a fresh z for G's update, as in the papers. Base GAN only (models/base.py).
    c.model.reuse_fakes = False
    # Every penalty is listed so any can be switched on from a flag; 0 = off.
    # weight_clip's value is the clip bound c (WGAN: 0.01).
    c.model.penalties = ml_collections.ConfigDict(
        {"gradient_penalty": 0.0, "r1": 0.0, "r2": 0.0, "dragan": 0.0, "weight_clip": 0.0}
    )
    # Stabilizers (tfgan_apps/stabilizers.py), usable by every model; all listed and off by default so any
    # can be switched on from a flag, e.g. --config.model.stabilizers.diffaugment=color,translation,cutout.
    c.model.stabilizers = ml_collections.ConfigDict(
        {
            "ema": False,  # EMA copy of G for samples/export (Karras et al. 2018)
            "ema_decay": 0.999,  # β: w_ema ← β·w_ema + (1 − β)·w after every G update
            "diffaugment": "",  # DiffAugment policy (Zhao et al. 2020): subset of "color,translation,cutout"
            "packing": 1,  # PacGAN m (Lin et al. 2018): D sees m samples at once; 1 = off
            "instance_noise": 0.0,  # σ0 of instance noise on D inputs (Sønderby et al. 2017); 0 = off
            "instance_noise_steps": 1000,  # N: σ anneals linearly from σ0 to 0 over N steps
            "replay": 0.0,  # p: fraction of D's fakes replaced from a pool of past fakes (Shrivastava 2017)
            "replay_size": 512,  # pool size (samples)
            # Salimans et al. 2016, "Improved Techniques for Training GANs", and ganhacks:
            "feature_matching": 0.0,  # λ of ‖E f(x) − E f(G(z))‖² on D's penultimate features in G's loss (§3.1)
            "minibatch_discrimination": 0,  # B kernels of the minibatch layer before D's last layer (§3.2); 0 = off
            "minibatch_discrimination_dims": 5,  # C: dimension of each kernel's M_{i,b}
            "historical_averaging": 0.0,  # λ of ‖θ − (1/t)Σ θ_i‖² in G's and D's losses (§3.3); 0 = off
            "label_smoothing": 0.0,  # s: one-sided smoothing, D's real targets 1 − s, fakes 0 (§3.4); 0 = off
            "virtual_batch": 0,  # N: virtual batch norm of G and D on an N-example reference batch (§3.5); 0 = off
            "label_noise": False,  # D's targets ~ U[0.7, 1.2] (real) / U[0, 0.3] (fake) (ganhacks #6)
            "label_noise_flip": 0.0,  # p: each D target flipped with probability p (ganhacks #13); 0 = off
        }
    )
    # Network specs: "type" names a builder in registry.GENERATORS / DISCRIMINATORS, the rest are its options.
    c.model.generator = ml_collections.ConfigDict({"type": "dcgan", "width": 64, "norm": "batch"})
    c.model.discriminator = ml_collections.ConfigDict(
        {"type": "dcgan", "width": 64, "norm": "batch", "spectral_norm": False}
    )

    c.data = ml_collections.ConfigDict()
    c.data.source = "digits"
    c.data.image_size = 32  # images: side in px; signals: length
    c.data.channels = 1
    c.data.batch_size = 64  # global batch, split across replicas
    c.data.skip_corrupt = False  # folder sources: skip undecodable files instead of failing
    c.data.photos = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry")
    c.data.photo_scale = 1.0
    c.data.dihedral = False  # photos / paired_folder crops: all 8 rotations and reflections, not only h-flips
    c.data.max_examples = 0  # tfds: 0 = all
    c.data.tfds_data_dir = ""
    c.data.tfds_download = False
    c.data.noise = 0.05  # signals_1d noise std
    # Anomaly detection (tfgan_apps/data/anomaly.py): train on normal classes only. anomaly_class ≥ 0 turns it
    # on for a labelled source; normal_classes () = every other class; anomaly_heldout = share of each normal
    # class held out for the test set (with every example of anomaly_class), chosen by anomaly_seed.
    # folder:PATH with PATH/normal and PATH/anomalous sub-folders turns it on by itself.
    c.data.anomaly_class = -1
    c.data.normal_classes = ()
    c.data.anomaly_heldout = 0.2
    c.data.anomaly_seed = 0
    # Restoration: a degradation spec (see tfgan_apps/data/degradations.py) applied on the fly;
    # batches then hold "input" (degraded) and "x" (clean target).
    c.data.degradation = None
    # Unpaired translation (tfgan_apps/data/unpaired.py): degradation specs applied to domain A / B only.
    c.data.degradation_a = None
    c.data.degradation_b = None

    c.train = ml_collections.ConfigDict()
    c.train.steps = 3000
    c.train.d_steps = 1
    c.train.g_lr = 2e-4
    c.train.d_lr = 2e-4
    c.train.beta_1 = 0.5
    c.train.beta_2 = 0.999
    c.train.optimizer = "adam"  # "adam" (betas above) or "rmsprop" (WGAN; rho 0.99 as PyTorch's default)
    # Learning-rate decay (tfgan_apps/schedules.py): none | cosine | linear | step. The window ends at step
    # lr_decay_steps (0 = train.steps) and starts at lr_decay_start × that; the rates end at lr × lr_decay_final
    # (step: one drop to lr × lr_decay_final where the window starts).
    c.train.lr_decay = "none"
    c.train.lr_decay_start = 0.0
    c.train.lr_decay_final = 0.01
    c.train.lr_decay_steps = 0
    c.train.log_every = 100
    c.train.image_every = 500
    c.train.checkpoint_every = 500
    c.train.keep_checkpoints = 3
    # "auto" (default: time a few steps with XLA off and on on the first call, keep the faster, cache the
    # decision per model, shapes and CPU; see models.probe_jit_compile) | True | False. XLA is faster on some
    # CPUs and models and slower on others (benchmarks/results/train_speed.md), so it is measured, not assumed.
    # An object-typed field, so --config.train.jit_compile=auto parses.
    c.train.jit_compile = ml_collections.FieldReference("auto", field_type=object)
    c.train.steps_per_execution = 1
    c.train.mixed_precision = "float32"
    c.train.seed = 0
    c.train.deterministic = False  # tf.config.experimental.enable_op_determinism()
    c.train.strategy = "default"
    c.train.logical_cpus = 0  # >0: split the CPU into this many logical devices (mirrored on CPU)
    c.train.tpu = ""  # TPU address for strategy=tpu ("" = local / from environment)
    c.train.on_nan = "stop"  # or "rollback": restore the last checkpoint, scale the learning rates, continue
    c.train.nan_lr_factor = 0.5  # on_nan=rollback: learning rates × this per rollback
    c.train.max_rollbacks = 3  # on_nan=rollback: give up (stop) after this many rollbacks in one run
    # Wall-clock budget of one tfgan-train / Trainer.fit invocation in minutes (0 = off), counted from the end of
    # its first training step (tracing / XLA compilation excluded). When it is spent the run ends at that step
    # as at train.steps (checkpoint, final scalars / pictures / evaluation, export); rerunning resumes towards
    # train.steps with a new budget. With lr_decay and lr_decay_steps = 0 the decay window ends where the budget
    # is estimated to end (at most train.steps); see trainer.TimeBudget.
    c.train.max_minutes = 0.0

    c.eval = ml_collections.ConfigDict()
    c.eval.metrics = ""  # comma-separated metric names evaluated during training, e.g. "fid,kid,prdc"
    c.eval.every = 0  # steps between evaluations (0 = off; a multiple of train.log_every)
    c.eval.num_samples = 1000
    c.eval.features = "auto"  # auto | classifier | inception | raw (see tfgan_apps/evaluation.py)

    c.export = ml_collections.ConfigDict()
    c.export.enabled = True  # export SavedModels at the end of training
    c.export.grid_size = 64  # samples in the TensorBoard grid

    # Hyperparameter sweeps (tfgan-sweep, tfgan_apps/sweep.py, on Optuna). space: one entry per sampled parameter:
    # kind (log_uniform | uniform | int | categorical), low/high (inclusive) or choices, target (comma-separated
    # config paths the value is written to), optionally when ("param=choice": sampled only in trials where that
    # categorical parameter took that choice) and expand (choice -> "path=value; path=value" written instead of
    # target). Default: the ranges of Lucic et al. 2017 for image recipes; "wasserstein_gp" is
    # the Wasserstein loss with a gradient penalty of weight penalty_weight, "spectral" spectral norm without BN.
    c.sweep = ml_collections.ConfigDict()
    c.sweep.space = ml_collections.ConfigDict({
        "loss": {"kind": "categorical", "choices": ("non_saturating", "least_squares", "wasserstein_gp", "hinge"),
                 "target": "model.loss", "expand": {"wasserstein_gp": "model.loss=wasserstein"}},
        "penalty_weight": {"kind": "log_uniform", "low": 0.1, "high": 100.0,
                           "target": "model.penalties.gradient_penalty", "when": "loss=wasserstein_gp"},
        "learning_rate": {"kind": "log_uniform", "low": 1e-5, "high": 1e-2, "target": "train.g_lr,train.d_lr"},
        "beta_1": {"kind": "uniform", "low": 0.0, "high": 1.0, "target": "train.beta_1"},
        "d_steps": {"kind": "int", "low": 1, "high": 5, "target": "train.d_steps"},
        "d_norm": {"kind": "categorical", "choices": ("none", "batch", "layer", "spectral"),
                   "target": "model.discriminator.norm",
                   "expand": {"spectral": "model.discriminator.norm=none; model.discriminator.spectral_norm=true"}},
    })
    # metric: a tfgan-eval metric name; auto: fcd on digits (classifier features), fid (Inception), fd (raw), modes
    # on the 2-D mixtures. objective: which of its values is optimised; auto: the primary one (modes: high_quality)
    c.sweep.metric = "auto"
    c.sweep.objective = "auto"
    c.sweep.direction = "auto"  # minimize | maximize | auto (the metric's)
    c.sweep.features = "auto"  # feature network of the metric (tfgan_apps/evaluation.py)
    c.sweep.num_samples = 1000  # generated (and real) samples per evaluation
    c.sweep.report_every = 500  # steps between reports to Optuna (a multiple of the logging intervals; 0 = end only)
    c.sweep.sampler = "random"  # random (Lucic et al.; draws seeded by trial number) | tpe
    c.sweep.seed = 0
    c.sweep.pruner = "median"  # median (Optuna's MedianPruner) | none; non-finite losses / metrics always prune
    c.sweep.prune_startup = 5  # median: finished trials before anything is pruned
    c.sweep.prune_warmup = 0  # median: training steps of a trial before it can be pruned
    c.sweep.prune_worse_than = 0.0  # prune a trial whose reported objective is worse than this (0 = off)
    c.sweep.max_retry = 2  # re-runs of a trial whose worker died (stale heartbeat)
    c.sweep.heartbeat = 60  # seconds between a running trial's heartbeats; stale after 2 × this
    c.sweep.group_by = "loss"  # categorical parameter whose values get one curve each in the plot ("" = one)
    return c


def dcgan_digits_config() -> ml_collections.ConfigDict:
    """The DCGAN-on-digits recipe that other digits recipes derive from (configs/dcgan_digits.py)."""
    config = base_config()
    config.name = "dcgan_digits"
    config.model.generator.width = 32
    config.model.discriminator.width = 32
    config.train.steps = 2000
    return config


def mog_config() -> ml_collections.ConfigDict:
    """Shared recipe of the 2-D mixture-of-Gaussians runs: MLP G/D (3 × 128), 2-D latent, batch 256."""
    config = base_config()
    config.name = "gan_mog_ring"
    config.data.source = "mog_ring"
    config.data.batch_size = 256
    config.model.latent_dim = 2
    config.model.generator = ml_collections.ConfigDict({"type": "mlp", "width": 128, "depth": 3})
    config.model.discriminator = ml_collections.ConfigDict(
        {"type": "mlp", "width": 128, "depth": 3, "spectral_norm": False}
    )
    config.train.g_lr = 1e-3
    config.train.d_lr = 1e-3
    config.train.steps = 3000
    # The MLP D has no normalisation layers: its sweep chooses only whether D is spectrally normalised.
    config.sweep.space.d_norm = ml_collections.ConfigDict({
        "kind": "categorical", "choices": ("none", "spectral"), "target": "",
        "expand": {"none": "model.discriminator.spectral_norm=false",
                   "spectral": "model.discriminator.spectral_norm=true"}})
    return config


# Training photos of the SR recipes: the bundled photos of natural scenes and objects (no textures, moon or
# text), with scikit-learn's two sample JPEGs; ×4 SR generalises better to the held-out photos from these
# (benchmarks/results/restoration.md, "Fifth set").
NATURAL_PHOTOS = ("astronaut", "rocket", "immunohistochemistry", "camera", "coins", "clock", "motorcycle", "china",
                  "flower")


def restoration_config(name: str, degradation: dict[str, Any], generator: dict[str, Any],
                       discriminator: dict[str, Any]) -> ml_collections.ConfigDict:
    """Shared recipe of the restoration apps (configs/denoise_photos.py, derain_photos.py, sr_x4_photos.py,
    srgan_x4_photos.py): a ``pix2pix`` model on crops of the bundled photos degraded on the fly.

    Every model field the image-to-image model reads is listed (so any can be set from a flag), with the
    pix2pix values: λ_L1 = 100, adversarial weight 1, non-saturating loss, no SSIM / perceptual term, no
    pretraining. Data: 64 px crops of 10 training photos (the SR recipes use ``NATURAL_PHOTOS``), batch 8
    (on a shared 2-core CPU, more and cheaper steps gave as good or better held-out PSNR in the same
    minutes), held-out ``chelsea`` and ``coffee`` (192 px centre crops, fixed seed 2024). Training: 4000
    steps, Adam β1 = 0.9 (ESRGAN's, for the regression-dominated loss), held-out PSNR/SSIM, pictures and a
    checkpoint every 500 steps.
    Recipes override what differs (SR: ``data.scale``, L1 weight 1, ...).
    """
    config = base_config()
    config.name = name
    config.model.name = "pix2pix"
    config.model.generator = ml_collections.ConfigDict(generator)
    config.model.discriminator = ml_collections.ConfigDict(discriminator)
    config.model.loss = "non_saturating"
    config.model.content_weight = 100.0
    config.model.adversarial_weight = 1.0
    config.model.ssim_weight = 0.0
    config.model.ssim_type = "ssim"
    config.model.perceptual_weight = 0.0
    config.model.vgg_weights = ""
    config.model.adaptive_adversarial = False
    config.model.pretrain_steps = 0
    config.model.content_loss = "l1"  # "l1" (all pixels) | "masked_l1" (inpainting: hole pixels only)
    config.model.hole_fill = "constant"  # inpainting input holes: "constant" (the mask's fill) | "pyramid" (push-pull)

    config.data.source = "photos"
    config.data.channels = 3
    config.data.image_size = 64
    config.data.scale = 1
    config.data.batch_size = 8
    config.data.photos = ("astronaut", "rocket", "immunohistochemistry", "camera", "brick", "grass", "gravel",
                          "coins", "clock", "moon")
    config.data.eval_photos = ("chelsea", "coffee")
    config.data.eval_crop = 192
    config.data.eval_seed = 2024
    config.data.degradation = ml_collections.ConfigDict(degradation)

    config.train.steps = 4000
    config.train.beta_1 = 0.9
    config.train.log_every = 100
    config.train.image_every = 500
    config.train.eval_every = 500
    config.train.checkpoint_every = 500
    return config


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)


def check_values(config: ml_collections.ConfigDict) -> None:
    """ConfigError for schema values that cannot work, checked without importing the rest of the package.

    ``tfgan_apps.validation.validate`` runs this and every module's own checks (names in registries,
    data sources, stabilizers, schedules).
    """
    for section, key in (("train", "steps"), ("train", "d_steps"), ("train", "log_every"),
                         ("train", "image_every"), ("train", "checkpoint_every"),
                         ("train", "steps_per_execution"), ("data", "batch_size"), ("data", "image_size"),
                         ("model", "latent_dim")):
        value = config[section][key]
        _check(isinstance(value, int) and not isinstance(value, bool) and value > 0,
               f"config.{section}.{key} must be a positive integer, got {value}")
    for name, weight in config.model.penalties.items():
        _check(weight >= 0, f"config.model.penalties.{name} must be ≥ 0, got {weight}")
    _check(config.data.channels in (1, 3), f"config.data.channels must be 1 or 3, got {config.data.channels}")
    _check(config.train.strategy in STRATEGIES,
           f"unknown strategy {config.train.strategy!r}; valid choices: {', '.join(STRATEGIES)}")
    _check(config.train.mixed_precision in PRECISIONS,
           f"unknown mixed_precision {config.train.mixed_precision!r}; valid choices: {', '.join(PRECISIONS)}")
    _check(config.train.on_nan in ON_NAN, f"unknown on_nan {config.train.on_nan!r}; valid choices: {', '.join(ON_NAN)}")
    optimizer = config.train.get("optimizer", "adam")
    _check(optimizer in OPTIMIZERS, f"unknown optimizer {optimizer!r}; valid choices: {', '.join(OPTIMIZERS)}")
    _check(0 < config.train.get("nan_lr_factor", 0.5) <= 1,
           f"config.train.nan_lr_factor must be in (0, 1], got {config.train.get('nan_lr_factor')}")
    for key in ("g_lr", "d_lr"):
        _check(config.train[key] > 0, f"config.train.{key} must be > 0, got {config.train[key]}")
    max_minutes = config.train.get("max_minutes", 0.0)
    _check(isinstance(max_minutes, (int, float)) and not isinstance(max_minutes, bool) and max_minutes >= 0
           and math.isfinite(max_minutes),
           f"config.train.max_minutes must be a number of minutes ≥ 0 (0 = no time budget), got {max_minutes!r}")


def loop_length(config: Any) -> int:
    """Steps per Keras epoch: the largest length that divides steps and every interval that acts on it."""
    train = config.train
    intervals = [train.steps, train.log_every, train.image_every, train.checkpoint_every,
                 config.get("eval", {}).get("every", 0), train.get("eval_every", 0)]
    return math.gcd(*[int(i) for i in intervals if i])


def to_json(config: ml_collections.ConfigDict) -> str:
    """A stable JSON dump of the resolved config (saved in the run directory)."""
    return json.dumps(json.loads(config.to_json_best_effort()), indent=2, sort_keys=True)


def from_json(text: str) -> ml_collections.ConfigDict:
    """Reads a config saved by ``to_json`` back, on top of the schema so every field exists."""
    loaded = json.loads(text)
    config = base_config()

    def merge(target: ml_collections.ConfigDict, values: dict[str, Any]) -> None:
        for key, value in values.items():
            is_spec = isinstance(value, dict) and "type" in value  # a builder spec replaces, never merges
            if isinstance(value, dict) and not is_spec and isinstance(target.get(key), ml_collections.ConfigDict):
                merge(target[key], value)
            else:
                with target.ignore_type():
                    target[key] = tuple(value) if isinstance(value, list) else value

    merge(config, loaded)
    return config
