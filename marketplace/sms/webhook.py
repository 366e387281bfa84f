"""The common inbound SMS webhook: form fields From, Body, MessageSid, and a signature.

The provider signs every request: base64 of HMAC-SHA256, keyed with SMS_WEBHOOK_SECRET, over
the full URL it called followed by each POST parameter name and value, sorted by name (the
scheme Twilio uses, with SHA-256). The signature arrives in the X-Signature header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from . import Inbound

SIGNATURE_HEADER = "X-Signature"
ID_FIELDS = ("MessageSid", "SmsSid", "MessageId", "id")


def signature(secret: str, url: str, params: Mapping[str, str]) -> str:
    payload = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(secret: str | None, url: str, params: Mapping[str, str], given: str | None) -> bool:
    """True only with a configured secret and a matching signature (constant-time compare)."""
    if not secret or not given:
        return False
    return hmac.compare_digest(signature(secret, url, params), given.strip())


def parse(params: Mapping[str, str]) -> Inbound | None:
    """The message in a webhook's parameters, or None if it lacks sender, body or id."""
    provider_id = next((params[f] for f in ID_FIELDS if params.get(f)), None)
    phone = (params.get("From") or "").strip()
    if not provider_id or not phone or "Body" not in params:
        return None
    return Inbound(provider_id=provider_id, phone=phone, body=params["Body"])
