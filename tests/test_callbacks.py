"""Periodic callbacks act every N steps and always at the final step of the run."""

from __future__ import annotations

import glob
import os
from types import SimpleNamespace

import numpy as np
import tensorflow as tf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from tests.conftest import tiny_config
from tfgan_apps import trainer
from tfgan_apps.callbacks import PeriodicCallback, write_scalars


class Recorder(PeriodicCallback):
    """Records the steps at which it is due."""

    def __init__(self, every: int, final_step: int | None = None) -> None:
        super().__init__(every, final_step)
        self.acted: list[int] = []

    def on_period(self, step, logs):
        if self.due(step):
            self.acted.append(step)


def drive(callback: PeriodicCallback, epoch_ends: list[int], start: int = 0, stop_at: int | None = None) -> None:
    """Runs ``callback`` through a fit whose epochs end at the given model steps."""
    model = SimpleNamespace(step=tf.Variable(start, dtype=tf.int64), stop_training=False)
    callback.set_model(model)
    callback.set_params({"epochs": len(epoch_ends), "steps": 1, "verbose": 0})
    callback.on_train_begin()
    for epoch, step in enumerate(epoch_ends):
        model.step.assign(step)
        model.stop_training = step == stop_at
        callback.on_epoch_end(epoch, {})


def test_acts_at_multiples_and_at_the_last_epoch_of_the_fit():
    recorder = Recorder(100)
    drive(recorder, [50 * i for i in range(1, 42)])  # a 2,050-step run in loops of 50
    assert recorder.acted == [100 * i for i in range(1, 21)] + [2050]


def test_final_step_given_by_the_trainer_and_a_resumed_run():
    recorder = Recorder(100, final_step=250)
    drive(recorder, [150, 200, 250], start=100)  # resumed at 100: the crossing at 200 and the end
    assert recorder.acted == [200, 250]


def test_every_zero_acts_only_at_the_end_and_a_stopped_loop_is_skipped():
    recorder = Recorder(0)
    drive(recorder, [10, 20, 30])
    assert recorder.acted == [30]
    recorder = Recorder(10, final_step=30)
    drive(recorder, [10, 20], stop_at=20)  # a NaN rollback cut the loop ending at 20
    assert recorder.acted == [10]


def read_events(workdir: str) -> EventAccumulator:
    (path,) = glob.glob(os.path.join(workdir, "events.out.tfevents.*"))
    events = EventAccumulator(path, size_guidance={"tensors": 0, "images": 0})
    events.Reload()
    return events


def test_write_scalars(tmp_path):
    writer = tf.summary.create_file_writer(str(tmp_path))
    write_scalars(writer, 7, {"A/b": 1.5, "C": np.float32(2.0)})
    events = read_events(str(tmp_path))
    values = {tag: [(e.step, float(tf.make_ndarray(e.tensor_proto))) for e in events.Tensors(tag)]
              for tag in ("A/b", "C")}
    assert values == {"A/b": [(7, 1.5)], "C": [(7, 2.0)]}


def test_three_step_run_logs_scalars_and_samples_at_its_final_step(tmp_path):
    config = tiny_config(train__steps=3, train__log_every=100, train__image_every=100,
                         train__checkpoint_every=100)
    config.export.enabled = False
    trainer.train(config, str(tmp_path))
    events = read_events(str(tmp_path))
    tags = events.Tags()["tensors"]
    for tag in ("Loss/D/total", "Loss/G/total", "Speed/steps_per_sec", "LearningRate/G"):
        assert tag in tags
        assert [e.step for e in events.Tensors(tag)] == [3], tag
    samples = events.Tensors("Samples")
    assert [e.step for e in samples] == [3]
    picture = tf.io.decode_png(tf.make_ndarray(samples[0].tensor_proto)[2])
    assert picture.shape[0] > 16 and picture.shape[-1] == 1
    assert tf.train.latest_checkpoint(os.path.join(str(tmp_path), "checkpoints")).endswith("ckpt-3")


def test_with_title_adds_a_band_with_dark_text_above_the_picture():
    from tfgan_apps.visualize import with_title

    picture = np.full((20, 120, 3), 200, np.uint8)
    titled = with_title(picture, "samples", height=16)
    assert titled.shape == (36, 120, 3)
    np.testing.assert_array_equal(titled[16:], picture)
    assert titled[:16].min() < 100 and titled[:16].max() == 255
    assert with_title(picture[..., 0], "grey").shape == (38, 120, 1)
