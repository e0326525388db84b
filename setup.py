"""tfgan_apps: GAN variants, metrics and restoration applications on Keras 3 / TensorFlow."""

from setuptools import find_packages, setup

setup(
    name="tfgan_apps",
    version="0.1.0",
    description="Classic GAN literature as trainable, evaluable, servable Keras 3 / TensorFlow software",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["tfgan_apps", "tfgan_apps.*"]),
    python_requires=">=3.10",
    install_requires=[
        "tensorflow>=2.16,<3",
        "keras>=3,<4",
        "tensorboard>=2.16",
        "absl-py>=1.0",
        "ml_collections>=0.1.1",
        "numpy>=1.23",
        "scipy>=1.9",
        "scikit-learn>=1.2",
        "scikit-image>=0.21",
        "tensorflow-datasets>=4.9",
        "tqdm>=4.60",
        "pillow>=9",  # tfgan-generate's PNG / GIF files
        "optuna>=4.9",  # tfgan-sweep: studies in an RDB storage, heartbeats, retries of killed workers' trials
        "matplotlib>=3.5",  # tfgan-sweep's best-score-vs-trials plot
    ],
    extras_require={
        "test": ["pytest>=7", "pytest-xdist>=3", "ruff>=0.4"],
        # benchmarks/train_speed.py's PyTorch rows (CPU build); never needed by the package or its tests.
        "bench": ["torch==2.13.0"],
    },
    entry_points={
        "console_scripts": [
            "tfgan-train=tfgan_apps.cli.train:run",
            "tfgan-export=tfgan_apps.cli.export:run",
            "tfgan-eval=tfgan_apps.cli.eval:run",
            "tfgan-generate=tfgan_apps.cli.generate:run",
            "tfgan-restore=tfgan_apps.cli.restore:run",
            "tfgan-launch-local=tfgan_apps.cli.launch:run",
            "tfgan-sweep=tfgan_apps.cli.sweep:run",
            "tfgan-anomaly=tfgan_apps.cli.anomaly:run",
        ],
    },
)
