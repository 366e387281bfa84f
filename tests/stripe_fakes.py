"""Stripe without the internet, for the payment tests: localstripe served on loopback, and a
small fake of Stripe Checkout (which localstripe lacks) that plays the hosted card page.

Import the fixtures into a test module: `from tests.stripe_fakes import localstripe, ...`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import secrets
import socket
import threading
import time

import pytest
import stripe
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

WEBHOOK_SECRET = "whsec_qhatu_test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def localstripe():
    """localstripe served on 127.0.0.1 only, in a daemon thread, once per test run (its
    aiohttp app can be started only once in a process)."""
    localstripe_server = pytest.importorskip("localstripe.server")
    web = pytest.importorskip("aiohttp.web")
    # localstripe keeps its state in one fixed file (/tmp/localstripe.pickle), which parallel
    # test workers would share: keep each process's fake in memory only.
    from localstripe.resources import Store

    Store.try_load_from_disk = lambda self: None
    Store.dump_to_disk = lambda self: None
    port = free_port()
    ready = threading.Event()

    def serve():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        runner = web.AppRunner(localstripe_server.app)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        ready.set()
        loop.run_forever()

    threading.Thread(target=serve, daemon=True).start()
    assert ready.wait(10), "localstripe did not start"
    return f"http://127.0.0.1:{port}"


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A Stripe-Signature header for this body, as Stripe makes it."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def _nest(form) -> dict:
    """Stripe's form encoding (a[b][0][c]=1) back into nested dicts and lists."""
    root: dict = {}
    for key, value in form.items(multi=True):
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part, following in zip(parts, parts[1:] + [None], strict=True):
            if following is None:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(root)


def _lists(node):
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_lists(node[k]) for k in sorted(node, key=int)]
        return {k: _lists(v) for k, v in node.items()}
    return node


class FakeCheckout:
    """Checkout Sessions on loopback: create, retrieve, and the hosted page's payment.

    Paying makes what Stripe would: a card PaymentMethod in localstripe, attached to the
    session's customer when the card is to be saved, and a confirmed PaymentIntent with
    the session's `payment_intent_data` (manual capture, metadata).
    """

    def __init__(self, localstripe_url: str):
        self.stripe = stripe.StripeClient("sk_test_qhatu", base_addresses={"api": localstripe_url})
        self.sessions: dict[str, dict] = {}
        self.by_key: dict[str, str] = {}
        self.lock = threading.Lock()
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()

    def reset(self):
        """Forget every session (each test starts afresh; our order ids, and so the
        idempotency keys made from them, repeat from one test to the next)."""
        with self.lock:
            self.sessions.clear()
            self.by_key.clear()

    @Request.application
    def wsgi(self, request: Request) -> Response:
        path = request.path
        if request.method == "POST" and path == "/v1/checkout/sessions":
            return self._json(
                self.create(_nest(request.form), request.headers.get("Idempotency-Key"))
            )
        match = re.fullmatch(r"/v1/checkout/sessions/(cs_\w+)", path)
        if match and request.method == "GET":
            found = self.sessions.get(match.group(1))
            if found is None:
                return self._json({"error": {"message": "No such session"}}, 404)
            return self._json(found)
        match = re.fullmatch(r"/pay/(cs_\w+)", path)
        if match and request.method == "GET":
            return Response(
                f'<form method="post"><input name="card" value="4242424242424242">'
                f"<button>Pay {self.sessions[match.group(1)]['amount_total']}</button></form>",
                mimetype="text/html",
            )
        if match and request.method == "POST":
            back = self.pay(match.group(1), request.form.get("card", "4242424242424242"))
            return Response(status=303, headers={"Location": back})
        return self._json({"error": {"message": "unknown"}}, 404)

    @staticmethod
    def _json(data, status=200) -> Response:
        return Response(json.dumps(data), status=status, mimetype="application/json")

    def create(self, params: dict, key: str | None) -> dict:
        with self.lock:
            if key and key in self.by_key:
                return self.sessions[self.by_key[key]]
            session_id = f"cs_test_{secrets.token_hex(8)}"
            items = params.get("line_items") or []
            amount = sum(
                int(i["price_data"]["unit_amount"]) * int(i.get("quantity", 1)) for i in items
            )
            self.sessions[session_id] = {
                "id": session_id,
                "object": "checkout.session",
                "mode": params.get("mode"),
                "status": "open",
                "payment_status": "unpaid",
                "url": f"{self.url}/pay/{session_id}",
                "amount_total": amount,
                "currency": items[0]["price_data"]["currency"] if items else None,
                "customer": params.get("customer"),
                "client_reference_id": params.get("client_reference_id"),
                "metadata": params.get("metadata") or {},
                "payment_intent": None,
                "success_url": params.get("success_url"),
                "cancel_url": params.get("cancel_url"),
                "_intent_data": params.get("payment_intent_data") or {},
            }
            if key:
                self.by_key[key] = session_id
            return self.sessions[session_id]

    def pay(self, session_id: str, number: str = "4242424242424242") -> str:
        """The buyer types a card on the hosted page; returns the success URL to go back to."""
        found = self.sessions[session_id]
        method = self.stripe.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"},
            }
        )
        intent_data = found["_intent_data"]
        if intent_data.get("setup_future_usage") and found["customer"]:
            self.stripe.v1.payment_methods.attach(method.id, params={"customer": found["customer"]})
        params = {
            "amount": found["amount_total"],
            "currency": found["currency"],
            "payment_method": method.id,
            "payment_method_types": ["card"],
            "capture_method": intent_data.get("capture_method", "automatic"),
            "metadata": intent_data.get("metadata") or {},
            "confirm": True,
        }
        if found["customer"]:
            params["customer"] = found["customer"]
        intent = self.stripe.v1.payment_intents.create(params=params)
        found.update(status="complete", payment_intent=intent.id)
        return found["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)

    def completed_event(self, session_id: str, **changes) -> bytes:
        """The signed body of the `checkout.session.completed` event Stripe would send."""
        data = {k: v for k, v in self.sessions[session_id].items() if not k.startswith("_")}
        data.update(changes)
        event = {
            "id": f"evt_{secrets.token_hex(8)}",
            "object": "event",
            "type": "checkout.session.completed",
            "data": {"object": data},
        }
        return json.dumps(event).encode()


@pytest.fixture(scope="session")
def fake_checkout(localstripe):
    fake = FakeCheckout(localstripe)
    yield fake
    fake.close()


@pytest.fixture
def stripe_config(localstripe, fake_checkout):
    """Settings that turn cards on against the fakes (the Checkout fake starts empty)."""
    fake_checkout.reset()
    return {
        "STRIPE_SECRET_KEY": "sk_test_qhatu",
        "STRIPE_API_BASE": localstripe,
        "STRIPE_CHECKOUT_API_BASE": fake_checkout.url,
        "STRIPE_CHECKOUT_ORIGIN": fake_checkout.url,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }
