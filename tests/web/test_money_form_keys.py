"""A money form posted five times at once records once: real threads released together post
the same rendered form (the same key); every answer is the first result, and a fresh session
reads back exactly one row. Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL."""

import re

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import AssociationFee, LedgerEntry, Order, Payment
from marketplace.models.payments import ENTRY_PAYOUT, ENTRY_REFUND, PAY_CREDIT_NOTE
from tests.concurrency import raised, run_together
from tests.web.test_cart import add, checkout_form
from tests.web.test_payments import as_user, deliver, frozen, grant, w  # noqa: F401  (fixtures)

POSTS = 5


@pytest.fixture
def app_config():
    return {"PLATFORM_FEE_BPS": 1000}  # 10%


def rendered_key(client, url: str) -> str:
    page = client.get(url).data.decode()
    keys = re.findall(r'name="form_key"[^>]*value="([^"]+)"', page) or re.findall(
        r'value="([^"]+)"[^>]*name="form_key"', page
    )
    assert keys, "the form has no key"
    return keys[0]


def post_together(app, staff_user, url: str, data: dict) -> list:
    clients = [as_user(app, staff_user) for _ in range(POSTS)]
    db.session.commit()
    db.session.remove()

    def work(i):
        return clients[i].post(url, data=data).status_code

    return run_together(app, POSTS, work, in_request=False)


def count(model, *where) -> int:
    with sa.orm.Session(db.engine) as fresh:
        return fresh.scalar(sa.select(sa.func.count(model.id)).where(*where))


def test_the_payment_form_posted_five_times_at_once_records_one_payment(app, w):  # noqa: F811
    staff = as_user(app, w.staff)
    url = f"/staff/buyers/{w.buyer.id}/payments"
    key = rendered_key(staff, f"/staff/buyers/{w.buyer.id}/account")
    data = {
        "method": "yape",
        "amount": "120.00",
        "received_on": "2026-03-02",
        "reference": "YP-77",
        "form_key": key,
    }
    results = post_together(app, w.staff, url, data)
    assert not raised(results), raised(results)
    assert results == [303] * POSTS
    assert count(Payment) == 1
    with sa.orm.Session(db.engine) as fresh:
        assert fresh.scalar(sa.select(Payment.form_key)) == key
    # Posted again later: the same answer, still one payment.
    assert staff.post(url, data=data).status_code == 303
    assert count(Payment) == 1


def test_each_rendered_payment_form_has_its_own_key(app, w):  # noqa: F811
    staff = as_user(app, w.staff)
    url = f"/staff/buyers/{w.buyer.id}/account"
    assert rendered_key(staff, url) != rendered_key(staff, url)


def test_the_payout_form_posted_five_times_at_once_records_one_payout(app, w):  # noqa: F811
    staff, buyer, promoter = (as_user(app, u) for u in (w.staff, w.buyer_user, w.promoter))
    add(buyer, w.cheese, "10")
    assert buyer.post("/buyer/checkout", data=checkout_form(buyer)).status_code == 303
    deliver(promoter, db.session.scalar(sa.select(Order.id)))  # 307.80 due to the association
    url = f"/staff/associations/{w.cheese_assoc.id}"
    data = {
        "amount": "300",
        "reference": "BCP 0042",
        "form_key": rendered_key(staff, f"{url}/ledger"),
    }
    results = post_together(app, w.staff, f"{url}/payouts", data)
    assert not raised(results), raised(results)
    # A repeat answers like the first post even though the balance no longer covers it.
    assert results == [303] * POSTS
    assert count(LedgerEntry, LedgerEntry.kind == ENTRY_PAYOUT) == 1
    assert staff.post(f"{url}/payouts", data=data).status_code == 303
    assert count(LedgerEntry, LedgerEntry.kind == ENTRY_PAYOUT) == 1


def test_the_credit_note_form_posted_five_times_at_once_records_one_note(app, w):  # noqa: F811
    staff, buyer, promoter = (as_user(app, u) for u in (w.staff, w.buyer_user, w.promoter))
    grant(staff, w)
    add(buyer, w.cheese, "10")  # 336.30 on account
    assert buyer.post("/buyer/checkout", data=checkout_form(buyer)).status_code == 303
    order_id = db.session.scalar(sa.select(Order.id))
    deliver(promoter, order_id)
    key = rendered_key(staff, f"/staff/orders/{order_id}/payment")
    data = {"amount": "200.00", "reason": "queso partido", "form_key": key}
    url = f"/staff/orders/{order_id}/refund"
    results = post_together(app, w.staff, url, data)
    assert not raised(results), raised(results)
    # Two notes of 200.00 would pass the delivered 336.30: a repeat must answer like the first.
    assert results == [303] * POSTS
    assert staff.post(url, data=data).status_code == 303
    assert count(Payment, Payment.method == PAY_CREDIT_NOTE) == 1
    assert count(LedgerEntry, LedgerEntry.kind == ENTRY_REFUND) == 1


def test_the_fee_form_posted_five_times_at_once_sets_the_rate_once(app, w):  # noqa: F811
    url = f"/staff/associations/{w.cheese_assoc.id}/fee"
    results = post_together(app, w.staff, url, {"fee_bps": "250"})
    assert not raised(results), raised(results)
    assert results == [303] * POSTS
    with sa.orm.Session(db.engine) as fresh:
        assert fresh.scalars(sa.select(AssociationFee.fee_bps)).all() == [250]
