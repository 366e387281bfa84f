"""The inputs that broke pages before (ids past 32 bits, odd numbers, far dates, numbers sent
as files, separators and digits Python accepts but people do not type): each is refused with
the field's message or a 404, and nothing is written. The property test that finds such
inputs on every route is tests/test_fuzz_inputs.py."""

import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.models import CartItem, Order, Product
from marketplace.models.catalog import REASON_PRODUCTION
from marketplace.services import sms
from marketplace.services.stock import move_stock
from tests.conftest import text
from tests.factories import PASSWORD, StaffFactory, make_standing_order, ordering_world
from tests.test_fuzz_inputs import snapshot

MONDAY = datetime(2025, 3, 10, 10, 0, tzinfo=ZoneInfo("America/Lima"))
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PAST_INTEGER = ["2147483648", "99999999999999999999"]
ODD_NUMBERS = ["1e309", "1e5000", "Infinity", "NaN", "9" * 400, "1_000", "٣", "１２"]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(MONDAY, tick=False):
        yield


@pytest.fixture
def w(app):
    world = ordering_world(stock="100")
    world.staff = StaffFactory(email="equipo@example.pe")
    db.session.commit()
    return world


def as_user(app, user):
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303
    return client


def refused_without_writing(response, before, statuses=(400, 404, 409, 422)):
    db.session.rollback()
    assert response.status_code in statuses, response.status_code
    assert snapshot() == before


# --- Row 4: ids and pages beyond 32 bits ------------------------------------------------


@pytest.mark.parametrize("raw", PAST_INTEGER)
def test_a_url_id_past_the_integer_range_is_not_found(client, w, raw):
    assert client.get(f"/p/{raw}").status_code == 404


def test_a_url_id_in_other_digits_is_not_found(client, w):
    assert client.get(f"/p/{w.cheese.id}").status_code == 200
    assert client.get(f"/p/{str(w.cheese.id).translate(ARABIC_INDIC)}").status_code == 404


@pytest.mark.parametrize("raw", [*PAST_INTEGER, "٣"])
def test_a_product_id_in_a_form_past_the_range_is_not_found(app, w, raw):
    buyer = as_user(app, w.buyer_user)
    before = snapshot()
    response = buyer.post("/buyer/cart/items", data={"product_id": raw, "quantity": "1"})
    refused_without_writing(response, before)


@pytest.mark.parametrize("raw", PAST_INTEGER)
def test_an_address_id_past_the_range_is_refused_at_checkout(app, w, raw):
    buyer = as_user(app, w.buyer_user)
    buyer.post("/buyer/cart/items", data={"product_id": w.cheese.id, "quantity": "1"})
    form = {f"address_{w.cheese_assoc.id}": raw, "checkout_token": "t" * 32}
    before = snapshot()
    refused_without_writing(buyer.post("/buyer/checkout", data=form), before)
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0


@pytest.mark.parametrize("raw", PAST_INTEGER)
def test_an_association_id_past_the_range_shows_the_pick_page(app, w, raw):
    buyer = as_user(app, w.buyer_user)
    assert buyer.get(f"/buyer/standing-orders/new?association_id={raw}").status_code == 200
    staff = as_user(app, w.staff)
    response = staff.get(f"/staff/agreements/new?buyer_id={raw}&association_id={raw}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url", ["/", "/buyer/orders", "/staff/buyers", "/staff/dashboard/lines?period=12m"]
)
def test_a_page_past_the_range_is_the_first_page(app, w, url):
    user = w.staff if url.startswith("/staff") else w.buyer_user
    client = as_user(app, user)
    separator = "&" if "?" in url else "?"
    assert client.get(f"{url}{separator}page=99999999999999999999").status_code == 200


# --- Row 5 and 6: odd numbers, far dates, numbers sent as files -----------------------------


@pytest.mark.parametrize("raw", ODD_NUMBERS)
def test_odd_amounts_of_a_payment_are_refused_at_the_field(app, w, raw):
    staff = as_user(app, w.staff)
    before = snapshot()
    response = staff.post(
        f"/staff/buyers/{w.buyer.id}/payments",
        data={"method": "cash", "amount": raw, "received_on": "2025-03-10", "reference": "x"},
    )
    refused_without_writing(response, before, (422,))
    assert "Escribe un número" in text(response.data)


@pytest.mark.parametrize("raw", ODD_NUMBERS)
def test_odd_amounts_of_a_payout_are_refused(app, w, raw):
    staff = as_user(app, w.staff)
    before = snapshot()
    response = staff.post(
        f"/staff/associations/{w.cheese_assoc.id}/payouts",
        data={"amount": raw, "reference": "BCP 1"},
    )
    refused_without_writing(response, before)


@pytest.mark.parametrize(("days", "limit"), [("٣", "100"), ("1_000", "100"), ("15", "1e309")])
def test_odd_credit_terms_are_refused(app, w, days, limit):
    staff = as_user(app, w.staff)
    before = snapshot()
    response = staff.post(
        f"/staff/buyers/{w.buyer.id}/terms", data={"net_days": days, "limit": limit}
    )
    refused_without_writing(response, before, (422,))


@pytest.mark.parametrize("raw", ["9" * 400, "1e5000", "٣"])
def test_odd_fee_rates_are_refused(app, w, raw):
    staff = as_user(app, w.staff)
    before = snapshot()
    response = staff.post(f"/staff/associations/{w.cheese_assoc.id}/fee", data={"fee_bps": raw})
    refused_without_writing(response, before)


def test_an_amount_sent_as_a_file_is_refused_at_the_field(app, w):
    staff = as_user(app, w.staff)
    before = snapshot()
    response = staff.post(
        f"/staff/buyers/{w.buyer.id}/payments",
        data={
            "method": "cash",
            "amount": (io.BytesIO(b"12"), "amount.txt"),
            "received_on": "2025-03-10",
        },
        content_type="multipart/form-data",
    )
    refused_without_writing(response, before, (422,))


@pytest.mark.parametrize("raw", ODD_NUMBERS)
def test_odd_stock_counts_are_refused(app, w, raw):
    promoter = as_user(app, w.promoter)
    before = snapshot()
    response = promoter.post(
        f"/producer/products/{w.cheese.id}/stock", data={"quantity": raw, "count": "1"}
    )
    refused_without_writing(response, before, (400,))
    db.session.expire_all()
    assert db.session.get(Product, w.cheese.id).stock_on_hand == Decimal("100")


@pytest.mark.parametrize("raw", ODD_NUMBERS)
def test_odd_stock_on_the_promoter_home_is_refused(app, w, raw):
    promoter = as_user(app, w.promoter)
    before = snapshot()
    response = promoter.post(
        f"/producer/home/stock/{w.cheese.id}", data={"quantity": raw, "mode": "count"}
    )
    refused_without_writing(response, before, (422,))


@pytest.mark.parametrize("raw", ODD_NUMBERS)
def test_odd_cart_quantities_are_refused(app, w, raw):
    buyer = as_user(app, w.buyer_user)
    before = snapshot()
    response = buyer.post("/buyer/cart/items", data={"product_id": w.cheese.id, "quantity": raw})
    refused_without_writing(response, before, (422,))
    assert db.session.scalar(sa.select(sa.func.count(CartItem.id))) == 0


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2025-02-30", "٢٠٢٥-٠٣-١٤"])
def test_a_far_or_odd_delivery_date_is_not_found(app, w, day):
    standing = make_standing_order(w.buyer_user, w.address, [(w.cheese, 4)])
    db.session.commit()
    buyer = as_user(app, w.buyer_user)
    url = f"/buyer/standing-orders/{standing.id}/deliveries/{day}"
    assert buyer.get(url).status_code == 404
    before = snapshot()
    refused_without_writing(buyer.post(url, data={f"qty_{w.cheese.id}": "2"}), before, (404,))


def test_an_agreement_price_in_odd_digits_is_refused(app, w):
    staff = as_user(app, w.staff)
    move_stock(db.session, w.cheese.id, Decimal("1"), REASON_PRODUCTION)
    db.session.commit()
    before = snapshot()
    response = staff.post(
        f"/staff/agreements/new?buyer_id={w.buyer.id}&association_id={w.cheese_assoc.id}",
        data={
            "buyer_id": w.buyer.id,
            "association_id": w.cheese_assoc.id,
            "start_date": "2025-04-01",
            "committed_kg_per_month": "1e309",
            "delivery_frequency": "weekly",
            "payment_terms_days": "٣",
            f"price_{w.cheese.id}": "1e309",
        },
    )
    db.session.rollback()
    assert response.status_code < 500
    assert snapshot() == before


def test_a_stock_count_sent_as_a_file_is_refused_at_the_field(app, w):
    promoter = as_user(app, w.promoter)
    before = snapshot()
    response = promoter.post(
        f"/producer/products/{w.cheese.id}/stock",
        data={"quantity": (io.BytesIO(b"12"), "n.txt"), "count": "1"},
        content_type="multipart/form-data",
    )
    refused_without_writing(response, before, (400,))
    assert "Escribe una cantidad." in text(response.data)


@pytest.mark.parametrize(
    "message", ["STOCK CHULLPI 1_000", "STOCK CHULLPI ٣", "STOCK CHULLPI 1e309", "OK Q-٣"]
)
def test_an_sms_with_odd_digits_is_not_understood(message):
    assert sms.parse(message) is None
