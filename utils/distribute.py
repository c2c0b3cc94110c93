"""Data-parallel training across worker processes with ``MultiWorkerMirroredStrategy``. Taught in 4_4.

Two parts:

- the **worker**, run as ``python -m utils.distribute --out result.json [--n-train N ...]``
  with ``TF_CONFIG`` set in its environment: it joins the cluster, trains the small MNIST MLP
  of :func:`utils.compress.build_mlp` on its shard of every global batch, and writes its timing
  and final metrics as JSON;
- the **launcher** :func:`run_workers`, which picks free ports on 127.0.0.1, starts the
  workers with their ``TF_CONFIG``, waits with a timeout and, in a ``finally``, kills every
  process it started that is still alive, so nothing is left running after an error.

``TF_CONFIG`` is the JSON TensorFlow reads to learn the cluster and its own place in it::

    {"cluster": {"worker": ["127.0.0.1:PORT0", "127.0.0.1:PORT1"]},
     "task": {"type": "worker", "index": 0}}

Worker 0 is the chief (it would write checkpoints and logs in a real job).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_ports(n: int, host: str = "127.0.0.1") -> list[int]:
    """``n`` distinct TCP ports on ``host`` that were free a moment ago (the OS picks them)."""
    if n < 1:
        raise ValueError(f"free_ports needs n >= 1, got {n}")
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def tf_config(ports: Sequence[int], index: int, host: str = "127.0.0.1") -> dict[str, Any]:
    """The ``TF_CONFIG`` dict of worker ``index`` in a cluster of workers on ``host:ports``."""
    if not 0 <= index < len(ports):
        raise ValueError(f"worker index {index} is outside the cluster of {len(ports)} workers")
    return {
        "cluster": {"worker": [f"{host}:{p}" for p in ports]},
        "task": {"type": "worker", "index": index},
    }


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Kill ``proc`` and the process group it leads (it was started in its own session)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


def _tail(path: Path, n: int = 25) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(lines[-n:])


def run_workers(
    n_workers: int = 2,
    *,
    timeout: float = 120.0,
    worker_args: Sequence[str] = (),
    command: Callable[[int, Path], list[str]] | None = None,
    threads_per_worker: int = 1,
) -> list[dict[str, Any]]:
    """Start ``n_workers`` worker processes with their ``TF_CONFIG``; return their results.

    worker_args: extra command-line arguments of ``python -m utils.distribute`` (for example
        ``["--n-train", "2000", "--epochs", "1"]``).
    command: ``command(index, out_path) -> argv`` replaces the default worker command (tests).
    timeout: seconds for the whole cluster; after that every worker still running is killed and
        ``TimeoutError`` is raised. Workers are killed in a ``finally`` in every case.

    Returns one dict per worker (the JSON it wrote) with ``"wall_seconds"`` added: the time from
    the launch until the process ended (it includes Python and TensorFlow start-up).
    """
    if n_workers < 1:
        raise ValueError(f"run_workers needs n_workers >= 1, got {n_workers}")
    ports = free_ports(n_workers)
    tmp = Path(tempfile.mkdtemp(prefix="course_workers_"))
    procs: list[subprocess.Popen[bytes]] = []
    logs = []
    started = time.perf_counter()
    try:
        for i in range(n_workers):
            out = tmp / f"worker{i}.json"
            argv = (
                command(i, out)
                if command is not None
                else [sys.executable, "-m", "utils.distribute", "--out", str(out), *worker_args]
            )
            env = dict(os.environ)
            env["TF_CONFIG"] = json.dumps(tf_config(ports, i))
            env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            env["COURSE_WORKER_THREADS"] = str(threads_per_worker)
            env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")]).rstrip(
                os.pathsep
            )
            log = open(tmp / f"worker{i}.log", "wb")  # noqa: SIM115 (closed below)
            logs.append(log)
            procs.append(
                subprocess.Popen(
                    argv,
                    env=env,
                    cwd=str(REPO_ROOT),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        deadline = started + timeout
        ended = [0.0] * n_workers
        while any(p.poll() is None for p in procs):
            if time.perf_counter() > deadline:
                raise TimeoutError(
                    f"the {n_workers} workers did not finish within {timeout:g} s; "
                    f"killed them. Log of worker 0:\n{_tail(tmp / 'worker0.log')}"
                )
            if any(p.poll() not in (None, 0) for p in procs):
                break  # one failed: the others would wait for it forever
            for i, p in enumerate(procs):
                if p.poll() is not None and not ended[i]:
                    ended[i] = time.perf_counter() - started
            time.sleep(0.05)
        for i in range(n_workers):
            if not ended[i]:
                ended[i] = time.perf_counter() - started
        bad = sorted(
            (i for i, p in enumerate(procs) if p.poll() != 0), key=lambda i: procs[i].poll() is None
        )  # a failed worker before a waiting one
        if bad:
            i = bad[0]
            raise RuntimeError(
                f"worker {i} exited with code {procs[i].returncode}. Its log:\n"
                f"{_tail(tmp / f'worker{i}.log')}"
            )
        results = []
        for i in range(n_workers):
            res = json.loads((tmp / f"worker{i}.json").read_text())
            res["wall_seconds"] = ended[i]
            results.append(res)
        return results
    finally:
        for p in procs:
            _kill(p)
        for log in logs:
            log.close()
        shutil.rmtree(tmp, ignore_errors=True)


# ------------------------------------------------------------------ the training loop
def train_custom(
    strategy: Any,
    x: Any,
    y: Any,
    *,
    epochs: int = 1,
    batch_size: int = 128,
    hidden: int = 128,
    seed: int = 0,
) -> dict[str, Any]:
    """Train :func:`utils.compress.build_mlp` with a custom loop under ``strategy``.

    x: (N, 784) float32, y: (N,) labels; ``batch_size`` is the global batch, split over the
    replicas. ``strategy`` may be ``tf.distribute.get_strategy()`` (the default, one device),
    a ``MirroredStrategy`` or a ``MultiWorkerMirroredStrategy``: the same code runs under all
    three. Keras 3's ``fit`` does not run under ``MultiWorkerMirroredStrategy``
    (keras-team/keras#20585), hence the loop. Returns ``{"seconds", "steps", "loss", "model"}``;
    ``seconds`` is the loop alone (the first step includes tracing the step function).
    """
    import keras
    import tensorflow as tf

    from utils.compress import build_mlp

    if len(x) != len(y) or len(x) < batch_size:
        raise ValueError(
            f"x {tuple(x.shape)} and y {tuple(y.shape)} need equal lengths of at least "
            f"one batch ({batch_size})"
        )
    keras.utils.set_random_seed(seed)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size, drop_remainder=True)
    opts = tf.data.Options()
    opts.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    dist_ds = strategy.experimental_distribute_dataset(ds.with_options(opts))
    with strategy.scope():
        model = build_mlp(hidden=hidden, compile=False)
        optimizer = keras.optimizers.Adam(1e-3)
        optimizer.build(model.trainable_variables)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)

    def replica_step(xb: Any, yb: Any) -> Any:
        with tf.GradientTape() as tape:
            per_example = loss_fn(yb, model(xb, training=True))
            # divide by the GLOBAL batch: the optimizer sums the gradients of all replicas
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=batch_size)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    @tf.function
    def train_step(batch: Any) -> Any:
        losses = strategy.run(replica_step, args=batch)
        return strategy.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None)

    t0 = time.perf_counter()
    steps, loss = 0, float("nan")
    for _ in range(epochs):
        for batch in dist_ds:
            loss = float(train_step(batch))
            steps += 1
    return {"seconds": time.perf_counter() - t0, "steps": steps, "loss": loss, "model": model}


# ------------------------------------------------------------------ the worker
def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description="One MultiWorkerMirroredStrategy worker (TF_CONFIG "
        "must be set): trains the MNIST MLP, writes JSON."
    )
    ap.add_argument("--out", required=True, help="where to write the result JSON")
    ap.add_argument(
        "--n-train", type=int, default=6000, help="training examples (first N of MNIST)"
    )
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=128, help="the GLOBAL batch (all workers)")
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one worker: join the cluster from ``TF_CONFIG``, train, write the result JSON."""
    args = _parse(argv)
    if "TF_CONFIG" not in os.environ:
        raise SystemExit("utils.distribute: TF_CONFIG is not set; start workers with run_workers()")
    task = json.loads(os.environ["TF_CONFIG"])["task"]
    import numpy as np
    import tensorflow as tf

    threads = int(os.environ.get("COURSE_WORKER_THREADS", "0"))
    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    strategy = tf.distribute.MultiWorkerMirroredStrategy()  # reads TF_CONFIG, waits for the others

    from utils.compress import mnist_flat

    (x, y), (x_test, y_test) = mnist_flat(args.n_train, 2000)
    res = train_custom(
        strategy,
        x,
        y,
        epochs=args.epochs,
        batch_size=args.batch_size,
        hidden=args.hidden,
        seed=args.seed,
    )
    logits = np.asarray(res["model"](x_test, training=False))
    result = {
        "index": int(task["index"]),
        "workers": int(strategy.num_replicas_in_sync),
        "fit_seconds": res["seconds"],
        "steps": res["steps"],
        "loss": res["loss"],
        "test_acc": float((logits.argmax(axis=1) == y_test).mean()),
    }
    Path(args.out).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
