"""The Output widget mimic must not hide a reply from the poll that awaits it.

The race, made deterministic: a kernel-side ROUTER answers while the event loop is
blocked, so the reply is waiting in the client's socket with its read notification
not yet handled; then the mimic sends a widget state on that socket, and the test
awaits the poll nbclient would be awaiting for the cell's reply.
"""

from __future__ import annotations

import asyncio
import time

import zmq
import zmq.asyncio
from jupyter_client.session import Session
from nbclient.output_widget import OutputWidget

from grader.autograde.output_widget import ReplySafeOutputWidget


class _Channel:
    """The part of jupyter_client's shell channel the mimic uses (its ``send`` is
    jupyter_client's: ``Session.send``, raw on a shadow of an asyncio socket)."""

    def __init__(self, socket: zmq.Socket, session: Session) -> None:
        self.socket = socket
        self.session = session

    def send(self, msg: dict) -> None:
        self.session.send(self.socket, msg)


class _Client:
    """The part of a kernel client the mimic uses: a session and a shell channel."""

    def __init__(self, socket: zmq.Socket, session: Session) -> None:
        self.session = session
        self.shell_channel = _Channel(socket, session)


async def _reply_seen(widget_class: type[OutputWidget]) -> tuple[bool, list[bytes]]:
    """Whether the poll wakes for a reply that arrived just before the widget sent,
    and what the kernel side received from the widget."""
    context = zmq.asyncio.Context()
    kernel = zmq.Context.instance().socket(zmq.ROUTER)
    port = kernel.bind_to_random_port("tcp://127.0.0.1")
    client = context.socket(zmq.DEALER)
    client.connect(f"tcp://127.0.0.1:{port}")
    session = Session(key=b"k")
    try:
        client.send_multipart(session.serialize(session.msg("execute_request")))
        request = kernel.recv_multipart()
        # nbclient awaits this poll with the cell's time limit, and finds a reply it
        # missed only when the limit ends; here a lost wake-up is a wait past 1 s.
        poll = asyncio.ensure_future(client.poll())
        await asyncio.sleep(0.05)  # the poll is registered and waiting
        kernel.send_multipart([request[0], b"execute_reply"])
        time.sleep(0.2)  # the reply lands; the blocked loop has not handled its notice
        widget = widget_class("c1", {"outputs": []}, _Client(client, session), executor=None)
        widget.parent_header = {}
        widget.sync_state()
        try:
            woke = bool(await asyncio.wait_for(poll, 1.0))
        except asyncio.TimeoutError:
            woke = False
        got = kernel.recv_multipart()
        return woke, got
    finally:
        client.close(linger=0)
        kernel.close(linger=0)
        context.term()


def test_reply_safe_widget_wakes_the_reply_poll() -> None:
    """With ReplySafeOutputWidget the pending reply is seen at once, and the kernel
    gets the widget's comm_msg, signed by the session."""
    woke, got = asyncio.run(_reply_seen(ReplySafeOutputWidget))
    assert woke
    session = Session(key=b"k")
    _, frames = session.feed_identities(got[1:])
    msg = session.deserialize(frames)
    assert msg["msg_type"] == "comm_msg"
    assert msg["content"] == {"data": {"method": "update", "state": {"outputs": []},
                                       "buffer_paths": []}, "comm_id": "c1"}


def test_nbclient_widget_loses_the_reply() -> None:
    """nbclient 0.11's own mimic loses it: the poll times out with the reply waiting.

    This documents why ReplySafeOutputWidget exists. When it fails, nbclient (or
    jupyter_client's Session.send) fixed the race upstream, and the mimic can go."""
    woke, _ = asyncio.run(_reply_seen(OutputWidget))
    assert not woke


def test_blocking_socket_falls_back() -> None:
    """On a blocking socket (no asyncio poll to lose) the mimic sends as nbclient does."""
    context = zmq.Context()
    kernel = context.socket(zmq.ROUTER)
    port = kernel.bind_to_random_port("tcp://127.0.0.1")
    client = context.socket(zmq.DEALER)
    client.connect(f"tcp://127.0.0.1:{port}")
    session = Session(key=b"k")
    try:
        widget = ReplySafeOutputWidget("c2", {"outputs": []}, _Client(client, session), None)
        widget.parent_header = {}
        widget.sync_state()
        assert kernel.poll(3000)
        _, frames = session.feed_identities(kernel.recv_multipart()[1:])
        assert session.deserialize(frames)["content"]["comm_id"] == "c2"
    finally:
        client.close(linger=0)
        kernel.close(linger=0)
        context.term()


def test_safe_execute_opens_output_widgets_with_the_reply_safe_mimic() -> None:
    """SafeExecute answers a kernel's Output widget with ReplySafeOutputWidget, and
    leaves other widgets to nbclient (no mimic)."""
    from nbclient import NotebookClient
    from nbformat.v4 import new_notebook

    from grader.autograde.preprocessors.safe_execute import SafeExecute

    executor = SafeExecute()
    NotebookClient.__init__(executor, new_notebook())  # as nbconvert's preprocess does

    def comm_open(module: str, model: str) -> dict:
        state = {"_model_module": module, "_model_name": model, "outputs": []}
        return {"content": {"comm_id": "c3", "data": {"state": state}}}

    output = executor.on_comm_open_jupyter_widget(
        comm_open("@jupyter-widgets/output", "OutputModel"))
    assert type(output) is ReplySafeOutputWidget
    assert executor.on_comm_open_jupyter_widget(
        comm_open("@jupyter-widgets/controls", "IntSliderModel")) is None
