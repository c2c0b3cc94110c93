"""The grader's contained kernel: what code inside the sandbox can and cannot do.

Each test runs a few lines of Python through :func:`utils.sandbox.wrap`, the very command the
grader starts a kernel with. Without bubblewrap (not Linux, not installed) the containment
tests are skipped, except on CI, where `make sandbox-deps` installs it and they must run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from utils import sandbox

CONTAINED = sandbox.containment()[0] == "bwrap"
needs_bwrap = pytest.mark.skipif(not CONTAINED and not os.environ.get("CI"),
                                 reason=f"no containment here: {sandbox.containment()[1]}")


def _run(tmp_path: Path, code: str, limits: sandbox.Limits | None = None,
         env: dict[str, str] | None = None, readable: list[Path] | None = None) -> subprocess.CompletedProcess:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    uid = sandbox.kernel_uid()
    if uid is not None:
        os.chown(work, uid, uid)
    cmd = sandbox.wrap([sandbox.python(), "-c", code], work, readable or [],
                       env or {"HOME": str(work), "ONLY": "this"}, limits or sandbox.Limits())
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def test_containment_is_reported() -> None:
    kind, why = sandbox.containment()
    assert kind in ("bwrap", "no") and why
    if os.environ.get("CI") and sys.platform.startswith("linux"):
        assert kind == "bwrap", why


@needs_bwrap
def test_the_kernel_sees_only_its_folder_and_the_system(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GRADER_ONLY", "the lecturer's")
    secret = tmp_path / "other" / "submission.ipynb"
    secret.parent.mkdir()
    secret.write_text("another student's answers")
    proc = _run(tmp_path, f"""
import os
print(sorted(os.environ))
try:
    open({str(secret)!r}).read()
except OSError as err:
    print("other:", type(err).__name__)
try:
    open("/etc/hostname-test", "w")
except OSError as err:
    print("system:", type(err).__name__)
open("mine.txt", "w").write("ok")
print("pids:", len([p for p in os.listdir("/proc") if p.isdigit()]), "uid:", os.getuid())
""")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    names = set(eval(out.splitlines()[0])) - {"LC_CTYPE", "PWD"}  # set by Python and bwrap
    assert names == {"HOME", "ONLY"}, out  # nothing of the grader's environment
    assert "other: FileNotFoundError" in out  # other folders are not there at all
    assert "system: OSError" in out or "system: PermissionError" in out  # read-only system
    assert (tmp_path / "work" / "mine.txt").read_text() == "ok"
    pids = int(out.split("pids:")[1].split()[0])
    assert pids <= 3, out  # its own process namespace: the grader's processes are invisible
    if os.geteuid() == 0:
        assert f"uid: {sandbox.kernel_uid()}" in out  # not root


@needs_bwrap
def test_the_kernel_has_no_network(tmp_path) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        proc = _run(tmp_path, f"""
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=3)
    print("connected")
except OSError as err:
    print("refused:", type(err).__name__)
""")
    assert "refused:" in proc.stdout, proc.stdout + proc.stderr


@needs_bwrap
def test_the_process_limit_stops_a_thread_bomb(tmp_path) -> None:
    if os.geteuid() != 0:
        pytest.skip("the process limit needs the kernel's own user id (grader run as root)")
    proc = _run(tmp_path, """
import threading, time
n = 0
try:
    for _ in range(400):
        threading.Thread(target=time.sleep, args=(2,), daemon=True).start()
        n += 1
except RuntimeError:
    pass
print("threads:", n)
""", limits=sandbox.Limits(processes=64))
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.split("threads:")[1]) < 64


@pytest.mark.parametrize("contained", [True, False])
def test_memory_file_size_and_cpu_limits(tmp_path, monkeypatch, contained) -> None:
    if contained and not CONTAINED:
        pytest.skip("no bubblewrap here")
    if not contained:  # the limits hold without bubblewrap too
        monkeypatch.setattr(sandbox, "containment", lambda: ("no", "test"))
    limits = sandbox.Limits(memory=1 * sandbox.GiB, file_size=2**20, cpu_seconds=2)
    proc = _run(tmp_path, """
import numpy as np
try:
    a = np.ones(2 * 2**30, dtype=np.uint8)
    print("memory: allocated")
except MemoryError:
    print("memory: refused")
try:
    open("big.bin", "wb").write(b"x" * 4 * 2**20)
    print("file: written")
except OSError as err:
    print("file: refused", err.errno)
""", limits=limits)
    assert "memory: refused" in proc.stdout and "file: refused" in proc.stdout, proc.stdout + proc.stderr
    assert (tmp_path / "work" / "big.bin").stat().st_size <= 2**20  # written in its own folder
    spin = _run(tmp_path, "while True:\n    pass", limits=limits)
    assert spin.returncode != 0  # killed by SIGXCPU after 2 s of CPU
