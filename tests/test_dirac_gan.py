"""The Dirac-GAN (Mescheder et al. 2018, Sec. 2): unregularised GAN training does not converge, R1 does.

Data is a Dirac at 0, the generator is one scalar θ (its sample), the
discriminator is linear, D(x) = ψ·x; the unique equilibrium is (θ, ψ) = (0, 0).
Gradient descent with step h uses the library's own non-saturating loss and R1
penalty (``losses.get`` / ``penalties.r1``) in a GradientTape loop, so the test
exercises the code the models use.

Without regularisation the Jacobian at the equilibrium has eigenvalues
±f'(0)·i (Lemma 2.2): no linear rate of convergence. With the paper's zero-sum
objective (our ``minimax`` loss) simultaneous steps spiral outwards monotonically
and alternating steps circle on an orbit. The ``non_saturating`` loss is not
zero-sum: away from the equilibrium it adds a damping of order ‖(θ, ψ)‖⁴, so the
distance creeps down sublinearly (still ≈ 0.4–0.55 after 400 steps of h = 0.1).
With R1 (γ = 1) the equilibrium is locally asymptotically stable (Theorem 4.1)
and the iterates converge linearly (distance < 1e-2, in fact ≈ 1e-7).
"""

import numpy as np
import pytest
import tensorflow as tf

from tfgan_apps import losses, penalties

H, STEPS, START = 0.1, 400, (1.0, 1.0)


def dirac_gan(gamma: float, simultaneous: bool, loss: str = "non_saturating", steps: int = STEPS) -> np.ndarray:
    """Runs gradient descent on (θ, ψ) from START; returns the distance to (0, 0) after every step."""
    adversarial = losses.get(loss)
    theta, psi = tf.Variable(START[0]), tf.Variable(START[1])
    real = tf.zeros([1, 1])

    def d_fn(x):
        return psi * x

    def d_loss():
        fake = tf.reshape(theta, [1, 1])
        value = tf.reduce_mean(adversarial.discriminator(d_fn(real), d_fn(fake)))
        if gamma:
            value += gamma * tf.reduce_mean(penalties.r1(d_fn, real, fake, None))
        return value

    def g_loss():
        return tf.reduce_mean(adversarial.generator(d_fn(tf.reshape(theta, [1, 1]))))

    def grad(loss_fn, variable):
        with tf.GradientTape() as tape:
            value = loss_fn()
        return tape.gradient(value, variable)

    @tf.function
    def step():
        if simultaneous:
            g_psi, g_theta = grad(d_loss, psi), grad(g_loss, theta)
            psi.assign_sub(H * g_psi)
            theta.assign_sub(H * g_theta)
        else:  # alternating: D first, then G against the updated D
            psi.assign_sub(H * grad(d_loss, psi))
            theta.assign_sub(H * grad(g_loss, theta))
        return tf.sqrt(tf.square(theta) + tf.square(psi))

    return np.array([float(step()) for _ in range(steps)])


def test_r1_penalty_of_the_linear_discriminator_is_half_psi_squared():
    psi = 0.7
    value = penalties.r1(lambda x: psi * x, tf.zeros([1, 1]), tf.zeros([1, 1]), None)
    np.testing.assert_allclose(value.numpy(), [0.5 * psi**2], rtol=1e-5)


MODES = [True, False]
MODE_IDS = ["simultaneous", "alternating"]


@pytest.mark.parametrize("simultaneous", MODES, ids=MODE_IDS)
def test_unregularised_non_saturating_gan_does_not_converge(simultaneous):
    distances = dirac_gan(gamma=0.0, simultaneous=simultaneous)
    assert distances[-1] > 0.3  # far from (0, 0) after 400 steps
    assert distances[-1] / distances[-101] > 0.85  # no linear rate (R1 below: < 0.05 per 100 steps)


def test_zero_sum_gan_spirals_out_with_simultaneous_and_circles_with_alternating_steps():
    start = float(np.hypot(*START))
    simultaneous = dirac_gan(gamma=0.0, simultaneous=True, loss="minimax")
    assert np.all(np.diff(simultaneous) >= -1e-6) and simultaneous[-1] > 1.25 * start  # Fig. 1b: diverges
    alternating = dirac_gan(gamma=0.0, simultaneous=False, loss="minimax")
    assert alternating.min() > 0.9 * start  # stays on its orbit around (0, 0)


@pytest.mark.parametrize("simultaneous", MODES, ids=MODE_IDS)
def test_r1_regularised_gan_converges(simultaneous):
    distances = dirac_gan(gamma=1.0, simultaneous=simultaneous)
    assert distances[-1] < 1e-2
    assert distances[-1] / distances[-101] < 0.05  # linear convergence
