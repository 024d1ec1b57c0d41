"""A kernel client that knows its kernel is ready without waiting for silence.

jupyter_client's ``wait_for_ready`` (which nbclient calls once per notebook, after the
kernel starts) asks for ``kernel_info``, takes any IOPub message as proof that IOPub is
connected, and then reads IOPub until it has been quiet for 0.2 s, so that nothing sent
before the first cell is mistaken for that cell's output. That quiet period is spent
on every notebook, by a kernel that has nothing more to say: about a fifth of a
second of each notebook's wall time with warm kernels (``docs/scaling.md``).

:class:`ReadyKernelClient` waits for a fact instead of for silence: the kernel publishes
``status: idle`` on IOPub once it has handled a request, so when the idle status of our
``kernel_info_request`` has arrived, IOPub is connected and holds nothing older from the
kernel (IOPub keeps the kernel's order). If it does not arrive in 0.2 s (IOPub was not
yet connected when it was sent: ZeroMQ drops what a subscriber has not yet joined for),
the client asks again, as jupyter_client does. nbclient matches every reply and output
by its request's id, so a late answer to an earlier ``kernel_info`` is ignored there.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from queue import Empty
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient

#: Seconds to wait for the shell reply to one ``kernel_info_request``.
SHELL_WAIT_S = 1.0
#: Seconds to wait, after that reply, for its idle status on IOPub before asking again.
IOPUB_WAIT_S = 0.2


class ReadyKernelClient(AsyncKernelClient):
    """jupyter_client's asyncio kernel client, whose :meth:`wait_for_ready` returns as
    soon as the kernel has answered ``kernel_info`` and IOPub has delivered that
    request's idle status (see the module docstring)."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:  # type: ignore[override]
        """Wait until the kernel answers on shell and IOPub; RuntimeError when it dies
        first or ``timeout`` seconds pass."""
        deadline = time.monotonic() + (math.inf if timeout is None else timeout)
        while True:
            msg_id = self.kernel_info()
            reply = await self._answer(self.shell_channel, msg_id, SHELL_WAIT_S,
                                       lambda m: m["msg_type"] == "kernel_info_reply")
            if reply is not None and await self._answer(self.iopub_channel, msg_id, IOPUB_WAIT_S,
                                                        _is_idle) is not None:
                self._handle_kernel_info_reply(reply)
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    @staticmethod
    async def _answer(channel: Any, msg_id: str, wait_s: float,
                      wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
        """The first message on ``channel`` answering ``msg_id`` for which ``wanted``
        holds, skipping the others; None when ``wait_s`` seconds pass first."""
        end = time.monotonic() + wait_s
        while (left := end - time.monotonic()) > 0:
            try:
                msg = await channel.get_msg(timeout=left)
            except Empty:
                return None
            if msg.get("parent_header", {}).get("msg_id") == msg_id and wanted(msg):
                return msg
        return None


def _is_idle(msg: dict[str, Any]) -> bool:
    return msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle"
