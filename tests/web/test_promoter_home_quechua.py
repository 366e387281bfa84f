"""Quechua on the promoter's phone: every string of the home page and of the SMS replies has a
Quechua translation (placeholders intact), the page reads in Quechua, and a screen not yet
translated falls back to Spanish instead of breaking."""

import os
import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from marketplace.extensions import db
from marketplace.services import sms
from tests.conftest import text
from tests.factories import ordering_world, place_order

ROOT = Path(__file__).resolve().parent.parent.parent
PO = ROOT / "translations" / "qu" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
# The promoter's phone screens and messages: every string in these must be in Quechua.
PHONE_TEMPLATES = [
    "templates/producer/home.html",
    "templates/producer/home_stock.html",
    "templates/producer/home_order.html",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "templates/producer/home").glob("*.html")),
]
PHONE_PYTHON = ["marketplace/web/producer/home.py", "marketplace/services/sms.py"]
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"%%|%\(\w+\)[sdif]|%[sdif]|\{\w*\}")
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/Lima"))


def phone_strings() -> set[str]:
    found = set()
    for method, files in (("jinja2", PHONE_TEMPLATES), ("python", PHONE_PYTHON)):
        for name in files:
            for _lineno, message, _comments, _context in extract_from_file(
                method, ROOT / name, keywords=KEYWORDS
            ):
                found.add(message if isinstance(message, str) else message[0])
    return found


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


def test_every_phone_string_has_a_quechua_translation(catalog):
    strings = phone_strings()
    assert len(strings) > 40  # the extraction found the screens
    missing = sorted(s for s in strings if (m := catalog.get(s)) is None or m.fuzzy or not m.string)
    assert not missing, (
        f"{len(missing)} promoter strings have no Quechua translation in {PO.name}; run "
        "`bash scripts/i18n.sh` and translate them (see docs/glossary.md):\n" + "\n".join(missing)
    )


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
    for phrase in ("Takyachinapaq mañakuykuna", "Kunan paqarin haywarinakuna", "Yupasqa", "Yapay"):
        assert phrase in page
    for spanish in ("Pedidos por confirmar", "Contado", "Sumar", "Entregas de hoy"):
        assert spanish not in page


def test_untranslated_screens_fall_back_to_spanish(client, quechua):
    response = client.get("/producer/products")
    assert response.status_code == 200
    assert b'<html lang="qu">' in response.data


def test_sms_reply_in_quechua(client, quechua):
    handled = sms.handle_inbound(db.session, "q1", "+51987654321", "yanapay")
    db.session.commit()
    reply = handled.message.reply
    assert reply.startswith("Qhatu: KAQ CHULLPI 120 (yupasqa)")
