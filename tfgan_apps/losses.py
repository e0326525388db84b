"""Adversarial losses as pure per-example functions.

Every loss family is an ``AdversarialLoss`` pair of functions with one signature
pattern (after TF-GAN's ``losses_impl``):

* ``discriminator(real_outputs, fake_outputs) -> per-example loss [batch]``
* ``generator(fake_outputs) -> per-example loss [batch]``

Discriminator outputs are logits of any shape ``[batch, ...]`` (a single logit or
a PatchGAN map); non-batch axes are averaged. Returning per-example values lets
the model average over the *global* batch (``tf.nn.compute_average_loss``), which
is what makes multi-replica training match single-device training.

Families whose discriminator loss is a regression to targets (sigmoid cross-entropy:
``minimax`` / ``non_saturating``; ``least_squares``) also have a ``targeted`` form,
``targeted(real_outputs, fake_outputs, real_targets, fake_targets)``, which the label
stabilizers use: one-sided label smoothing (Salimans et al. 2016, §3.4) and noisy /
flipped labels (ganhacks #6, #13). With targets 1 and 0 it equals ``discriminator``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import tensorflow as tf

from tfgan_apps.registry import LOSSES

PerExample = Callable[..., tf.Tensor]


def per_example_mean(x: tf.Tensor) -> tf.Tensor:
    """Averages a ``[batch, ...]`` tensor over all non-batch axes, in float32."""
    x = tf.cast(x, tf.float32)
    if x.shape.rank is not None and x.shape.rank <= 1:
        return tf.reshape(x, [-1])
    return tf.reduce_mean(tf.reshape(x, [tf.shape(x)[0], -1]), axis=1)


@dataclass(frozen=True)
class AdversarialLoss:
    """A named pair of per-example discriminator and generator losses.

    ``targeted``: D's loss with given targets ``(real, fake, real_targets, fake_targets)`` (scalars or one per
    example, broadcast over D's output positions), or None when the family has no notion of target.
    ``relativistic``: both functions compare real with fake outputs, so the generator loss takes D's real
    outputs too and both take the global-batch means of the outputs: ``discriminator(real, fake,
    real_mean=..., fake_mean=...)``, ``generator(fake, real, fake_mean=..., real_mean=...)``.
    """

    name: str
    discriminator: PerExample
    generator: PerExample
    relativistic: bool = False
    targeted: PerExample | None = None  # D's loss with real/fake targets (None: the family has no targets)


def _softplus_d_loss(real: tf.Tensor, fake: tf.Tensor) -> tf.Tensor:
    # -log σ(r) - log(1 - σ(f)) written stably.
    return per_example_mean(tf.nn.softplus(-tf.cast(real, tf.float32))) + per_example_mean(
        tf.nn.softplus(tf.cast(fake, tf.float32))
    )


def _targets(targets: tf.Tensor | float, outputs: tf.Tensor) -> tf.Tensor:
    """Targets (a scalar or one per example [B]) shaped to broadcast over outputs [B, ...]."""
    targets = tf.cast(targets, tf.float32)
    if targets.shape.rank == 1 and outputs.shape.rank is not None and outputs.shape.rank > 1:
        targets = tf.reshape(targets, [-1] + [1] * (outputs.shape.rank - 1))
    return targets


def sigmoid_cross_entropy_discriminator_loss(real: tf.Tensor, fake: tf.Tensor, real_targets: tf.Tensor | float,
                                             fake_targets: tf.Tensor | float) -> tf.Tensor:
    """D's sigmoid cross-entropy with targets t: t·softplus(−l) + (1 − t)·softplus(l) for real and fake logits.

    Real targets α < 1 with fake targets 0 are one-sided label smoothing (Salimans et al. 2016, §3.4):
    D's optimum becomes α·p_data / (p_data + p_model). Targets outside [0, 1] (ganhacks' U[0.7, 1.2]) are
    allowed; the loss is then unbounded below in the logit's direction, as in ganhacks' soft labels.
    """
    real, fake = tf.cast(real, tf.float32), tf.cast(fake, tf.float32)
    t_real, t_fake = _targets(real_targets, real), _targets(fake_targets, fake)
    real_loss = t_real * tf.nn.softplus(-real) + (1.0 - t_real) * tf.nn.softplus(real)
    fake_loss = t_fake * tf.nn.softplus(-fake) + (1.0 - t_fake) * tf.nn.softplus(fake)
    return per_example_mean(real_loss) + per_example_mean(fake_loss)


def least_squares_targeted_discriminator_loss(real: tf.Tensor, fake: tf.Tensor, real_targets: tf.Tensor | float,
                                              fake_targets: tf.Tensor | float) -> tf.Tensor:
    """LSGAN's D loss with targets (the a-b coding of Mao et al. 2017): ½(D(x) − b)² + ½(D(G(z)) − a)²."""
    real, fake = tf.cast(real, tf.float32), tf.cast(fake, tf.float32)
    t_real, t_fake = _targets(real_targets, real), _targets(fake_targets, fake)
    return 0.5 * per_example_mean(tf.square(real - t_real)) + 0.5 * per_example_mean(tf.square(fake - t_fake))


def minimax_generator_loss(fake: tf.Tensor) -> tf.Tensor:
    """Original GAN generator loss: minimise log(1 − σ(D(G(z)))) (saturates early in training)."""
    return per_example_mean(-tf.nn.softplus(tf.cast(fake, tf.float32)))


def non_saturating_generator_loss(fake: tf.Tensor) -> tf.Tensor:
    """Non-saturating generator loss: minimise −log σ(D(G(z)))."""
    return per_example_mean(tf.nn.softplus(-tf.cast(fake, tf.float32)))


def least_squares_discriminator_loss(real: tf.Tensor, fake: tf.Tensor) -> tf.Tensor:
    """LSGAN (a=0, b=1): ½(D(x) − 1)² + ½D(G(z))²."""
    real, fake = tf.cast(real, tf.float32), tf.cast(fake, tf.float32)
    return 0.5 * per_example_mean(tf.square(real - 1.0)) + 0.5 * per_example_mean(tf.square(fake))


def least_squares_generator_loss(fake: tf.Tensor) -> tf.Tensor:
    """LSGAN generator loss (c=1): ½(D(G(z)) − 1)²."""
    return 0.5 * per_example_mean(tf.square(tf.cast(fake, tf.float32) - 1.0))


def wasserstein_discriminator_loss(real: tf.Tensor, fake: tf.Tensor) -> tf.Tensor:
    """WGAN critic loss: D(G(z)) − D(x) (the critic maximises the difference)."""
    return per_example_mean(fake) - per_example_mean(real)


def wasserstein_generator_loss(fake: tf.Tensor) -> tf.Tensor:
    """WGAN generator loss: −D(G(z)). Also the generator loss of the hinge GAN."""
    return -per_example_mean(fake)


def hinge_discriminator_loss(real: tf.Tensor, fake: tf.Tensor) -> tf.Tensor:
    """Hinge loss (SNGAN, SAGAN): relu(1 − D(x)) + relu(1 + D(G(z)))."""
    real, fake = tf.cast(real, tf.float32), tf.cast(fake, tf.float32)
    return per_example_mean(tf.nn.relu(1.0 - real)) + per_example_mean(tf.nn.relu(1.0 + fake))


def _batch_mean(x: tf.Tensor) -> tf.Tensor:
    return tf.reduce_mean(tf.cast(x, tf.float32), axis=0, keepdims=True)


def relativistic_average_discriminator_loss(real: tf.Tensor, fake: tf.Tensor, real_mean: tf.Tensor | None = None,
                                            fake_mean: tf.Tensor | None = None) -> tf.Tensor:
    """RaGAN discriminator loss (Jolicoeur-Martineau 2018; ESRGAN eq. 1), per example.

    With D_Ra(a, b) = σ(C(a) − E_b[C(b)]): −log D_Ra(x_r, x_f) − log(1 − D_Ra(x_f, x_r)),
    i.e. softplus(−(C(x_r) − E[C(x_f)])) + softplus(C(x_f) − E[C(x_r)]). The expectations
    are batch means taken per logit position (patch outputs); by default over the given
    batch, or ``real_mean`` / ``fake_mean`` ``[1, ...]`` when the caller has global-batch
    means (the models pass them under multi-replica strategies).
    """
    real, fake = tf.cast(real, tf.float32), tf.cast(fake, tf.float32)
    real_mean = _batch_mean(real) if real_mean is None else real_mean
    fake_mean = _batch_mean(fake) if fake_mean is None else fake_mean
    return per_example_mean(tf.nn.softplus(-(real - fake_mean))) + per_example_mean(tf.nn.softplus(fake - real_mean))


def relativistic_average_generator_loss(fake: tf.Tensor, real: tf.Tensor, fake_mean: tf.Tensor | None = None,
                                        real_mean: tf.Tensor | None = None) -> tf.Tensor:
    """RaGAN generator loss (ESRGAN eq. 2), per example: the discriminator loss with real and fake swapped."""
    return relativistic_average_discriminator_loss(fake, real, fake_mean, real_mean)


for _loss in (
    AdversarialLoss("minimax", _softplus_d_loss, minimax_generator_loss,
                    targeted=sigmoid_cross_entropy_discriminator_loss),
    AdversarialLoss("non_saturating", _softplus_d_loss, non_saturating_generator_loss,
                    targeted=sigmoid_cross_entropy_discriminator_loss),
    AdversarialLoss("least_squares", least_squares_discriminator_loss, least_squares_generator_loss,
                    targeted=least_squares_targeted_discriminator_loss),
    AdversarialLoss("wasserstein", wasserstein_discriminator_loss, wasserstein_generator_loss),
    AdversarialLoss("hinge", hinge_discriminator_loss, wasserstein_generator_loss),
    AdversarialLoss("relativistic_average", relativistic_average_discriminator_loss,
                    relativistic_average_generator_loss, relativistic=True),
):
    LOSSES.register(_loss.name)(_loss)


def get(loss: str | AdversarialLoss) -> AdversarialLoss:
    """An adversarial loss family: a registered name, or an ``AdversarialLoss`` object used as it is
    (a custom loss needs no registry entry)."""
    if isinstance(loss, AdversarialLoss):
        return loss
    if not isinstance(loss, str):
        raise TypeError(f"loss must be a name ({', '.join(LOSSES.names())}) or a losses.AdversarialLoss, "
                        f"got {type(loss).__name__}")
    return LOSSES.get(loss)
