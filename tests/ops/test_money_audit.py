"""`flask audit` names suspect duplicates: the same buyer's payment of the same amount and
reference, or the same association's payout of the same amount, recorded within ten minutes."""

from datetime import UTC, date, datetime, timedelta

import pytest

from marketplace.extensions import db
from marketplace.models import LedgerEntry, Payment
from marketplace.models.payments import ENTRY_PAYOUT
from tests.factories import AssociationFactory, BuyerFactory

NOON = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


def payment(buyer, minutes: int, amount=12000, reference="YP-77", method="yape") -> Payment:
    row = Payment(
        buyer_id=buyer.id,
        method=method,
        amount_cents=amount,
        received_on=date(2026, 3, 2),
        reference=reference,
        created_at=NOON + timedelta(minutes=minutes),
    )
    db.session.add(row)
    db.session.flush()
    return row


def payout(association, minutes: int, amount=30000, reference="BCP 1") -> LedgerEntry:
    row = LedgerEntry(
        association_id=association.id,
        kind=ENTRY_PAYOUT,
        amount_cents=-amount,
        reference=reference,
        created_at=NOON + timedelta(minutes=minutes),
    )
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture
def buyer(app):
    row = BuyerFactory()
    db.session.flush()
    return row


@pytest.fixture
def association(app):
    row = AssociationFactory()
    db.session.flush()
    return row


def test_the_same_payment_twice_within_minutes_is_suspect(runner, buyer):
    first, second = payment(buyer, 0), payment(buyer, 9)
    payment(buyer, 30)  # the same again half an hour later: a second payment
    payment(buyer, 1, amount=12001)
    payment(buyer, 2, reference="YP-78")
    payment(BuyerFactory(), 3)
    db.session.commit()
    result = runner.invoke(args=["audit"])
    assert result.exit_code == 1
    assert f"payments: payments {first.id} and {second.id}: buyer {buyer.id}" in result.output
    assert "12000 céntimos, reference 'YP-77'" in result.output
    assert result.output.count("suspect duplicate") == 1


def test_payments_apart_or_different_are_not_suspect(runner, buyer):
    payment(buyer, 0)
    payment(buyer, 11)
    payment(buyer, 12, reference="YP-78")
    payment(buyer, 13, method="credit_note")
    payment(buyer, 14, method="credit_note")
    db.session.commit()
    result = runner.invoke(args=["audit"])
    assert result.exit_code == 0, result.output


def test_the_same_payout_twice_within_minutes_is_suspect(runner, association):
    first, second = payout(association, 0), payout(association, 5, reference="BCP 2")
    payout(association, 40)
    payout(association, 1, amount=29999)
    payout(AssociationFactory(), 2)
    db.session.commit()
    result = runner.invoke(args=["audit"])
    assert result.exit_code == 1
    assert (
        f"payments: payouts {first.id} and {second.id}: association {association.id}, "
        "30000 céntimos" in result.output
    )
    assert result.output.count("suspect duplicate") == 1
