"""utils.distribute: TF_CONFIG, free ports, and a launcher that never leaves a process behind."""

from __future__ import annotations

import json
import os
import sys
import time

import pytest

from utils import distribute


def test_tf_config_and_ports() -> None:
    ports = distribute.free_ports(2)
    assert len(set(ports)) == 2 and all(0 < p < 65536 for p in ports)
    cfg = distribute.tf_config(ports, 1)
    assert cfg == {
        "cluster": {"worker": [f"127.0.0.1:{ports[0]}", f"127.0.0.1:{ports[1]}"]},
        "task": {"type": "worker", "index": 1},
    }
    with pytest.raises(ValueError, match="outside the cluster of 2"):
        distribute.tf_config(ports, 2)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie counts as dead
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return False


def test_run_workers_passes_tf_config_and_collects_results() -> None:
    code = (
        "import json, os, sys; c = json.loads(os.environ['TF_CONFIG']); "
        "open(sys.argv[1], 'w').write(json.dumps({'index': c['task']['index'], "
        "'n': len(c['cluster']['worker'])}))"
    )
    res = distribute.run_workers(
        2, timeout=20, command=lambda i, out: [sys.executable, "-c", code, str(out)]
    )
    assert [(r["index"], r["n"]) for r in res] == [(0, 2), (1, 2)]
    assert all(r["wall_seconds"] > 0 for r in res)


def test_run_workers_kills_everything_on_timeout(tmp_path) -> None:
    pids = tmp_path / "pids"
    code = f"import os, time; open({str(pids)!r} + str(os.getpid()), 'w'); time.sleep(60)"
    t0 = time.perf_counter()
    with pytest.raises(TimeoutError, match="did not finish within 1"):
        distribute.run_workers(2, timeout=1.0, command=lambda i, out: [sys.executable, "-c", code])
    assert time.perf_counter() - t0 < 15
    started = [int(p.name[len("pids") :]) for p in tmp_path.iterdir()]
    assert started and not any(_alive(pid) for pid in started)


def test_run_workers_reports_a_failed_worker_and_kills_the_other() -> None:
    def command(i: int, out) -> list[str]:
        if i == 1:
            return [sys.executable, "-c", "raise SystemExit('worker one is broken')"]
        return [sys.executable, "-c", "import time; time.sleep(60)"]

    t0 = time.perf_counter()
    with pytest.raises(
        RuntimeError, match="worker 1 exited with code 1(.|\n)*worker one is broken"
    ):
        distribute.run_workers(2, timeout=30, command=command)
    assert time.perf_counter() - t0 < 15


def test_worker_needs_tf_config(monkeypatch) -> None:
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(SystemExit, match="TF_CONFIG"):
        distribute.main(["--out", os.devnull])
    assert json.loads(json.dumps(distribute.tf_config([1, 2], 0)))["task"]["index"] == 0
