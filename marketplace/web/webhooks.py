"""Webhooks from payment providers: the only routes exempt from CSRF, because the
provider's signature on the raw body stands in for it."""

import logging

from flask import Blueprint, request

from ..extensions import csrf, db
from ..services import stripe_events

bp = Blueprint("webhooks", __name__)
log = logging.getLogger("qhatu.payments")


@bp.route("/webhooks/stripe", methods=["POST"])
@csrf.exempt
def stripe_webhook():
    """Verify, store once, apply; 400 with nothing written when the signature fails."""
    payload = request.get_data(cache=False)
    try:
        outcome = stripe_events.receive_event(
            db.session, payload, request.headers.get("Stripe-Signature")
        )
    except ValueError as error:
        db.session.rollback()
        log.warning("stripe webhook refused: %s", error)
        return {"error": "invalid signature or payload"}, 400
    db.session.commit()
    return {"received": True, "outcome": outcome}, 200
