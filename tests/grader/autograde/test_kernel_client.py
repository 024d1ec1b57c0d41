"""ReadyKernelClient.wait_for_ready: ready on the kernel_info request's idle status,
asking again when IOPub had not yet joined, and failing clearly.

The first tests script the channels (no kernel); the last starts a real ipykernel and
checks that nothing older than the first request is left on IOPub once it is ready.
"""

from __future__ import annotations

import asyncio
from collections import deque
from queue import Empty

import pytest
from jupyter_client.manager import AsyncKernelManager

from grader.autograde import kernel_client
from grader.autograde.kernel_client import ReadyKernelClient


class _Channel:
    """A channel holding scripted messages; empty means its wait runs out at once."""

    def __init__(self) -> None:
        self.queue: deque[dict] = deque()

    async def get_msg(self, timeout: float | None = None) -> dict:
        if not self.queue:
            raise Empty
        return self.queue.popleft()


def _msg(msg_type: str, parent: str | None, **content) -> dict:
    return {"msg_type": msg_type, "parent_header": {"msg_id": parent} if parent else {},
            "content": content, "header": {"msg_type": msg_type}}


class _Scripted(ReadyKernelClient):
    """A client whose kernel answers each ``kernel_info`` as ``answer`` says."""

    def __init__(self, answer, alive: bool = True) -> None:
        super().__init__()
        self._shell_channel, self._iopub_channel = _Channel(), _Channel()
        self.answer, self.alive, self.asked = answer, alive, []

    def kernel_info(self) -> str:
        msg_id = f"info-{len(self.asked)}"
        self.asked.append(msg_id)
        self.answer(self, msg_id)
        return msg_id

    async def _async_is_alive(self) -> bool:
        return self.alive


def _answer_fully(client: _Scripted, msg_id: str) -> None:
    client.shell_channel.queue.append(_msg("kernel_info_reply", msg_id, status="ok",
                                           protocol_version="5.4"))
    client.iopub_channel.queue.extend([_msg("status", msg_id, execution_state="busy"),
                                       _msg("status", msg_id, execution_state="idle")])


def test_ready_on_the_requests_idle_status_skipping_older_messages():
    """A welcome, a late reply and statuses of an earlier request are skipped; the
    client is ready at its own request's idle status and reads nothing after it."""
    def answer(client, msg_id):
        client.shell_channel.queue.append(_msg("kernel_info_reply", "older", status="ok"))
        client.iopub_channel.queue.extend([_msg("iopub_welcome", None, subscription=""),
                                           _msg("status", "older", execution_state="idle")])
        _answer_fully(client, msg_id)
        client.iopub_channel.queue.append(_msg("stream", "next", text="later"))

    client = _Scripted(answer)
    asyncio.run(client.wait_for_ready(timeout=5))
    assert client.asked == ["info-0"]
    assert [m["msg_type"] for m in client.iopub_channel.queue] == ["stream"]


def test_asks_again_when_iopub_missed_the_idle_status():
    """The first request's idle status never reaches IOPub (it was sent before the
    subscription joined): the client asks again and is ready on the second's."""
    def answer(client, msg_id):
        if msg_id == "info-0":
            client.shell_channel.queue.append(_msg("kernel_info_reply", msg_id, status="ok"))
        else:
            _answer_fully(client, msg_id)

    client = _Scripted(answer)
    asyncio.run(client.wait_for_ready(timeout=5))
    assert client.asked == ["info-0", "info-1"]


def test_a_dead_kernel_and_a_silent_one_raise(monkeypatch):
    """A kernel that died, or one that never answers within the timeout, is a
    RuntimeError saying which."""
    with pytest.raises(RuntimeError, match="died"):
        asyncio.run(_Scripted(lambda c, m: None, alive=False).wait_for_ready(timeout=5))
    monkeypatch.setattr(kernel_client, "SHELL_WAIT_S", 0.01)
    with pytest.raises(RuntimeError, match="didn't respond in 0 seconds"):
        asyncio.run(_Scripted(lambda c, m: None).wait_for_ready(timeout=0.05))


@pytest.mark.slow
def test_a_real_kernel_is_ready_with_nothing_older_left_on_iopub():
    """With a real ipykernel: once ready, IOPub holds no message from before the first
    request, and the first request's output comes through."""
    async def run() -> list[dict]:
        km = AsyncKernelManager(client_class="grader.autograde.kernel_client.ReadyKernelClient")
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            with pytest.raises(Empty):
                await kc.iopub_channel.get_msg(timeout=0.5)
            msg_id = kc.execute("print('first')")
            seen = []
            while not seen or seen[-1]["content"].get("execution_state") != "idle":
                msg = await kc.iopub_channel.get_msg(timeout=30)
                assert msg["parent_header"]["msg_id"] == msg_id
                seen.append(msg)
            return seen
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)

    assert isinstance(AsyncKernelManager(
        client_class="grader.autograde.kernel_client.ReadyKernelClient").client(), ReadyKernelClient)
    seen = asyncio.run(run())
    assert [m["content"].get("text") for m in seen if m["msg_type"] == "stream"] == ["first\n"]
