"""The notification outbox: queued with the order's change, sent later, failures recorded."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.models import Notification
from marketplace.ops import worker
from marketplace.services import notifications, ordering
from marketplace.types import utcnow
from tests.factories import ordering_world, place_order

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/Lima"))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(MONDAY, tick=False):
        yield


@pytest.fixture
def w(app):
    with app.test_request_context():
        world = ordering_world()
        world.promoter.phone = "+51984000111"
        db.session.commit()
        return world


def kinds_for(email):
    return db.session.scalars(
        sa.select(Notification.kind).where(Notification.email == email).order_by(Notification.id)
    ).all()


def test_each_party_hears_what_concerns_it(app, w):
    with app.test_request_context():
        (order,) = place_order(w.buyer_user, w.address, [(w.cheese, 2)])
        ordering.confirm_order(db.session, w.promoter, order)
        ordering.dispatch_order(db.session, w.promoter, order)
        ordering.deliver_order(db.session, w.promoter, order)
        (second,) = place_order(w.buyer_user, w.address, [(w.cheese, 1)])
        ordering.cancel_order(db.session, w.buyer_user, second)
        (third,) = place_order(w.buyer_user, w.address, [(w.cheese, 1)])
        ordering.reject_order(db.session, w.promoter, third, "Sin leche")
        db.session.commit()
    assert kinds_for("chef@example.pe") == [
        "order_confirmed",
        "order_dispatched",
        "order_delivered",
        "order_rejected",
    ]
    assert kinds_for("promotora@example.pe") == [
        "order_placed",
        "order_placed",
        "order_cancelled",
        "order_placed",
    ]
    sms = db.session.scalars(
        sa.select(Notification.kind).where(Notification.channel == "sms")
    ).all()
    assert sms == ["order_placed", "order_placed", "order_cancelled", "order_placed"]
    rejected = db.session.scalar(
        sa.select(Notification).where(Notification.kind == "order_rejected")
    )
    assert "Motivo: Sin leche" in rejected.body


def test_messages_are_written_in_the_recipients_language(app, w):
    w.buyer_user.locale = "en"
    with app.test_request_context():
        (order,) = place_order(w.buyer_user, w.address, [(w.cheese, 2)])
        ordering.confirm_order(db.session, w.promoter, order)
        db.session.commit()
    confirmed = db.session.scalar(
        sa.select(Notification).where(Notification.kind == "order_confirmed")
    )
    assert order.number in confirmed.subject


def test_send_without_mail_server_writes_to_the_log(app, w, runner, caplog):
    with app.test_request_context():
        place_order(w.buyer_user, w.address, [(w.cheese, 2)])
        db.session.commit()
    app.config["MAIL_SERVER"] = None
    with caplog.at_level("INFO", logger="qhatu.notifications"):
        result = runner.invoke(args=["notifications", "send"])
    assert "2 sent, 0 failed, 0 queued" in result.output
    assert "Nuevo pedido" in caplog.text
    assert db.session.scalar(sa.select(sa.func.count()).where(Notification.sent_at.is_(None))) == 0


class FakeSMTP:
    sent: list = []
    fail = False

    def __init__(self, host, port, timeout=None):
        self.host = host

    def __enter__(self):
        if FakeSMTP.fail:
            raise ConnectionRefusedError("connection refused")
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def send_message(self, message):
        FakeSMTP.sent.append(message)


def test_smtp_sends_and_failures_are_recorded_not_lost(app, w, monkeypatch):
    monkeypatch.setattr(notifications.smtplib, "SMTP", FakeSMTP)
    app.config.update(MAIL_SERVER="smtp.example.pe", MAIL_PORT=587, MAIL_USE_TLS=True)
    with app.test_request_context():
        (order,) = place_order(w.buyer_user, w.address, [(w.cheese, 2)])
        db.session.commit()
    FakeSMTP.fail, FakeSMTP.sent = True, []
    outcome = worker.run_pending(db.session, app.config)
    assert (outcome.done, outcome.failed) == (1, 1)  # the SMS goes to the log; the email fails
    email = db.session.scalar(sa.select(Notification).where(Notification.channel == "email"))
    assert email.sent_at is None and email.attempts == 1
    assert "connection refused" in email.last_error
    assert db.session.get(type(order), order.id).status == "placed"
    assert email.next_attempt_at == utcnow() + timedelta(minutes=1)  # then 2, 4, 8 ...
    FakeSMTP.fail = False
    assert worker.run_pending(db.session, app.config) == worker.Outcome(0, 0)  # not yet due
    with time_machine.travel(MONDAY + timedelta(minutes=1), tick=False):
        assert worker.run_pending(db.session, app.config) == worker.Outcome(1, 0)
    assert FakeSMTP.sent[0]["To"] == "promotora@example.pe"
    assert "Nuevo pedido" in FakeSMTP.sent[0]["Subject"]
    db.session.refresh(email)
    assert email.sent_at is not None and email.last_error is None
