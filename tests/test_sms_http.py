"""The HTTP SMS adapter against a fake provider on loopback: a new order reaches the promoter's
phone through the outbox as one form POST (To, From, Body, basic auth); a refusal is retried."""

import base64
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.models import Notification
from tests.factories import ordering_world, place_order
from tests.test_sms import MONDAY

PHONE = "+51987654321"


class FakeProvider(BaseHTTPRequestHandler):
    """Answers like Twilio's Messages resource: 201 and a JSON body with the message sid."""

    received: list = []
    status = 201

    def do_POST(self):  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
        self.received.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "form": form}
        )
        body = json.dumps({"sid": f"SM{len(self.received)}", "status": "queued"}).encode()
        if self.status >= 400:
            body = json.dumps({"code": 21211, "message": "Invalid 'To' number"}).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def provider():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeProvider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def app_config(provider):
    FakeProvider.received = []
    FakeProvider.status = 201
    host, port = provider.server_address
    return {
        "SMS_PROVIDER": "http",
        "SMS_API_URL": f"http://{host}:{port}/2010-04-01/Accounts/AC123/Messages.json",
        "SMS_API_USER": "AC123",
        "SMS_API_PASSWORD": "token-xyz",
        "SMS_FROM": "+5115550000",
    }


@pytest.fixture
def new_order(app):
    with time_machine.travel(MONDAY, tick=False):
        w = ordering_world()
        w.promoter.phone = PHONE
        db.session.flush()
        place_order(w.buyer_user, w.address, [(w.cheese, 5)])
        db.session.commit()
    return w


def sms_rows():
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Notification).where(Notification.channel == "sms")))


def test_new_order_sms_goes_out_through_the_provider(runner, new_order):
    (row,) = sms_rows()
    assert row.phone == PHONE and row.sent_at is None

    result = runner.invoke(args=["notifications", "send"])
    assert "1 failed" not in result.output

    (call,) = FakeProvider.received
    assert call["path"] == "/2010-04-01/Accounts/AC123/Messages.json"
    assert call["auth"] == "Basic " + base64.b64encode(b"AC123:token-xyz").decode()
    assert call["form"]["To"] == PHONE
    assert call["form"]["From"] == "+5115550000"
    assert call["form"]["Body"] == row.body
    assert sms_rows()[0].sent_at is not None

    runner.invoke(args=["notifications", "send"])  # nothing left: not sent twice
    assert len(FakeProvider.received) == 1


def test_a_refused_sms_stays_queued_with_the_reason_and_is_retried(runner, new_order):
    FakeProvider.status = 400
    result = runner.invoke(args=["notifications", "send"])
    assert "1 failed" in result.output
    (row,) = sms_rows()
    assert row.sent_at is None
    assert "400" in row.last_error and "Invalid 'To' number" in row.last_error

    FakeProvider.status = 201
    runner.invoke(args=["notifications", "send"])
    assert len(FakeProvider.received) == 1  # retried only after a minute (then 2, 4 ...)
    with time_machine.travel(row.next_attempt_at, tick=False):
        runner.invoke(args=["notifications", "send"])
    assert sms_rows()[0].sent_at is not None
    assert len(FakeProvider.received) == 2


def test_an_unreachable_provider_is_recorded_not_raised(app, runner, new_order):
    app.config["SMS_API_URL"] = "http://127.0.0.1:9/Messages.json"  # discard port: refused
    result = runner.invoke(args=["notifications", "send"])
    assert result.exit_code == 0
    (row,) = sms_rows()
    assert row.sent_at is None and "not reached" in row.last_error


def test_console_provider_only_logs(app, runner, new_order, caplog):
    app.config["SMS_PROVIDER"] = "console"
    caplog.set_level("INFO", logger="qhatu.sms")
    runner.invoke(args=["notifications", "send"])
    assert FakeProvider.received == []
    assert sms_rows()[0].sent_at is not None
    assert f"[sms] to {PHONE}" in caplog.text
