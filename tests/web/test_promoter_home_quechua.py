"""Quechua on the promoter's phone: the home page, the other promoter screens, form errors and
SMS replies read in Quechua, placeholders intact. (That every promoter string has a Quechua
and an English translation is checked in tests/test_translations.py.)"""

import os
import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from marketplace.extensions import db
from marketplace.models import Notification
from marketplace.services import sms
from tests.conftest import text
from tests.factories import ordering_world, place_order

ROOT = Path(__file__).resolve().parent.parent.parent
PO = ROOT / "translations" / "qu" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%%|%\(\w+\)[sdif]|%[sdif]|\{\w*\}")
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/Lima"))


@pytest.fixture(scope="module")
def catalog():
    with PO.open("rb") as fh:
        return read_po(fh, locale="qu")


def ensure_compiled(catalog) -> None:
    """Compile the Quechua catalog when the .mo is missing or older than the .po."""
    if MO.exists() and MO.stat().st_mtime >= PO.stat().st_mtime:
        return
    partial = MO.with_name(f"messages.{os.getpid()}.mo")
    with partial.open("wb") as fh:
        write_mo(fh, catalog)
    os.replace(partial, MO)


def test_quechua_keeps_placeholders(catalog):
    broken = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        for source, translation in zip(ids, strings, strict=False):
            if translation and Counter(PLACEHOLDER.findall(source)) != Counter(
                PLACEHOLDER.findall(translation)
            ):
                broken.append(f"{source!r} -> {translation!r}")
    assert not broken, "\n".join(broken)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(MONDAY, tick=False):
        yield


@pytest.fixture
def quechua(app, client, auth, catalog):
    ensure_compiled(catalog)
    with app.test_request_context():
        world = ordering_world()
        place_order(world.buyer_user, world.address, [(world.cheese, 4)])
        world.promoter.phone = "+51987654321"
        db.session.commit()
    auth.login(world.promoter)
    assert client.post("/language/qu", data={"next": "/producer/home"}).status_code == 303
    return world


def test_home_reads_in_quechua(client, quechua):
    response = client.get("/producer/home")
    assert response.status_code == 200
    assert b'<html lang="qu">' in response.data
    page = text(response.data)
    for phrase in (
        "Takyachinapaq mañakuykuna",
        "Kunan paqarin haywarinakuna",
        "Yupasqata waqaychay",
        "Rurasqata yapay",
    ):
        assert phrase in page
    for spanish in ("Pedidos por confirmar", "Guardar conteo", "Sumar", "Entregas de hoy"):
        assert spanish not in page


@pytest.mark.parametrize(
    ("path", "phrases", "spanish"),
    [
        ("/producer/products", ["Ruruykuna", "Musuq ruru"], ["Productos de", "Acciones"]),
        ("/producer/orders", ["Mañakuykuna", "Rurana"], ["Por atender", "Nuevos"]),
        ("/producer/demand", ["Hamuq simanakunapi mañakusqanku"], ["Stock hoy"]),
        ("/producer/delivery", ["Haywarina p'unchaykuna"], ["Días de entrega"]),
        ("/cuenta", ["Willakuyniyki", "Pakasqa simiykita tikray"], ["Tus datos"]),
    ],
)
def test_other_promoter_screens_read_in_quechua(client, quechua, path, phrases, spanish):
    response = client.get(path)
    assert response.status_code == 200
    assert b'<html lang="qu">' in response.data
    page = text(response.data)
    for phrase in phrases:
        assert phrase in page, phrase
    for word in spanish:
        assert word not in page, word


def test_a_form_error_reads_in_quechua(client, quechua):
    product = quechua.cheese
    response = client.post(
        f"/producer/home/stock/{product.id}", data={"quantity": "mucho", "mode": "count"}
    )
    assert response.status_code == 422
    assert "Huk yupayta qillqay" in response.get_data(as_text=True)


def test_sms_reply_in_quechua(client, quechua):
    handled = sms.handle_inbound(db.session, "q1", "+51987654321", "yanapay")
    db.session.commit()
    reply = handled.message.reply
    assert reply.startswith("Qhatu: KAQ CHULLPI 120 (yupasqa)")


def test_new_order_sms_reaches_a_quechua_promoter_in_quechua(app, catalog):
    ensure_compiled(catalog)
    with app.test_request_context():
        world = ordering_world()
        world.promoter.phone = "+51987654321"
        world.promoter.locale = "qu"
        db.session.flush()
        place_order(world.buyer_user, world.address, [(world.cheese, 4)])
        db.session.commit()
    sms_row = db.session.scalar(sa.select(Notification).where(Notification.channel == "sms"))
    assert sms_row.phone == "+51987654321"
    assert sms_row.body.startswith("Musuq mañakuy Q-")
