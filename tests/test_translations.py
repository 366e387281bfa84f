"""The catalogs: every Spanish string translated into English, every string a promoter can meet
translated into Quechua too, placeholders intact, pages in English."""

import html
import os
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from marketplace.extensions import db
from marketplace.models.catalog import REASON_PRODUCTION
from marketplace.services.stock import move_stock
from tests.conftest import text
from tests.factories import (
    AssociationFactory,
    BuyerAddressFactory,
    BuyerUserFactory,
    DeliveryRuleFactory,
    ProductFactory,
    PromoterFactory,
)

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "translations" / "messages.pot"
PO = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")

# Every screen, message and form error a promoter can meet: these must be in Quechua and
# English (the issue of the promoter's phone). Globs relative to the project folder.
PROMOTER_SOURCES = [
    "templates/producer/**/*.html",
    "templates/base.html",  # the layout: navigation, language switch, footer
    "templates/buyer/_order_macros.html",  # order details on the promoter's order page
    "templates/staff/agreements/_macros.html",  # agreement details on the promoter's page
    "templates/payments/producer_ledger.html",
    "templates/payments/_ledger.html",
    "templates/errors/*.html",
    "marketplace/web/errors.py",  # the error pages' titles
    "templates/auth/login.html",
    "templates/auth/account.html",
    "templates/auth/accept_invite.html",  # how a promoter first gets in
    "marketplace/web/producer/*.py",  # views, flash messages and forms
    "marketplace/web/auth/forms.py",  # login, account and invitation form errors
    "marketplace/web/association_fields.py",  # the profile form's fields and errors
    "marketplace/web/form_fields.py",  # numbers and phones typed in the promoter's forms
    "marketplace/labels.py",  # units, cities, weekdays, order statuses
    "marketplace/services/catalog.py",  # product, stock, profile and delivery-day errors
    "marketplace/services/stock.py",
    "marketplace/services/order_states.py",  # order statuses and refused transitions
    "marketplace/services/photos.py",
    "marketplace/services/sms.py",  # SMS replies and the SMS help
    "marketplace/services/ordering.py",  # refused order actions
    "marketplace/services/notifications.py",  # new-order email and SMS, in the user's language
    "marketplace/services/agreements.py",  # agreement statuses and events
    "marketplace/services/standing/*.py",  # schedules, demand ahead, shortage notices
    "marketplace/services/calendar.py",  # closures: errors at their fields
    "marketplace/web/closures.py",  # the closures form and messages
    "templates/closures/*.html",  # the closures list and form (promoter and staff)
    "marketplace/services/order_payments.py",  # payment state on the order page
    "marketplace/services/payouts.py",  # the association's ledger
    "marketplace/services/accounts.py",  # buyer kinds, account errors
    "templates/public/_macros.html",  # the story page's public preview
]
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}
# printf placeholders (%%, %s, %(name)s), format fields ({name}), HTML entities and tags.
PLACEHOLDER = re.compile(r"%%|%\(\w+\)[sdif]|%[sdif]|\{\w*\}|&#?\w+;|<[^>]+>")


def read(path: Path):
    with path.open("rb") as fh:
        return read_po(fh)


@pytest.fixture(scope="module")
def catalog():
    return read(PO)


def forms(message) -> list[tuple[str, str]]:
    """(source, translation) pairs: one for a plain message, one per form for a plural."""
    if isinstance(message.id, str):
        return [(message.id, message.string or "")]
    ids = list(message.id)
    strings = list(message.string or ())
    strings += [""] * (len(ids) - len(strings))
    return list(zip(ids, strings, strict=True))


def label(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def test_every_string_has_an_english_translation(catalog):
    template = read(POT)
    missing = []
    for source in template:
        if not source.id:
            continue
        message = catalog.get(source.id)
        if message is None or message.fuzzy or not all(t.strip() for _, t in forms(message)):
            missing.append(label(source))
    assert not missing, (
        f"{len(missing)} strings have no English translation; run "
        "`bash scripts/i18n.sh` and translate them:\n" + "\n".join(missing)
    )


def test_no_fuzzy_or_broken_entries(catalog):
    fuzzy = [label(m) for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, "fuzzy entries:\n" + "\n".join(fuzzy)
    errors = [f"{label(m)}: {e}" for m, errs in catalog.check() for e in errs]
    assert not errors, "\n".join(errors)


def test_translations_keep_placeholders_and_edges(catalog):
    broken = []
    for message in catalog:
        if not message.id:
            continue
        for source, translation in forms(message):
            if not translation:
                continue  # reported by the completeness test
            if Counter(PLACEHOLDER.findall(source)) != Counter(PLACEHOLDER.findall(translation)):
                broken.append(f"placeholders differ: {source!r} -> {translation!r}")
            lead = source[: len(source) - len(source.lstrip())]
            trail = source[len(source.rstrip()) :]
            if not (translation.startswith(lead) and translation.endswith(trail)):
                broken.append(f"leading/trailing spaces differ: {source!r} -> {translation!r}")
    assert not broken, "\n".join(broken)


def promoter_strings() -> dict[str, set[str]]:
    """msgid (the singular of a plural) -> the promoter files it appears in."""
    found: dict[str, set[str]] = {}
    for pattern in PROMOTER_SOURCES:
        for path in sorted(ROOT.glob(pattern)):
            method = "jinja2" if path.suffix == ".html" else "python"
            for _lineno, message, _comments, _context in extract_from_file(
                method, path, keywords=KEYWORDS
            ):
                key = message if isinstance(message, str) else message[0]
                found.setdefault(key, set()).add(str(path.relative_to(ROOT)))
    return found


def find(catalog, msgid: str):
    message = catalog.get(msgid)
    if message is None:  # a plural entry is stored under (singular, plural)
        message = next((m for m in catalog if not isinstance(m.id, str) and m.id[0] == msgid), None)
    return message


@pytest.mark.parametrize("language", ["qu", "en"])
def test_every_promoter_string_is_translated(language):
    catalog = read(ROOT / "translations" / language / "LC_MESSAGES" / "messages.po")
    strings = promoter_strings()
    assert len(strings) > 300  # the extraction found the promoter's screens
    missing = []
    for msgid, files in sorted(strings.items()):
        message = find(catalog, msgid)
        if message is None or message.fuzzy or not all(t.strip() for _, t in forms(message)):
            missing.append(f"{msgid!r} ({', '.join(sorted(files))})")
    assert not missing, (
        f"{len(missing)} promoter strings have no {language} translation; run "
        f"`bash scripts/i18n.sh` and translate them in translations/{language} "
        "(Quechua: see docs/glossary.md):\n" + "\n".join(missing)
    )


def test_quechua_promoter_strings_keep_their_placeholders():
    catalog = read(ROOT / "translations" / "qu" / "LC_MESSAGES" / "messages.po")
    broken = []
    for msgid in promoter_strings():
        message = find(catalog, msgid)
        for source, translation in forms(message) if message else ():
            if translation and Counter(PLACEHOLDER.findall(source)) != Counter(
                PLACEHOLDER.findall(translation)
            ):
                broken.append(f"{source!r} -> {translation!r}")
    assert not broken, "\n".join(broken)


# Pages in English -----------------------------------------------------------------------

# Spanish words of the interface that must not survive on an English page. The test data
# below is written so that none of them come from the records themselves.
SPANISH = [
    "Catálogo", "Asociaciones", "Asociación", "asociación", "Ingresar", "Salir",
    "Contraseña", "contraseña", "Correo", "correo", "Carrito", "Buscar", "Filtrar",
    "Entrega", "entrega", "Precio", "Precios", "Pedido", "pedido", "Productos", "Producto",
    "Categoría", "Ciudad", "Cualquier", "Todas", "Quiénes", "Cómo", "Conoce", "familias",
    "socias", "antes", "días", "Disponible", "Agotado", "Quedan", "Registrar", "negocio",
    "Negocio", "Nombre", "Dirección", "Tipo", "Volver", "Guardar", "Recordarme", "Maíz",
    "Quesos", "Sus", "verificad", "Fundada", "más", "hasta", "Muestras", "unidad",
    "Principal", "Saltar", "contenido", "Estás", "Página", "Siguiente", "Anterior",
]  # fmt: skip
SPANISH_WORD = re.compile(r"\b(" + "|".join(map(re.escape, SPANISH)) + r")\b")
ATTRIBUTES = re.compile(r'\b(?:alt|title|placeholder|aria-label)="([^"]*)"')


def ensure_compiled() -> None:
    """Compile the English catalog when the .mo is missing or older than the .po."""
    if MO.exists() and MO.stat().st_mtime >= PO.stat().st_mtime:
        return
    partial = MO.with_name(f"messages.{os.getpid()}.mo")
    with partial.open("wb") as fh:
        write_mo(fh, read(PO))
    os.replace(partial, MO)


@pytest.fixture
def english(client):
    ensure_compiled()
    response = client.post("/language/en", data={"next": "/"})
    assert response.status_code == 303
    return client


@pytest.fixture
def world():
    """One verified association with English-neutral records, two products in stock."""
    assoc = AssociationFactory(
        name="Sumaq Ausangate",
        slug="sumaq-ausangate",
        tagline="Ocongate",
        district="Ocongate",
        province="Quispicanchi",
        region="Cusco",
        member_families=30,
        founded_year=2008,
        story_people="Thirty families of Ocongate.",
        story_practice="Fresh milk every morning.",
        story_benefit="A steady income all year.",
        sanitary_registration="RSA-1234-2023",
        min_order_cents=15000,
    )
    DeliveryRuleFactory(association=assoc, city="cusco", weekdays="25", lead_days=2)
    DeliveryRuleFactory(association=assoc, city="lima", weekdays="4", lead_days=1)
    andino = ProductFactory(
        association=assoc,
        name="Queso andino",
        description="Fresh cow's milk cheese.",
        price_cents=2800,
        samples_offered=True,
    )
    chullpi = ProductFactory(
        association=assoc,
        name="Chullpi",
        category="maize",
        variety="chullpi",
        description="For toasting.",
        unit="sack50",
        weight_per_unit_kg=Decimal("50"),
        price_cents=45000,
    )
    db.session.flush()
    move_stock(db.session, andino.id, Decimal("40"), REASON_PRODUCTION)
    move_stock(db.session, chullpi.id, Decimal("3"), REASON_PRODUCTION)
    db.session.commit()
    return {"association": assoc, "andino": andino, "chullpi": chullpi}


def leftovers(body: bytes) -> list[str]:
    page = body.decode()
    visible = text(page) + " " + " ".join(html.unescape(a) for a in ATTRIBUTES.findall(page))
    return sorted(set(SPANISH_WORD.findall(visible)))


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/", ["Catalogue", "Cheese and maize from Andean associations", "Meet the associations"]),
        ("/asociaciones", ["Producer associations", "30 member families"]),
        ("/asociaciones/sumaq-ausangate", ["Who they are", "How they work", "Their products"]),
        ("/login", ["Log in", "Password", "Remember me on this device"]),
        ("/registro", ["Register my business", "Trade name", "Legal name", "First delivery"]),
    ],
)
def test_key_pages_read_in_english(english, world, path, expected):
    response = english.get(path)
    assert response.status_code == 200
    assert b'<html lang="en">' in response.data
    page = text(response.data)
    for phrase in expected:
        assert phrase in page
    assert leftovers(response.data) == []


def test_product_page_reads_in_english(english, world):
    response = english.get(f"/p/{world['andino'].id}")
    assert response.status_code == 200
    page = text(response.data)
    assert "Who produces it" in page
    assert "Price before IGV (18%)." in page
    assert "Tuesday and Friday" in page
    assert leftovers(response.data) == []


@pytest.mark.parametrize(
    "role, paths",
    [
        ("buyer", ["/buyer/", "/buyer/cart", "/buyer/orders", "/buyer/standing-orders", "/cuenta"]),
        ("promoter", ["/producer/home", "/producer/", "/producer/products", "/producer/delivery"]),
    ],
)
def test_signed_in_pages_read_in_english(client, auth, world, role, paths):
    ensure_compiled()
    if role == "buyer":
        user = BuyerUserFactory()
        BuyerAddressFactory(buyer=user.buyer, label="Kitchen", address="Plateros 123")
    else:
        user = PromoterFactory(association=world["association"])
    db.session.commit()
    auth.login(user)
    client.post("/language/en", data={"next": "/"})  # saved in the user's profile too
    assert user.locale == "en"
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert b'<html lang="en">' in response.data
        assert leftovers(response.data) == [], path


def test_spanish_stays_the_default(client, world):
    response = client.get("/")
    page = text(response.data)
    assert "Catálogo" in page
    assert "Catalogue" not in page
    assert "Catálogo" in leftovers(response.data)  # the check above would notice Spanish
