"""nbclient's Output widget mimic, made to send without losing the cell's reply.

When a cell shows an ``ipywidgets`` Output widget (``interact`` does) and the kernel
clears it, nbclient's front-end mimic (:class:`nbclient.output_widget.OutputWidget`)
tells the kernel the widget's new state with a ``comm_msg`` on the shell channel. It
sends through ``Session.send``, which writes to a plain ``zmq.Socket`` shadowing the
client's ``zmq.asyncio`` socket, while nbclient is awaiting that same socket's poll for
the cell's ``execute_reply``. A raw send runs libzmq's pending commands, which can
consume the socket's edge-triggered read notification; ``zmq.asyncio`` never hears of
that send, so it does not look at the socket again. If the reply arrived in that
moment, it sits unread until the cell's time limit interrupts the kernel: the cell
takes the whole limit (60 s by default), intermittently, with its outputs complete.

Measured with ``make bench-widgets`` (plain nbclient and ipykernel, no sandbox, two
notebooks of 40 ``interact`` cells at once): 13 of 160 cells hung with nbclient's
mimic, 0 of 160 with this one. The same race on the kernel's side was fixed in
ipykernel 7.4 (ipykernel#1529); on the client's it is open (jupyter_client#1059).
``tests/grader/autograde/test_output_widget.py`` stages it deterministically.

:class:`ReplySafeOutputWidget` sends the same message through the ``zmq.asyncio``
socket's own ``send_multipart``, which rechecks the socket for waiting messages after
sending and wakes the pending poll. :func:`use_reply_safe_output_widget` puts it in
an nbclient client's ``widget_registry``; ``SafeExecute`` calls it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import zmq.asyncio
from nbclient.jsonutil import json_clean
from nbclient.output_widget import OutputWidget

log = logging.getLogger(__name__)
OUTPUT_MODULE = "@jupyter-widgets/output"


def use_reply_safe_output_widget(client: Any) -> None:
    """Make an nbclient ``NotebookClient`` answer Output widgets with our mimic.

    nbclient rebuilds ``widget_registry`` whenever it is initialised (nbconvert does so
    for every notebook), so call this when a widget opens, not once."""
    client.widget_registry[OUTPUT_MODULE] = {"OutputModel": ReplySafeOutputWidget}


class ReplySafeOutputWidget(OutputWidget):
    """nbclient's ``OutputWidget``, whose comm messages go through the asyncio socket."""

    def send(self, data: dict[str, Any] | None = None, metadata: dict[str, Any] | None = None,
             buffers: list[Any] | None = None) -> None:
        """Send a ``comm_msg`` to the kernel's widget (nbclient's ``send``; like it, no buffers)."""
        client = self.kernel_client
        socket = client.shell_channel.socket
        if not isinstance(socket, zmq.asyncio.Socket):
            super().send(data, metadata, buffers)  # a blocking socket has no poll to lose
            return
        content = json_clean({"data": data or {}, "comm_id": self.comm_id})
        msg = client.session.msg("comm_msg", content=content, parent=self.parent_header,
                                 metadata=metadata or {})
        sent = socket.send_multipart(client.session.serialize(msg))
        sent.add_done_callback(_log_failure)


def _log_failure(sent: asyncio.Future[Any]) -> None:
    """A widget state the kernel did not get changes no output; say so in the log only."""
    if not sent.cancelled() and sent.exception() is not None:
        log.warning("could not send an Output widget's state to the kernel: %s",
                    sent.exception())
