"""utils.config: the set-up cell prints one status line, returns nothing, and keeps TensorFlow's
C++ start-up notices out of the output without hiding any other line written to fd 2."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from utils import config

# Lines TensorFlow 2.21 prints on fd 2 while importing on a CPU machine (copied from a real run).
HARMLESS = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796158893.396433    7402 port.cc:153] oneDNN custom operations are on. You may "
    "see slightly different numerical results due to floating-point round-off errors from "
    "different computation orders. To turn them off, set the environment variable "
    "`TF_ENABLE_ONEDNN_OPTS=0`.",
    "I0000 00:00:1796158893.397953    7402 cudart_stub.cc:31] Could not find cuda drivers on your "
    "machine, GPU will not be used.",
    "E0000 00:00:1796158900.538882    7402 cuda_platform.cc:52] failed call to cuInit: INTERNAL: "
    "CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)",
    "I0000 00:00:1796158857.687624    5586 cpu_feature_guard.cc:227] This TensorFlow binary is "
    "optimized to use available CPU instructions in performance-critical operations.",
    "To enable the following instructions: AVX2 AVX512F AVX512_VNNI FMA, in other operations, "
    "rebuild TensorFlow with the appropriate compiler flags.",
    "E0000 00:00:1732000000.000000    123 cuda_dnn.cc:8310] Unable to register cuDNN factory: "
    "Attempting to register factory for plugin cuDNN when one has already been registered",
    "W0000 00:00:1732000000.000000    123 py_utils.cc:38] TF-TRT Warning: Could not find TensorRT",
]
REAL = [
    "E0000 00:00:1796158900.538882    7402 op_kernel.cc:1830] OP_REQUIRES failed: out of memory",
    "Traceback (most recent call last):",
    "F0000 00:00:1796158900.538882    7402 cpu_feature_guard.cc:80] The TensorFlow library was "
    "compiled to use AVX instructions, but these aren't available on your machine.",
    "Illegal instruction (core dumped)",
]


@pytest.mark.parametrize("line", HARMLESS)
def test_known_start_up_lines_are_harmless(line, monkeypatch) -> None:
    monkeypatch.setattr(config, "_has_nvidia_device", lambda: False)
    assert config._harmless_stderr_line(line + "\n")


@pytest.mark.parametrize("line", REAL)
def test_other_lines_are_not_harmless(line) -> None:
    assert not config._harmless_stderr_line(line + "\n")


def test_cuinit_failure_is_shown_where_there_is_an_nvidia_device(monkeypatch) -> None:
    monkeypatch.setattr(config, "_has_nvidia_device", lambda: True)
    assert not config._harmless_stderr_line(HARMLESS[3])
    assert config._harmless_stderr_line(HARMLESS[2])


def _fd2_identity() -> tuple[int, int]:
    st = os.fstat(2)
    return st.st_dev, st.st_ino


def test_harmless_line_is_dropped_and_unknown_line_re_emitted(capfd, monkeypatch) -> None:
    monkeypatch.setattr(config, "_has_nvidia_device", lambda: False)
    before = _fd2_identity()
    with config._native_stderr_filtered():
        assert _fd2_identity() != before  # fd 2 really points elsewhere inside the block
        os.write(2, ("\n".join(HARMLESS[:4]) + "\n").encode())
        os.write(2, b"something real went wrong\n")
        os.write(2, (HARMLESS[4] + "\n" + HARMLESS[5] + "\n").encode())
    assert _fd2_identity() == before
    err = capfd.readouterr().err
    assert err == "something real went wrong\n"


def test_fd2_is_restored_when_the_block_raises(capfd) -> None:
    before = _fd2_identity()
    with pytest.raises(RuntimeError, match="boom"), config._native_stderr_filtered():
        os.write(2, b"native message before the failure\n")
        raise RuntimeError("boom")
    assert _fd2_identity() == before
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "native message before the failure\nafter\n"


def test_fd2_is_restored_when_importing_keras_fails(capfd, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "keras", None)  # `import keras` raises ImportError
    before = _fd2_identity()
    with pytest.raises(ImportError):
        config.setup("9_9_fixture", tensorflow=True)
    assert _fd2_identity() == before
    os.write(2, b"still on stderr\n")
    assert "still on stderr" in capfd.readouterr().err


def test_setup_prints_one_line_and_returns_none(capsys) -> None:
    result = config.setup("9_9_fixture", tensorflow=False)
    out = capsys.readouterr().out
    assert result is None
    assert out.count("\n") == 1 and out.startswith("[course] 9_9_fixture | mode=")
    assert config.status_line() == out.rstrip("\n")


def test_setup_with_tensorflow_writes_nothing_to_stderr(tmp_path) -> None:
    """The real import in a fresh process: the status line on stdout, an empty stderr."""
    env = dict(os.environ)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    proc = subprocess.run(
        [sys.executable, "-c", "import utils; utils.setup('9_9_fixture')"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("[course] 9_9_fixture | ") and "tensorflow=" in proc.stdout
    assert proc.stdout.count("\n") == 1
    assert proc.stderr == ""
