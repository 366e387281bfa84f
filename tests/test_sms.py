"""SMS commands: the table-driven parser, who may send them, what they change, and replies."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.models import InboundSms, Notification, Order, Product
from marketplace.services import sms
from marketplace.services.sms import Command, parse
from tests.factories import ProductFactory, ordering_world, place_order

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/Lima"))
PHONE = "+51987654321"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("STOCK CHULLPI 120", Command("stock", product="CHULLPI", quantity=Decimal("120"))),
        ("stock andino +15", Command("stock", product="ANDINO", quantity=Decimal(15), add=True)),
        ("  Stock   Blanco  Gigante  12,5 ", Command("stock", "BLANCO GIGANTE", Decimal("12.5"))),
        ("stóck chúllpi 3", Command("stock", product="CHULLPI", quantity=Decimal("3"))),
        ("KAQ chullpi 7", Command("stock", product="CHULLPI", quantity=Decimal("7"))),
        ("PEDIDOS", Command("orders")),
        ("pedidos ", Command("orders")),
        ("Mañakuykuna", Command("orders")),
        ("OK 123", Command("confirm", order_id=123)),
        ("ok q-00123", Command("confirm", order_id=123)),
        ("Sí 7", Command("confirm", order_id=7)),
        ("ari 7", Command("confirm", order_id=7)),
        ("NO 123 sin queso madurado", Command("reject", order_id=123, reason="sin queso madurado")),
        ("mana 5 Ñuqa mana atinichu", Command("reject", order_id=5, reason="Ñuqa mana atinichu")),
        ("no 5", Command("reject", order_id=5)),
        ("ENTREGADO 123", Command("delivered", order_id=123)),
        ("entregado Q00123", Command("delivered", order_id=123)),
        ("chayachisqa 9", Command("delivered", order_id=9)),
        ("ayuda", Command("help")),
        ("yanapay", Command("help")),
        ("", None),
        ("hola", None),
        ("STOCK", None),
        ("STOCK CHULLPI", None),
        ("STOCK CHULLPI mucho", None),
        ("STOCK CHULLPI -5", None),
        ("OK", None),
        ("OK abc", None),
        ("ENTREGADO 12 13", None),
        ("PEDIDOS hoy", None),
        ("no gracias", None),
    ],
)
def test_parse(text, expected):
    assert parse(text) == expected


@pytest.fixture
def w(app):
    with time_machine.travel(MONDAY, tick=False), app.test_request_context():
        world = ordering_world()
        world.promoter.phone = PHONE
        world.maduro = ProductFactory(
            association=world.cheese_assoc, name="Queso madurado", variety="madurado"
        )
        (world.order,) = place_order(world.buyer_user, world.address, [(world.cheese, 4)])
        db.session.commit()
        yield world


def receive(body, provider_id="m1", phone=PHONE):
    handled = sms.handle_inbound(db.session, provider_id, phone, body)
    db.session.commit()
    return handled


def replies():
    return list(
        db.session.scalars(
            sa.select(Notification.body)
            .where(Notification.kind == "sms_reply")
            .order_by(Notification.id)
        )
    )


def stock_of(product):
    db.session.expire_all()
    return db.session.get(Product, product.id).stock_on_hand


def test_stock_set_and_add_by_variety_or_name(w):
    w.cheese.variety = "andino"
    db.session.commit()
    receive("STOCK ANDINO 30", "a")
    assert stock_of(w.cheese) == Decimal("30")
    receive("stock queso andino +15", "b")
    assert stock_of(w.cheese) == Decimal("45")
    assert replies() == ["Queso andino: ahora hay 30 kg.", "Queso andino: ahora hay 45 kg."]


def test_unknown_or_foreign_product_changes_nothing(w):
    receive("STOCK CHULLPI 120")  # maize of the other association
    assert stock_of(w.maize) == Decimal("50")
    assert replies() == ["No encontramos «chullpi»."]
    assert db.session.scalar(sa.select(InboundSms.outcome)) == "refused"


def test_ambiguous_product_asks_which(w):
    receive("STOCK QUESO 3")
    assert replies()[0].startswith("¿Cuál? Queso andino, Queso madurado")


def test_orders_lists_waiting_and_due(w):
    receive("PEDIDOS")
    assert replies() == [f"{w.order.id} 03/03 confirmar: 4kg Queso andino"]
    receive(f"OK {w.order.id}", "m2")
    receive("pedidos", "m3")
    assert replies()[-1] == f"{w.order.id} 03/03 entregar: 4kg Queso andino"


def test_confirm_reject_and_deliver(w):
    receive(f"OK {w.order.id}", "1")
    assert db.session.get(Order, w.order.id).status == "confirmed"
    receive(f"ENTREGADO {w.order.id}", "2")  # dispatched and delivered as ordered
    db.session.expire_all()
    order = db.session.get(Order, w.order.id)
    assert order.status == "delivered" and not order.delivered_short
    assert replies() == ["Confirmaste el pedido Q-00001.", "Entrega registrada: Q-00001."]


def test_reject_needs_a_reason_and_keeps_what_was_typed(w):
    receive(f"NO {w.order.id}", "1")
    assert db.session.get(Order, w.order.id).status == "placed"
    assert replies() == ["Indica el motivo."]
    receive(f"no {w.order.id} Sin queso esta semana", "2")
    db.session.expire_all()
    order = db.session.get(Order, w.order.id)
    assert (order.status, order.reject_reason) == ("rejected", "Sin queso esta semana")
    assert stock_of(w.cheese) == Decimal("50")


def test_another_associations_order_is_not_found(w, app):
    with time_machine.travel(MONDAY, tick=False), app.test_request_context():
        (maize_order,) = place_order(w.buyer_user, w.address, [(w.maize, 2)])
        db.session.commit()
    receive(f"OK {maize_order.id}")
    assert db.session.get(Order, maize_order.id).status == "placed"
    assert replies() == [f"No hay un pedido {maize_order.id} de tu asociación."]


def test_unknown_command_gets_help(w):
    receive("hola que tal")
    assert replies()[0].startswith("Qhatu: STOCK CHULLPI 120")
    assert db.session.scalar(sa.select(InboundSms.outcome)) == "unknown"


def test_unregistered_number_changes_nothing_and_gets_no_reply(w):
    receive(f"OK {w.order.id}", phone="+51911111111")
    receive("STOCK ANDINO 1", "m2", phone="+51911111111")
    assert db.session.get(Order, w.order.id).status == "placed"
    assert stock_of(w.cheese) == Decimal("46")
    assert replies() == []
    assert set(db.session.scalars(sa.select(InboundSms.outcome))) == {"unregistered"}


def test_buyer_phone_is_not_a_promoter(w):
    w.buyer_user.phone = "+51922222222"
    db.session.commit()
    receive(f"OK {w.order.id}", phone="+51922222222")
    assert db.session.get(Order, w.order.id).status == "placed"


def test_phone_number_forms_match(w):
    receive("STOCK QUESO ANDINO 10", "x", phone="987654321")
    receive("STOCK QUESO ANDINO 11", "y", phone="51987654321")
    assert stock_of(w.cheese) == Decimal("11")


def test_repeated_message_is_applied_once(w):
    first = receive("STOCK QUESO ANDINO +5", "SM-same")
    second = receive("STOCK QUESO ANDINO +5", "SM-same")
    assert not first.duplicate and second.duplicate
    assert stock_of(w.cheese) == Decimal("51")
    assert len(replies()) == 1
    assert db.session.scalar(sa.select(sa.func.count(InboundSms.id))) == 1


def test_reply_in_the_promoters_language(w):
    w.promoter.locale = "en"
    db.session.commit()
    receive("hola")
    assert replies()[0].startswith("Qhatu:")
