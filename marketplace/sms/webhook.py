"""The common inbound SMS webhook: form fields From, Body, MessageSid, and a signature.

The provider signs every request: base64 of an HMAC keyed with SMS_WEBHOOK_SECRET, over the
full URL it called followed by each POST parameter name and value, sorted by name. Two
headers are accepted: X-Signature (HMAC-SHA256) and X-Twilio-Signature (HMAC-SHA1, Twilio's
own scheme; there SMS_WEBHOOK_SECRET is the account's auth token), so a Twilio-compatible
provider can call the webhook as it is.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from . import Inbound

SIGNATURE_HEADER = "X-Signature"
TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature"
ID_FIELDS = ("MessageSid", "SmsSid", "MessageId", "id")


def signature(secret: str, url: str, params: Mapping[str, str], digest=hashlib.sha256) -> str:
    payload = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    mac = hmac.new(secret.encode(), payload.encode(), digest).digest()
    return base64.b64encode(mac).decode()


def verify(
    secret: str | None,
    url: str,
    params: Mapping[str, str],
    given: str | None,
    digest=hashlib.sha256,
) -> bool:
    """True only with a configured secret and a matching signature (constant-time compare)."""
    if not secret or not given:
        return False
    return hmac.compare_digest(signature(secret, url, params, digest), given.strip())


def verify_request(secret: str | None, url: str, params: Mapping[str, str], headers) -> bool:
    """Check whichever signature header the provider sent (SHA-256, or Twilio's SHA-1)."""
    if headers.get(SIGNATURE_HEADER):
        return verify(secret, url, params, headers.get(SIGNATURE_HEADER))
    return verify(secret, url, params, headers.get(TWILIO_SIGNATURE_HEADER), hashlib.sha1)


def parse(params: Mapping[str, str]) -> Inbound | None:
    """The message in a webhook's parameters, or None if it lacks sender, body or id."""
    provider_id = next((params[f] for f in ID_FIELDS if params.get(f)), None)
    phone = (params.get("From") or "").strip()
    if not provider_id or not phone or "Body" not in params:
        return None
    return Inbound(provider_id=provider_id, phone=phone, body=params["Body"])
