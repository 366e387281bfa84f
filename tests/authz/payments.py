"""Payment routes: buyer statement and invoices, promoter ledger, staff credit, payments,
overdue invoices and association ledgers."""

from datetime import timedelta
from decimal import Decimal

from marketplace.extensions import db
from marketplace.formatting import lima_today
from marketplace.models import BuyerCard, CardCheckout, OrderBilling
from marketplace.models.payments import METHOD_ACCOUNT, PAY_TRANSFER
from marketplace.services import card_payments, credit, delivery, ordering
from tests.authz import (
    BUYER_ONLY,
    BUYER_RECORD,
    LOGIN,
    PROMOTER_ONLY,
    STAFF_ONLY,
    Route,
    expect,
    place,
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


def overdue_invoice(world):
    """The other buyer's invoice, a day past its due date (only those are reminded of)."""
    world.other_invoice.due_date = lima_today() - timedelta(days=1)
    db.session.flush()
    return {"invoice_id": world.other_invoice.id}


def held_order(world):
    """A new on-account order of world.buyer held for payment (past its credit limit)."""
    order = place(world)
    billing = db.session.get(OrderBilling, order.id) or OrderBilling(order_id=order.id)
    billing.method, billing.net_days = METHOD_ACCOUNT, 30
    billing.hold_reason = "Este pedido supera tu línea de crédito."
    db.session.add(billing)
    db.session.flush()
    return {"order_id": order.id}


def held_order_and_saved_card(world):
    """A held order, and a card the buyer saved before (a customer and card in the fake)."""
    kwargs = held_order(world)
    stripe = card_payments.client()
    card = db.session.get(BuyerCard, world.buyer.id)
    if card is None:
        customer = stripe.v1.customers.create(params={"email": world.users["buyer"].email})
        card = BuyerCard(buyer_id=world.buyer.id, customer_id=customer.id)
        db.session.add(card)
    method = stripe.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        }
    )
    stripe.v1.payment_methods.attach(method.id, params={"customer": card.customer_id})
    card.payment_method_id, card.brand, card.last4 = method.id, "visa", "4242"
    db.session.flush()
    return kwargs


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
    Route(
        "staff.buyer_terms",
        STAFF_ONLY,
        "POST",
        kwargs=buyer,
        data=lambda w: {"net_days": "30", "limit": "5000.00"},
    ),
    Route("staff.buyer_terms_revoke", STAFF_ONLY, "POST", kwargs=buyer),
    Route(
        "staff.buyer_payment",
        STAFF_ONLY,
        "POST",
        kwargs=buyer,
        data=lambda w: {
            "method": PAY_TRANSFER,
            "amount": "10.00",
            "received_on": lima_today().isoformat(),
            "reference": "OP-20481",
        },
    ),
    Route("staff.overdue_invoices", STAFF_ONLY),
    Route("staff.invoice", STAFF_ONLY, kwargs=invoice),
    Route("staff.invoice_pdf", STAFF_ONLY, kwargs=invoice),
    Route("staff.invoice_remind", STAFF_ONLY, "POST", kwargs=overdue_invoice),
    Route("staff.association_ledger", STAFF_ONLY, kwargs=association),
    Route(
        "staff.association_fee",
        STAFF_ONLY,
        "POST",
        kwargs=association,
        data=lambda w: {"fee_bps": "500"},
    ),
    Route(
        "staff.association_payout",
        STAFF_ONLY,
        "POST",
        kwargs=association,
        data=lambda w: {"amount": "1.00", "reference": "Transferencia BCP 0042"},
    ),
]

# Paying an order: the buyer pays its own orders; staff manage payments of any order.
BACK_FROM_CHECKOUT = expect(anon=LOGIN, other_buyer=404, promoter=403, staff=403)
ROUTES += [
    Route("buyer.order_pay", BUYER_RECORD, kwargs=paid_order),
    Route("buyer.order_pay_checkout", BUYER_RECORD, "POST", kwargs=held_order),
    Route("buyer.order_pay_saved", BUYER_RECORD, "POST", kwargs=held_order_and_saved_card),
    Route(
        "buyer.card_return", BACK_FROM_CHECKOUT, kwargs=lambda w: {"session_id": "cs_test_authz"}
    ),
    Route("buyer.card_forget", BUYER_ONLY, "POST"),
    Route("staff.payments_waiting", STAFF_ONLY),
    Route("staff.order_payment", STAFF_ONLY, kwargs=paid_order),
    Route(
        "staff.order_refund",
        STAFF_ONLY,
        "POST",
        kwargs=paid_order,
        data=lambda w: {"amount": "1.00", "reason": "Un queso llegó roto"},
    ),
    Route("staff.order_allow_dispatch", STAFF_ONLY, "POST", kwargs=held_order),
]

# The webhook is public, and an unsigned POST is refused with 400 whoever sends it (signed
# events: tests/test_stripe_webhooks.py).
UNSIGNED = expect(anon=400, buyer=400, promoter=400, staff=400)
ROUTES.append(Route("webhooks.stripe_webhook", UNSIGNED, "POST"))
