"""The promoter's view of what the association is owed, line by line."""

from flask import render_template
from flask_login import current_user

from ...extensions import db
from ...permissions import promoter_required
from ...services import order_payments, payouts
from . import bp


@bp.route("/ledger")
@promoter_required
def ledger():
    return render_template(
        "payments/producer_ledger.html",
        ledger=payouts.ledger(db.session, current_user.association_id),
        fee_bps=payouts.fee_bps_for(db.session, current_user.association_id),
        held=order_payments.held_for_association(db.session, current_user.association_id),
    )
