"""Helpers of the UI test (tests/test_ui.py): Debian's Chromium, a throw-away JupyterLab server.

``python -m tests.uikit install-chromium`` (run by ``make ui-deps``, part of ``make test``)
installs Debian's ``chromium`` when it is missing and the machine allows it (root + apt-get).
Playwright never downloads a browser here: the test drives ``/usr/bin/chromium``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and nothing that talks to Google's servers or needs a GPU or a sandbox (root, CI).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
APT_TIMEOUT = 900


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def chromium_available() -> bool:
    return CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)


def why_no_chromium() -> str:
    """Why the UI test has no browser, and what would fix it (without installing anything)."""
    if shutil.which("apt-get") is None:
        return f"{CHROMIUM} is missing and there is no apt-get to install Debian's chromium"
    if os.geteuid() != 0:
        return (f"{CHROMIUM} is missing; install it with `sudo apt-get install chromium` "
                "(or run `make ui-deps` as root)")
    return f"{CHROMIUM} is missing; `make ui-deps` installs Debian's chromium (apt-get)"


def install_chromium() -> tuple[bool, str]:
    """Make sure ``/usr/bin/chromium`` exists: ``(True, how)`` or ``(False, why not)``."""
    return apt_install("chromium", CHROMIUM)


def apt_install(package: str, binary: Path) -> tuple[bool, str]:
    """Make sure Debian's ``package`` provides ``binary``: ``(True, how)`` or ``(False, why not)``."""
    if binary.is_file() and os.access(binary, os.X_OK):
        return True, f"{binary} is installed"
    apt = shutil.which("apt-get")
    if apt is None:
        return False, f"{binary} is missing and there is no apt-get to install Debian's {package}"
    if os.geteuid() != 0:
        return False, (f"{binary} is missing and installing it needs root: "
                       f"sudo apt-get install {package}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in ([apt, "update", "-qq"], [apt, "install", "-y", "-qq", package]):
        try:
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True,
                                  timeout=APT_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            return False, f"`{' '.join(cmd)}` did not finish within {APT_TIMEOUT} s"
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip()[-1500:]
            return False, f"`{' '.join(cmd)}` failed ({proc.returncode}):\n{tail}"
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        return False, f"apt-get installed {package} but {binary} is still missing"
    return True, f"installed Debian's {package} ({binary})"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lab(root: Path, token: str, env: dict[str, str], log_path: Path,
              timeout: float = 90) -> tuple[subprocess.Popen, str]:
    """JupyterLab of this venv on 127.0.0.1:<free port>, serving ``root``; returns (proc, base).

    Config, runtime, workspace and user-settings folders live under ``log_path``'s folder, so
    nothing of the developer's own JupyterLab set-up is read or written.
    """
    state = log_path.parent
    env = dict(
        env,
        JUPYTER_TOKEN=token,
        JUPYTER_CONFIG_DIR=str(state / "jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(state / "jupyter-runtime"),
        JUPYTER_DATA_DIR=str(state / "jupyter-data"),
        JUPYTERLAB_WORKSPACES_DIR=str(state / "lab-workspaces"),
        JUPYTERLAB_SETTINGS_DIR=str(state / "lab-user-settings"),
    )
    port = free_port()
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
           f"--port={port}", "--ServerApp.port_retries=0", f"--ServerApp.root_dir={root}"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(log_path, "w")  # noqa: SIM115 (closed by the process' end)
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    log.close()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        req = urllib.request.Request(f"{base}/api/status",
                                     headers={"Authorization": f"token {token}"})
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:  # loopback only
                if resp.status == 200:
                    return proc, base
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    stop(proc)
    raise RuntimeError(f"JupyterLab did not answer within {timeout} s:\n"
                       f"{log_path.read_text(errors='replace')[-3000:]}")


def stop(proc: subprocess.Popen) -> None:
    """End the process group started by :func:`start_lab` (the server and its kernels)."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def main(argv: list[str]) -> int:
    """``install-chromium`` (the UI test) or ``install-bubblewrap`` (the grader's sandbox)."""
    needs = {"install-chromium": ("ui-deps", "chromium", CHROMIUM, "the UI test needs Chromium",
                                  "tests/test_ui.py will be skipped"),
             "install-bubblewrap": ("sandbox-deps", "bubblewrap", Path("/usr/bin/bwrap"),
                                    "the grader's tests need a contained kernel",
                                    "the grader will run kernels uncontained")}
    if len(argv) != 1 or argv[0] not in needs:
        print(f"usage: python -m tests.uikit {{{','.join(needs)}}}", file=sys.stderr)
        return 2
    tag, package, binary, why, otherwise = needs[argv[0]]
    if package == "bubblewrap" and not sys.platform.startswith("linux"):
        print(f"[{tag}] not Linux: {otherwise}")
        return 0
    ok, message = apt_install(package, binary)
    print(f"[{tag}] {message}")
    if not ok:
        if in_ci():
            print(f"[{tag}] CI=true: {why}", file=sys.stderr)
            return 1
        print(f"[{tag}] {otherwise}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
