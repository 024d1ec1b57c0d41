"""The worker's side of the zygote's protocol (:mod:`grader.autograde.zygote`): JSON lines
to the warm sandbox and back (:class:`Channel`), and :class:`WarmProcess`, which stands in
for the ``Popen`` of a kernel the zygote forked, so that jupyter's kernel manager and
provisioner poll, signal and wait for it as for any kernel process."""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import threading
import time
from typing import Any

#: How long the zygote may take to answer a request.
REPLY_TIMEOUT = 30.0


class WarmSlotError(RuntimeError):
    """The warm sandbox failed; the slot is closed and the next notebook gets a new one."""


class Channel:
    """JSON lines to and from the zygote; exit notices are kept as they arrive."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.exits: dict[int, int] = {}
        self._buffer = b""
        self._lock = threading.Lock()

    def request(self, message: dict[str, Any], timeout: float = REPLY_TIMEOUT) -> dict[str, Any]:
        with self._lock:
            assert self.process.stdin is not None
            try:
                self.process.stdin.write((json.dumps(message) + "\n").encode())
                self.process.stdin.flush()
            except OSError as exc:
                raise WarmSlotError(f"the warm sandbox is gone ({exc})") from None
            return self.reply(timeout)

    def drain(self) -> None:
        """Read the exit notices that arrived (never blocks)."""
        with self._lock:
            self._read(0.0, want_reply=False)

    def reply(self, timeout: float) -> dict[str, Any]:
        reply = self._read(timeout, want_reply=True)
        if reply is None:
            raise WarmSlotError(f"the warm sandbox did not answer within {timeout:.0f} s")
        return reply

    def _read(self, timeout: float, want_reply: bool) -> dict[str, Any] | None:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" in self._buffer:
                line, self._buffer = self._buffer.split(b"\n", 1)
                message = json.loads(line)
                if "exit" in message:
                    self.exits[int(message["exit"])] = int(message["status"])
                elif want_reply:
                    return message
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(0.0, left))
            if not ready:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                raise WarmSlotError("the warm sandbox ended")
            self._buffer += chunk


class WarmProcess:
    """The part of ``subprocess.Popen`` jupyter's provisioner uses, for a kernel the
    zygote forked (``pid`` is its pid inside the sandbox)."""

    stdin = stdout = stderr = None

    def __init__(self, channel: Channel, pid: int) -> None:
        self.channel, self.pid = channel, pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            with contextlib.suppress(WarmSlotError):
                self.channel.drain()
            self.returncode = self.channel.exits.get(self.pid)
            if self.returncode is None and self.channel.process.poll() is not None:
                self.returncode = -signal.SIGKILL  # the whole sandbox is gone
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("warm kernel", timeout or 0)
            time.sleep(0.02)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            self.channel.request({"op": "signal", "pid": self.pid, "sig": int(sig)})

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)
