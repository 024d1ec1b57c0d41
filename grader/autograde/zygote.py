"""The warm kernel factory that runs inside a worker's sandbox (the "zygote").

A fresh kernel spends most of a notebook's grading time starting Python, ipykernel and
torch. A batch worker therefore keeps one long-lived sandbox per slot
(:mod:`grader.autograde.warm`) in which this program imports those modules once and
then, on request, forks: each child becomes one notebook's kernel (ipykernel's own
``launch_new_instance``, as ``python -m ipykernel_launcher`` would run it) and starts
with everything already imported. The zygote itself never runs student code: the
children do, and they are killed, with every process they started, before the next
notebook's kernel is forked.

Why a child cannot reach the next student's kernel:

* memory, modules and monkeypatches: each kernel is a new fork of the zygote, which
  only imported modules of the read-only environment; nothing a child changes in its
  own memory is seen by its parent or by a later fork;
* the zygote cannot be tampered with by its children (same uid): it makes itself
  non-dumpable (``PR_SET_DUMPABLE`` 0), so they cannot ptrace it or read or write its
  memory through ``/proc``; if one kills or stops it, the worker notices and replaces
  the whole sandbox;
* processes: :func:`scrub` kills every process of the sandbox but itself and the
  sandbox's init (``kill(-1)`` reaches only its own pid namespace), repeatedly, so a
  fork bomb ends too, and removes the System V IPC objects they left;
* files: a kernel can write its folder, the run folder and ``/tmp``; the worker empties
  the first two from outside (:mod:`grader.autograde.warm`), the zygote empties ``/tmp``.

Protocol: one JSON object per line on stdin (requests) and stdout (replies; exit
notices ``{"exit": pid, "status": code}`` may come between them). This file is run
with ``python -c`` inside the sandbox, where the ``grader`` package cannot be imported:
it uses the standard library only, until a child imports ipykernel.
"""

import ctypes
import json
import os
import select
import shutil
import signal
import sys

PR_SET_DUMPABLE = 4
IPC_RMID = 0
#: The pipe to the worker (stdout as started; :func:`main` moves it here and points
#: stdout at stderr, so that nothing an import prints can garble a reply).
CONTROL = -1
#: Imported once here, so that no kernel pays for them again. ``torch._dynamo``: torch
#: imports it when a process builds its first optimizer (about 2 CPU seconds, in most
#: lessons' training cells). ``ipywidgets``: its import registers its comm target only
#: when a shell is running, which only the child has, so :func:`become_kernel` registers
#: it. Not matplotlib.pyplot or matplotlib_inline: on import those hook into the running
#: IPython shell (and cost little).
WARM_MODULES = ("torch", "torch.nn", "torch.nn.functional", "torch.optim", "torch._dynamo",
                "numpy", "matplotlib", "matplotlib.figure", "matplotlib.axes",
                "matplotlib.backends.backend_agg", "IPython", "ipykernel.kernelapp",
                "ipykernel.ipkernel", "ipykernel.zmqshell", "ipywidgets")


def send(obj: dict) -> None:
    """One reply line to the worker."""
    os.write(CONTROL, (json.dumps(obj) + "\n").encode())


def others() -> list[int]:
    """The pids of this sandbox but the zygote and the sandbox's init (pid 1)."""
    me = os.getpid()
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, me)]


def reap(kernels: set[int]) -> None:
    """Collect ended children; report the exit of each kernel (as Popen's returncode)."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid in kernels:
            kernels.discard(pid)
            code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
            send({"exit": pid, "status": code})


def remove_ipc(libc: ctypes.CDLL) -> int:
    """Remove the System V shared memory, semaphores and queues left in the sandbox's
    IPC namespace (this uid owns them all); how many."""
    removed = 0
    for kind, call in (("shm", libc.shmctl), ("sem", libc.semctl), ("msg", libc.msgctl)):
        try:
            with open(f"/proc/sysvipc/{kind}") as fh:
                rows = fh.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            ident = int(row.split()[1])
            if kind == "sem":
                ok = call(ident, 0, IPC_RMID) == 0
            else:
                ok = call(ident, IPC_RMID, None) == 0
            removed += ok
    return removed


def mount_points() -> set[str]:
    """The mount points this sandbox sees."""
    with open("/proc/self/mountinfo") as fh:
        return {line.split()[4] for line in fh}


def wipe(path: str, keep: set[str]) -> int:
    """Remove everything in ``path`` but the mount points in ``keep`` and the folders
    leading to them (the run folder is mounted inside /tmp); how many entries could not
    be removed."""
    failed = 0
    try:
        names = os.listdir(path)
    except PermissionError:  # a folder the kernel closed (user mode: it owns them)
        try:
            os.chmod(path, 0o755)
            names = os.listdir(path)
        except OSError:
            return 1
    for name in names:
        full = os.path.join(path, name)
        if full in keep:
            continue
        if any(k.startswith(full + "/") for k in keep):
            failed += wipe(full, keep)
            continue
        try:
            if os.path.isdir(full) and not os.path.islink(full):
                os.chmod(full, 0o700)
                for root, dirs, _ in os.walk(full):  # a folder made unreadable is opened up
                    for d in [root, *(os.path.join(root, x) for x in dirs)]:
                        try:
                            os.chmod(d, 0o700)
                        except OSError:
                            pass
                shutil.rmtree(full)
            else:
                os.unlink(full)
        except OSError:
            failed += 1
    return failed


def scrub(libc: ctypes.CDLL, kernels: set[int]) -> dict:
    """Kill every other process of the sandbox (repeated, against a fork bomb), reap,
    remove IPC objects, empty /tmp; what was found."""
    killed = 0
    for _ in range(50):
        found = others()
        if not found:
            break
        killed += len(found)
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        select.select([], [], [], 0.02)
        reap(kernels)
    return {"killed": killed, "left": len(others()), "ipc": remove_ipc(libc),
            "tmp_left": wipe("/tmp", mount_points())}


def become_kernel(request: dict, log: str) -> None:
    """In the forked child: a fresh kernel, as ``python -m ipykernel_launcher`` would be.
    Never returns."""
    code = 1
    try:
        os.setsid()
        os.close(CONTROL)
        null = os.open(os.devnull, os.O_RDONLY)
        out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        for fd in (null, out):
            os.close(fd)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        # A fresh kernel seeds numpy's and torch's global generators from the OS; a fork
        # would copy the zygote's (Python's `random` reseeds itself after a fork).
        import numpy
        import torch

        numpy.random.seed()
        torch.seed()
        import ipywidgets
        from ipykernel import kernelapp

        sys.argv = ["ipykernel_launcher", *request["argv"]]
        # IPKernelApp.launch_instance, with what importing ipywidgets in the running
        # kernel would have done (it was imported here, before the kernel existed).
        app = kernelapp.IPKernelApp.instance()
        app.initialize(request["argv"])
        ipywidgets.register_comm_target()
        app.start()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:  # noqa: BLE001 - the kernel's log says why
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def serve(libc: ctypes.CDLL) -> None:
    """Answer the worker's requests until its end of the pipe closes."""
    kernels: set[int] = set()
    buffered = b""
    while True:
        ready, _, _ = select.select([0], [], [], 0.1)
        reap(kernels)
        if not ready:
            continue
        chunk = os.read(0, 65536)
        if not chunk:
            scrub(libc, kernels)
            return
        buffered += chunk
        while b"\n" in buffered:
            line, buffered = buffered.split(b"\n", 1)
            handle(libc, json.loads(line), kernels)


def handle(libc: ctypes.CDLL, request: dict, kernels: set[int]) -> None:
    """One request: fork a kernel, signal it, count the other processes, or scrub."""
    op = request.get("op")
    if op == "fork":
        pid = os.fork()
        if pid == 0:
            become_kernel(request, request["log"])
        kernels.add(pid)
        send({"pid": pid})
    elif op == "signal":
        if request["pid"] in kernels:
            try:
                os.kill(request["pid"], request["sig"])
            except ProcessLookupError:
                pass
        send({"ok": True})
    elif op == "count":
        send({"count": len([p for p in others() if p not in request.get("exclude", [])])})
    elif op == "scrub":
        send(scrub(libc, kernels))
    else:
        send({"error": f"unknown request {op!r}"})


def main() -> None:
    """Warm up, then serve (see the module docstring)."""
    global CONTROL
    CONTROL = os.dup(1)
    os.dup2(2, 1)
    # The notebook folder is the working directory: never a place to import from here.
    sys.path[:] = [p for p in sys.path if p not in ("", os.getcwd())]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        send({"error": "prctl(PR_SET_DUMPABLE) failed"})
        return
    # What ipykernel sets before matplotlib is first imported in a kernel.
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for name in WARM_MODULES:
        __import__(name)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes select when a kernel ends
    send({"ready": os.getpid(), "modules": len(sys.modules)})
    serve(libc)


if __name__ == "__main__":
    main()
