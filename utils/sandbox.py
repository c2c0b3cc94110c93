"""A contained kernel for grading: scrubbed environment, private folder, limits, no network.

The grader (:mod:`utils.grade`) runs each submission's kernel through :func:`kernel_argv`:

* **limits** (everywhere): address space, CPU seconds, file size and, where the kernel runs
  under its own user id, the number of processes and threads, set by ``python -m
  utils.sandbox`` just before it starts the kernel;
* **environment**: only the variables the course needs (mode, notebook, data folders);
* **working directory**: a private temporary folder holding the submission alone;
* **on Linux with bubblewrap** (``bwrap``, Debian's ``bubblewrap``): its own mount, process,
  network, IPC and host-name namespaces. The kernel sees the system read-only, the Python
  installation, the course's ``utils`` package and the data folders, and its own folder; not
  the grader's command line, other submissions, the lecturer's files nor the network. Run as
  root, it also drops to a user id of its own with no capabilities.

Where bubblewrap is missing or cannot run, :func:`containment` says why; the grader prints
that once and marks the run ``contained = no`` in its CSV.
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

GiB = 2**30


@dataclass(frozen=True)
class Limits:
    memory: int = 8 * GiB  # address space: TensorFlow alone reserves about 4-5 GiB of it
    cpu_seconds: int = 600
    file_size: int = 512 * 2**20
    processes: int = 512  # threads count: TensorFlow starts dozens


@functools.lru_cache(maxsize=1)
def containment() -> tuple[str, str]:
    """``("bwrap", how)`` when kernels can be contained on this machine, else ``("no", why)``."""
    if not sys.platform.startswith("linux"):
        return "no", f"no process containment on {sys.platform} (bubblewrap needs Linux)"
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "no", "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    cmd = [bwrap, *_namespaces(), "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev",
           *_drop_privileges(_uid_for(os.getpid())), "true"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        return "no", f"bubblewrap could not start: {err}"
    if proc.returncode != 0:
        return "no", f"bubblewrap cannot create namespaces here: {proc.stderr.strip()[:200]}"
    who = "its own user id, no capabilities" if os.geteuid() == 0 else "the grader's user id"
    return "bwrap", f"bubblewrap: own mount, PID, network, IPC namespaces; {who}"


def _namespaces() -> list[str]:
    ns = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
          "--hostname", "sandbox", "--die-with-parent", "--new-session"]
    if os.geteuid() != 0:
        ns.append("--unshare-user")
    return ns


def _uid_for(slot: int) -> int:
    """A user id of the kernel's own (root only): one per grading worker, not in /etc/passwd."""
    return 61000 + slot % 3000


def _drop_privileges(uid: int) -> list[str]:
    if os.geteuid() != 0:
        return []
    return [shutil.which("setpriv") or "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]


def kernel_uid() -> int | None:
    """The user id this worker's kernels run as, or None when they keep the grader's."""
    if containment()[0] != "bwrap" or os.geteuid() != 0:
        return None
    return _uid_for(os.getpid())


def _system_binds() -> list[str]:
    out = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc", "--ro-bind-try", "/sys", "/sys"]
    for top in ("/bin", "/lib", "/lib64", "/lib32", "/sbin"):
        if os.path.islink(top):
            out += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            out += ["--ro-bind", top, top]
    return out


def _dirs_to(path: Path) -> list[str]:
    """Traversable (0755) parent folders for a bind at ``path`` (bwrap makes them 0700)."""
    out = []
    for parent in reversed(path.parents):
        if str(parent) not in ("/", "/usr", "/etc", "/tmp"):
            out += ["--perms", "0755", "--dir", str(parent)]
    return out


def python() -> str:
    """This environment's interpreter (the virtual environment's, as the kernel needs it)."""
    venv = Path(sys.prefix) / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def kernel_argv(work: Path, readable: list[Path], env: dict[str, str], limits: Limits) -> list[str]:
    """The command that starts one submission's kernel (``{connection_file}`` left for Jupyter)."""
    return wrap([python(), "-m", "ipykernel_launcher", "-f", "{connection_file}"], work, readable,
                env, limits)


def wrap(cmd: list[str], work: Path, readable: list[Path], env: dict[str, str], limits: Limits) -> list[str]:
    """``cmd`` contained: in ``work``, seeing ``readable`` read-only, with ``env`` and ``limits``."""
    kernel = cmd
    limit = [sys.executable, "-m", "utils.sandbox", f"--memory={limits.memory}",
             f"--cpu={limits.cpu_seconds}", f"--fsize={limits.file_size}", f"--chdir={work}"]
    kind, _ = containment()
    if kind != "bwrap":
        return [*limit, "--", *kernel]
    uid = kernel_uid()
    if uid is not None:
        limit.append(f"--nproc={limits.processes}")
    # order matters: the empty /tmp first, then what is bound into it (a course under /tmp)
    argv = [*limit, "--", shutil.which("bwrap") or "bwrap", *_namespaces(), *_system_binds(),
            "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/dev/shm",
            "--perms", "1777", "--tmpfs", "/tmp"]
    binds = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), *[p.resolve() for p in readable]}
    covered = {Path("/usr"), Path("/etc")}
    for path in sorted(binds):  # parents sort first: a folder inside one already bound is seen
        if path.exists() and not (covered & {path, *path.parents}):
            argv += [*_dirs_to(path), "--ro-bind", str(path), str(path)]
            covered.add(path)
    argv += [*_dirs_to(work), "--bind", str(work), str(work), "--chdir", str(work), "--clearenv"]
    for key, value in sorted(env.items()):
        argv += ["--setenv", key, value]
    return [*argv, *(_drop_privileges(uid) if uid is not None else []), *kernel]


def main(argv: list[str] | None = None) -> None:
    """``python -m utils.sandbox --memory=B --cpu=S --fsize=B [--nproc=N] [--chdir=D] -- CMD…``."""
    parser = argparse.ArgumentParser(prog="python -m utils.sandbox")
    parser.add_argument("--memory", type=int)
    parser.add_argument("--cpu", type=int)
    parser.add_argument("--fsize", type=int)
    parser.add_argument("--nproc", type=int)
    parser.add_argument("--chdir", help="working folder (uncontained: the private folder)")
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    for name, value in ((resource.RLIMIT_AS, args.memory), (resource.RLIMIT_CPU, args.cpu),
                        (resource.RLIMIT_FSIZE, args.fsize), (resource.RLIMIT_NPROC, args.nproc)):
        if value:
            resource.setrlimit(name, (value, value))
    if args.chdir:
        os.chdir(args.chdir)
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    main()
