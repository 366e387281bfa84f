"""SMS providers behind one small interface: read an inbound message, send an outgoing one.

`SMS_PROVIDER` chooses the adapter that sends:
- `console` (development, the default): outgoing messages are written to the log; inbound ones
  are typed at `flask sms receive`.
- `http`: a provider with the common HTTP messages API (form POST of To, From and Body with
  basic auth, as Twilio's Messages resource); see `http_api`.

Inbound messages arrive at `/sms/inbound` in the common webhook format (form fields From, Body
and a message id, signed with HMAC-SHA256 of the URL and the sorted parameters; `webhook`).
Outgoing SMS are queued in the notification outbox (channel "sms") and leave through `send`.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import console, http_api

PROVIDERS = ("console", "http")


@dataclass(frozen=True)
class Inbound:
    provider_id: str
    phone: str
    body: str


def send(notification, config) -> str:
    """Send one queued SMS through the configured provider; returns how it went out.

    Raises on a transport or provider error: the outbox records it and tries again later.
    """
    provider = (config.get("SMS_PROVIDER") or "console").lower()
    if provider == "http":
        return http_api.send(notification, config)
    if provider != "console":
        raise ValueError(f"unknown SMS_PROVIDER {provider!r} (choose one of {PROVIDERS})")
    return console.send(notification, config)
