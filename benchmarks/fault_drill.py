"""Kill/resume drill: SIGKILL a training run at random moments, restart it, compare with an uninterrupted run.

Run: ``.venv/bin/python benchmarks/fault_drill.py [--runs 5] [--steps 300] [--workers 1|2] [--seed 0]``

For each of ``--runs`` drills a training process (``tfgan-train``, or with
``--workers=2`` a ``tfgan-launch-local`` cluster whose non-chief worker is the one
killed) is SIGKILLed at a uniformly random time between its first checkpoint and
the expected end of training, so kills land in training steps, checkpoint writes
and the final export alike. The run is then restarted with the same command until
it finishes. A drill passes when the final checkpoint is at the planned step and
every network weight equals the uninterrupted reference run's (|Δ| ≤ 1e-6;
``deterministic=True`` makes single-process runs bit-reproducible). The table
gives per drill the kill time, the step it resumed from, whether it passed, and
the time lost: (killed run + restarted run) − reference run.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import tensorflow as tf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = [
    "--config=dcgan_digits", "--config.data.image_size=16", "--config.data.batch_size=16",
    "--config.model.latent_dim=8", "--config.model.generator.width=8", "--config.model.discriminator.width=8",
    "--config.train.jit_compile=False", "--config.train.deterministic=True",
]


def command(workdir: str, steps: int, workers: int, log_dir: str) -> list[str]:
    """The training command of one attempt (checkpoint every steps/10, images rarely)."""
    every = max(steps // 10, 1)
    flags = [*TINY, f"--config.train.steps={steps}", f"--config.train.checkpoint_every={every}",
             f"--config.train.log_every={every}", f"--config.train.image_every={steps}", f"--workdir={workdir}"]
    if workers > 1:
        return [sys.executable, "-m", "tfgan_apps.cli.launch", f"--workers={workers}", f"--log_dir={log_dir}", *flags]
    return [sys.executable, "-m", "tfgan_apps.cli.train", *flags]


def run_to_end(cmd: list[str]) -> float:
    """Runs ``cmd`` to completion; returns its wall time (raises on failure)."""
    t0 = time.monotonic()
    result = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed:\n{result.stderr[-3000:]}")
    return time.monotonic() - t0


def weights(workdir: str) -> tuple[int, dict[str, np.ndarray]]:
    """(step of the latest checkpoint, its generator and discriminator variables)."""
    path = tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints"))
    reader = tf.train.load_checkpoint(path)
    names = [n for n in reader.get_variable_to_shape_map() if n.startswith(("generator/", "discriminator/"))]
    return int(path.rsplit("-", 1)[1]), {n: reader.get_tensor(n) for n in names}


def first_checkpoint_seen(workdir: str, proc: subprocess.Popen, timeout: float = 600) -> float:
    """Waits until the run's first checkpoint exists; returns the time it took."""
    t0 = time.monotonic()
    folder = os.path.join(workdir, "checkpoints")
    while proc.poll() is None and time.monotonic() - t0 < timeout:
        if os.path.isdir(folder) and any(n.endswith(".index") for n in os.listdir(folder)):
            break
        time.sleep(0.02)
    return time.monotonic() - t0


def drill(index: int, steps: int, workers: int, reference: dict[str, np.ndarray], ref_time: float,
          rng: random.Random, root: str) -> dict[str, object]:
    """One kill + restart; returns the row of the table."""
    workdir, log_dir = os.path.join(root, f"drill{index}"), os.path.join(root, f"logs{index}")
    cmd = command(workdir, steps, workers, log_dir)
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ready = first_checkpoint_seen(workdir, proc)
    delay = rng.uniform(0.0, max(ref_time - ready, 0.1))
    time.sleep(delay)
    victim = proc.pid
    if workers > 1:
        with open(os.path.join(log_dir, "worker-1.pid")) as f:
            victim = int(f.read())
    finished_first = proc.poll() == 0
    if not finished_first:
        os.kill(victim, signal.SIGKILL)
    proc.wait()
    killed_after = time.monotonic() - t0
    resumed_from = weights(workdir)[0] if tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints")) else 0
    restart = run_to_end(cmd)
    step, final = weights(workdir)
    worst = max(float(np.max(np.abs(final[k] - reference[k]))) for k in reference)
    return {
        "drill": index, "killed_at_s": killed_after, "finished_before_kill": finished_first,
        "resumed_from": resumed_from, "final_step": step, "max_abs_diff": worst,
        "passed": step == steps and worst <= 1e-6 and final.keys() == reference.keys(),
        "lost_s": killed_after + restart - ref_time,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="number of kill/resume drills")
    parser.add_argument("--steps", type=int, default=300, help="planned training steps per run")
    parser.add_argument("--workers", type=int, default=1, help="1: tfgan-train; >1: tfgan-launch-local cluster")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random kill times")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    root = tempfile.mkdtemp(prefix="fault-drill-")
    ref_dir = os.path.join(root, "reference")
    ref_time = run_to_end(command(ref_dir, args.steps, args.workers, os.path.join(root, "ref-logs")))
    reference = weights(ref_dir)[1]
    rows = [drill(i, args.steps, args.workers, reference, ref_time, rng, root) for i in range(args.runs)]
    print(f"\nFault drill: {args.runs} runs of {args.steps} steps, workers={args.workers}, "
          f"reference run {ref_time:.1f} s\n")
    print("| drill | killed after (s) | resumed from step | final step | max abs Δw | passed | time lost (s) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        note = " (finished before the kill)" if r["finished_before_kill"] else ""
        print(f"| {r['drill']} | {r['killed_at_s']:.1f}{note} | {r['resumed_from']} | {r['final_step']} | "
              f"{r['max_abs_diff']:.2e} | {'yes' if r['passed'] else 'NO'} | {r['lost_s']:.1f} |")
    passed = sum(bool(r["passed"]) for r in rows)
    lost = [r["lost_s"] for r in rows if not r["finished_before_kill"]]
    print(f"\n{passed}/{len(rows)} drills reached step {args.steps} with the reference weights; "
          f"mean time lost per restart {np.mean(lost) if lost else float('nan'):.1f} s")


ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", TFGAN_PROGRESS="0")

if __name__ == "__main__":
    main()
