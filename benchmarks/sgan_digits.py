"""Held-out digit accuracy: semi-supervised GAN with 100 labels vs the same classifier on the 100 labels alone.

Run: ``.venv/bin/python benchmarks/sgan_digits.py [--steps 1000] [--labelled 100] [--seeds 0]``

Both use ``configs/sgan_digits.py``'s data split (297 class-balanced digits held
out, 100 class-balanced labelled digits among the 1500 others) and the same
network: the SGAN discriminator (DCGAN conv stack + K class logits). The
baseline trains it with cross-entropy on the labelled digits only (batches of
``data.batch_size`` drawn from them, Adam with the config's D settings, the same
number of steps); the SGAN also sees the 1400 unlabelled digits and generated
ones. Accuracy is measured on the held-out digits with ``heldout_accuracy``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import tempfile
import time

import keras
import numpy as np
import tensorflow as tf

from tfgan_apps import trainer
from tfgan_apps.models import make_optimizer
from tfgan_apps.models.sgan import heldout_accuracy
from tfgan_apps.nets import build_network
from tfgan_apps.nets.conditional import classifier_discriminator
from tfgan_apps.registry import DISCRIMINATORS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_config(path: str):
    """``get_config()`` of a config file."""
    spec = importlib.util.spec_from_file_location("recipe", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config()


class Classifier:
    """The SGAN discriminator's architecture used as a plain classifier (``classify`` as the SGAN has)."""

    def __init__(self, config, source) -> None:
        base = build_network(DISCRIMINATORS, config.model.discriminator, input_shape=source.shape)
        self.net = classifier_discriminator(base, source.num_classes)

    def classify(self, x: tf.Tensor) -> tf.Tensor:
        return self.net(x, training=False)[0]


def train_supervised_only(config, source, steps: int, seed: int) -> Classifier:
    """Cross-entropy on the labelled subset alone, same steps/batch/optimizer as the SGAN's D."""
    keras.utils.set_random_seed(seed)
    classifier = Classifier(config, source)
    mask = source.labelled_mask(config.model.labelled)
    images, labels = source.examples()[mask], source.labels[mask]
    optimizer = make_optimizer(config.train.d_lr, config.train.beta_1, config.train.beta_2)
    batch = config.data.batch_size
    data = iter(tf.data.Dataset.from_tensor_slices((images, labels)).repeat().shuffle(len(labels), seed=seed)
                .batch(batch))

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            logits = classifier.net(x, training=True)[0]
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(tf.cast(y, tf.int32), logits))
        variables = classifier.net.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    for _ in range(steps):
        step(*next(data))
    return classifier


def train_sgan(config, steps: int, seed: int):
    """The SGAN of the config trained for ``steps`` as ``tfgan-train`` trains it (no export); returns the run."""
    with config.unlocked():
        config.train.steps = steps
        config.train.seed = seed
        config.export.enabled = False
    run = trainer.Trainer(config, tempfile.mkdtemp(prefix="sgan-bench-"))  # what tfgan-train runs
    run.fit()
    return run.run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=os.path.join(ROOT, "tfgan_apps", "configs", "sgan_digits.py"))
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--labelled", type=int, default=100)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--image_size", type=int, default=0, help="override data.image_size (0: config's)")
    parser.add_argument("--width", type=int, default=0, help="override G/D width (0: config's)")
    args = parser.parse_args()

    rows = []
    for seed in args.seeds:
        config = load_config(args.config)
        with config.unlocked():
            config.model.labelled = args.labelled
            config.train.jit_compile = False
            if args.image_size:
                config.data.image_size = args.image_size
            if args.width:
                config.model.generator.width = config.model.discriminator.width = args.width
        start = time.perf_counter()
        run = train_sgan(config, args.steps, seed)
        sgan_time = time.perf_counter() - start
        heldout = run.source.heldout_examples()
        sgan_acc = heldout_accuracy(run.model, *heldout)
        start = time.perf_counter()
        baseline = train_supervised_only(config, run.source, args.steps, seed)
        base_time = time.perf_counter() - start
        base_acc = heldout_accuracy(baseline, *heldout)
        rows.append((seed, sgan_acc, sgan_time, base_acc, base_time, len(heldout[1])))

    print(f"\nHeld-out accuracy on digits, {args.labelled} labels, {args.steps} steps "
          f"(image {config.data.image_size}px, width {config.model.discriminator.width}, "
          f"batch {config.data.batch_size}):\n")
    print("| seed | method | labelled | unlabelled | held-out | accuracy | time (s) |")
    print("|---|---|---|---|---|---|---|")
    for seed, sgan_acc, sgan_time, base_acc, base_time, n_held in rows:
        unlabelled = run.source.size - args.labelled
        print(f"| {seed} | SGAN (Salimans et al. 2016) | {args.labelled} | {unlabelled} | {n_held} | "
              f"{sgan_acc:.3f} | {sgan_time:.0f} |")
        print(f"| {seed} | same classifier, labels only | {args.labelled} | 0 | {n_held} | "
              f"{base_acc:.3f} | {base_time:.0f} |")
    if len(rows) > 1:
        s, b = np.array([r[1] for r in rows]), np.array([r[3] for r in rows])
        print(f"\nmean ± std over {len(rows)} seeds: SGAN {s.mean():.3f} ± {s.std():.3f}, "
              f"labels only {b.mean():.3f} ± {b.std():.3f}")


if __name__ == "__main__":
    main()
