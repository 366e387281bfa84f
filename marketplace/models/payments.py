"""Money after delivery: credit terms, invoices and their numbering, payments received, and
the ledger of what each association is owed."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..types import Quantity, UTCDateTime, utcnow
from .accounts import Buyer, User
from .orders import Order
from .producers import Association

METHOD_ACCOUNT = "account"  # on account: invoiced at delivery, paid within the net terms
METHOD_CARD = "card"  # authorised by card at confirmation, captured at delivery
BILLING_METHODS = (METHOD_ACCOUNT, METHOD_CARD)

PAY_TRANSFER = "transfer"
PAY_YAPE = "yape"
PAY_PLIN = "plin"
PAY_CASH = "cash"
PAYMENT_METHODS = (PAY_TRANSFER, PAY_YAPE, PAY_PLIN, PAY_CASH)  # money staff receive
PAY_CREDIT_NOTE = "credit_note"  # not money: a refund on account, credited to the invoice
PAYMENT_KINDS = (*PAYMENT_METHODS, PAY_CREDIT_NOTE)

ENTRY_SALE = "sale"  # + delivered value of an order
ENTRY_FEE = "fee"  # - the platform's fee on that order
ENTRY_REFUND = "refund"  # - money given back to the buyer
ENTRY_PAYOUT = "payout"  # - money paid out to the association
ENTRY_KINDS = (ENTRY_SALE, ENTRY_FEE, ENTRY_REFUND, ENTRY_PAYOUT)


class CreditTerms(db.Model):
    """Net terms and a credit limit that staff grant a verified buyer."""

    __tablename__ = "credit_terms"
    __table_args__ = (
        sa.CheckConstraint("net_days > 0 AND net_days <= 120", name="net_days_range"),
        sa.CheckConstraint("limit_cents >= 0", name="limit_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(sa.ForeignKey("buyers.id"), unique=True)
    net_days: Mapped[int]
    limit_cents: Mapped[int] = mapped_column(sa.BigInteger)
    active: Mapped[bool] = mapped_column(default=True)
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    buyer: Mapped[Buyer] = relationship()


class OrderBilling(db.Model):
    """How an order is paid for, decided at checkout (on account: with the terms then)."""

    __tablename__ = "order_billing"
    __table_args__ = (sa.CheckConstraint(f"method IN {BILLING_METHODS!r}", name="method_known"),)

    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), primary_key=True)
    method: Mapped[str] = mapped_column(sa.String(16))
    net_days: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Why an order on account waits for payment (a standing order past the credit limit or
    # with an invoice overdue); None when nothing holds it.
    hold_reason: Mapped[str | None] = mapped_column(sa.String(300))
    # Staff let this order leave unpaid: who and when.
    dispatch_allowed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    dispatch_allowed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order: Mapped[Order] = relationship()
    dispatch_allowed_by: Mapped[User | None] = relationship()


class InvoiceCounter(db.Model):
    """The next number of an issuer's invoice series; bumped in the invoice's transaction."""

    __tablename__ = "invoice_counters"

    association_id: Mapped[int] = mapped_column(sa.ForeignKey("associations.id"), primary_key=True)
    series: Mapped[str] = mapped_column(sa.String(4), primary_key=True)
    next_number: Mapped[int] = mapped_column(sa.BigInteger, default=1)


class Invoice(db.Model):
    """An invoice for what was delivered, issued by the association to the buyer."""

    __tablename__ = "invoices"
    __table_args__ = (
        sa.UniqueConstraint("association_id", "series", "number"),
        sa.CheckConstraint("number > 0", name="number_positive"),
        sa.CheckConstraint("total_cents = subtotal_cents + igv_cents", name="total_adds_up"),
        sa.CheckConstraint("paid_cents >= 0 AND paid_cents <= total_cents", name="paid_in_range"),
        sa.Index("ix_invoices_buyer_id_due_date", "buyer_id", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), unique=True)
    buyer_id: Mapped[int] = mapped_column(sa.ForeignKey("buyers.id"))
    association_id: Mapped[int] = mapped_column(sa.ForeignKey("associations.id"))
    series: Mapped[str] = mapped_column(sa.String(4))
    number: Mapped[int] = mapped_column(sa.BigInteger)
    # Both parties as they were on the day of issue.
    seller_name: Mapped[str] = mapped_column(sa.String(200))
    seller_ruc: Mapped[str] = mapped_column(sa.String(11), default="")
    buyer_name: Mapped[str] = mapped_column(sa.String(200))
    buyer_ruc: Mapped[str] = mapped_column(sa.String(11))
    issue_date: Mapped[date] = mapped_column(sa.Date)
    due_date: Mapped[date] = mapped_column(sa.Date)
    subtotal_cents: Mapped[int] = mapped_column(sa.BigInteger)
    igv_cents: Mapped[int] = mapped_column(sa.BigInteger)
    total_cents: Mapped[int] = mapped_column(sa.BigInteger)
    paid_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship()
    buyer: Mapped[Buyer] = relationship()
    association: Mapped[Association] = relationship()
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.id", cascade="all, delete-orphan"
    )

    @property
    def full_number(self) -> str:
        """F001-00000042, as printed."""
        return f"{self.series}-{self.number:08d}"

    @property
    def outstanding_cents(self) -> int:
        return self.total_cents - self.paid_cents

    def is_overdue(self, today: date) -> bool:
        return self.outstanding_cents > 0 and self.due_date < today

    def creditable_cents(self, refunded_cents: int) -> int:
        """What a credit note may still take off, after `refunded_cents` given back already."""
        return self.total_cents - refunded_cents


class InvoiceLine(db.Model):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("invoices.id"), index=True)
    description: Mapped[str] = mapped_column(sa.String(250))
    unit: Mapped[str] = mapped_column(sa.String(16))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price_cents: Mapped[int] = mapped_column(sa.BigInteger)  # before IGV
    line_total_cents: Mapped[int] = mapped_column(sa.BigInteger)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class Payment(db.Model):
    """Money a buyer paid in (transfer, Yape, Plin, cash), recorded by staff."""

    __tablename__ = "payments"
    __table_args__ = (
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.CheckConstraint(f"method IN {PAYMENT_KINDS!r}", name="method_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(sa.ForeignKey("buyers.id"), index=True)
    method: Mapped[str] = mapped_column(sa.String(16))
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    received_on: Mapped[date] = mapped_column(sa.Date)
    reference: Mapped[str] = mapped_column(sa.String(80), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The submitted form's key: the same form posted again finds this row (web/form_keys.py).
    form_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    buyer: Mapped[Buyer] = relationship()
    recorded_by: Mapped[User | None] = relationship()
    allocations: Mapped[list[PaymentAllocation]] = relationship(
        back_populates="payment", order_by="PaymentAllocation.id"
    )

    @property
    def allocated_cents(self) -> int:
        return sum(a.amount_cents for a in self.allocations)


class PaymentAllocation(db.Model):
    """The part of a payment that settles one invoice."""

    __tablename__ = "payment_allocations"
    __table_args__ = (
        sa.UniqueConstraint("payment_id", "invoice_id"),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payments.id"))
    invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("invoices.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)

    payment: Mapped[Payment] = relationship(back_populates="allocations")
    invoice: Mapped[Invoice] = relationship()


class AssociationFee(db.Model):
    """A per-association platform fee that overrides PLATFORM_FEE_BPS (may be zero)."""

    __tablename__ = "association_fees"
    __table_args__ = (sa.CheckConstraint("fee_bps >= 0 AND fee_bps <= 10000", name="bps_range"),)

    association_id: Mapped[int] = mapped_column(sa.ForeignKey("associations.id"), primary_key=True)
    fee_bps: Mapped[int]


class LedgerEntry(db.Model):
    """One line of what an association is owed: a sale, its fee, a refund or a payout.

    Signed céntimos: sales are positive, everything else negative; the balance is the sum.
    """

    __tablename__ = "association_ledger"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {ENTRY_KINDS!r}", name="kind_known"),
        sa.CheckConstraint(
            "(kind = 'sale' AND amount_cents >= 0) OR (kind != 'sale' AND amount_cents <= 0)",
            name="sign_by_kind",
        ),
        sa.CheckConstraint(
            "kind = 'payout' OR order_id IS NOT NULL", name="order_entries_have_order"
        ),
        # One sale and one fee per order, however often delivery hooks run.
        sa.Index(
            "uq_association_ledger_order_sale_fee",
            "order_id",
            "kind",
            unique=True,
            sqlite_where=sa.text("kind IN ('sale', 'fee')"),
            postgresql_where=sa.text("kind IN ('sale', 'fee')"),
        ),
        sa.Index("ix_association_ledger_association_id_id", "association_id", "id"),
        # Dashboards: each delivered order's fee and refunds (services/reporting/).
        sa.Index("ix_association_ledger_order_id_kind", "order_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(sa.ForeignKey("associations.id"))
    kind: Mapped[str] = mapped_column(sa.String(8))
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"))
    fee_bps: Mapped[int | None]  # on fee entries: the rate applied
    reference: Mapped[str] = mapped_column(sa.String(120), default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Payouts and refunds: the submitted form's key (web/form_keys.py).
    form_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    order: Mapped[Order | None] = relationship()


CARD_REQUIRES_ACTION = "requires_action"  # the bank asks the buyer to authenticate
CARD_AUTHORIZED = "authorized"  # held on the card, not taken yet
CARD_CAPTURED = "captured"  # the delivered amount was taken, the rest released
CARD_FAILED = "failed"  # declined: the order needs another way to pay
CARD_CANCELLED = "cancelled"  # the hold was released (order cancelled or rejected)
CARD_STATUSES = (
    CARD_REQUIRES_ACTION,
    CARD_AUTHORIZED,
    CARD_CAPTURED,
    CARD_FAILED,
    CARD_CANCELLED,
)


class CardPayment(db.Model):
    """An order's Stripe PaymentIntent (manual capture) and what happened to it."""

    __tablename__ = "card_payments"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {CARD_STATUSES!r}", name="status_known"),
        sa.CheckConstraint(
            "captured_cents >= 0 AND captured_cents <= authorized_cents", name="capture_in_hold"
        ),
        sa.CheckConstraint(
            "refunded_cents >= 0 AND refunded_cents <= captured_cents", name="refund_in_capture"
        ),
    )

    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), primary_key=True)
    payment_intent_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    currency: Mapped[str] = mapped_column(sa.String(3), default="pen")
    authorized_cents: Mapped[int] = mapped_column(sa.BigInteger)
    captured_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    refunded_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship()

    @property
    def is_captured(self) -> bool:
        """The delivered amount was taken: part of it may be given back."""
        return self.status == CARD_CAPTURED

    @property
    def refundable_cents(self) -> int:
        """What may still go back to the card: what was taken, less what went back already."""
        return self.captured_cents - self.refunded_cents


class StripeEvent(db.Model):
    """Each Stripe webhook event, stored once by its id: a redelivery changes nothing."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(80))
    payload: Mapped[str] = mapped_column(sa.Text)
    outcome: Mapped[str] = mapped_column(sa.String(300), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BuyerCard(db.Model):
    """A buyer's Stripe customer and the card saved for future orders (shown as brand ••last4)."""

    __tablename__ = "buyer_cards"

    buyer_id: Mapped[int] = mapped_column(sa.ForeignKey("buyers.id"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    payment_method_id: Mapped[str | None] = mapped_column(sa.String(255))
    brand: Mapped[str] = mapped_column(sa.String(20), default="")
    last4: Mapped[str] = mapped_column(sa.String(4), default="")
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    buyer: Mapped[Buyer] = relationship()


CHECKOUT_OPEN = "open"
CHECKOUT_COMPLETE = "complete"
CHECKOUT_STATUSES = (CHECKOUT_OPEN, CHECKOUT_COMPLETE)


class CardCheckout(db.Model):
    """A Stripe Checkout Session opened for one order (the hosted card page)."""

    __tablename__ = "card_checkouts"
    __table_args__ = (sa.CheckConstraint(f"status IN {CHECKOUT_STATUSES!r}", name="status_known"),)

    id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)  # cs_...
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(sa.ForeignKey("buyers.id"))
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    save_card: Mapped[bool] = mapped_column(default=False)
    url: Mapped[str] = mapped_column(sa.String(1000))
    status: Mapped[str] = mapped_column(sa.String(16), default=CHECKOUT_OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order: Mapped[Order] = relationship()
