"""In development the outbox leaves by itself (scripts/run.sh) and staff read what was sent
on a dev page; production keeps the separate sender and has no such page."""

from pathlib import Path

import pytest

from marketplace.extensions import db
from marketplace.models import Notification
from marketplace.ops.worker import run_pending
from marketplace.services.notifications import MAX_ATTEMPTS
from tests.conftest import text
from tests.factories import BuyerUserFactory, StaffFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def outbox(app):
    db.session.add_all(
        [
            Notification(
                channel="email",
                email="chef@example.pe",
                kind="order_confirmed",
                subject="Sumaq Ausangate confirmó tu pedido Q-00001",
                body="Hola:\n\nTu pedido llega el martes.",
            ),
            Notification(
                channel="sms",
                phone="+51987654321",
                kind="order_placed",
                subject="Pedido nuevo",
                body="Pedido nuevo Q-00002: 4 kg de queso.",
            ),
        ]
    )
    db.session.commit()


def test_staff_read_what_was_sent_and_what_waits(client, auth, app, outbox):
    run_pending(db.session, app.config, limit=1)
    db.session.commit()
    auth.login(StaffFactory())
    response = client.get("/staff/dev/outbox")
    assert response.status_code == 200
    page = text(response.data)
    assert "Sumaq Ausangate confirmó tu pedido Q-00001" in page
    assert "Correo a chef@example.pe" in page and "Tu pedido llega el martes." in page
    assert "SMS a +51987654321" in page and "Pedido nuevo Q-00002: 4 kg de queso." in page
    assert "1 mensaje espera su envío." in page
    assert "Enviado" in page and "En espera" in page


def test_only_staff_and_never_in_production(client, auth, app, outbox):
    auth.login(BuyerUserFactory())
    assert client.get("/staff/dev/outbox").status_code in (302, 403, 404)
    auth.logout()
    auth.login(StaffFactory())
    app.config["ENV_NAME"] = "production"
    assert client.get("/staff/dev/outbox").status_code == 404


def test_the_run_script_sends_the_outbox_outside_production_only():
    script = (ROOT / "scripts" / "run.sh").read_text()
    loop = script[script.index('if [ "${QHATU_ENV:-development}" != "production" ]') :]
    assert "flask jobs run" in loop.split("fi\n")[0]
    assert loop.index("flask jobs run") < loop.index("flask run")


def test_a_message_given_up_on_is_not_said_to_wait(client, auth, outbox):
    given_up = Notification(
        channel="email",
        email="cocina@example.pe",
        kind="order_placed",
        subject="Pedido nuevo",
        body="Pedido nuevo Q-00003.",
        attempts=MAX_ATTEMPTS,
        last_error="SMTP 550",
    )
    db.session.add(given_up)
    db.session.commit()
    auth.login(StaffFactory())
    page = text(client.get("/staff/dev/outbox").data)
    assert "2 mensajes esperan su envío." in page  # the two of the fixture, not the third
    assert "Falló" in page and "SMTP 550" in page
