"""What makes the promoter's home work offline: the service worker served from the site root,
the page that registers it and links the manifest, and the pruning of old request keys."""

from datetime import timedelta

import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.models import PromoterRequest
from marketplace.types import utcnow
from tests.factories import PromoterFactory


def test_service_worker_is_served_from_the_root_and_rechecked(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    assert "__VERSION__" not in body and "__SHELL__" not in body
    assert '"/static/js/promoter-offline.js"' in body
    assert 'var HOME = "/producer/home"' in body
    etag = response.headers["ETag"]
    assert client.get("/sw.js", headers={"If-None-Match": etag}).status_code == 304


def test_home_registers_the_worker_and_can_be_installed(client, auth):
    auth.login(PromoterFactory())
    page = client.get("/producer/home").get_data(as_text=True)
    assert 'data-sw="/sw.js"' in page and 'data-sw-scope="/"' in page
    assert 'rel="manifest"' in page and 'name="theme-color"' in page
    manifest = client.get("/static/manifest.webmanifest")
    assert manifest.status_code == 200
    assert b'"start_url": "/producer/home"' in manifest.data
    assert client.get("/static/img/icon-192.png").status_code == 200


def test_prune_forgets_keys_older_than_a_month(runner):
    user = PromoterFactory()
    db.session.flush()
    with time_machine.travel(utcnow() - timedelta(days=31), tick=False):
        db.session.add(PromoterRequest(user_id=user.id, key="old", action="stock:1:add"))
        db.session.flush()
    db.session.add(PromoterRequest(user_id=user.id, key="new", action="stock:1:add"))
    db.session.commit()
    result = runner.invoke(args=["sms", "prune"])
    assert "1 keys older than 30 days forgotten" in result.output
    db.session.expire_all()
    assert db.session.scalars(sa.select(PromoterRequest.key)).all() == ["new"]
