"""SMS providers behind one small interface: read an inbound message, send an outgoing one.

`webhook` accepts the common inbound webhook (form fields From, Body and a message id, signed
with HMAC-SHA256 of the URL and the sorted parameters); `console` serves development: inbound
messages are typed at `flask sms receive`, outgoing ones are written to the log. Outgoing SMS
are queued in the notification outbox (channel "sms") and leave through `send`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Inbound:
    provider_id: str
    phone: str
    body: str


def send(notification, config) -> str:
    """Send one queued SMS through the configured provider; returns how it went out."""
    from . import console

    return console.send(notification, config)
