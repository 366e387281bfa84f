"""Development SMS: outgoing messages are written to the log; inbound ones are typed at
`flask sms receive --from +51987654321 "STOCK CHULLPI 120"`."""

from __future__ import annotations

import logging

log = logging.getLogger("qhatu.sms")


def send(notification, config) -> str:
    log.info("[sms] to %s: %s", notification.phone, notification.body)
    return "console"
