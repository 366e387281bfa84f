"""Outgoing SMS through a provider's HTTP messages API in the common format.

One form-encoded POST per message to `SMS_API_URL` (for Twilio,
https://api.twilio.com/2010-04-01/Accounts/<AccountSid>/Messages.json) with the fields To,
From and Body, authenticated with HTTP basic auth (`SMS_API_USER` / `SMS_API_PASSWORD`, for
Twilio the account SID and auth token). A 2xx answer means the provider accepted the message;
its JSON id (`sid` or `id`) is logged. Anything else raises, and the outbox retries later.
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.parse
import urllib.request

log = logging.getLogger("qhatu.sms")

TIMEOUT_SECONDS = 20


class SmsSendError(RuntimeError):
    """The provider refused the message or could not be reached."""


def settings(config) -> tuple[str, str, str, str]:
    url = config.get("SMS_API_URL")
    sender = config.get("SMS_FROM")
    user = config.get("SMS_API_USER")
    password = config.get("SMS_API_PASSWORD")
    if not (url and sender and user and password):
        raise SmsSendError(
            "SMS_PROVIDER=http needs SMS_API_URL, SMS_FROM, SMS_API_USER and SMS_API_PASSWORD"
        )
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise SmsSendError("SMS_API_URL must be an http(s) URL")
    return url, sender, user, password


def send(notification, config) -> str:
    """POST one message; returns "http:<provider id>"."""
    url, sender, user, password = settings(config)
    data = urllib.parse.urlencode(
        {"To": notification.phone, "From": sender, "Body": notification.body}
    ).encode()
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    request = urllib.request.Request(  # noqa: S310 (scheme checked in settings)
        url,
        data=data,
        method="POST",
        headers={
            "Authorization": f"Basic {token}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        },
    )
    try:
        # settings() refuses any scheme but http(s): no file:// or custom opener here.
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310  # nosec B310
            payload = response.read()
    except urllib.error.HTTPError as error:
        detail = error.read()[:300].decode(errors="replace")
        raise SmsSendError(f"provider answered {error.code}: {detail}") from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise SmsSendError(f"provider not reached: {error}") from error
    try:
        answer = json.loads(payload or b"{}")
    except ValueError:
        answer = {}
    provider_id = str(answer.get("sid") or answer.get("id") or "")
    log.info("[sms] to %s accepted by the provider (%s)", notification.phone, provider_id or "-")
    return f"http:{provider_id}" if provider_id else "http"
