"""``tfgan-launch-local``: run N multi-worker training processes on this machine (127.0.0.1).

    tfgan-launch-local --workers=2 --config=dcgan_digits [any tfgan-train flag]

Each worker gets a free loopback port and its own ``TF_CONFIG``
(``{"cluster": {"worker": [...]}, "task": {"type": "worker", "index": i}}``) and
runs ``python -m tfgan_apps.cli.train --strategy=multi_worker ...``. Worker 0 is the
chief: it alone writes events, checkpoints and exports into ``--workdir``; the
others save into private temporary directories that are deleted afterwards.
Worker 0's output goes to this terminal, the others' to ``--log_dir``, which
also gets each worker's process id (``worker-<i>.pid``).

On real hosts, set the same ``TF_CONFIG`` on each host (the same cluster list,
each host its own index) and run ``tfgan-train --strategy=multi_worker`` there.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

PROGRAM = "tfgan-launch-local"


def free_ports(count: int) -> list[int]:
    """``count`` distinct free TCP ports on 127.0.0.1 (held open together so they differ)."""
    sockets, ports = [], []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in sockets:
            s.close()
    return ports


def tf_configs(count: int) -> list[dict]:
    """One ``TF_CONFIG`` per worker of a loopback cluster of ``count`` workers."""
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(count)]}
    return [{"cluster": cluster, "task": {"type": "worker", "index": i}} for i in range(count)]


def _stop(procs: list[subprocess.Popen], grace: float = 10.0) -> None:
    """Terminates running workers, killing those that do not exit within ``grace`` seconds."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for p in procs:
        try:
            p.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def launch(workers: int, train_args: list[str], log_dir: str | None = None,
           env: dict[str, str] | None = None) -> int:
    """Starts ``workers`` training processes and waits for them.

    Returns 0 when every worker succeeded, else the first failing worker's exit
    code (the other workers are stopped: a collective cannot finish without it).
    """
    if workers < 1:
        sys.stderr.write(f"{PROGRAM}: error: --workers must be ≥ 1, got {workers}\n")
        return 2
    if any(a.startswith("--strategy") for a in train_args):
        sys.stderr.write(f"{PROGRAM}: error: do not pass --strategy; the workers always use multi_worker\n")
        return 2
    log_dir = log_dir or tempfile.mkdtemp(prefix="tfgan-launch-")
    os.makedirs(log_dir, exist_ok=True)
    procs: list[subprocess.Popen] = []
    logs = []
    try:
        for config in tf_configs(workers):
            index = config["task"]["index"]
            worker_env = dict(os.environ, **(env or {}), TF_CONFIG=json.dumps(config))
            out = None
            if index > 0:
                worker_env["TFGAN_PROGRESS"] = "0"
                out = open(os.path.join(log_dir, f"worker-{index}.log"), "w")  # noqa: SIM115 (closed below)
                logs.append(out)
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "tfgan_apps.cli.train", "--strategy=multi_worker", *train_args],
                env=worker_env, stdout=out, stderr=subprocess.STDOUT if out else None,
            ))
            with open(os.path.join(log_dir, f"worker-{index}.pid"), "w") as f:
                f.write(str(procs[-1].pid))
        while True:
            codes = [p.poll() for p in procs]
            failed = [(i, c) for i, c in enumerate(codes) if c not in (None, 0)]
            if failed:
                index, code = failed[0]
                sys.stderr.write(f"{PROGRAM}: error: worker {index} exited with status {code}"
                                 + (f"; its log: {log_dir}/worker-{index}.log" if index else "") + "\n")
                _stop(procs)
                return code
            if all(c == 0 for c in codes):
                return 0
            time.sleep(0.2)
    except KeyboardInterrupt:
        _stop(procs)
        return 130
    finally:
        for f in logs:
            f.close()


def run() -> None:
    """Console-script entry point; every flag not listed here is passed on to ``tfgan-train``."""
    parser = argparse.ArgumentParser(
        prog=PROGRAM, description=__doc__.splitlines()[0],
        epilog="All other flags (--config, --workdir, --config.*, --seed) are passed to each worker's tfgan-train.",
    )
    parser.add_argument("--workers", type=int, default=2, help="number of worker processes (default 2)")
    parser.add_argument("--log_dir", default=None,
                        help="where non-chief workers' logs go (default: a new temporary directory)")
    args, rest = parser.parse_known_args()
    sys.exit(launch(args.workers, rest, args.log_dir))


if __name__ == "__main__":
    run()
