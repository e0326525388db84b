"""GAN evaluation metrics: pure functions on numpy arrays, plus a uniform registry entry each.

Modules (one concept each):

* ``frechet`` – FID / Fréchet classifier distance (exact, eigen-based trace sqrt);
* ``kernel`` – KID (polynomial MMD² over subsets) and Gaussian-kernel MMD²;
* ``scores`` – Inception score, MODE score;
* ``wasserstein`` – exact empirical 1-Wasserstein distance (assignment problem);
* ``nearest`` – 1-NN two-sample accuracy, precision/recall, density/coverage;
* ``modes`` – mode coverage on the 2-D ring / grid Gaussian mixtures;
* ``image_quality`` – PSNR / SSIM (RGB or BT.601 Y channel, border crop);
* ``features`` – feature networks (InceptionV3 from a local weights file, the
  in-project digits classifier); imported explicitly because it loads Keras;
* ``pairwise`` – memory-bounded blocked distances; ``spec`` – the registry record.

Registry contract (``tfgan_apps.registry.METRICS``)
---------------------------------------------------
``METRICS.get(name)`` returns a :class:`~tfgan_apps.metrics.spec.Metric` record:

* ``needs`` – the input kind, one of ``"features"`` (embeddings ``[n, d]``, or raw
  points for toy data), ``"probs"`` (softmax ``[n, classes]``), ``"samples"`` (raw
  points/outputs ``[n, ...]``), ``"images"`` (paired NHWC in ``[0, data_range]``);
* ``metric(real, fake, **options) -> dict[str, float]`` – the values named in
  ``metric.keys`` (``keys[0]`` is the primary value, ``higher_is_better`` its
  direction; keys are unique across metrics so results merge into one dict);
* ``uses_real`` – False for metrics of the fakes alone (``is``, ``modes``);
* ``options`` / ``required_options`` – accepted keyword options.

==============  ==========  =====================================================  ==========================
name            needs       keys                                                   options
==============  ==========  =====================================================  ==========================
fid             features    fid                                                    –
kid             features    kid, kid_std                                           subsets, subset_size, seed
is              probs       is, is_std  (fake only)                                splits
mode_score      probs       mode_score, mode_score_std                             splits
mmd             samples     mmd                                                    sigma
wasserstein     samples     wasserstein                                            max_points, seed
one_nn          features    one_nn                                                 –
prdc            features    precision, recall, density, coverage                   pr_k, dc_k
modes           samples     modes, high_quality, reverse_kl  (fake only)           centers*, std*, threshold
psnr            images      psnr                                                   data_range, y_channel, crop_border
ssim            images      ssim                                                   data_range, y_channel, crop_border
==============  ==========  =====================================================  ==========================

(* required). :func:`~tfgan_apps.metrics.spec.evaluate` runs several at once::

    evaluate(["fid", "is", "prdc"],
             real={"features": real_feats, "probs": real_probs},
             fake={"features": fake_feats, "probs": fake_probs},
             options={"is": {"splits": 10}})
"""

from tfgan_apps.metrics.frechet import (
    activation_moments,
    frechet_distance,
    frechet_distance_from_moments,
    trace_sqrt_product,
)
from tfgan_apps.metrics.image_quality import psnr, rgb_to_y, ssim
from tfgan_apps.metrics.kernel import (
    kernel_inception_distance,
    median_heuristic,
    mmd,
    polynomial_mmd2,
)
from tfgan_apps.metrics.modes import grid_centers, mode_coverage, ring_centers
from tfgan_apps.metrics.nearest import (
    density_coverage,
    one_nn_accuracy,
    prdc,
    precision_recall,
)
from tfgan_apps.metrics.scores import inception_score, mode_score
from tfgan_apps.metrics.spec import INPUT_KINDS, Metric, evaluate
from tfgan_apps.metrics.wasserstein import wasserstein_distance

__all__ = [
    "INPUT_KINDS",
    "Metric",
    "activation_moments",
    "density_coverage",
    "evaluate",
    "frechet_distance",
    "frechet_distance_from_moments",
    "grid_centers",
    "inception_score",
    "kernel_inception_distance",
    "median_heuristic",
    "mmd",
    "mode_coverage",
    "mode_score",
    "one_nn_accuracy",
    "polynomial_mmd2",
    "prdc",
    "precision_recall",
    "psnr",
    "rgb_to_y",
    "ring_centers",
    "ssim",
    "trace_sqrt_product",
    "wasserstein_distance",
]
