"""tfgan_apps: GAN variants, metrics and restoration applications on Keras 3 / TensorFlow.

Importing the package turns TensorFlow's oneDNN CPU kernels on (``TF_ENABLE_ONEDNN_OPTS=1``) unless the
environment already sets that variable. TensorFlow enables them by itself only on CPUs with AVX-512 VNNI /
BF16 / AMX; on the 2-core AVX2 machine of ``benchmarks/results/train_speed.md`` they made the 64² DCGAN
training step without XLA 1.7× faster (XLA steps are unchanged) and they speed up every convolution that
runs outside XLA (sampling, feature extraction, tiled restoration). Results differ from the default kernels
by floating-point round-off only. It takes effect only when tfgan_apps is imported before TensorFlow (the
console scripts do); set ``TF_ENABLE_ONEDNN_OPTS=0`` to keep TensorFlow's own choice.
"""

import os

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
