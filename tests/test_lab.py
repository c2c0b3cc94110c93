"""`make lab` really serves the course: JupyterLab starts, answers its API, lists the lessons,
opens the student copy of 0_1 and does not ask about Jupyter news (jupyter/overrides.json)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

from tests.uikit import stop
from utils import config

TOKEN = "course-test-token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(req, timeout=5) as resp:  # loopback only
        return resp.status, resp.read()


def test_make_lab_starts_jupyterlab_on_the_course(tmp_path) -> None:
    port = _free_port()
    env = dict(
        os.environ,
        JUPYTER_TOKEN=TOKEN,
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
    )
    log = open(tmp_path / "lab.log", "w+")  # noqa: SIM115
    proc = subprocess.Popen(
        ["make", "-s", "lab", f"PORT={port}", "LAB_FLAGS=--no-browser"],
        cwd=config.REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline, status = time.time() + 120, None
        while time.time() < deadline and proc.poll() is None:
            try:
                status, _ = _get(f"{base}/api/status")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        log.seek(0)
        assert status == 200, f"JupyterLab did not answer within 120 s:\n{log.read()[-3000:]}"
        _, body = _get(f"{base}/api/contents/notebooks/day0")
        names = [item["name"] for item in json.loads(body)["content"]]
        assert "0_1_getting_started.ipynb" in names
        _, body = _get(f"{base}/api/contents/exercises")
        assert any(item["name"] == "day0" for item in json.loads(body)["content"])
        status, page = _get(f"{base}/lab")
        assert status == 200 and b"JupyterLab" in page
        # the start page: "/" leads to the student copy of 0_1
        req = urllib.request.Request(f"{base}/", headers={"Authorization": f"token {TOKEN}"})
        with urllib.request.urlopen(req, timeout=5) as resp:  # follows the redirect
            assert resp.url.endswith("/lab/tree/exercises/day0/0_1_getting_started.ipynb"), resp.url
            assert b'"treePath": "exercises/day0/0_1_getting_started.ipynb"' in resp.read()
        # the news prompt and the update check are off by default (app-level overrides.json)
        _, body = _get(f"{base}/lab/api/settings/@jupyterlab/apputils-extension:notification")
        props = json.loads(body)["schema"]["properties"]
        assert props["fetchNews"]["default"] == "false", props["fetchNews"]
        assert props["checkForUpdates"]["default"] is False, props["checkForUpdates"]
    finally:
        stop(proc)
        log.close()
