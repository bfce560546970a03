"""The public :class:`Call`, assembled from its three parts.

* ``_call_base.py``: identity, state, ``on``, ``wait_for`` and the state waits;
* ``_call_control.py``: methods returning the server's result object;
* ``_call_media.py``: methods starting an action.

These four modules, ``_actions.py`` and ``_message.py`` are the sources relay_sync generates its
blocking twins from (see ``_primitives``).
"""

from __future__ import annotations

from ._call_control import ControlMethods
from ._call_media import MediaMethods

__all__ = ["Call"]


class Call(MediaMethods, ControlMethods):
    """A live call: inbound (``on_call``), outbound (``dial``) or a leg of a dial.

    Created by the client; applications do not build calls themselves. Its attributes are kept
    current by the events the server sends; its command methods send ``calling.*`` requests
    for this call.

    Attributes:
        call_id, node_id: the call's identity on the server.
        project_id: the project the call belongs to.
        context: the context the call arrived on (the real context, not the session's
            protocol string as in the official SDK: decision D16).
        tag: the dial tag, for outbound calls.
        direction: ``"inbound"`` or ``"outbound"``.
        device: the device object (``{"type": "phone", "params": {"from_number": ...,
            "to_number": ...}}``), ``{}`` when unknown.
        state: ``created``, ``ringing``, ``answered``, ``ending`` or ``ended``.
        segment_id: the call segment id, when the server sends one.
    """
