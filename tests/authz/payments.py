"""Payment routes: buyer statement and invoices, promoter ledger, staff credit, payments,
overdue invoices and association ledgers."""

from decimal import Decimal

from marketplace.extensions import db
from marketplace.models import CardCheckout
from marketplace.services import credit, delivery, ordering
from tests.authz import (
    BUYER_ONLY,
    BUYER_RECORD,
    LOGIN,
    PROMOTER_ONLY,
    PUBLIC,
    STAFF_ONLY,
    Route,
    expect,
)


def extend(world):
    """An invoice of world.buyer (on account, delivered) and one of the other buyer."""
    staff, promoter = world.users["staff"], world.users["promoter"]

    def invoiced(user, address):
        credit.grant_terms(db.session, staff, user.buyer_id, 30, 10_000_000)
        when = delivery.offered_dates(db.session, world.product.association_id, address.city)[0]
        (order,) = ordering.checkout(
            db.session,
            user,
            [ordering.LineRequest(world.product.id, Decimal("1"))],
            {world.product.association_id: ordering.DeliveryChoice(when, address.id)},
            ordering.new_token(),
        )
        ordering.confirm_order(db.session, promoter, order)
        ordering.dispatch_order(db.session, promoter, order)
        return ordering.deliver_order(db.session, promoter, order).invoice

    world.invoice = invoiced(world.users["buyer"], world.address)
    world.other_invoice = invoiced(world.users["other_buyer"], world.other_address)
    # A hosted card page the buyer came back from (already recorded: no call to Stripe).
    db.session.add(
        CardCheckout(
            id="cs_test_authz",
            order_id=world.invoice.order_id,
            buyer_id=world.invoice.buyer_id,
            amount_cents=world.invoice.total_cents,
            url="http://127.0.0.1/pay/cs_test_authz",
            status="complete",
        )
    )
    db.session.flush()


def invoice(world):
    return {"invoice_id": world.invoice.id}


def paid_order(world):
    return {"order_id": world.invoice.order_id}


def buyer(world):
    return {"buyer_id": world.buyer.id}


def association(world):
    return {"association_id": world.association.id}


ROUTES = [
    Route("buyer.statement", BUYER_ONLY),
    Route("buyer.invoice", BUYER_RECORD, kwargs=invoice),
    Route("buyer.invoice_pdf", BUYER_RECORD, kwargs=invoice),
    Route("producer.ledger", PROMOTER_ONLY),
    Route("staff.buyer_account", STAFF_ONLY, kwargs=buyer),
    Route("staff.buyer_terms", STAFF_ONLY, "POST", kwargs=buyer),
    Route("staff.buyer_terms_revoke", STAFF_ONLY, "POST", kwargs=buyer),
    Route("staff.buyer_payment", STAFF_ONLY, "POST", kwargs=buyer),
    Route("staff.overdue_invoices", STAFF_ONLY),
    Route("staff.invoice", STAFF_ONLY, kwargs=invoice),
    Route("staff.invoice_pdf", STAFF_ONLY, kwargs=invoice),
    Route("staff.invoice_remind", STAFF_ONLY, "POST", kwargs=invoice),
    Route("staff.association_ledger", STAFF_ONLY, kwargs=association),
    Route("staff.association_fee", STAFF_ONLY, "POST", kwargs=association),
    Route("staff.association_payout", STAFF_ONLY, "POST", kwargs=association),
]

# Paying an order: the buyer pays its own orders; staff manage payments of any order.
BACK_FROM_CHECKOUT = expect(anon=LOGIN, other_buyer=404, promoter=403, staff=403)
ROUTES += [
    Route("buyer.order_pay", BUYER_RECORD, kwargs=paid_order),
    Route("buyer.order_pay_checkout", BUYER_RECORD, "POST", kwargs=paid_order),
    Route("buyer.order_pay_saved", BUYER_RECORD, "POST", kwargs=paid_order),
    Route(
        "buyer.card_return", BACK_FROM_CHECKOUT, kwargs=lambda w: {"session_id": "cs_test_authz"}
    ),
    Route("buyer.card_forget", BUYER_ONLY, "POST"),
    Route("staff.payments_waiting", STAFF_ONLY),
    Route("staff.order_payment", STAFF_ONLY, kwargs=paid_order),
    Route("staff.order_refund", STAFF_ONLY, "POST", kwargs=paid_order),
    Route("staff.order_allow_dispatch", STAFF_ONLY, "POST", kwargs=paid_order),
]

# The webhook is public: an unsigned POST is refused with 400 whoever sends it.
ROUTES.append(Route("webhooks.stripe_webhook", PUBLIC, "POST"))
